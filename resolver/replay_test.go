package resolver_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/sealtrace/sealtrace/resolver"
)

// A Replay answers what was recorded, as it was recorded (rcode, answers,
// DNSSEC status, fetch time), through a Recorder whose evidence is then the
// recorded evidence; a failure is replayed as the same failure; a question
// never recorded is ErrNotInEvidence, a temporary error (never "not
// found"), recorded as NOT-IN-EVIDENCE.
func TestReplayAnswersFromEvidence(t *testing.T) {
	at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	ev := []resolver.Evidence{
		{Name: "a.example.", Type: "TXT", Rcode: "NOERROR", Answers: []string{"v=spf1 -all", strings.Repeat("x", 600)}, TTL: 300, Authenticated: true, Time: at},
		{Name: "a.example.", Type: "A", Rcode: "NOERROR", Answers: []string{"192.0.2.1"}, TTL: 60, Time: at},
		{Name: "a.example.", Type: "AAAA", Rcode: "NOERROR", Answers: []string{"2001:db8::1"}, TTL: 60, Time: at},
		{Name: "a.example.", Type: "MX", Rcode: "NOERROR", Answers: []string{"10 mx.example."}, TTL: 60, Time: at},
		{Name: "gone.example.", Type: "TXT", Rcode: "NXDOMAIN", Answers: []string{}, Time: at},
		{Name: "empty.example.", Type: "TXT", Rcode: "NOERROR", Answers: []string{}, Time: at},
		{Name: "broken.example.", Type: "TXT", Rcode: "SERVFAIL", Answers: []string{}, Time: at},
		{Name: "slow.example.", Type: "TXT", Rcode: "TIMEOUT", Answers: []string{}, Time: at, Error: "resolver: timed out"},
		{Name: "_25._tcp.mx.example.", Type: "TLSA", Rcode: "NOERROR", Answers: []string{"3 1 1 0123456789abcdef"}, Authenticated: true, Time: at},
	}
	rp, err := resolver.NewReplay(ev)
	if err != nil {
		t.Fatal(err)
	}
	rec := resolver.NewRecorder(rp, func() time.Time { return time.Now() })
	ctx := context.Background()
	for _, q := range []struct {
		name string
		t    uint16
	}{{"a.example", dns.TypeTXT}, {"A.EXAMPLE.", dns.TypeA}, {"a.example", dns.TypeAAAA}, {"a.example", dns.TypeMX},
		{"gone.example", dns.TypeTXT}, {"empty.example", dns.TypeTXT}, {"broken.example", dns.TypeTXT}, {"slow.example", dns.TypeTXT},
		{"_25._tcp.mx.example", dns.TypeTLSA}} {
		rec.Query(ctx, q.name, q.t)
	}
	got := rec.Evidence()
	if len(got) != len(ev) {
		t.Fatalf("%d evidence entries, want %d", len(got), len(ev))
	}
	want := map[string]resolver.Evidence{}
	for _, e := range ev {
		want[e.Name+e.Type] = e
	}
	for _, g := range got {
		w := want[g.Name+g.Type]
		if g.Rcode != w.Rcode || strings.Join(g.Answers, "|") != strings.Join(w.Answers, "|") || g.Authenticated != w.Authenticated ||
			!g.Time.Equal(w.Time) || g.Error != w.Error || g.TTL != w.TTL {
			t.Errorf("%s %s replayed as %+v, recorded %+v", g.Name, g.Type, g, w)
		}
	}
	// The net-style view: NXDOMAIN and NODATA are "not found", SERVFAIL and
	// a timeout are temporary.
	if _, err := rec.LookupTXT(ctx, "gone.example"); !isNotFound(err) {
		t.Errorf("NXDOMAIN: %v", err)
	}
	if _, err := rec.LookupTXT(ctx, "empty.example"); !isNotFound(err) {
		t.Errorf("NODATA: %v", err)
	}
	for _, n := range []string{"broken.example", "slow.example", "never.example"} {
		if _, err := rec.LookupTXT(ctx, n); !isTemporary(err) {
			t.Errorf("%s: %v, want a temporary error", n, err)
		}
	}
	if _, err := rp.Query(ctx, "never.example", dns.TypeTXT); !errors.Is(err, resolver.ErrNotInEvidence) {
		t.Errorf("a question never recorded: %v", err)
	}
	for _, e := range rec.Evidence() {
		if e.Name == "never.example." && e.Rcode != resolver.RcodeNotInEvidence {
			t.Errorf("a question never recorded is recorded as %s", e.Rcode)
		}
	}
}

func isNotFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

func isTemporary(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsTemporary && !de.IsNotFound
}

// Evidence that cannot be what a Recorder wrote is refused.
func TestReplayRefusesBadEvidence(t *testing.T) {
	for _, c := range []struct {
		ev   resolver.Evidence
		want string
	}{
		{resolver.Evidence{Name: "a.example", Type: "TXT", Rcode: "NOERROR"}, "fully qualified"},
		{resolver.Evidence{Name: "A.example.", Type: "TXT", Rcode: "NOERROR"}, "fully qualified"},
		{resolver.Evidence{Name: "a.example.", Type: "NOPE", Rcode: "NOERROR"}, "unknown record type"},
		{resolver.Evidence{Name: "a.example.", Type: "A", Rcode: "NOERROR", Answers: []string{"not an ip"}}, "IPv4"},
		{resolver.Evidence{Name: "a.example.", Type: "A", Rcode: "NXDOMAIN", Answers: []string{"192.0.2.1"}}, "with answers"},
		{resolver.Evidence{Name: "a.example.", Type: "A", Rcode: "WHAT"}, "unknown rcode"},
		{resolver.Evidence{Name: "a.example.", Type: "A", Rcode: "TIMEOUT"}, "has an error"},
		{resolver.Evidence{Name: "a.example.", Type: "MX", Rcode: "NOERROR", Answers: []string{"10 mx.example. ; x"}}, "presentation"},
		{resolver.Evidence{Name: "a.example.", Type: "A", Rcode: "NOERROR", Answers: make([]string, resolver.MaxRecords+1)}, "answers, more than"},
	} {
		if _, err := resolver.NewReplay([]resolver.Evidence{c.ev}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.ev, err, c.want)
		}
	}
	if _, err := resolver.NewReplay(make([]resolver.Evidence, resolver.MaxEvidence+1)); err == nil {
		t.Error("more than MaxEvidence questions accepted")
	}
}
