package resolver

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// A signing harness for the validator's tests: zones whose keys are made by
// the test (miekg/dns, ECDSA P-256) and whose RRsets, NSEC and NSEC3 chains
// are signed by them, answered by an in-memory server (signedNet) the way a
// recursive resolver with CD set answers. A test takes genuine signed
// records from these zones to build the hostile answers an attacker could
// replay; it cannot forge a signature, which is the point.

type zoneOpts struct {
	unsigned   bool
	nsec3      bool
	optOut     bool
	iterations uint16
	salt       string
	// fixed: keys derived from the zone's name and signatures valid from
	// 2026 to 2036, so that an answer saved by the fuzzer stays genuine.
	fixed bool
}

type testZone struct {
	apex           string
	opts           zoneOpts
	ksk, zsk       *dns.DNSKEY
	kskKey, zskKey crypto.Signer
	data           map[string]map[uint16][]dns.RR
	sigs           map[string]map[uint16][]dns.RR
	cuts           map[string]bool // delegations to child zones
	nsec           map[string]*dns.NSEC
	nsec3          []*dns.NSEC3 // sorted by hash
}

var (
	zoneSoaTime = time.Now()
	fixedFrom   = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

func newTestZone(t testing.TB, apex string, o zoneOpts, lines ...string) *testZone {
	t.Helper()
	z := &testZone{apex: dns.CanonicalName(apex), opts: o, data: map[string]map[uint16][]dns.RR{},
		sigs: map[string]map[uint16][]dns.RR{}, cuts: map[string]bool{}, nsec: map[string]*dns.NSEC{}}
	z.add(t, z.apex+" 300 IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300", z.apex+" 300 IN NS ns.test.")
	z.add(t, lines...)
	if !o.unsigned {
		z.ksk, z.kskKey = genKey(t, z.apex, 257, o.fixed)
		z.zsk, z.zskKey = genKey(t, z.apex, 256, o.fixed)
		z.put(z.ksk)
		z.put(z.zsk)
	}
	return z
}

func genKey(t testing.TB, apex string, flags uint16, fixed bool) (*dns.DNSKEY, crypto.Signer) {
	t.Helper()
	k := &dns.DNSKEY{Hdr: dns.RR_Header{Name: apex, Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: 300},
		Flags: flags, Protocol: 3, Algorithm: dns.ECDSAP256SHA256}
	if fixed {
		seed := sha256.Sum256([]byte(fmt.Sprintf("sealtrace test key %s %d", apex, flags)))
		priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), seed[:])
		if err != nil {
			t.Fatal(err)
		}
		pub, err := priv.PublicKey.Bytes() // 0x04, X, Y
		if err != nil {
			t.Fatal(err)
		}
		k.PublicKey = base64.StdEncoding.EncodeToString(pub[1:])
		return k, priv
	}
	priv, err := k.Generate(256)
	if err != nil {
		t.Fatal(err)
	}
	return k, priv.(crypto.Signer)
}

func (z *testZone) put(rr dns.RR) {
	h := rr.Header()
	h.Name = dns.CanonicalName(h.Name)
	if z.data[h.Name] == nil {
		z.data[h.Name] = map[uint16][]dns.RR{}
	}
	z.data[h.Name][h.Rrtype] = append(z.data[h.Name][h.Rrtype], rr)
}

func (z *testZone) add(t testing.TB, lines ...string) {
	t.Helper()
	for _, l := range lines {
		rr, err := dns.NewRR(l)
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		z.put(rr)
	}
}

// delegate makes child a zone below z: NS at the cut, and the DS of the
// child's KSK when the child is signed.
func (z *testZone) delegate(t testing.TB, child *testZone) {
	t.Helper()
	z.cuts[child.apex] = true
	z.add(t, child.apex+" 300 IN NS ns.test.")
	if child.ksk != nil {
		z.put(child.ksk.ToDS(dns.SHA256))
	}
}

// anchor is the DS of the zone's KSK, as a trust anchor.
func (z *testZone) anchor() []dns.RR { return []dns.RR{z.ksk.ToDS(dns.SHA256)} }

func (z *testZone) signSet(t testing.TB, set []dns.RR, key *dns.DNSKEY, priv crypto.Signer) *dns.RRSIG {
	t.Helper()
	from, until := zoneSoaTime.Add(-time.Hour), zoneSoaTime.Add(30*24*time.Hour)
	if z.opts.fixed {
		from, until = fixedFrom, fixedFrom.AddDate(10, 0, 0)
	}
	s := &dns.RRSIG{Hdr: dns.RR_Header{Ttl: set[0].Header().Ttl}, Algorithm: key.Algorithm, KeyTag: key.KeyTag(), SignerName: z.apex,
		Inception: uint32(from.Unix()), Expiration: uint32(until.Unix())}
	if err := s.Sign(priv, set); err != nil {
		t.Fatal(err)
	}
	return s
}

// names are the zone's owner names, with the empty non-terminals between
// them and the apex, in canonical order.
func (z *testZone) names(skip func(string) bool) []string {
	seen := map[string]bool{}
	for n := range z.data {
		if skip(n) {
			continue
		}
		for p := n; dns.IsSubDomain(z.apex, p) && !seen[p]; p = parentOf(p) {
			seen[p] = true
			if p == z.apex {
				break
			}
		}
	}
	var out []string
	for n := range seen {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return canonicalLess(out[i], out[j]) })
	return out
}

func parentOf(n string) string {
	i, end := dns.NextLabel(n, 0)
	if end {
		return "."
	}
	return n[i:]
}

func (z *testZone) types(n string) []uint16 {
	var ts []uint16
	for ty := range z.data[n] {
		ts = append(ts, ty)
	}
	return ts
}

func sortTypes(ts []uint16) []uint16 {
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	return ts
}

// sign signs every authoritative RRset and builds the NSEC or NSEC3 chain.
func (z *testZone) sign(t testing.TB) *testZone {
	t.Helper()
	if z.opts.unsigned {
		return z
	}
	if z.opts.nsec3 {
		p := &dns.NSEC3PARAM{Hdr: dns.RR_Header{Name: z.apex, Rrtype: dns.TypeNSEC3PARAM, Class: dns.ClassINET, Ttl: 300},
			Hash: dns.SHA1, Iterations: z.opts.iterations, Salt: z.opts.salt, SaltLength: uint8(len(z.opts.salt) / 2)}
		z.put(p)
		unsignedCut := func(n string) bool { return z.cuts[n] && z.data[n][dns.TypeDS] == nil }
		skip := func(n string) bool { return z.opts.optOut && unsignedCut(n) }
		names := z.names(skip)
		type h struct {
			hash string
			name string
		}
		var hs []h
		for _, n := range names {
			hs = append(hs, h{dns.HashName(n, dns.SHA1, z.opts.iterations, z.opts.salt), n})
		}
		sort.Slice(hs, func(i, j int) bool { return hs[i].hash < hs[j].hash })
		for i, x := range hs {
			ts := z.types(x.name)
			if len(ts) > 0 && !unsignedCut(x.name) {
				ts = append(ts, dns.TypeRRSIG)
			}
			r := &dns.NSEC3{Hdr: dns.RR_Header{Name: strings.ToLower(x.hash) + "." + z.apex, Rrtype: dns.TypeNSEC3, Class: dns.ClassINET, Ttl: 300},
				Hash: dns.SHA1, Iterations: z.opts.iterations, Salt: z.opts.salt, SaltLength: uint8(len(z.opts.salt) / 2),
				HashLength: 20, NextDomain: hs[(i+1)%len(hs)].hash, TypeBitMap: sortTypes(ts)}
			if z.opts.optOut {
				r.Flags = 1
			}
			z.nsec3 = append(z.nsec3, r)
		}
	} else {
		names := z.names(func(string) bool { return false })
		var owners []string
		for _, n := range names {
			if len(z.data[n]) > 0 {
				owners = append(owners, n)
			}
		}
		for i, n := range owners {
			ts := append(z.types(n), dns.TypeNSEC, dns.TypeRRSIG)
			z.nsec[n] = &dns.NSEC{Hdr: dns.RR_Header{Name: n, Rrtype: dns.TypeNSEC, Class: dns.ClassINET, Ttl: 300},
				NextDomain: owners[(i+1)%len(owners)], TypeBitMap: sortTypes(ts)}
		}
	}
	for n, byType := range z.data {
		for ty, set := range byType {
			if z.cuts[n] && ty != dns.TypeDS {
				continue // the child's data, not signed here (RFC 4035 2.2)
			}
			key, priv := z.zsk, z.zskKey
			if ty == dns.TypeDNSKEY {
				key, priv = z.ksk, z.kskKey
			}
			z.setSig(n, ty, z.signSet(t, set, key, priv))
		}
	}
	for n, r := range z.nsec {
		z.setSig(n, dns.TypeNSEC, z.signSet(t, []dns.RR{r}, z.zsk, z.zskKey))
	}
	for _, r := range z.nsec3 {
		z.setSig(r.Hdr.Name, dns.TypeNSEC3, z.signSet(t, []dns.RR{r}, z.zsk, z.zskKey))
	}
	return z
}

func (z *testZone) setSig(n string, ty uint16, s *dns.RRSIG) {
	if z.sigs[n] == nil {
		z.sigs[n] = map[uint16][]dns.RR{}
	}
	z.sigs[n][ty] = []dns.RR{s}
}

// set is an RRset of the zone with its signatures.
func (z *testZone) set(name string, ty uint16) []dns.RR {
	name = dns.CanonicalName(name)
	out := append([]dns.RR{}, z.data[name][ty]...)
	return append(out, z.sigs[name][ty]...)
}

// nsecAt is the NSEC record owned by name, with its signature.
func (z *testZone) nsecAt(name string) []dns.RR {
	name = dns.CanonicalName(name)
	if n := z.nsec[name]; n != nil {
		return append([]dns.RR{n}, z.sigs[name][dns.TypeNSEC]...)
	}
	return nil
}

// nsecCovering is the NSEC record whose span holds name.
func (z *testZone) nsecCovering(name string) []dns.RR {
	for o, n := range z.nsec {
		if o != name && nsecCovers(n, name) {
			return z.nsecAt(o)
		}
	}
	return nil
}

func (z *testZone) nsec3Rec(r *dns.NSEC3) []dns.RR {
	return append([]dns.RR{r}, z.sigs[r.Hdr.Name][dns.TypeNSEC3]...)
}

// nsec3Matching is the NSEC3 record of name.
func (z *testZone) nsec3Matching(name string) []dns.RR {
	h := dns.HashName(name, dns.SHA1, z.opts.iterations, z.opts.salt)
	for _, r := range z.nsec3 {
		if strings.EqualFold(firstLabel(r.Hdr.Name), h) {
			return z.nsec3Rec(r)
		}
	}
	return nil
}

// nsec3Covering is the NSEC3 record whose span strictly holds name's hash.
func (z *testZone) nsec3Covering(name string) []dns.RR {
	h := dns.HashName(name, dns.SHA1, z.opts.iterations, z.opts.salt)
	prev := z.nsec3[len(z.nsec3)-1] // the last one wraps around
	for _, r := range z.nsec3 {
		o := strings.ToUpper(firstLabel(r.Hdr.Name))
		if h == o {
			return nil
		}
		if h < o {
			break
		}
		prev = r
	}
	return z.nsec3Rec(prev)
}

func firstLabel(n string) string {
	l := dns.SplitDomainName(n)
	if len(l) == 0 {
		return ""
	}
	return l[0]
}

// exists tells whether name is in the zone (data or an empty non-terminal).
func (z *testZone) exists(name string) bool {
	for n := range z.data {
		if dns.IsSubDomain(name, n) {
			return true
		}
	}
	return false
}

// closestEncloser is the longest existing ancestor of name.
func (z *testZone) closestEncloser(name string) string {
	for p := parentOf(name); ; p = parentOf(p) {
		if z.exists(p) || p == z.apex {
			return p
		}
	}
}

func nextCloser(name, ce string) string {
	labels := dns.SplitDomainName(name)
	return dns.Fqdn(strings.Join(labels[len(labels)-dns.CountLabel(ce)-1:], "."))
}

// signedNet answers like a recursive resolver over zones; hostile, when
// set, replaces an answer (return nil to answer honestly).
type signedNet struct {
	zones   []*testZone
	hostile func(name string, qtype uint16) (*dns.Msg, error)
	mu      sync.Mutex
	asked   []string
}

func (s *signedNet) Exchange(_ context.Context, name string, qtype uint16, _ bool) (*dns.Msg, error) {
	name = dns.CanonicalName(name)
	s.mu.Lock()
	s.asked = append(s.asked, name+" "+TypeName(qtype))
	s.mu.Unlock()
	if s.hostile != nil {
		if m, err := s.hostile(name, qtype); m != nil || err != nil {
			if m != nil {
				m.Question = []dns.Question{{Name: name, Qtype: qtype, Qclass: dns.ClassINET}}
			}
			return m, err
		}
	}
	return s.honest(name, qtype), nil
}

func (s *signedNet) zoneFor(name string, qtype uint16) *testZone {
	var best *testZone
	for _, z := range s.zones {
		if !dns.IsSubDomain(z.apex, name) || (qtype == dns.TypeDS && z.apex == name && name != ".") {
			continue
		}
		if best == nil || dns.CountLabel(z.apex) > dns.CountLabel(best.apex) {
			best = z
		}
	}
	return best
}

// honest is the true answer, with the proofs RFC 4035 3.1.3 and RFC 5155
// 7.2 ask of an authoritative server.
func (s *signedNet) honest(name string, qtype uint16) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.Response = true
	z := s.zoneFor(name, qtype)
	if z == nil {
		m.Rcode = dns.RcodeRefused
		return m
	}
	if set := z.set(name, qtype); len(set) > 0 {
		m.Answer = set
		return m
	}
	if z.exists(name) {
		// NODATA.
		if z.opts.nsec3 {
			m.Ns = z.nsec3Matching(name)
			if m.Ns == nil { // opt-out: an unsigned delegation has no NSEC3 (RFC 5155 7.2.4)
				ce := z.closestEncloser(name)
				m.Ns = append(z.nsec3Matching(ce), z.nsec3Covering(nextCloser(name, ce))...)
			}
		} else if p := z.nsecAt(name); p != nil {
			m.Ns = p
		} else {
			m.Ns = z.nsecCovering(name) // an empty non-terminal
		}
		return m
	}
	ce := z.closestEncloser(name)
	wild := "*." + ce
	if z.data[wild] != nil {
		if set := z.data[wild][qtype]; set != nil {
			m.Answer = expand(z.set(wild, qtype), name)
			if z.opts.nsec3 {
				m.Ns = z.nsec3Covering(nextCloser(name, ce))
			} else {
				m.Ns = z.nsecCovering(name)
			}
			return m
		}
		if z.opts.nsec3 {
			m.Ns = append(append(z.nsec3Matching(ce), z.nsec3Covering(nextCloser(name, ce))...), z.nsec3Matching(wild)...)
		} else {
			m.Ns = append(z.nsecCovering(name), z.nsecAt(wild)...)
		}
		return m
	}
	m.Rcode = dns.RcodeNameError
	if z.opts.nsec3 {
		m.Ns = append(append(z.nsec3Matching(ce), z.nsec3Covering(nextCloser(name, ce))...), z.nsec3Covering(wild)...)
	} else {
		m.Ns = z.nsecCovering(name)
		if w := z.nsecCovering(wild); w != nil && w[0].Header().Name != m.Ns[0].Header().Name {
			m.Ns = append(m.Ns, w...)
		}
	}
	return m
}

// reply is a hostile answer: the question is set by signedNet.
func reply(rcode int, answer []dns.RR, ns ...[]dns.RR) *dns.Msg {
	m := new(dns.Msg)
	m.Response, m.Rcode, m.Answer = true, rcode, answer
	for _, n := range ns {
		m.Ns = append(m.Ns, n...)
	}
	return m
}

// only answers hostile for one question and honestly for the others.
func only(name string, qtype uint16, m *dns.Msg, err error) func(string, uint16) (*dns.Msg, error) {
	return func(n string, q uint16) (*dns.Msg, error) {
		if n == dns.CanonicalName(name) && q == qtype {
			if m != nil {
				m = m.Copy()
			}
			return m, err
		}
		return nil, nil
	}
}

// expand is a wildcard's RRset and signatures as a server expands them for
// name (RFC 4035 3.1.3.3): the owner changes, the signatures' Labels field
// still counts the wildcard's labels.
func expand(set []dns.RR, name string) []dns.RR {
	var out []dns.RR
	for _, rr := range set {
		c := dns.Copy(rr)
		c.Header().Name = name
		out = append(out, c)
	}
	return out
}
