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
	"github.com/sealtrace/sealtrace/internal/testpeers/dovecottest"
	"github.com/sealtrace/sealtrace/mailbox"
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
	for b.Loop() {
		var entries []*entry
		var first time.Duration
		start := time.Now()
		inspected := 0
		l := &loader{
			eng: demoEngine(b),
			onEntries: func(es []*entry) {
				if first == 0 {
					first = time.Since(start)
				}
				entries = append(entries, es...)
			},
			onReports: func(rs []reported) {
				for _, r := range rs {
					r.e.setReport(r.r, nil)
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
	u := newUI(fyne.CurrentApp(), w, newSerial(b).do)
	<-u.loaded
	words := []string{inspect.Pass, inspect.Fail, inspect.SoftFail, inspect.None}
	var es []*entry
	for i := range 100000 {
		r := &inspect.Report{SPF: inspect.SPFResult{Result: words[i%4]}, DMARC: inspect.DMARCResult{Result: words[(i/4)%4]}, ARC: inspect.ARCResult{Result: inspect.None}}
		es = append(es, &entry{source: "big", index: i, from: fmt.Sprintf("sender%d@example.com", i), subject: fmt.Sprintf("message %d", i), report: r, sum: summarize(r)})
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

// BenchmarkIMAP10k opens a 10,005-message folder of a real Dovecot on
// loopback (the demo messages, 667 times) the way the app does, and in the
// same run times the bare go-imap fetch of the same data and the inspection
// of the same messages from memory; it reports the ratio of the app's time
// to the two together (target 1.3).
func BenchmarkIMAP10k(b *testing.B) {
	var raws [][]byte
	r := mailbox.NewMboxReader(bytes.NewReader(assets.DemoMbox))
	for {
		raw, _, err := r.Next()
		if err != nil {
			break
		}
		raws = append(raws, raw)
	}
	var seeds []dovecottest.Seed
	for len(seeds) < 10000 {
		for _, raw := range raws {
			seeds = append(seeds, dovecottest.Seed{Raw: raw})
		}
	}
	d := dovecottest.Start(b, seeds)
	acct := mailbox.Account{Server: d.IMAPSAddr, Security: mailbox.ImplicitTLS, Username: "alice", Password: "secret", RootCAs: d.Roots}
	z, _ := assets.DemoResolver()
	opts := inspect.Options{Resolver: z, Now: func() time.Time { return assets.DemoNow }}
	for b.Loop() {
		// The bare fetch: list data, then every message, 50 per command.
		start := time.Now()
		f, list, err := mailbox.OpenFolder(context.Background(), acct, "INBOX")
		if err != nil {
			b.Fatal(err)
		}
		firstPage := time.Since(start)
		var all [][]byte
		for i := 0; i < len(list); i += 50 {
			var uids []uint32
			for _, mi := range list[i:min(i+50, len(list))] {
				uids = append(uids, mi.UID)
			}
			got, err := f.Messages(uids)
			if err != nil {
				b.Fatal(err)
			}
			for _, u := range uids {
				all = append(all, got[u])
			}
		}
		f.Close()
		bare := time.Since(start)
		// Inspection alone, from memory.
		start = time.Now()
		for _, raw := range all {
			if _, err := inspect.Inspect(context.Background(), raw, opts); err != nil {
				b.Fatal(err)
			}
		}
		verify := time.Since(start)
		// The app's way: rows first, inspection as the messages arrive; the
		// model keeps what the app keeps (rows and reports).
		cache := &mailbox.Cache{Dir: b.TempDir(), MaxBytes: 1 << 30}
		start = time.Now()
		var firstRows time.Duration
		var kept []*entry
		var reps []reported
		l := &loader{eng: demoEngine(b), cache: cache,
			onEntries: func(es []*entry) {
				if firstRows == 0 {
					firstRows = time.Since(start)
				}
				kept = append(kept, es...)
			},
			onReports: func(rs []reported) { reps = append(reps, rs...) },
			onError:   func(err error) { b.Fatal(err) },
		}
		var full time.Duration // every message inspected and shown
		l.onDone = func(int, time.Duration) { full = time.Since(start) }
		l.loadIMAP(context.Background(), acct, "INBOX")
		written := time.Since(start) // and the cache written
		l.onDone = func(int, time.Duration) {}
		if len(reps) != len(seeds) {
			b.Fatalf("%d inspected of %d", len(reps), len(seeds))
		}
		for _, x := range reps {
			x.e.setReport(x.r, x.plain)
		}
		reps = nil
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		heapMB := float64(ms.HeapAlloc) / (1 << 20)
		runtime.KeepAlive(kept)
		kept = nil
		// Reopening: the rows and verdicts from the cache's index, then the
		// server asked what changed (nothing).
		start = time.Now()
		var reopenRows time.Duration
		l.onEntries = func(es []*entry) {
			if len(es) == len(seeds) && es[0].sum != nil {
				reopenRows = time.Since(start)
			}
		}
		l.loadIMAP(context.Background(), acct, "INBOX")
		reopen := time.Since(start)
		if reopenRows == 0 || len(reps) != 0 {
			b.Fatalf("reopen: rows from the cache after %v, %d inspected again", reopenRows, len(reps))
		}
		b.ReportMetric(float64(firstPage.Milliseconds()), "ms-bare-list")
		b.ReportMetric(float64(firstRows.Milliseconds()), "ms-first-rows")
		b.ReportMetric(bare.Seconds(), "s-bare-fetch")
		b.ReportMetric(verify.Seconds(), "s-inspect-only")
		b.ReportMetric(full.Seconds(), "s-app")
		b.ReportMetric(written.Seconds(), "s-app-cache-written")
		b.ReportMetric(full.Seconds()/(bare.Seconds()+verify.Seconds()), "x-bare+inspect")
		b.ReportMetric(float64(reopenRows.Milliseconds()), "ms-reopen-rows")
		b.ReportMetric(float64(reopen.Milliseconds()), "ms-reopen-synced")
		b.ReportMetric(heapMB, "MB-heap-kept")
	}
}
