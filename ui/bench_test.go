package ui

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

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

// BenchmarkTable100k: a list of 100,000 rows stays quick because the table
// makes widgets only for visible rows. One op = filter the rows again,
// refresh the table, jump to the middle and draw the window.
func BenchmarkTable100k(b *testing.B) {
	test.NewTempApp(b)
	w := test.NewTempWindow(b, nil)
	w.Resize(fyne.NewSize(1280, 800))
	u := New(fyne.CurrentApp(), w)
	<-u.loaded
	words := []string{inspect.Pass, inspect.Fail, inspect.SoftFail, inspect.None}
	var es []*entry
	for i := range 100000 {
		r := &inspect.Report{SPF: inspect.SPFResult{Result: words[i%4]}, DMARC: inspect.DMARCResult{Result: words[(i/4)%4]}, ARC: inspect.ARCResult{Result: inspect.None}}
		es = append(es, &entry{source: "big", index: i, from: fmt.Sprintf("sender%d@example.com", i), subject: fmt.Sprintf("message %d", i), report: r})
	}
	u.postAndWait(func() { u.addEntries(es) })
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		u.postAndWait(func() {
			u.filter = []string{"All", "DMARC fail"}[i%2]
			u.refilter()
			u.table.ScrollTo(widget.TableCellID{Row: len(u.shown) / 2, Col: 0})
			w.Canvas().Capture()
		})
	}
	b.ReportMetric(float64(len(u.entries)), "rows")
}
