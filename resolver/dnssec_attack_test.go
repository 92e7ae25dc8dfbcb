package resolver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// The attacks on the validator that issue 9 lists, each played by a hostile
// server that has only genuinely signed records to work with (the zones of
// dnssec_zones_test.go): it may drop, reorder and replay them, and lie in
// everything that is not signed (rcodes, unsigned answers).

func lookup(t *testing.T, net *signedNet, anchor *testZone, name string, qtype uint16) *Validated {
	t.Helper()
	v := &Validator{Server: net, Anchors: anchor.anchor()}
	r, err := v.Lookup(context.Background(), name, qtype)
	if err != nil {
		t.Fatalf("%s %s: %v", name, TypeName(qtype), err)
	}
	return r
}

func logChain(t *testing.T, r *Validated) {
	t.Helper()
	t.Logf("status %s, denied %v, reason %q", r.Status, r.Denied, r.Reason)
	for _, l := range r.Chain {
		t.Logf("  %v [%s] %s", l.OK, l.Zone, l.What)
	}
}

func txtOf(r *Validated) string {
	var s []string
	for _, rr := range r.Records {
		if t, ok := rr.(*dns.TXT); ok {
			s = append(s, strings.Join(t.Txt, ""))
		}
	}
	return strings.Join(s, ",")
}

func nsecKinds() []struct {
	name string
	opts zoneOpts
} {
	return []struct {
		name string
		opts zoneOpts
	}{
		{"NSEC", zoneOpts{}},
		{"NSEC3", zoneOpts{nsec3: true, salt: "AABB", iterations: 1}},
	}
}

// Class 1: the parent's NSEC/NSEC3 at a delegation point (NS set, SOA
// clear) replayed as proof that a name inside the child does not exist.
// The parent signed it, but for names below the cut only the child speaks
// (RFC 6840 4.1).
func TestDNSSECDelegationNSECReplay(t *testing.T) {
	for _, k := range nsecKinds() {
		t.Run(k.name, func(t *testing.T) {
			child := newTestZone(t, "child.test.", k.opts, `alice.child.test. 300 IN TXT "alice"`).sign(t)
			parent := newTestZone(t, "test.", k.opts, `a.test. 300 IN TXT "a"`, `z.test. 300 IN TXT "z"`)
			parent.delegate(t, child)
			parent.sign(t)
			net := &signedNet{zones: []*testZone{parent, child}}
			if r := lookup(t, net, parent, "alice.child.test.", dns.TypeTXT); r.Status != Secure || txtOf(r) != "alice" {
				logChain(t, r)
				t.Fatalf("the honest answer: %s %q", r.Status, txtOf(r))
			}
			var proof *dns.Msg
			if k.opts.nsec3 {
				proof = reply(dns.RcodeNameError, nil, parent.nsec3Matching("child.test."),
					parent.nsec3Covering("alice.child.test."), parent.nsec3Covering("*.child.test."))
			} else {
				proof = reply(dns.RcodeNameError, nil, parent.nsecAt("child.test."))
			}
			net.hostile = only("alice.child.test.", dns.TypeTXT, proof, nil)
			r := lookup(t, net, parent, "alice.child.test.", dns.TypeTXT)
			if r.Status != Bogus {
				logChain(t, r)
				t.Errorf("the parent's delegation %s as denial inside the child: %s (denied %v), want bogus", k.name, r.Status, r.Denied)
			}

			// The rule itself, even where the parent's keys are the ones
			// that check (as they would be if the walk stopped short).
			v := &Validator{}
			pkeys := []*dns.DNSKEY{parent.ksk, parent.zsk}
			if _, _, err := v.proveDenial("alice.child.test.", dns.TypeTXT, proof, pkeys, "test."); err == nil {
				t.Error("the delegation's record denies alice.child.test. with the parent's keys")
			}
			var at []dns.RR
			if k.opts.nsec3 {
				at = parent.nsec3Matching("child.test.")
			} else {
				at = parent.nsecAt("child.test.")
			}
			if _, _, err := v.proveDenial("child.test.", dns.TypeTXT, reply(dns.RcodeSuccess, nil, at), pkeys, "test."); err == nil {
				t.Error("the delegation's record denies the child apex's TXT set")
			}
			var apex []dns.RR
			if k.opts.nsec3 {
				apex = child.nsec3Matching("child.test.")
			} else {
				apex = child.nsecAt("child.test.")
			}
			if _, _, err := v.proveDenial("child.test.", dns.TypeDS, reply(dns.RcodeSuccess, nil, apex), []*dns.DNSKEY{child.ksk, child.zsk}, "child.test."); err == nil {
				t.Error("the child's apex record denies the DS set")
			}
		})
	}
}

// A wildcard's CNAME expanded over a signed child's name in a DS answer
// would make the walk stay in the parent: it needs the proof that the name
// does not exist, which a delegation's record cannot give.
func TestDNSSECWildcardCNAMEAtACut(t *testing.T) {
	for _, k := range nsecKinds() {
		t.Run(k.name, func(t *testing.T) {
			child := newTestZone(t, "child.test.", k.opts, `alice.child.test. 300 IN TXT "alice"`).sign(t)
			parent := newTestZone(t, "test.", k.opts, `*.test. 300 IN CNAME target.test.`, `target.test. 300 IN TXT "t"`)
			parent.delegate(t, child)
			parent.sign(t)
			net := &signedNet{zones: []*testZone{parent, child}}
			var proof []dns.RR
			if k.opts.nsec3 {
				proof = parent.nsec3Matching("child.test.")
			} else {
				proof = parent.nsecAt("child.test.")
			}
			net.hostile = only("child.test.", dns.TypeDS, reply(dns.RcodeSuccess, expand(parent.set("*.test.", dns.TypeCNAME), "child.test."), proof), nil)
			r := lookup(t, net, parent, "alice.child.test.", dns.TypeTXT)
			if r.Status != Bogus || !strings.Contains(r.Reason, "CNAME") {
				logChain(t, r)
				t.Errorf("a wildcard CNAME over the cut: %s (%s), want bogus for the CNAME", r.Status, r.Reason)
			}
		})
	}
}

// Class 2: an existing name's own NSEC3 offered as the cover of a name
// (miekg/dns's NSEC3.Cover counts the owner hash as covered). Where the
// cover is the whole proof, as for a wildcard expansion (RFC 5155 8.8),
// only a strict cover keeps alice from being replaced by the wildcard.
func TestDNSSECNSEC3OwnHashIsNotACover(t *testing.T) {
	z := newTestZone(t, "test.", zoneOpts{nsec3: true, iterations: 0}, `alice.test. 300 IN TXT "alice"`, `bob.test. 300 IN TXT "bob"`,
		`*.test. 300 IN TXT "wild"`).sign(t)
	net := &signedNet{zones: []*testZone{z}}
	if r := lookup(t, net, z, "nobody.test.", dns.TypeA); r.Status != Secure || !r.Denied {
		logChain(t, r)
		t.Fatalf("the honest denial: %s %v", r.Status, r.Denied)
	}
	for i, m := range []*dns.Msg{
		// alice's NSEC3 as the cover of the next closer name alice.test.
		reply(dns.RcodeSuccess, expand(z.set("*.test.", dns.TypeTXT), "alice.test."), z.nsec3Matching("alice.test.")),
		// ... and as the next closer cover of an NXDOMAIN proof.
		reply(dns.RcodeNameError, nil, z.nsec3Matching("test."), z.nsec3Matching("alice.test."), z.nsec3Covering("*.test.")),
	} {
		net.hostile = only("alice.test.", dns.TypeTXT, m, nil)
		r := lookup(t, net, z, "alice.test.", dns.TypeTXT)
		if r.Status != Bogus {
			logChain(t, r)
			t.Errorf("%d: alice's own NSEC3 as a cover: %s (denied %v, %q), want bogus", i, r.Status, r.Denied, txtOf(r))
		}
	}
}

// The strict cover itself: owner < hash < next, the last record wrapping
// around to the first.
func TestNSEC3CoversStrictly(t *testing.T) {
	for _, c := range []struct {
		owner, next, hash string
		want              bool
	}{
		{"B", "D", "C", true},
		{"B", "D", "B", false}, // the owner exists
		{"B", "D", "D", false}, // so does the next
		{"B", "D", "A", false},
		{"B", "D", "E", false},
		{"X", "B", "Z", true}, // the last record wraps to the first
		{"X", "B", "A", true},
		{"X", "B", "X", false},
		{"X", "B", "B", false},
		{"X", "B", "M", false},
		{"M", "M", "A", true}, // a chain of one record covers every other hash
		{"M", "M", "M", false},
		{"b", "d", "C", true}, // base32hex compares without case
		{"B", "D", "", false},
	} {
		if got := nsec3Covers(c.owner, c.next, c.hash); got != c.want {
			t.Errorf("owner %s next %s hash %s: %v, want %v", c.owner, c.next, c.hash, got, c.want)
		}
	}
}

// Class 3: a false denial of a signed child's DS, to get the delegation
// treated as unsigned and an unsigned answer below it called insecure.
func TestDNSSECFalseDSDenial(t *testing.T) {
	for _, k := range []struct {
		name string
		opts zoneOpts
	}{
		{"NSEC", zoneOpts{}},
		{"NSEC3", zoneOpts{nsec3: true, iterations: 2}},
		{"NSEC3 opt-out", zoneOpts{nsec3: true, optOut: true, iterations: 2}},
	} {
		t.Run(k.name, func(t *testing.T) {
			child := newTestZone(t, "secure.test.", zoneOpts{}, `alice.secure.test. 300 IN TXT "alice"`).sign(t)
			unsigned := newTestZone(t, "insecure.test.", zoneOpts{unsigned: true}, `alice.insecure.test. 300 IN TXT "plain"`)
			parent := newTestZone(t, "test.", k.opts, `a.test. 300 IN TXT "a"`)
			parent.delegate(t, child)
			parent.delegate(t, unsigned)
			parent.sign(t)
			net := &signedNet{zones: []*testZone{parent, child, unsigned}}
			// The honest answers: a genuine unsigned delegation is insecure.
			if r := lookup(t, net, parent, "alice.insecure.test.", dns.TypeTXT); r.Status != Insecure || txtOf(r) != "plain" {
				logChain(t, r)
				t.Fatalf("the unsigned delegation: %s", r.Status)
			}
			if r := lookup(t, net, parent, "alice.secure.test.", dns.TypeTXT); r.Status != Secure {
				logChain(t, r)
				t.Fatalf("the signed delegation: %s", r.Status)
			}
			forged := []dns.RR{TXT("alice.secure.test.", "forged", 300)}
			var denials []*dns.Msg
			if k.opts.nsec3 {
				denials = []*dns.Msg{
					// "secure.test. does not exist": test.'s NSEC3 as the
					// closest encloser, secure.test.'s own as the cover.
					reply(dns.RcodeNameError, nil, parent.nsec3Matching("test."), parent.nsec3Matching("secure.test."), parent.nsec3Covering("*.test.")),
					// Its own NSEC3 (DS bit set) as NODATA.
					reply(dns.RcodeSuccess, nil, parent.nsec3Matching("secure.test.")),
					// The unsigned delegation's proof.
					reply(dns.RcodeSuccess, nil, parent.nsec3Matching("test."), parent.nsec3Covering("insecure.test."), parent.nsec3Matching("insecure.test.")),
				}
			} else {
				denials = []*dns.Msg{
					reply(dns.RcodeSuccess, nil, parent.nsecAt("secure.test.")),
					reply(dns.RcodeSuccess, nil, parent.nsecAt("insecure.test.")),
					reply(dns.RcodeNameError, nil, parent.nsecAt("insecure.test.")),
				}
			}
			for i, d := range denials {
				ds := only("secure.test.", dns.TypeDS, d, nil)
				ans := only("alice.secure.test.", dns.TypeTXT, reply(dns.RcodeSuccess, forged), nil)
				net.hostile = func(n string, q uint16) (*dns.Msg, error) {
					if m, _ := ds(n, q); m != nil {
						return m, nil
					}
					return ans(n, q)
				}
				r := lookup(t, net, parent, "alice.secure.test.", dns.TypeTXT)
				if r.Status != Bogus {
					logChain(t, r)
					t.Errorf("false DS denial %d: %s %q, want bogus", i, r.Status, txtOf(r))
				}
			}
		})
	}
}

// Class 4: a wildcard's signature replayed over a name that exists (or
// any name) without the proof that the name itself does not exist (RFC
// 4035 5.3.4, RFC 5155 8.8).
func TestDNSSECWildcardReplay(t *testing.T) {
	for _, k := range nsecKinds() {
		t.Run(k.name, func(t *testing.T) {
			z := newTestZone(t, "test.", k.opts, `*.test. 300 IN TXT "wild"`, `alice.test. 300 IN TXT "alice"`, `m.test. 300 IN TXT "m"`).sign(t)
			net := &signedNet{zones: []*testZone{z}}
			if r := lookup(t, net, z, "bob.test.", dns.TypeTXT); r.Status != Secure || txtOf(r) != "wild" {
				logChain(t, r)
				t.Fatalf("an honest wildcard answer: %s %q", r.Status, txtOf(r))
			}
			if r := lookup(t, net, z, "alice.test.", dns.TypeTXT); r.Status != Secure || txtOf(r) != "alice" {
				logChain(t, r)
				t.Fatalf("alice: %s %q", r.Status, txtOf(r))
			}
			expanded := func(name string) []dns.RR { return expand(z.set("*.test.", dns.TypeTXT), name) }
			bobProof := net.honest("bob.test.", dns.TypeTXT).Ns
			for i, m := range []*dns.Msg{
				reply(dns.RcodeSuccess, expanded("alice.test.")),
				reply(dns.RcodeSuccess, expanded("alice.test."), bobProof), // a proof for another name
			} {
				net.hostile = only("alice.test.", dns.TypeTXT, m, nil)
				r := lookup(t, net, z, "alice.test.", dns.TypeTXT)
				if r.Status != Bogus {
					logChain(t, r)
					t.Errorf("wildcard replay %d over alice: %s %q, want bogus", i, r.Status, txtOf(r))
				}
			}
		})
	}
}

// Class 5: NSEC3 with more than 100 iterations (RFC 9276 3.2): the zone is
// treated as unsigned, and no hashing is done for it.
func TestDNSSECNSEC3IterationsCap(t *testing.T) {
	hashes := 0
	defer func(orig func(string, uint8, uint16, string) string) { hashName = orig }(hashName)
	hashName = func(label string, ha uint8, iter uint16, salt string) string {
		hashes++
		return dns.HashName(label, ha, iter, salt)
	}
	for _, c := range []struct {
		iterations uint16
		want       string
	}{{0, Secure}, {100, Secure}, {101, Insecure}, {2500, Insecure}} {
		z := newTestZone(t, "test.", zoneOpts{nsec3: true, iterations: c.iterations, salt: "01"}, `alice.test. 300 IN TXT "alice"`).sign(t)
		net := &signedNet{zones: []*testZone{z}}
		for _, q := range []struct {
			name   string
			denied bool
		}{{"nobody.test.", true}, {"alice.test.", false}} {
			hashes = 0
			r := lookup(t, net, z, q.name, dns.TypeTXT)
			if r.Status != c.want || r.Denied != q.denied {
				logChain(t, r)
				t.Errorf("%d iterations, %s: %s (denied %v), want %s", c.iterations, q.name, r.Status, r.Denied, c.want)
			}
			if c.want == Insecure && hashes != 0 {
				t.Errorf("%d iterations, %s: %d names hashed, want none", c.iterations, q.name, hashes)
			}
			if c.want == Secure && hashes == 0 {
				t.Errorf("%d iterations, %s: nothing hashed, so the proof was not checked", c.iterations, q.name)
			}
		}
	}
}

// Class 6: a timeout or SERVFAIL while fetching DS or DNSKEY is "could not
// check", not bogus.
func TestDNSSECFetchFailureIsNotBogus(t *testing.T) {
	child := newTestZone(t, "secure.test.", zoneOpts{}, `alice.secure.test. 300 IN TXT "alice"`).sign(t)
	parent := newTestZone(t, "test.", zoneOpts{})
	parent.delegate(t, child)
	parent.sign(t)
	servfail := reply(dns.RcodeServerFailure, nil)
	timeout := fmt.Errorf("%w: 127.0.0.1:53 did not answer", ErrTimeout)
	for _, c := range []struct {
		what    string
		hostile func(string, uint16) (*dns.Msg, error)
		err     error
	}{
		{"anchor DNSKEY timeout", only("test.", dns.TypeDNSKEY, nil, timeout), ErrTimeout},
		{"anchor DNSKEY SERVFAIL", only("test.", dns.TypeDNSKEY, servfail, nil), ErrServerFailure},
		{"DS timeout", only("secure.test.", dns.TypeDS, nil, timeout), ErrTimeout},
		{"DS SERVFAIL", only("secure.test.", dns.TypeDS, servfail, nil), ErrServerFailure},
		{"child DNSKEY timeout", only("secure.test.", dns.TypeDNSKEY, nil, timeout), ErrTimeout},
		{"child DNSKEY SERVFAIL", only("secure.test.", dns.TypeDNSKEY, servfail, nil), ErrServerFailure},
		{"answer SERVFAIL", only("alice.secure.test.", dns.TypeTXT, servfail, nil), ErrServerFailure},
		{"DS of the name timeout", only("alice.secure.test.", dns.TypeDS, nil, timeout), ErrTimeout},
	} {
		net := &signedNet{zones: []*testZone{parent, child}, hostile: c.hostile}
		r := lookup(t, net, parent, "alice.secure.test.", dns.TypeTXT)
		if r.Status != Indeterminate || r.Err == nil || !strings.Contains(r.Reason, "could not check") {
			logChain(t, r)
			t.Errorf("%s: %s (%s, %v), want %s", c.what, r.Status, r.Reason, r.Err, Indeterminate)
		}
		if !errors.Is(r.Err, c.err) {
			t.Errorf("%s: the error is %v, want %v", c.what, r.Err, c.err)
		}
	}
}

// Piles of signatures by a key with the right tag cost a bounded number of
// checks (CVE-2023-50387): the answer is bogus once maxVerifications fail.
func TestDNSSECSignaturePileIsBounded(t *testing.T) {
	z := newTestZone(t, "test.", zoneOpts{}, `alice.test. 300 IN TXT "alice"`).sign(t)
	net := &signedNet{zones: []*testZone{z}}
	set := z.set("alice.test.", dns.TypeTXT)
	answer := []dns.RR{set[0]}
	for i := 0; i < 50; i++ {
		s := dns.Copy(set[1]).(*dns.RRSIG)
		s.Expiration += uint32(i + 1) // a different signed datum: the signature no longer fits
		answer = append(answer, s)
	}
	net.hostile = only("alice.test.", dns.TypeTXT, reply(dns.RcodeSuccess, answer), nil)
	r := lookup(t, net, z, "alice.test.", dns.TypeTXT)
	if r.Status != Bogus || !strings.Contains(r.Reason, fmt.Sprintf("more than %d signatures", maxVerifications)) {
		logChain(t, r)
		t.Errorf("50 bad signatures: %s (%s)", r.Status, r.Reason)
	}
}
