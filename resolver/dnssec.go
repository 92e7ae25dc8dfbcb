package resolver

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// DNSSEC validation done by Sealtrace itself (RFC 4033-4035, RFC 5155 for
// NSEC3), from configured trust anchors down to the answer: each zone's
// DNSKEY set is checked against the DS set its parent signed, the answer's
// RRSIG against the keys of the zone that signed it, and a denial against
// the NSEC or NSEC3 records that prove it. The servers are asked with CD
// set, so that a validating recursive resolver passes on what it would
// reject and Sealtrace can say why.

// Validation statuses (RFC 4033 5).
const (
	Secure   = "secure"
	Insecure = "insecure"
	Bogus    = "bogus"
)

// Validated is a validated answer.
type Validated struct {
	Status  string   // secure, insecure, bogus
	Rcode   int      // of the answer
	Records []dns.RR // the answer RRset (no signatures)
	Denied  bool     // the name or type does not exist (proven when Status is secure)
	Reason  string   // why it is bogus or insecure
	Chain   []Link   // each link of the chain of trust that was checked
}

// Link is one checked link of the chain of trust.
type Link struct {
	Zone string `json:"zone"`
	What string `json:"what"`
	OK   bool   `json:"ok"`
}

// Exchanger asks one question and returns the whole response (*Server).
type Exchanger interface {
	Exchange(ctx context.Context, name string, qtype uint16, cd bool) (*dns.Msg, error)
}

// Validator validates answers from a server. It caches the zones' validated
// keys, so it is meant for one task at a time (it is not safe for
// concurrent use).
type Validator struct {
	Server  Exchanger
	Anchors []dns.RR // *dns.DS or *dns.DNSKEY, of one or more zones
	Now     func() time.Time

	keys map[string][]*dns.DNSKEY // zones whose DNSKEY set is validated
}

// LoadAnchors reads DS or DNSKEY records in master-file format.
func LoadAnchors(r io.Reader, file string) ([]dns.RR, error) {
	zp := dns.NewZoneParser(r, ".", file)
	zp.SetIncludeAllowed(false)
	var out []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		switch rr.(type) {
		case *dns.DS, *dns.DNSKEY:
			out = append(out, rr)
		}
	}
	if err := zp.Err(); err != nil {
		return nil, fmt.Errorf("resolver: trust anchors: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("resolver: trust anchors: %s has no DS or DNSKEY record", file)
	}
	return out, nil
}

// LoadAnchorsFile is LoadAnchors on a file.
func LoadAnchorsFile(path string) ([]dns.RR, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("resolver: trust anchors: %w", err)
	}
	defer f.Close()
	return LoadAnchors(f, path)
}

func (v *Validator) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// Lookup asks for name and type and validates the answer. The error is for
// transport failures only; a validation failure is Status bogus.
func (v *Validator) Lookup(ctx context.Context, name string, qtype uint16) (*Validated, error) {
	qname, err := Fqdn(name)
	if err != nil {
		return nil, err
	}
	if v.keys == nil {
		v.keys = map[string][]*dns.DNSKEY{}
	}
	out := &Validated{}
	link := func(zone, what string, ok bool) { out.Chain = append(out.Chain, Link{Zone: zone, What: what, OK: ok}) }
	bogus := func(reason string) (*Validated, error) {
		out.Status, out.Reason = Bogus, reason
		return out, nil
	}

	anchorZone := ""
	for _, a := range v.Anchors {
		z := dns.CanonicalName(a.Header().Name)
		if dns.IsSubDomain(z, qname) && (anchorZone == "" || dns.CountLabel(z) > dns.CountLabel(anchorZone)) {
			anchorZone = z
		}
	}
	resp, err := v.Server.Exchange(ctx, qname, qtype, true)
	if err != nil {
		return nil, err
	}
	out.Rcode = resp.Rcode
	answer, answerSigs := splitSigs(resp.Answer, qname, qtype)
	out.Records = answer
	out.Denied = resp.Rcode == dns.RcodeNameError || (resp.Rcode == dns.RcodeSuccess && len(answer) == 0)
	if anchorZone == "" {
		out.Status, out.Reason = Insecure, "no trust anchor covers "+qname
		return out, nil
	}
	link(anchorZone, "trust anchor for "+anchorZone, true)
	if resp.Rcode != dns.RcodeSuccess && resp.Rcode != dns.RcodeNameError {
		return bogus("the server answered " + RcodeName(resp.Rcode))
	}

	// The zone that signed what we must check.
	signer := ""
	for _, s := range answerSigs {
		signer = dns.CanonicalName(s.SignerName)
	}
	if out.Denied {
		for _, rr := range resp.Ns {
			if s, ok := rr.(*dns.RRSIG); ok {
				signer = dns.CanonicalName(s.SignerName)
			}
		}
	}
	if signer == "" {
		// Nothing is signed: secure only if an unsigned delegation above
		// the name is proven (insecure), else the signatures were stripped.
		return v.provenInsecure(ctx, anchorZone, qname, out)
	}
	// RRSIG.Verify checks the signer name with a plain suffix test, so check
	// it here (PLATFORM-NOTES): the signer must be the name or an ancestor,
	// and inside the anchor's zone.
	if !dns.IsSubDomain(signer, qname) || !dns.IsSubDomain(anchorZone, signer) {
		return bogus(fmt.Sprintf("the answer is signed by %s, which is not a zone above %s", signer, qname))
	}
	keys, zone, status, reason := v.walk(ctx, anchorZone, signer, out)
	if status != Secure {
		out.Status, out.Reason = status, reason
		return out, nil
	}
	if zone != signer {
		return bogus(fmt.Sprintf("the answer is signed by %s, but the chain of trust leads to %s", signer, zone))
	}
	if !out.Denied {
		if err := v.verifySet(answer, answerSigs, keys); err != nil {
			link(signer, "signature of the answer: "+err.Error(), false)
			return bogus("the answer's signature: " + err.Error())
		}
		link(signer, fmt.Sprintf("the %s record set is signed by %s", TypeName(qtype), signer), true)
		out.Status = Secure
		return out, nil
	}
	if err := v.verifyDenial(qname, qtype, resp, keys); err != nil {
		link(signer, "proof of non-existence: "+err.Error(), false)
		return bogus("the denial is not proven: " + err.Error())
	}
	link(signer, fmt.Sprintf("%s %s is proven not to exist", qname, TypeName(qtype)), true)
	out.Status = Secure
	return out, nil
}

// walk follows the chain of trust from the anchor zone down toward target,
// label by label: where the parent signs a DS set, the child is a signed
// zone whose DNSKEY set must match it; where the parent proves there is no
// DS at a delegation (NS without DS), everything below is insecure. It
// returns the keys and the apex of the deepest signed zone reached.
func (v *Validator) walk(ctx context.Context, anchorZone, target string, out *Validated) (keys []*dns.DNSKEY, zone, status, reason string) {
	link := func(z, what string, ok bool) { out.Chain = append(out.Chain, Link{Zone: z, What: what, OK: ok}) }
	keys, err := v.anchorKeys(ctx, anchorZone)
	if err != nil {
		link(anchorZone, "DNSKEY set against the trust anchor: "+err.Error(), false)
		return nil, anchorZone, Bogus, "the DNSKEY set of " + anchorZone + " does not match the trust anchor: " + err.Error()
	}
	link(anchorZone, "the DNSKEY set of "+anchorZone+" matches the trust anchor and is signed by it", true)
	cur := anchorZone
	labels := dns.SplitDomainName(target)
	for depth := dns.CountLabel(anchorZone) + 1; depth <= len(labels); depth++ {
		child := dns.Fqdn(strings.Join(labels[len(labels)-depth:], "."))
		resp, err := v.Server.Exchange(ctx, child, dns.TypeDS, true)
		if err != nil {
			return nil, cur, Bogus, err.Error()
		}
		ds, sigs := splitSigs(resp.Answer, child, dns.TypeDS)
		if len(ds) == 0 {
			cut, derr := v.unsignedDelegation(child, resp, keys)
			switch {
			case derr == nil && cut:
				link(cur, "no DS for "+child+" (proven by "+cur+"): the delegation is not signed", true)
				return nil, cur, Insecure, "the delegation to " + child + " is not signed"
			case derr != nil && resp.Rcode == dns.RcodeNameError:
				link(cur, "the absence of "+child+" is not proven: "+derr.Error(), false)
				return nil, cur, Bogus, "no proof that " + child + " does not exist: " + derr.Error()
			}
			continue // not a zone cut
		}
		if err := v.verifySet(ds, sigs, keys); err != nil {
			link(cur, "DS set of "+child+": "+err.Error(), false)
			return nil, cur, Bogus, "the DS set of " + child + ": " + err.Error()
		}
		link(cur, "the DS set of "+child+" is signed by "+cur, true)
		childKeys, err := v.keysFromDS(ctx, child, ds)
		if err != nil {
			link(child, "DNSKEY set: "+err.Error(), false)
			return nil, cur, Bogus, "the DNSKEY set of " + child + ": " + err.Error()
		}
		link(child, "the DNSKEY set of "+child+" matches its DS and is self-signed", true)
		keys, cur = childKeys, child
	}
	return keys, cur, Secure, ""
}

// anchorKeys validates the anchor zone's DNSKEY set against the anchors.
func (v *Validator) anchorKeys(ctx context.Context, zone string) ([]*dns.DNSKEY, error) {
	if k, ok := v.keys[zone]; ok {
		return k, nil
	}
	var ds []*dns.DS
	var direct []*dns.DNSKEY
	for _, a := range v.Anchors {
		if dns.CanonicalName(a.Header().Name) != zone {
			continue
		}
		switch t := a.(type) {
		case *dns.DS:
			ds = append(ds, t)
		case *dns.DNSKEY:
			direct = append(direct, t)
		}
	}
	var dsRR []dns.RR
	for _, d := range ds {
		dsRR = append(dsRR, d)
	}
	for _, k := range direct {
		if d := k.ToDS(dns.SHA256); d != nil {
			dsRR = append(dsRR, d)
		}
	}
	return v.keysFromDS(ctx, zone, dsRR)
}

// keysFromDS fetches zone's DNSKEY set and accepts it when a key matching a
// DS record signs the set (RFC 4035 5.2).
func (v *Validator) keysFromDS(ctx context.Context, zone string, ds []dns.RR) ([]*dns.DNSKEY, error) {
	if k, ok := v.keys[zone]; ok {
		return k, nil
	}
	resp, err := v.Server.Exchange(ctx, zone, dns.TypeDNSKEY, true)
	if err != nil {
		return nil, err
	}
	set, sigs := splitSigs(resp.Answer, zone, dns.TypeDNSKEY)
	if len(set) == 0 {
		return nil, fmt.Errorf("no DNSKEY set (missing DNSKEY)")
	}
	var keys []*dns.DNSKEY
	var matching []*dns.DNSKEY
	for _, rr := range set {
		k := rr.(*dns.DNSKEY)
		keys = append(keys, k)
		for _, d := range ds {
			dd := d.(*dns.DS)
			if kd := k.ToDS(dd.DigestType); kd != nil && strings.EqualFold(kd.Digest, dd.Digest) && kd.KeyTag == dd.KeyTag && kd.Algorithm == dd.Algorithm {
				matching = append(matching, k)
			}
		}
	}
	if len(matching) == 0 {
		return nil, fmt.Errorf("no key matches the DS records (a wrong anchor, or a key rollover gone wrong)")
	}
	if err := v.verifySet(set, sigs, matching); err != nil {
		return nil, err
	}
	v.keys[zone] = keys
	return keys, nil
}

// verifySet checks that one RRSIG over set, by one of keys, is valid now.
func (v *Validator) verifySet(set []dns.RR, sigs []*dns.RRSIG, keys []*dns.DNSKEY) error {
	if len(sigs) == 0 {
		return fmt.Errorf("no signature (RRSIG)")
	}
	now := v.now()
	var last error
	for _, s := range sigs {
		for _, k := range keys {
			if k.KeyTag() != s.KeyTag || k.Algorithm != s.Algorithm || dns.CanonicalName(k.Header().Name) != dns.CanonicalName(s.SignerName) {
				continue
			}
			if err := s.Verify(k, set); err != nil {
				last = fmt.Errorf("bad signature by key %d: %v", k.KeyTag(), err)
				continue
			}
			if !s.ValidityPeriod(now) {
				last = fmt.Errorf("the signature by key %d is expired or not yet valid (%s to %s)", k.KeyTag(),
					dns.TimeToString(s.Inception), dns.TimeToString(s.Expiration))
				continue
			}
			return nil
		}
	}
	if last == nil {
		last = fmt.Errorf("no signature by a known key (missing DNSKEY)")
	}
	return last
}

// provenInsecure handles an answer without signatures: it is insecure
// when an unsigned delegation above the name is proven, else bogus (the
// signatures were stripped or never made).
func (v *Validator) provenInsecure(ctx context.Context, anchorZone, qname string, out *Validated) (*Validated, error) {
	_, zone, status, reason := v.walk(ctx, anchorZone, qname, out)
	if status != Secure {
		out.Status, out.Reason = status, reason
		return out, nil
	}
	out.Chain = append(out.Chain, Link{Zone: zone, What: "the answer carries no signature, though " + zone + " is signed", OK: false})
	out.Status, out.Reason = Bogus, "missing signatures (RRSIG) on an answer inside the signed zone "+zone
	return out, nil
}

// unsignedDelegation tells whether a DS denial proves that child is a zone
// cut without DS (the NS bit set, DS and SOA bits clear, RFC 4035 5.2).
func (v *Validator) unsignedDelegation(child string, resp *dns.Msg, keys []*dns.DNSKEY) (bool, error) {
	if err := v.verifyDenial(child, dns.TypeDS, resp, keys); err != nil {
		return false, err
	}
	for _, rr := range resp.Ns {
		switch n := rr.(type) {
		case *dns.NSEC:
			if dns.CanonicalName(n.Header().Name) == child {
				return hasType(n.TypeBitMap, dns.TypeNS) && !hasType(n.TypeBitMap, dns.TypeSOA), nil
			}
		case *dns.NSEC3:
			if n.Match(child) {
				return hasType(n.TypeBitMap, dns.TypeNS) && !hasType(n.TypeBitMap, dns.TypeSOA), nil
			}
			if n.Cover(child) && n.Flags&1 == 1 {
				return true, nil // opt-out: an unsigned delegation may lie here (RFC 5155 6)
			}
		}
	}
	return false, nil
}

// verifyDenial checks the NSEC or NSEC3 records of a negative answer: their
// signatures, and that they prove qname/qtype absent (RFC 4035 5.4, RFC
// 5155 8).
func (v *Validator) verifyDenial(qname string, qtype uint16, resp *dns.Msg, keys []*dns.DNSKEY) error {
	sets := map[string][]dns.RR{}
	sigs := map[string][]*dns.RRSIG{}
	var nsecs []*dns.NSEC
	var nsec3s []*dns.NSEC3
	for _, rr := range resp.Ns {
		h := rr.Header()
		switch t := rr.(type) {
		case *dns.RRSIG:
			k := dns.CanonicalName(h.Name) + "/" + TypeName(t.TypeCovered)
			sigs[k] = append(sigs[k], t)
		case *dns.NSEC:
			nsecs = append(nsecs, t)
			k := dns.CanonicalName(h.Name) + "/NSEC"
			sets[k] = append(sets[k], rr)
		case *dns.NSEC3:
			nsec3s = append(nsec3s, t)
			k := dns.CanonicalName(h.Name) + "/NSEC3"
			sets[k] = append(sets[k], rr)
		}
	}
	if len(sets) == 0 {
		return fmt.Errorf("no NSEC or NSEC3 records")
	}
	for k, set := range sets {
		if err := v.verifySet(set, sigs[k], keys); err != nil {
			return fmt.Errorf("%s: %v", k, err)
		}
	}
	nx := resp.Rcode == dns.RcodeNameError
	if len(nsec3s) > 0 {
		return nsec3Proof(qname, qtype, nx, nsec3s)
	}
	return nsecProof(qname, qtype, nx, nsecs)
}

func nsecProof(qname string, qtype uint16, nx bool, nsecs []*dns.NSEC) error {
	if !nx {
		for _, n := range nsecs {
			if dns.CanonicalName(n.Header().Name) == qname {
				if hasType(n.TypeBitMap, qtype) || hasType(n.TypeBitMap, dns.TypeCNAME) {
					return fmt.Errorf("the NSEC record says %s exists", TypeName(qtype))
				}
				return nil
			}
		}
		return fmt.Errorf("no NSEC record for %s", qname)
	}
	covered := false
	var ce string
	for _, n := range nsecs {
		if nsecCovers(n, qname) {
			covered = true
			ce = closestEncloser(qname, dns.CanonicalName(n.Header().Name), dns.CanonicalName(n.NextDomain))
		}
	}
	if !covered {
		return fmt.Errorf("no NSEC record covers %s", qname)
	}
	wild := "*." + ce
	if ce == "." {
		wild = "*."
	}
	for _, n := range nsecs {
		if nsecCovers(n, wild) {
			return nil
		}
	}
	return fmt.Errorf("no NSEC record denies the wildcard %s", wild)
}

// nsecCovers tells whether name lies strictly between the NSEC's owner and
// its next name in canonical order (the last NSEC wraps to the apex).
func nsecCovers(n *dns.NSEC, name string) bool {
	owner, next := dns.CanonicalName(n.Header().Name), dns.CanonicalName(n.NextDomain)
	if canonicalLess(owner, next) {
		return canonicalLess(owner, name) && canonicalLess(name, next)
	}
	return canonicalLess(owner, name) || canonicalLess(name, next)
}

// closestEncloser is the longest ancestor of qname that the NSEC's names
// show to exist.
func closestEncloser(qname, owner, next string) string {
	best := "."
	for _, n := range []string{owner, next} {
		common := dns.CompareDomainName(qname, n)
		labels := dns.SplitDomainName(qname)
		if common > 0 && common <= len(labels) {
			cand := dns.Fqdn(strings.Join(labels[len(labels)-common:], "."))
			if dns.CountLabel(cand) > dns.CountLabel(best) {
				best = cand
			}
		}
	}
	return best
}

func nsec3Proof(qname string, qtype uint16, nx bool, ns []*dns.NSEC3) error {
	if !nx {
		for _, n := range ns {
			if n.Match(qname) {
				if hasType(n.TypeBitMap, qtype) || hasType(n.TypeBitMap, dns.TypeCNAME) {
					return fmt.Errorf("the NSEC3 record says %s exists", TypeName(qtype))
				}
				return nil
			}
		}
		if qtype == dns.TypeDS { // opt-out: covered by an opt-out span (RFC 5155 8.6)
			for _, n := range ns {
				if n.Cover(qname) && n.Flags&1 == 1 {
					return nil
				}
			}
		}
		return fmt.Errorf("no NSEC3 record matches %s", qname)
	}
	// Closest encloser proof (RFC 5155 8.4): an ancestor that matches, the
	// next closer name covered, and the wildcard at the encloser covered.
	labels := dns.SplitDomainName(qname)
	for i := 1; i < len(labels); i++ {
		ce := dns.Fqdn(strings.Join(labels[i:], "."))
		nextCloser := dns.Fqdn(strings.Join(labels[i-1:], "."))
		if !anyNSEC3(ns, func(n *dns.NSEC3) bool { return n.Match(ce) }) {
			continue
		}
		if !anyNSEC3(ns, func(n *dns.NSEC3) bool { return n.Cover(nextCloser) }) {
			return fmt.Errorf("the next closer name %s is not covered", nextCloser)
		}
		if !anyNSEC3(ns, func(n *dns.NSEC3) bool { return n.Cover("*." + ce) }) {
			return fmt.Errorf("the wildcard *.%s is not denied", ce)
		}
		return nil
	}
	return fmt.Errorf("no closest encloser proof for %s", qname)
}

func anyNSEC3(ns []*dns.NSEC3, f func(*dns.NSEC3) bool) bool {
	for _, n := range ns {
		if f(n) {
			return true
		}
	}
	return false
}

func hasType(bitmap []uint16, t uint16) bool {
	for _, b := range bitmap {
		if b == t {
			return true
		}
	}
	return false
}

// splitSigs returns the records of name/qtype in rrs and the RRSIGs over
// them.
func splitSigs(rrs []dns.RR, name string, qtype uint16) ([]dns.RR, []*dns.RRSIG) {
	var set []dns.RR
	var sigs []*dns.RRSIG
	for _, rr := range rrs {
		if dns.CanonicalName(rr.Header().Name) != name {
			continue
		}
		if s, ok := rr.(*dns.RRSIG); ok {
			if s.TypeCovered == qtype {
				sigs = append(sigs, s)
			}
			continue
		}
		if rr.Header().Rrtype == qtype {
			set = append(set, rr)
		}
	}
	return set, sigs
}

// canonicalLess orders names as RFC 4034 6.1 does: label by label from the
// right, each compared as lower-case octets.
func canonicalLess(a, b string) bool {
	la, lb := dns.SplitDomainName(strings.ToLower(a)), dns.SplitDomainName(strings.ToLower(b))
	for i := 1; i <= len(la) && i <= len(lb); i++ {
		x, y := la[len(la)-i], lb[len(lb)-i]
		if x != y {
			return x < y
		}
	}
	return len(la) < len(lb)
}
