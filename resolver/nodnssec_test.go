package resolver_test

import (
	"context"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/sealtrace/sealtrace/internal/testpeers/dnstest"
	"github.com/sealtrace/sealtrace/resolver"
)

// A server that answers NXDOMAIN even for the root's DNSKEY set (one that
// does not serve DNSSEC, or a machine without a working resolver) proves
// nothing either way: the lookup could not be checked, it is not bogus.
func TestNoDNSKEYForTheAnchorIsIndeterminate(t *testing.T) {
	srv := dnstest.StartFunc(t, func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeNameError)
		_ = w.WriteMsg(m)
	})
	anchors, err := resolver.LoadAnchors(strings.NewReader(". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n"), "root")
	if err != nil {
		t.Fatal(err)
	}
	s, err := resolver.NewServer(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	v := &resolver.Validator{Server: s, Anchors: anchors}
	got, err := v.Lookup(context.Background(), "x._openpgpkey.example.com.", dns.TypeOPENPGPKEY)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != resolver.Indeterminate {
		t.Errorf("status %s (%s), want indeterminate", got.Status, got.Reason)
	}
}
