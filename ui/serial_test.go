package ui

import (
	"testing"

	"github.com/sealtrace/sealtrace/assets"
	"github.com/sealtrace/sealtrace/pipeline"
)

// serial is the tests' fyne.Do. Fyne's test driver runs fyne.Do on the
// caller's goroutine, so changes posted from several goroutines would run at
// once; serial runs them one at a time, in the order posted, on a goroutine
// of its own, as the real driver runs them on the main thread.
// When the test ends it stops, after the change under way: a UI's late
// changes never run beside the next test's.
type serial struct {
	ch   chan func()
	stop chan struct{}
}

func newSerial(t testing.TB) *serial {
	s := &serial{ch: make(chan func(), 4096), stop: make(chan struct{})}
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		for {
			select {
			case f := <-s.ch:
				f()
			case <-s.stop:
				return
			}
		}
	}()
	t.Cleanup(func() { close(s.stop); <-exited })
	return s
}

func (s *serial) do(f func()) {
	select {
	case s.ch <- f:
	case <-s.stop:
	}
}

// postAndWait runs f on the UI goroutine and returns when it has run.
func (u *UI) postAndWait(f func()) {
	done := make(chan struct{})
	u.do(func() { f(); close(done) })
	<-done
}

// demoEngine inspects as the demo does: its zone and evaluation time.
func demoEngine(t testing.TB) *pipeline.Engine {
	t.Helper()
	z, err := assets.DemoResolver()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := pipeline.New(pipeline.Config{Resolver: z, Now: assets.DemoNow})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}
