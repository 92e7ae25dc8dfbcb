package resolver

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// fuzzServer answers every question with the same (fuzzed) message.
type fuzzServer struct{ msg []byte }

func (f fuzzServer) Exchange(_ context.Context, name string, qtype uint16, _ bool) (*dns.Msg, error) {
	m := new(dns.Msg)
	if err := m.Unpack(f.msg); err != nil {
		return nil, errors.New("unpack")
	}
	m.Question = []dns.Question{{Name: dns.Fqdn(name), Qtype: qtype, Qclass: dns.ClassINET}}
	return m, nil
}

// FuzzValidate feeds hostile answers to the DNSSEC validator: it must end
// with a status, never a panic, and never call forged data secure.
func FuzzValidate(f *testing.F) {
	anchors, err := LoadAnchors(strings.NewReader("test. IN DS 12345 13 2 "+strings.Repeat("AB", 32)+"\n"), "a")
	if err != nil {
		f.Fatal(err)
	}
	seed := new(dns.Msg)
	seed.SetQuestion("x.test.", dns.TypeTXT)
	seed.Answer = []dns.RR{&dns.TXT{Hdr: dns.RR_Header{Name: "x.test.", Rrtype: dns.TypeTXT, Class: dns.ClassINET}, Txt: []string{"hi"}}}
	b, _ := seed.Pack()
	f.Add(b)
	seed.Rcode = dns.RcodeNameError
	seed.Answer = nil
	seed.Ns = []dns.RR{&dns.NSEC{Hdr: dns.RR_Header{Name: "a.test.", Rrtype: dns.TypeNSEC, Class: dns.ClassINET}, NextDomain: "z.test.", TypeBitMap: []uint16{dns.TypeA}}}
	b, _ = seed.Pack()
	f.Add(b)
	f.Fuzz(func(t *testing.T, msg []byte) {
		v := &Validator{Server: fuzzServer{msg}, Anchors: anchors}
		r, err := v.Lookup(context.Background(), "x.test.", dns.TypeTXT)
		if err != nil {
			return
		}
		if r.Status == Secure {
			t.Fatalf("forged data validated as secure: %+v", r)
		}
	})
}
