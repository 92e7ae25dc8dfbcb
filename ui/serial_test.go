package ui

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"

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

// Closing the window never waits for widget changes still on their way to
// the UI goroutine (the old updater waited for one in flight while holding
// the UI goroutine: the exit deadlocked), and changes posted after the close
// are dropped.
func TestCloseDoesNotWaitForUpdates(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	a := test.NewTempApp(t)
	w := test.NewWindow(nil) // closed by the test itself
	// The UI goroutine is busy: posted changes queue up and none runs.
	var mu sync.Mutex
	var queued []func()
	u := newUI(a, w, func(f func()) { mu.Lock(); queued = append(queued, f); mu.Unlock() })
	waitQueued := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(queued)
	}
	for deadline := time.Now().Add(60 * time.Second); waitQueued() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the demo load posted nothing")
		}
	}
	closed := make(chan struct{})
	go func() { w.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		t.Fatal("closing the window waited for the changes in flight")
	}
	// What was queued before the close runs now, and does nothing.
	status := u.status.Text
	mu.Lock()
	late := queued
	queued = nil
	mu.Unlock()
	for _, f := range late {
		f()
	}
	if u.status.Text != status || len(u.entries) != 0 {
		t.Errorf("changes posted before the close ran after it: status %q became %q, %d rows added", status, u.status.Text, len(u.entries))
	}
}

// A hop's delay carries one sign: a negative one (a clock out of step) is
// never shown as "+-240s".
func TestHumanDelay(t *testing.T) {
	for in, want := range map[float64]string{3: "+3s", -240: "-4 min", 720: "+12 min", -5: "-5s", 9000: "+2.5 h"} {
		if got := humanDelay(in); got != want {
			t.Errorf("humanDelay(%v) = %q, want %q", in, got, want)
		}
	}
}

// The highlighted row is always the message shown: at start, after a sort,
// and after a search that hides it or hides everything.
func TestViewFollowsTheRow(t *testing.T) {
	u, _ := newTestUI(t)
	consistent := func(when string) {
		t.Helper()
		u.postAndWait(func() {
			if u.selRow < 0 || u.selRow >= len(u.shown) || u.shown[u.selRow] != u.selected || u.view.entry != u.selected {
				t.Errorf("%s: row %d highlighted, %v selected, %v shown", when, u.selRow, subjectOf(u.selected), subjectOf(u.view.entry))
			}
		})
	}
	consistent("at start")
	spoof := u.entryByDemo(t, "spoofed-from-reject")
	u.postAndWait(func() {
		for i, e := range u.shown {
			if e == spoof {
				u.table.Select(widget.TableCellID{Row: i, Col: 2})
			}
		}
	})
	u.postAndWait(func() { u.sortOn(3) }) // SPF
	consistent("after sorting by SPF")
	u.postAndWait(func() {
		if u.selected != spoof {
			t.Errorf("sorting changed the message shown to %v", subjectOf(u.selected))
		}
	})
	u.postAndWait(func() { u.query = "order 1042"; u.refilter() }) // hides the chosen message
	consistent("after a search that hides it")
	u.postAndWait(func() { u.query = "no message says this"; u.refilter() })
	u.postAndWait(func() {
		if u.selected != nil || u.view.content.Visible() {
			t.Errorf("no row listed, but %v is shown", subjectOf(u.view.entry))
		}
	})
	u.postAndWait(func() { u.query = ""; u.refilter() })
	consistent("after the search is cleared")
}

func subjectOf(e *entry) string {
	if e == nil {
		return "nothing"
	}
	return e.subject
}

// Keyboard: with the list focused, Down and Up select and show the next and
// previous message; Escape clears the search; Ctrl+F focuses it; Ctrl+3
// shows the third tab.
func TestListKeyboard(t *testing.T) {
	u, w := newTestUI(t)
	u.postAndWait(func() {
		w.Canvas().Focus(u.table)
		u.table.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
		u.table.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	})
	u.postAndWait(func() {
		if u.selRow != 2 || u.view.entry != u.shown[2] {
			t.Errorf("two Downs: row %d, showing %s (want row 2, %s)", u.selRow, subjectOf(u.view.entry), subjectOf(u.shown[2]))
		}
		u.table.TypedKey(&fyne.KeyEvent{Name: fyne.KeyUp})
	})
	u.postAndWait(func() {
		if u.selRow != 1 || u.view.entry != u.shown[1] {
			t.Errorf("Up: row %d, showing %s", u.selRow, subjectOf(u.view.entry))
		}
		u.search.SetText("order")
	})
	u.postAndWait(func() { u.table.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape}) })
	u.postAndWait(func() {
		if u.search.Text != "" || u.query != "" {
			t.Errorf("Escape left the search %q", u.search.Text)
		}
		u.focusSearch()
		u.showTab(2)
	})
	u.postAndWait(func() {
		if w.Canvas().Focused() != u.search {
			t.Error("Ctrl+F did not focus the search")
		}
		if u.view.tabs.SelectedIndex() != 2 {
			t.Errorf("Ctrl+3 shows tab %d", u.view.tabs.SelectedIndex())
		}
	})
}

// A file opened is selected in the sidebar and its first message shown.
func TestOpenedFileIsShown(t *testing.T) {
	u, _ := newTestUI(t)
	path := filepath.Join(t.TempDir(), "ticket.eml")
	if err := os.WriteFile(path, []byte("From: help@example.org\r\nSubject: please look at this\r\n\r\nhi\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	u.postAndWait(func() { u.openPath(path) })
	defer func() {
		u.postAndWait(func() {
			t.Logf("source %q sources %v focusNext %q view %s", u.source, u.sources, u.focusNext, subjectOf(u.view.entry))
		})
	}()
	waitFor(t, u, "the opened file to be shown", func() bool {
		return u.source == "ticket.eml" && u.view.entry != nil && u.view.entry.subject == "please look at this" &&
			u.selRow >= 0 && u.shown[u.selRow] == u.view.entry
	})
}

// The demo decrypts with its own key even when the settings name key files
// of the user's.
func TestDemoKeepsItsKeys(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	a := test.NewTempApp(t)
	someone, err := openpgp.NewEntity("Someone", "", "someone@example.org", nil)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "mine.asc")
	f, _ := os.Create(keyFile)
	aw, _ := armor.Encode(f, openpgp.PublicKeyType, nil)
	someone.Serialize(aw)
	aw.Close()
	f.Close()
	a.Preferences().SetString(prefKeyFiles, keyFile)
	w := test.NewTempWindow(t, nil)
	u := newUI(a, w, newSerial(t).do)
	select {
	case <-u.loaded:
	case <-time.After(60 * time.Second):
		t.Fatal("the demo mailbox did not finish loading")
	}
	e := u.entryByDemo(t, "pgp-notification")
	u.postAndWait(func() {
		if e.report.PGP == nil || !e.report.PGP.Decrypted {
			t.Errorf("the demo's notification is not decrypted with a key file in the settings: %+v", e.report.PGP)
		}
	})
}

// Ctrl+R shows the Reports tab and Ctrl+M the Messages tab: a lesson that
// ends on the reports needs no mouse.
func TestReportsTabShortcut(t *testing.T) {
	u, _ := newTestUI(t)
	press := func(k fyne.KeyName) {
		u.postAndWait(func() {
			u.win.Canvas().(interface{ TypedShortcut(fyne.Shortcut) }).TypedShortcut(
				&desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault})
		})
	}
	var got int
	press(fyne.KeyR)
	u.postAndWait(func() { got = u.mainTabs.SelectedIndex() })
	if got != 1 {
		t.Errorf("Ctrl+R shows main tab %d, want 1 (Reports)", got)
	}
	press(fyne.KeyM)
	u.postAndWait(func() { got = u.mainTabs.SelectedIndex() })
	if got != 0 {
		t.Errorf("Ctrl+M shows main tab %d, want 0 (Messages)", got)
	}
}
