package resolver

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

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

// signedWorld is a small tree of zones signed with fixed keys: test. (NSEC,
// the trust anchor) with a wildcard and three delegations, n3.test.
// (NSEC3), in.test. (unsigned) and oo.test. (NSEC3 opt-out, with an
// unsigned delegation of its own).
func signedWorld(t testing.TB) (*testZone, []*testZone) {
	fixed := zoneOpts{fixed: true}
	n3 := newTestZone(t, "n3.test.", zoneOpts{fixed: true, nsec3: true, iterations: 1, salt: "AB"},
		`alice.n3.test. 300 IN TXT "alice"`, `*.x.n3.test. 300 IN TXT "wild"`).sign(t)
	in := newTestZone(t, "in.test.", zoneOpts{unsigned: true}, `alice.in.test. 300 IN TXT "plain"`)
	u := newTestZone(t, "u.oo.test.", zoneOpts{unsigned: true}, `alice.u.oo.test. 300 IN TXT "plain"`)
	oo := newTestZone(t, "oo.test.", zoneOpts{fixed: true, nsec3: true, optOut: true}, `alice.oo.test. 300 IN TXT "alice"`)
	oo.delegate(t, u)
	oo.sign(t)
	root := newTestZone(t, "test.", fixed, `alice.test. 300 IN TXT "alice"`, `*.w.test. 300 IN TXT "wild"`)
	root.delegate(t, n3)
	root.delegate(t, in)
	root.delegate(t, oo)
	root.sign(t)
	return root, []*testZone{root, n3, in, oo, u}
}

var signedQuestions = []struct {
	name   string
	qtype  uint16
	status string
	denied bool
}{
	{"alice.test.", dns.TypeTXT, Secure, false},
	{"nobody.test.", dns.TypeTXT, Secure, true},
	{"alice.test.", dns.TypeA, Secure, true},
	{"a.w.test.", dns.TypeTXT, Secure, false}, // from the wildcard
	{"a.w.test.", dns.TypeA, Secure, true},    // the wildcard has no A
	{"alice.n3.test.", dns.TypeTXT, Secure, false},
	{"nobody.n3.test.", dns.TypeTXT, Secure, true},
	{"alice.n3.test.", dns.TypeA, Secure, true},
	{"b.x.n3.test.", dns.TypeTXT, Secure, false},
	{"b.x.n3.test.", dns.TypeA, Secure, true},
	{"n3.test.", dns.TypeDS, Secure, false},
	{"in.test.", dns.TypeDS, Secure, true},
	{"alice.in.test.", dns.TypeTXT, Insecure, false},
	{"alice.oo.test.", dns.TypeTXT, Secure, false},
	{"alice.u.oo.test.", dns.TypeTXT, Insecure, false},
	{"nobody.oo.test.", dns.TypeTXT, Insecure, true}, // in an opt-out span
}

// fixedNow is inside the fixed signatures' validity.
func fixedNow() time.Time { return fixedFrom.AddDate(1, 0, 0) }

// sameRecords compares answers without TTLs and case.
func sameRecords(a, b []dns.RR) bool {
	norm := func(rrs []dns.RR) string {
		var s []string
		for _, rr := range rrs {
			c := dns.Copy(rr)
			c.Header().Ttl = 0
			s = append(s, strings.ToLower(c.String()))
		}
		sort.Strings(s)
		return strings.Join(s, "\n")
	}
	return norm(a) == norm(b)
}

// TestSignedWorld: the honest answers of the fuzz target's zones validate
// as they should (so the fuzzer starts from genuine proofs).
func TestSignedWorld(t *testing.T) {
	root, zones := signedWorld(t)
	for _, q := range signedQuestions {
		v := &Validator{Server: &signedNet{zones: zones}, Anchors: root.anchor(), Now: fixedNow}
		r, err := v.Lookup(context.Background(), q.name, q.qtype)
		if err != nil || r.Status != q.status || r.Denied != q.denied {
			t.Errorf("%s %s: %v %+v, want %s denied %v", q.name, TypeName(q.qtype), err, r, q.status, q.denied)
		}
	}
}

// FuzzValidateSigned feeds the validator hostile answers in a world where
// the trust anchor matches, so that the chain of trust, the denial proofs
// and the wildcard checks are all reached: one of the answers to a lookup
// (the call-th question the validator asks) is replaced by the fuzzed
// message, seeded with the genuine answers. Whatever the message, a secure
// result must be the honest one (same records, same denial), and an
// insecure result is allowed only where the honest one is insecure.
func FuzzValidateSigned(f *testing.F) {
	root, zones := signedWorld(f)
	honest := make([]*Validated, len(signedQuestions))
	for i, q := range signedQuestions {
		net := &signedNet{zones: zones}
		v := &Validator{Server: net, Anchors: root.anchor(), Now: fixedNow}
		r, err := v.Lookup(context.Background(), q.name, q.qtype)
		if err != nil || r.Status != q.status || r.Denied != q.denied {
			f.Fatalf("%s %s: %v %+v", q.name, TypeName(q.qtype), err, r)
		}
		honest[i] = r
		for call, asked := range net.asked {
			name, typ, _ := strings.Cut(asked, " ")
			b, err := net.honest(name, dns.StringToType[typ]).Pack()
			if err != nil {
				f.Fatal(err)
			}
			f.Add(uint8(i), uint8(call), false, b)
		}
	}
	// Replays: every question's genuine answer as the answer to every
	// other question (call 0 is the question itself), and the parent's
	// records at each delegation as the denial of a name inside the child.
	for i := range signedQuestions {
		for _, o := range signedQuestions {
			b, _ := (&signedNet{zones: zones}).honest(o.name, o.qtype).Pack()
			f.Add(uint8(i), uint8(0), false, b)
		}
		for _, cut := range []string{"n3.test.", "in.test.", "oo.test."} {
			b, _ := reply(dns.RcodeNameError, nil, root.nsecAt(cut)).Pack()
			f.Add(uint8(i), uint8(0), false, b)
		}
	}
	// Recipes: answers composed of genuine RRsets and NSEC/NSEC3 records
	// picked from the zones, so that the fuzzer searches the proof logic
	// rather than the signature check.
	pool := recordPool(zones)
	for i := range signedQuestions {
		for call := 0; call < 3; call++ {
			f.Add(uint8(i), uint8(call), true, []byte{dns.RcodeNameError, 0, 1, 0, 2, 0, 3})
			f.Add(uint8(i), uint8(call), true, []byte{dns.RcodeSuccess, 2, byte(i), 0, byte(i + 1)})
		}
	}
	for _, g := range []string{"*.w.test. TXT", "*.x.n3.test. TXT"} {
		f.Add(uint8(0), uint8(0), true, []byte{dns.RcodeSuccess, 3, byte(poolIndex(pool, g))})
	}
	f.Fuzz(func(t *testing.T, which, call uint8, compose bool, msg []byte) {
		i := int(which) % len(signedQuestions)
		q := signedQuestions[i]
		calls := 0
		net := &signedNet{zones: zones, hostile: func(name string, _ uint16) (*dns.Msg, error) {
			calls++
			if calls-1 != int(call) {
				return nil, nil
			}
			if compose {
				return composed(pool, name, msg), nil
			}
			m := new(dns.Msg)
			if err := m.Unpack(msg); err != nil {
				return nil, errors.New("unpack")
			}
			return m, nil
		}}
		v := &Validator{Server: net, Anchors: root.anchor(), Now: fixedNow}
		r, err := v.Lookup(context.Background(), q.name, q.qtype)
		if err != nil {
			return
		}
		h := honest[i]
		switch r.Status {
		case Secure:
			if h.Status != Secure || r.Denied != h.Denied || !sameRecords(r.Records, h.Records) {
				t.Fatalf("%s %s: secure %v %v, honest %s %v %v", q.name, TypeName(q.qtype), r.Denied, r.Records, h.Status, h.Denied, h.Records)
			}
		case Insecure:
			if h.Status != Insecure {
				t.Fatalf("%s %s: insecure (%s), honest %s", q.name, TypeName(q.qtype), r.Reason, h.Status)
			}
		case Bogus, Indeterminate:
		default:
			t.Fatalf("status %q", r.Status)
		}
	})
}

type poolGroup struct {
	key string // "owner TYPE"
	rrs []dns.RR
}

// recordPool is every RRset of the zones with its signatures, and every
// NSEC and NSEC3 record with its signature, in a fixed order.
func recordPool(zones []*testZone) []poolGroup {
	var pool []poolGroup
	for _, z := range zones {
		var names []string
		for n := range z.data {
			names = append(names, n)
		}
		sort.Slice(names, func(i, j int) bool { return canonicalLess(names[i], names[j]) })
		for _, n := range names {
			for _, ty := range sortTypes(z.types(n)) {
				pool = append(pool, poolGroup{n + " " + TypeName(ty), z.set(n, ty)})
			}
		}
		for _, n := range z.names(func(string) bool { return false }) {
			if r := z.nsecAt(n); r != nil {
				pool = append(pool, poolGroup{n + " NSEC", r})
			}
		}
		for _, r := range z.nsec3 {
			pool = append(pool, poolGroup{r.Hdr.Name + " NSEC3", z.nsec3Rec(r)})
		}
	}
	return pool
}

func poolIndex(pool []poolGroup, key string) int {
	for i, g := range pool {
		if g.key == key {
			return i
		}
	}
	panic("no " + key + " in the pool")
}

// composed builds an answer from a recipe: the rcode, then pairs of a flag
// byte (1: the owner becomes the question's name, as in a wildcard
// expansion; 2: in the answer section, else the authority section; 4:
// without signatures) and an index into the pool.
func composed(pool []poolGroup, qname string, recipe []byte) *dns.Msg {
	m := new(dns.Msg)
	m.Response = true
	if len(recipe) == 0 {
		return m
	}
	m.Rcode = int(recipe[0] & 0x0f)
	for i := 1; i+1 < len(recipe); i += 2 {
		flags, g := recipe[i], pool[int(recipe[i+1])%len(pool)]
		for _, rr := range g.rrs {
			if _, sig := rr.(*dns.RRSIG); sig && flags&4 != 0 {
				continue
			}
			c := dns.Copy(rr)
			if flags&1 != 0 {
				c.Header().Name = qname
			}
			if flags&2 != 0 {
				m.Answer = append(m.Answer, c)
			} else {
				m.Ns = append(m.Ns, c)
			}
		}
	}
	return m
}
