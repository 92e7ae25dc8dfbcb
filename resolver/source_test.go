package resolver_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/sealtrace/sealtrace/internal/testpeers/dnstest"
	"github.com/sealtrace/sealtrace/resolver"
)

// Each source says what it is: the report names it, so that a support
// engineer knows who said NXDOMAIN.
func TestDescribeSources(t *testing.T) {
	srv, err := resolver.NewServer("192.0.2.53:5353")
	if err != nil {
		t.Fatal(err)
	}
	if got := resolver.Describe(srv); got.Kind != resolver.SourceServer || got.Detail != "192.0.2.53:5353" {
		t.Errorf("server: %+v", got)
	}
	conf := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(conf, []byte("nameserver 192.0.2.1\nnameserver 192.0.2.2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sys, err := resolver.NewSystemFrom(conf)
	if err != nil {
		t.Fatal(err)
	}
	if got := resolver.Describe(sys); got.Kind != resolver.SourceSystem || got.Detail != "192.0.2.1:53, 192.0.2.2:53" {
		t.Errorf("system: %+v", got)
	}
	if s := resolver.Describe(sys).String(); !strings.Contains(s, "system resolver") {
		t.Errorf("system in words: %q", s)
	}
	z := dnstest.Zones(t, zoneText)
	if got := resolver.Describe(z); got.Kind != resolver.SourceZones || got.Detail != "test.zone" {
		t.Errorf("zones: %+v", got)
	}
	// The recorder of one inspection passes its source's description on.
	if got := resolver.Describe(resolver.NewRecorder(z, nil)); got.Kind != resolver.SourceZones {
		t.Errorf("recorder: %+v", got)
	}
	rec := resolver.Named(z, resolver.SourceInfo{Kind: resolver.SourceRecorded, Detail: "cache of 2026-11-23"})
	if got := resolver.Describe(rec); got.Kind != resolver.SourceRecorded {
		t.Errorf("named: %+v", got)
	}
	var bare bareResolver
	if got := resolver.Describe(bare); got.Kind != resolver.SourceOther {
		t.Errorf("a resolver that does not say: %+v", got)
	}
}

type bareResolver struct{}

func (bareResolver) Query(context.Context, string, uint16) (*resolver.Answer, error) {
	return nil, resolver.ErrTimeout
}

// NXDOMAIN, an empty answer, SERVFAIL, REFUSED, a server that never
// answers and one that cannot be reached are six different outcomes in the
// evidence, asked of real servers on loopback; only NXDOMAIN and NODATA
// say that a record does not exist.
func TestEvidenceOutcomes(t *testing.T) {
	zoneSrv := dnstest.Start(t, dnstest.Zones(t, zoneText))
	rcodeSrv := func(rcode int) string {
		return dnstest.StartFunc(t, func(w dns.ResponseWriter, req *dns.Msg) {
			m := new(dns.Msg)
			m.SetRcode(req, rcode)
			_ = w.WriteMsg(m)
		}).Addr
	}
	silent, err := net.ListenPacket("udp", "127.0.0.1:0") // reads nothing, answers nothing
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	closed, err := net.ListenPacket("udp", "127.0.0.1:0") // a port nobody listens on
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.LocalAddr().String()
	closed.Close()

	for _, c := range []struct {
		name, addr, qname, outcome string
		temporary                  bool
	}{
		{"answer", zoneSrv.Addr, "example.com", resolver.OutcomeAnswer, false},
		{"nodata", zoneSrv.Addr, "mx.example.com", resolver.OutcomeNoData, false},
		{"nxdomain", zoneSrv.Addr, "nope.example.com", resolver.OutcomeNXDomain, false},
		{"servfail", rcodeSrv(dns.RcodeServerFailure), "example.com", resolver.OutcomeServFail, true},
		{"refused", rcodeSrv(dns.RcodeRefused), "example.com", resolver.OutcomeRefused, true},
		{"timeout", silent.LocalAddr().String(), "example.com", resolver.OutcomeTimeout, true},
		{"offline", closedAddr, "example.com", resolver.OutcomeOffline, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := &resolver.Server{Addrs: []string{c.addr}, Timeout: 300 * time.Millisecond}
			rec := resolver.NewRecorder(s, nil)
			_, ev, _ := rec.QueryEvidence(context.Background(), c.qname, dns.TypeTXT)
			if ev.Outcome != c.outcome {
				t.Errorf("outcome %q (rcode %s, error %q), want %q", ev.Outcome, ev.Rcode, ev.Error, c.outcome)
			}
			if resolver.Temporary(ev.Outcome) != c.temporary {
				t.Errorf("%s temporary = %v", ev.Outcome, !c.temporary)
			}
			if got := rec.Evidence(); len(got) != 1 || got[0].Outcome != c.outcome {
				t.Errorf("recorded evidence %+v", got)
			}
		})
	}
	words := map[string]bool{}
	for _, o := range []string{resolver.OutcomeNXDomain, resolver.OutcomeServFail, resolver.OutcomeTimeout, resolver.OutcomeOffline, resolver.OutcomeNoData} {
		w := resolver.OutcomeWords(o)
		if words[w] {
			t.Errorf("%s shares its words %q with another outcome", o, w)
		}
		words[w] = true
	}
}

// A bad name is never asked.
func TestEvidenceBadName(t *testing.T) {
	rec := resolver.NewRecorder(dnstest.Zones(t, zoneText), nil)
	_, ev, _ := rec.QueryEvidence(context.Background(), "bad..name", dns.TypeTXT)
	if ev.Outcome != resolver.OutcomeBadName {
		t.Errorf("outcome %q", ev.Outcome)
	}
}
