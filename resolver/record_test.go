package resolver_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/miekg/dns"
	"github.com/sealtrace/sealtrace/resolver"
)

// The evidence is sorted by name, type and answers, whatever the order the
// questions were asked in (the checks ask concurrently), one entry per
// question.
func TestRecorderEvidenceSorted(t *testing.T) {
	z := resolver.NewZones()
	for i := range 20 {
		z.Add(resolver.TXT(fmt.Sprintf("n%02d.example", i), "v=spf1 -all", 300))
	}
	var want []string
	for round := range 5 {
		rec := resolver.NewRecorder(z, nil)
		var wg sync.WaitGroup
		for i := range 20 {
			for _, qt := range []uint16{dns.TypeTXT, dns.TypeA} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					// Every question twice: one entry each.
					_, _ = rec.Query(context.Background(), fmt.Sprintf("N%02d.example", 19-i), qt)
					_, _ = rec.Query(context.Background(), fmt.Sprintf("n%02d.example.", 19-i), qt)
				}()
			}
		}
		wg.Wait()
		var got []string
		for _, ev := range rec.Evidence() {
			got = append(got, ev.Name+" "+ev.Type)
		}
		if len(got) != 40 {
			t.Fatalf("%d entries, want 40 (one per question)", len(got))
		}
		if !slices.IsSorted(got) {
			t.Fatalf("round %d: not sorted: %v", round, got)
		}
		if round == 0 {
			want = got
		} else if !slices.Equal(got, want) {
			t.Fatalf("round %d: %v, round 0: %v", round, got, want)
		}
	}
}
