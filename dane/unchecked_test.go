package dane

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/sealtrace/sealtrace/internal/testpeers/dnstest"
	"github.com/sealtrace/sealtrace/resolver"
)

// A timeout or SERVFAIL while the validator fetches a DS or DNSKEY set is
// "could not check" (status error, retryable), not bogus: bogus is for a
// proof that failed. The zones are NSD's; a loopback proxy in front of it
// fails the one question the case names and passes on the others.
func TestDANEFetchFailureIsError(t *testing.T) {
	z := dnstest.StartSignedZones(t)
	anchors, err := resolver.LoadAnchorsFile(z.Anchor)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what  string
		name  string
		qtype uint16
		drop  bool // no answer at all (a timeout), else SERVFAIL
	}{
		{"SERVFAIL for the DS of secure.test.", "secure.test.", dns.TypeDS, false},
		{"SERVFAIL for the DNSKEY of secure.test.", "secure.test.", dns.TypeDNSKEY, false},
		{"SERVFAIL for the DNSKEY of test.", "test.", dns.TypeDNSKEY, false},
		{"no answer for the DNSKEY of secure.test.", "secure.test.", dns.TypeDNSKEY, true},
	} {
		proxy := dnstest.StartFunc(t, func(w dns.ResponseWriter, req *dns.Msg) {
			q := req.Question[0]
			if strings.EqualFold(q.Name, c.name) && q.Qtype == c.qtype {
				if c.drop {
					return
				}
				m := new(dns.Msg)
				m.SetRcode(req, dns.RcodeServerFailure)
				w.WriteMsg(m)
				return
			}
			resp, _, err := (&dns.Client{Net: "tcp"}).Exchange(req, z.Addr)
			if err != nil {
				return
			}
			if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
				size := dns.MinMsgSize
				if o := req.IsEdns0(); o != nil {
					size = int(o.UDPSize())
				}
				resp.Truncate(size) // the client asks again over TCP
			}
			w.WriteMsg(resp)
		})
		srv, _ := resolver.NewServer(proxy.Addr)
		srv.Timeout = 500 * time.Millisecond // the dropped question fails sooner
		v := &resolver.Validator{Server: srv, Anchors: anchors}
		r := Lookup(context.Background(), v, "alice@secure.test")
		could, failed := false, false
		for _, s := range r.Steps {
			could = could || (s.Result == StatusError && strings.Contains(s.What, "Could not check"))
			failed = failed || s.Result == "fail"
		}
		if r.Status != StatusError || !could || failed || r.Key != nil {
			t.Errorf("%s: %s (%s), want error with a \"could not check\" step, no failed step and no key", c.what, r.Status, r.Reason)
			for _, s := range r.Steps {
				t.Logf("  %s: %s", s.Result, s.What)
			}
		}
	}
}
