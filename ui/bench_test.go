package ui

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/sealtrace/sealtrace/assets"
	"github.com/sealtrace/sealtrace/inspect"
)

// BenchmarkOpen10k opens a 14,000-message mbox (the 14 signed demo
// messages, a thousand times over) the way the app does, without widgets: the time
// until the first rows can be shown, until every badge is filled, and the
// heap that stays (entries with their reports; messages are read again
// from the file when shown, not kept).
func BenchmarkOpen10k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "10k.mbox")
	var mb bytes.Buffer
	for range 1000 {
		mb.Write(assets.DemoMbox)
	}
	if err := os.WriteFile(path, mb.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	z, err := assets.DemoResolver()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		var entries []*entry
		var first time.Duration
		start := time.Now()
		inspected := 0
		l := &loader{
			opts: inspect.Options{Resolver: z, Now: func() time.Time { return assets.DemoNow }},
			onEntries: func(es []*entry) {
				if first == 0 {
					first = time.Since(start)
				}
				entries = append(entries, es...)
			},
			onReports: func(rs []reported) {
				for _, r := range rs {
					r.e.report = r.r
				}
				inspected += len(rs)
			},
			onError: func(err error) { b.Fatal(err) },
			onDone:  func(int, time.Duration) {},
		}
		l.loadFile(context.Background(), path)
		all := time.Since(start)
		n := 1000 * bytes.Count(assets.DemoMbox, []byte("\nFrom MAILER-DAEMON"))
		if len(entries) != n || inspected != n {
			b.Fatalf("%d rows, %d inspected", len(entries), inspected)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(first.Microseconds())/1000, "ms-first-rows")
		b.ReportMetric(all.Seconds(), "s-all-inspected")
		b.ReportMetric(float64(n)/all.Seconds(), "msgs/s")
		b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "MB-heap-kept")
		runtime.KeepAlive(entries)
	}
}
