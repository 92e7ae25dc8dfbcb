package resolver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// DNSSEC validation done by Sealtrace itself (RFC 4033-4035, RFC 5155 for
// NSEC3), from configured trust anchors down to the name asked: each
// label's DS answer is checked (a signed DS set leads to the child's DNSKEY
// set, anything else must be proven by NSEC or NSEC3 records), then the
// answer's RRSIG against the keys of the zone the walk ended in, and a
// denial against the NSEC or NSEC3 records that prove it. The rules that
// keep a hostile server from passing off replayed records are in the
// package documentation. The servers are asked with CD set, so that a
// validating recursive resolver passes on what it would reject and
// Sealtrace can say why.

// Validation statuses (RFC 4033 5).
const (
	Secure   = "secure"
	Insecure = "insecure"
	Bogus    = "bogus"
	// Indeterminate: a DS or DNSKEY set, or the answer itself, could not
	// be fetched (a timeout, SERVFAIL): nothing was proven either way and
	// asking again may help. Bogus is kept for a proof that failed.
	Indeterminate = "indeterminate"
)

// ErrServerFailure is a DNS answer that carries no data because the server
// failed (SERVFAIL, REFUSED, ...), as opposed to a transport failure.
var ErrServerFailure = errors.New("resolver: the server could not answer")

// Validated is a validated answer.
type Validated struct {
	Status  string   // secure, insecure, bogus, indeterminate
	Rcode   int      // of the answer
	Records []dns.RR // the answer RRset (no signatures)
	Denied  bool     // the name or type does not exist (proven when Status is secure)
	Reason  string   // why it is bogus, insecure or indeterminate
	Chain   []Link   // each link of the chain of trust that was checked
	Err     error    // with Indeterminate: the fetch that failed (ErrTimeout, ErrTransport, ErrServerFailure, ...)
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
	ds   map[string]*dns.Msg      // DS answers of the walk, checked again at each use
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

// fetchError marks a failure to get what the check needs (a timeout, a
// refused connection, SERVFAIL): nothing was proven either way, so the
// result is Indeterminate, not Bogus.
type fetchError struct{ err error }

func (e *fetchError) Error() string { return e.err.Error() }
func (e *fetchError) Unwrap() error { return e.err }

// exchange asks one question for the chain of trust; a transport error or
// an rcode other than NOERROR and NXDOMAIN is a fetchError.
func (v *Validator) exchange(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	resp, err := v.Server.Exchange(ctx, name, qtype, true)
	if err != nil {
		return nil, &fetchError{err}
	}
	if resp.Rcode != dns.RcodeSuccess && resp.Rcode != dns.RcodeNameError {
		return nil, &fetchError{fmt.Errorf("%w: %s for %s %s", ErrServerFailure, RcodeName(resp.Rcode), name, TypeName(qtype))}
	}
	return resp, nil
}

// Lookup asks for name and type and validates the answer. The error is for
// a transport failure of the question itself; a failure to fetch a DS or
// DNSKEY set on the way is Status Indeterminate (with Err), a failed proof
// Status Bogus.
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

	// The zone whose data answers: for DS the parent side of the cut (RFC
	// 4035 5.2), for everything else the zone of the name itself.
	target := qname
	if qtype == dns.TypeDS && qname != "." {
		target = parentName(qname)
	}
	anchorZone := ""
	for _, a := range v.Anchors {
		z := dns.CanonicalName(a.Header().Name)
		if dns.IsSubDomain(z, target) && (anchorZone == "" || dns.CountLabel(z) > dns.CountLabel(anchorZone)) {
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
		out.Status, out.Err = Indeterminate, fmt.Errorf("%w: %s", ErrServerFailure, RcodeName(resp.Rcode))
		out.Reason = "could not check: the server answered " + RcodeName(resp.Rcode)
		return out, nil
	}

	// The chain of trust is followed down to the name asked, never to the
	// zone the answer's signatures name: the server chooses those.
	end := v.walk(ctx, anchorZone, target, out)
	if end.status != Secure {
		out.Status, out.Reason, out.Err = end.status, end.reason, end.err
		return out, nil
	}
	zone, keys := end.zone, end.keys
	if !out.Denied {
		if len(answerSigs) == 0 {
			link(zone, "the answer carries no signature, though "+zone+" is signed", false)
			return bogus("missing signatures (RRSIG) on an answer inside the signed zone " + zone)
		}
		sig, err := v.verifySet(answer, answerSigs, keys)
		if err != nil {
			link(zone, "signature of the answer: "+err.Error(), false)
			return bogus("the answer's signature: " + err.Error())
		}
		if expandedFromWildcard(qname, sig) {
			// RFC 4035 5.3.4, RFC 5155 8.8: the signature is the wildcard's;
			// it says nothing about qname unless qname is proven not to exist.
			wild := "*." + lastLabels(qname, int(sig.Labels))
			status, err := v.wildcardProof(qname, int(sig.Labels), resp, keys, zone)
			if err != nil {
				link(zone, "the answer is expanded from "+wild+", but: "+err.Error(), false)
				return bogus("an answer expanded from the wildcard " + wild + " without proof that " + qname + " does not exist: " + err.Error())
			}
			if status == Insecure {
				link(zone, "the answer is expanded from "+wild+"; "+zone+"'s NSEC3 records use more than 100 iterations (RFC 9276 3.2)", true)
				out.Status, out.Reason = Insecure, "the NSEC3 records of "+zone+" use more than 100 iterations"
				return out, nil
			}
			link(zone, "the answer is expanded from "+wild+", and "+qname+" is proven not to exist", true)
		}
		link(zone, fmt.Sprintf("the %s record set is signed by %s", TypeName(qtype), zone), true)
		out.Status = Secure
		return out, nil
	}
	status, reason, err := v.proveDenial(qname, qtype, resp, keys, zone)
	if err != nil {
		link(zone, "proof of non-existence: "+err.Error(), false)
		return bogus("the denial is not proven: " + err.Error())
	}
	if status == Insecure {
		link(zone, reason, true)
		out.Status, out.Reason = Insecure, reason
		return out, nil
	}
	link(zone, fmt.Sprintf("%s %s is proven not to exist", qname, TypeName(qtype)), true)
	out.Status = Secure
	return out, nil
}

// chainEnd is where the chain of trust ends: the deepest signed zone above
// the name (Secure), a proven unsigned delegation (Insecure), a failed
// proof (Bogus) or a failure to fetch (Indeterminate).
type chainEnd struct {
	status, zone, reason string
	keys                 []*dns.DNSKEY
	err                  error
}

// walk follows the chain of trust from the anchor zone down to target,
// label by label (RFC 4035 5.2): where the parent signs a DS set, the child
// is a signed zone whose DNSKEY set must match it; where the parent proves
// a delegation without DS (NS bit set, DS and SOA bits clear), everything
// below is insecure; where it proves that a name does not exist, no zone
// can start below it; anything else without proof is bogus.
func (v *Validator) walk(ctx context.Context, anchorZone, target string, out *Validated) chainEnd {
	link := func(z, what string, ok bool) { out.Chain = append(out.Chain, Link{Zone: z, What: what, OK: ok}) }
	fail := func(zone, what string, err error) chainEnd {
		var fe *fetchError
		if errors.As(err, &fe) {
			link(zone, "could not check "+what+": "+fe.err.Error(), false)
			return chainEnd{status: Indeterminate, zone: zone, reason: "could not check " + what + ": " + fe.err.Error(), err: fe.err}
		}
		link(zone, what+": "+err.Error(), false)
		return chainEnd{status: Bogus, zone: zone, reason: what + ": " + err.Error()}
	}
	keys, err := v.anchorKeys(ctx, anchorZone)
	if err != nil {
		return fail(anchorZone, "the DNSKEY set of "+anchorZone+" against the trust anchor", err)
	}
	link(anchorZone, "the DNSKEY set of "+anchorZone+" matches the trust anchor and is signed by it", true)
	cur := anchorZone
	labels := dns.SplitDomainName(target)
	for depth := dns.CountLabel(anchorZone) + 1; depth <= len(labels); depth++ {
		child := dns.Fqdn(strings.Join(labels[len(labels)-depth:], "."))
		resp, err := v.dsAnswer(ctx, child)
		if err != nil {
			return fail(cur, "the DS set of "+child, err)
		}
		ds, sigs := splitSigs(resp.Answer, child, dns.TypeDS)
		if len(ds) > 0 {
			if _, err := v.verifySet(ds, sigs, keys); err != nil {
				return fail(cur, "the DS set of "+child, err)
			}
			link(cur, "the DS set of "+child+" is signed by "+cur, true)
			childKeys, err := v.keysFromDS(ctx, child, ds)
			if err != nil {
				return fail(child, "the DNSKEY set of "+child, err)
			}
			link(child, "the DNSKEY set of "+child+" matches its DS and is self-signed", true)
			keys, cur = childKeys, child
			continue
		}
		if cname, csigs := splitSigs(resp.Answer, child, dns.TypeCNAME); len(cname) > 0 {
			// An alias is not a zone cut (RFC 1034 3.6.2), if cur signed it;
			// one expanded from a wildcard only with the proof that child
			// does not exist (RFC 4035 5.3.4), else a wildcard's CNAME would
			// hide a signed delegation.
			sig, err := v.verifySet(cname, csigs, keys)
			if err != nil {
				return fail(cur, "the CNAME of "+child, err)
			}
			if expandedFromWildcard(child, sig) {
				status, err := v.wildcardProof(child, int(sig.Labels), resp, keys, cur)
				if err != nil {
					return fail(cur, "the CNAME of "+child+" expanded from a wildcard", err)
				}
				if status == Insecure {
					detail := fmt.Sprintf("the NSEC3 records of %s use more than %d iterations (RFC 9276 3.2)", cur, MaxNSEC3Iterations)
					link(cur, detail, true)
					return chainEnd{status: Insecure, zone: cur, reason: detail}
				}
			}
			continue
		}
		kind, detail, err := v.noDS(child, resp, keys, cur)
		switch kind {
		case dsNoCut:
			continue
		case dsNoName:
			// Nothing exists at or below child in cur, so no zone starts there.
			return chainEnd{status: Secure, zone: cur, keys: keys}
		case dsUnsigned:
			link(cur, "no DS for "+child+" (proven by "+cur+"): "+detail, true)
			return chainEnd{status: Insecure, zone: cur, reason: "the delegation to " + child + " is not signed (" + detail + ")"}
		default:
			return fail(cur, "the absence of a DS set for "+child+" is not proven", err)
		}
	}
	return chainEnd{status: Secure, zone: cur, keys: keys}
}

// dsAnswer asks for the DS set of name, once per Validator: the walk asks
// for every label of every name, and the labels above an address are the
// same for every address of the domain. The answer is checked again at
// each use; a failed fetch is not kept, so that asking again may work.
func (v *Validator) dsAnswer(ctx context.Context, name string) (*dns.Msg, error) {
	if m, ok := v.ds[name]; ok {
		return m, nil
	}
	m, err := v.exchange(ctx, name, dns.TypeDS)
	if err != nil {
		return nil, err
	}
	if v.ds == nil {
		v.ds = map[string]*dns.Msg{}
	}
	v.ds[name] = m
	return m, nil
}

// What a DS answer without DS records proves about a name.
const (
	dsBogus    = iota
	dsNoCut    // the name exists in the parent's zone and is not a delegation
	dsNoName   // the name does not exist
	dsUnsigned // an unsigned delegation, or as good as one (opt-out, RFC 9276)
)

// noDS reads the denial of child's DS set, signed by cur.
func (v *Validator) noDS(child string, resp *dns.Msg, keys []*dns.DNSKEY, cur string) (int, string, error) {
	d, err := v.denialFrom(resp, keys, cur)
	if err != nil {
		return dsBogus, "", err
	}
	if d.costly {
		return dsUnsigned, fmt.Sprintf("the NSEC3 records of %s use %d iterations, more than %d: treated as unsigned (RFC 9276 3.2)", cur, d.iterations, MaxNSEC3Iterations), nil
	}
	if types, ok := d.exists(child); ok {
		switch {
		case hasType(types, dns.TypeDS):
			return dsBogus, "", fmt.Errorf("the %s record of %s lists a DS set, which the answer left out", d.kind(), child)
		case hasType(types, dns.TypeNS) && !hasType(types, dns.TypeSOA):
			// RFC 4035 5.2: an unsigned delegation is proven by the
			// parent's record at the cut with NS set and DS clear.
			return dsUnsigned, "the " + d.kind() + " record at the delegation has the NS bit set and the DS bit clear", nil
		}
		return dsNoCut, "", nil
	}
	_, optOut, err := d.absent(child)
	if err != nil {
		return dsBogus, "", err
	}
	if optOut {
		// RFC 5155 6 and 8.6: an opt-out span may hold unsigned delegations.
		return dsUnsigned, "it lies in an NSEC3 opt-out span, where unsigned delegations have no NSEC3 record (RFC 5155 6)", nil
	}
	return dsNoName, "", nil
}

// anchorKeys validates the anchor zone's DNSKEY set against the anchors.
func (v *Validator) anchorKeys(ctx context.Context, zone string) ([]*dns.DNSKEY, error) {
	if k, ok := v.keys[zone]; ok {
		return k, nil
	}
	var dsRR []dns.RR
	for _, a := range v.Anchors {
		if dns.CanonicalName(a.Header().Name) != zone {
			continue
		}
		switch t := a.(type) {
		case *dns.DS:
			dsRR = append(dsRR, t)
		case *dns.DNSKEY:
			if d := t.ToDS(dns.SHA256); d != nil {
				dsRR = append(dsRR, d)
			}
		}
	}
	keys, err := v.keysFromDS(ctx, zone, dsRR)
	if errors.Is(err, errNoDNSKEY) {
		// No DNSKEY set at all for the trust anchor's own zone (the root,
		// usually): the server does not serve DNSSEC, or cannot reach the
		// zone. Nothing was proven either way: could not check, not bogus.
		return nil, &fetchError{fmt.Errorf("%w: the server gave no DNSKEY set for %s (it may not support DNSSEC)", ErrServerFailure, zone)}
	}
	return keys, err
}

// errNoDNSKEY is a DNSKEY answer without a DNSKEY set.
var errNoDNSKEY = errors.New("no DNSKEY set (missing DNSKEY)")

// keysFromDS fetches zone's DNSKEY set and accepts it when a key matching a
// DS record signs the set (RFC 4035 5.2).
func (v *Validator) keysFromDS(ctx context.Context, zone string, ds []dns.RR) ([]*dns.DNSKEY, error) {
	if k, ok := v.keys[zone]; ok {
		return k, nil
	}
	resp, err := v.exchange(ctx, zone, dns.TypeDNSKEY)
	if err != nil {
		return nil, err
	}
	set, sigs := splitSigs(resp.Answer, zone, dns.TypeDNSKEY)
	if len(set) == 0 {
		return nil, errNoDNSKEY
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
	if _, err := v.verifySet(set, sigs, matching); err != nil {
		return nil, err
	}
	v.keys[zone] = keys
	return keys, nil
}

// maxVerifications bounds the signature checks for one RRset, so that
// colliding key tags and piles of signatures cannot make one answer cost
// unbounded CPU (CVE-2023-50387, "KeyTrap").
const maxVerifications = 8

// verifySet checks that one RRSIG over set, by one of keys, is valid now,
// and returns it. Signatures that cover the owner's full name are tried
// first, so that a wildcard's signature is used only when nothing else
// verifies.
func (v *Validator) verifySet(set []dns.RR, sigs []*dns.RRSIG, keys []*dns.DNSKEY) (*dns.RRSIG, error) {
	if len(sigs) == 0 {
		return nil, fmt.Errorf("no signature (RRSIG)")
	}
	sigs = append([]*dns.RRSIG(nil), sigs...)
	sort.SliceStable(sigs, func(i, j int) bool { return sigs[i].Labels > sigs[j].Labels })
	now := v.now()
	var last error
	tries := 0
	for _, s := range sigs {
		for _, k := range keys {
			if k.KeyTag() != s.KeyTag || k.Algorithm != s.Algorithm || dns.CanonicalName(k.Header().Name) != dns.CanonicalName(s.SignerName) {
				continue
			}
			if tries++; tries > maxVerifications {
				return nil, fmt.Errorf("more than %d signatures to try: %v", maxVerifications, last)
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
			return s, nil
		}
	}
	if last == nil {
		last = fmt.Errorf("no signature by a known key (missing DNSKEY)")
	}
	return nil, last
}

// expandedFromWildcard tells whether sig was made over a wildcard and the
// answer synthesized from it: the RRSIG's Labels field counts fewer labels
// than the owner has (RFC 4035 5.3.4), a literal "*" label aside.
func expandedFromWildcard(qname string, sig *dns.RRSIG) bool {
	n := dns.CountLabel(qname)
	if strings.HasPrefix(qname, "*.") {
		n--
	}
	return int(sig.Labels) < n
}

// wildcardProof checks, for an answer expanded from the wildcard at the
// last `labels` labels of qname, that qname itself does not exist: an NSEC
// that covers qname and shows no name closer to it than the wildcard's
// parent (RFC 4035 5.3.4), or an NSEC3 that covers the next closer name
// (RFC 5155 8.8).
func (v *Validator) wildcardProof(qname string, labels int, resp *dns.Msg, keys []*dns.DNSKEY, zone string) (string, error) {
	d, err := v.denialFrom(resp, keys, zone)
	if err != nil {
		return "", err
	}
	if d.costly {
		return Insecure, nil
	}
	ce := lastLabels(qname, labels)
	if len(d.nsec3) > 0 {
		nc := lastLabels(qname, labels+1)
		if d.nsec3Cover(nc) == nil {
			return "", fmt.Errorf("no NSEC3 record covers the next closer name %s", nc)
		}
		return Secure, nil
	}
	n := d.nsecCover(qname)
	if n == nil {
		return "", fmt.Errorf("no NSEC record covers %s", qname)
	}
	if got := d.closestEncloser(qname, n); got != ce {
		return "", fmt.Errorf("the NSEC record %s shows that %s exists, closer to %s than the wildcard", n.Header().Name, got, qname)
	}
	return Secure, nil
}

// proveDenial checks a negative answer (RFC 4035 5.4, RFC 5155 8.4-8.7). It
// returns Secure, or Insecure with the reason when the proof lies in an
// opt-out span or its NSEC3 records cost too much to check (RFC 9276).
func (v *Validator) proveDenial(qname string, qtype uint16, resp *dns.Msg, keys []*dns.DNSKEY, zone string) (string, string, error) {
	d, err := v.denialFrom(resp, keys, zone)
	if err != nil {
		return "", "", err
	}
	if d.costly {
		return Insecure, fmt.Sprintf("the NSEC3 records of %s use %d iterations, more than %d: the denial is treated as unsigned (RFC 9276 3.2)", zone, d.iterations, MaxNSEC3Iterations), nil
	}
	optOutReason := qname + " lies in an NSEC3 opt-out span of " + zone + ", which proves nothing about unsigned names there (RFC 5155 6)"
	if resp.Rcode == dns.RcodeNameError {
		ce, optOut, err := d.absent(qname)
		if err != nil {
			return "", "", err
		}
		wild := wildcardOf(ce)
		if d.cover(wild) == nil {
			return "", "", fmt.Errorf("no %s record denies the wildcard %s", d.kind(), wild)
		}
		if optOut {
			return Insecure, optOutReason, nil
		}
		return Secure, "", nil
	}
	if types, ok := d.exists(qname); ok {
		switch {
		case hasType(types, qtype) || (hasType(types, dns.TypeCNAME) && qtype != dns.TypeCNAME):
			return "", "", fmt.Errorf("the %s record says %s %s exists", d.kind(), qname, TypeName(qtype))
		case qtype != dns.TypeDS && hasType(types, dns.TypeNS) && !hasType(types, dns.TypeSOA):
			// RFC 6840 4.1: the parent's record at a delegation speaks for
			// the cut's NS and DS sets only, not for the child's data.
			return "", "", fmt.Errorf("the %s record at %s is the parent's at a delegation: it says nothing about the child zone's data (RFC 6840 4.1)", d.kind(), qname)
		case qtype == dns.TypeDS && hasType(types, dns.TypeSOA) && qname != ".":
			// RFC 6840 4.1: the child's apex record cannot deny the DS set,
			// which lives in the parent.
			return "", "", fmt.Errorf("the %s record at %s is the child zone's apex: it says nothing about the DS set in the parent (RFC 6840 4.1)", d.kind(), qname)
		}
		return Secure, "", nil
	}
	ce, optOut, err := d.absent(qname)
	if err != nil {
		return "", "", fmt.Errorf("no %s record proves that %s exists without %s: %v", d.kind(), qname, TypeName(qtype), err)
	}
	if qtype == dns.TypeDS && optOut {
		return Insecure, optOutReason, nil // RFC 5155 8.6
	}
	// A wildcard that exists without the type (RFC 4035 3.1.3.4, RFC 5155 8.7).
	wild := wildcardOf(ce)
	types, ok := d.exists(wild)
	if !ok {
		return "", "", fmt.Errorf("%s does not exist, nor does the wildcard %s, yet the answer is not NXDOMAIN", qname, wild)
	}
	if hasType(types, qtype) || (hasType(types, dns.TypeCNAME) && qtype != dns.TypeCNAME) {
		return "", "", fmt.Errorf("the %s record says the wildcard %s has %s", d.kind(), wild, TypeName(qtype))
	}
	if optOut {
		return Insecure, optOutReason, nil
	}
	return Secure, "", nil
}

// MaxNSEC3Iterations is the most NSEC3 iterations the validator hashes; a
// zone that uses more is treated as unsigned (RFC 9276 3.2).
const MaxNSEC3Iterations = 100

// maxDenialRecords bounds the NSEC and NSEC3 records of one answer that are
// checked (a proof needs at most three).
const maxDenialRecords = 16

// hashName is dns.HashName, a variable so that a test can count the work.
var hashName = dns.HashName

// denial holds the NSEC or NSEC3 records of one answer, each checked to be
// signed by zone's keys and to lie inside zone.
type denial struct {
	zone       string
	nsec       []*dns.NSEC
	nsec3      []*dns.NSEC3
	iterations int
	salt       string
	costly     bool              // more NSEC3 iterations than MaxNSEC3Iterations
	hashes     map[string]string // name -> NSEC3 hash
}

func (v *Validator) denialFrom(resp *dns.Msg, keys []*dns.DNSKEY, zone string) (*denial, error) {
	d := &denial{zone: zone, hashes: map[string]string{}}
	sets := map[string][]dns.RR{}
	sigs := map[string][]*dns.RRSIG{}
	count := 0
	for _, rr := range resp.Ns {
		h := rr.Header()
		owner := dns.CanonicalName(h.Name)
		switch t := rr.(type) {
		case *dns.RRSIG:
			if t.TypeCovered == dns.TypeNSEC || t.TypeCovered == dns.TypeNSEC3 {
				k := owner + "/" + TypeName(t.TypeCovered)
				sigs[k] = append(sigs[k], t)
			}
			continue
		case *dns.NSEC, *dns.NSEC3:
		default:
			continue
		}
		if count++; count > maxDenialRecords {
			return nil, fmt.Errorf("more than %d NSEC/NSEC3 records", maxDenialRecords)
		}
		// RRSIG.Verify tests the owner against the signer with a plain
		// string suffix: the owner must be inside the zone, label-wise.
		if !dns.IsSubDomain(zone, owner) {
			return nil, fmt.Errorf("the %s record %s is not inside %s", TypeName(h.Rrtype), owner, zone)
		}
		switch t := rr.(type) {
		case *dns.NSEC:
			d.nsec = append(d.nsec, t)
		case *dns.NSEC3:
			// The hash is the one label above the zone's apex (RFC 5155 3).
			if dns.CountLabel(owner) != dns.CountLabel(zone)+1 {
				return nil, fmt.Errorf("the NSEC3 record %s is not one label below %s", owner, zone)
			}
			// RFC 5155 8.1-8.2: unknown hash algorithms and flags are ignored.
			if t.Hash != dns.SHA1 || t.Flags > 1 {
				continue
			}
			if len(d.nsec3) > 0 && (int(t.Iterations) != d.iterations || !strings.EqualFold(t.Salt, d.salt)) {
				return nil, fmt.Errorf("NSEC3 records with different parameters")
			}
			d.iterations, d.salt = int(t.Iterations), t.Salt
			d.nsec3 = append(d.nsec3, t)
		}
		k := owner + "/" + TypeName(h.Rrtype)
		sets[k] = append(sets[k], rr)
	}
	if len(d.nsec) == 0 && len(d.nsec3) == 0 {
		return nil, fmt.Errorf("no NSEC or NSEC3 records")
	}
	for k, set := range sets {
		if _, err := v.verifySet(set, sigs[k], keys); err != nil {
			return nil, fmt.Errorf("%s: %v", k, err)
		}
	}
	if len(d.nsec3) > 0 {
		d.nsec = nil // one kind of proof: NSEC3 when the zone has it
		// RFC 9276 3.2: checked after the signatures, so that the count is
		// the zone's, and before any hashing.
		d.costly = d.iterations > MaxNSEC3Iterations
	}
	return d, nil
}

func (d *denial) kind() string {
	if len(d.nsec3) > 0 {
		return "NSEC3"
	}
	return "NSEC"
}

// delegationOrDNAME tells whether a bitmap is that of a zone cut seen from
// the parent (NS without SOA) or of a DNAME: names below such an owner are
// not in this zone, so its records prove nothing about them (RFC 6840 4.1,
// RFC 5155 8.3).
func delegationOrDNAME(types []uint16) bool {
	return (hasType(types, dns.TypeNS) && !hasType(types, dns.TypeSOA)) || hasType(types, dns.TypeDNAME)
}

// exists returns the type bitmap of name when the records prove that name
// exists: an NSEC or NSEC3 record of its own, or, for an empty
// non-terminal, the NSEC record whose next name lies below it (RFC 4035
// 3.1.3.2).
func (d *denial) exists(name string) ([]uint16, bool) {
	if len(d.nsec3) > 0 {
		if n := d.nsec3At(name); n != nil {
			return n.TypeBitMap, true
		}
		return nil, false
	}
	for _, n := range d.nsec {
		if dns.CanonicalName(n.Header().Name) == name {
			return n.TypeBitMap, true
		}
	}
	if n := d.nsecCover(name); n != nil {
		if next := dns.CanonicalName(n.NextDomain); next != name && dns.IsSubDomain(name, next) {
			return nil, true
		}
	}
	return nil, false
}

// absent checks the proof that name does not exist and returns its closest
// encloser, and whether the covering NSEC3 is an opt-out one (RFC 4035
// 5.4, RFC 5155 8.3).
func (d *denial) absent(name string) (ce string, optOut bool, err error) {
	if _, ok := d.exists(name); ok {
		return "", false, fmt.Errorf("the %s records say %s exists", d.kind(), name)
	}
	if len(d.nsec3) == 0 {
		n := d.nsecCover(name)
		if n == nil {
			return "", false, fmt.Errorf("no NSEC record covers %s", name)
		}
		return d.closestEncloser(name, n), false, nil
	}
	// RFC 5155 8.3: the closest encloser has an NSEC3 record that is not a
	// delegation or DNAME, and the next closer name is covered.
	labels := dns.SplitDomainName(name)
	for i := 1; len(labels)-i >= dns.CountLabel(d.zone); i++ {
		ce := dns.Fqdn(strings.Join(labels[i:], "."))
		n := d.nsec3At(ce)
		if n == nil {
			continue
		}
		if delegationOrDNAME(n.TypeBitMap) {
			return "", false, fmt.Errorf("the closest encloser %s is a delegation or DNAME: %s records there prove nothing below it (RFC 6840 4.1)", ce, d.kind())
		}
		nc := dns.Fqdn(strings.Join(labels[i-1:], "."))
		c := d.nsec3Cover(nc)
		if c == nil {
			return "", false, fmt.Errorf("no NSEC3 record covers the next closer name %s", nc)
		}
		return ce, c.Flags&1 == 1, nil
	}
	return "", false, fmt.Errorf("no closest encloser proof for %s", name)
}

// cover is the NSEC or NSEC3 record that proves name does not exist.
func (d *denial) cover(name string) dns.RR {
	if len(d.nsec3) > 0 {
		if n := d.nsec3Cover(name); n != nil {
			return n
		}
		return nil
	}
	if n := d.nsecCover(name); n != nil {
		return n
	}
	return nil
}

// nsecCover is the NSEC record whose span strictly holds name, inside the
// zone; the record of a delegation or DNAME does not cover the names below
// its owner (RFC 6840 4.1).
func (d *denial) nsecCover(name string) *dns.NSEC {
	if !dns.IsSubDomain(d.zone, name) {
		return nil
	}
	for _, n := range d.nsec {
		owner := dns.CanonicalName(n.Header().Name)
		if owner != name && dns.IsSubDomain(owner, name) && delegationOrDNAME(n.TypeBitMap) {
			continue
		}
		if nsecCovers(n, name) {
			return n
		}
	}
	return nil
}

// closestEncloser is the longest ancestor of name that the covering NSEC's
// owner and next name show to exist, at least the zone's apex.
func (d *denial) closestEncloser(name string, n *dns.NSEC) string {
	ce := closestEncloser(name, dns.CanonicalName(n.Header().Name), dns.CanonicalName(n.NextDomain))
	if !dns.IsSubDomain(d.zone, ce) {
		ce = d.zone
	}
	return ce
}

func (d *denial) hash(name string) string {
	if h, ok := d.hashes[name]; ok {
		return h
	}
	h := strings.ToUpper(hashName(name, dns.SHA1, uint16(d.iterations), d.salt))
	d.hashes[name] = h
	return h
}

// nsec3At is the NSEC3 record whose owner is name's hash.
func (d *denial) nsec3At(name string) *dns.NSEC3 {
	return d.nsec3Find(name, func(owner, _, h string) bool { return strings.ToUpper(owner) == h })
}

// nsec3Cover is the NSEC3 record whose span strictly holds name's hash.
func (d *denial) nsec3Cover(name string) *dns.NSEC3 {
	return d.nsec3Find(name, nsec3Covers)
}

// nsec3Find is the first NSEC3 record of the zone for which match(owner
// hash, next hash, name's hash) holds; none for a name outside the zone.
func (d *denial) nsec3Find(name string, match func(owner, next, h string) bool) *dns.NSEC3 {
	if !dns.IsSubDomain(d.zone, name) {
		return nil
	}
	h := d.hash(name)
	if h == "" {
		return nil
	}
	for _, n := range d.nsec3 {
		if match(firstLabelOf(n.Header().Name), n.NextDomain, h) {
			return n
		}
	}
	return nil
}

// nsec3Covers tells whether hash lies strictly between an NSEC3 record's
// owner hash and its next hash, in base32hex order, the last record of the
// chain wrapping around to the first (RFC 5155 1.3 "covers"). The owner's
// own hash is not covered: that name exists (miekg/dns's NSEC3.Cover counts
// it as covered, which is why it is not used here). A chain of one record
// (owner equal to next) covers every other hash.
func nsec3Covers(owner, next, hash string) bool {
	owner, next, hash = strings.ToUpper(owner), strings.ToUpper(next), strings.ToUpper(hash)
	if hash == "" || hash == owner {
		return false
	}
	if owner < next {
		return owner < hash && hash < next
	}
	return hash > owner || hash < next
}

func firstLabelOf(name string) string {
	if i, _ := dns.NextLabel(name, 0); i > 0 {
		return name[:i-1]
	}
	return name
}

// parentName is name without its first label.
func parentName(name string) string {
	i, end := dns.NextLabel(name, 0)
	if end {
		return "."
	}
	return name[i:]
}

// lastLabels is the name made of the last n labels of name.
func lastLabels(name string, n int) string {
	labels := dns.SplitDomainName(name)
	if n <= 0 {
		return "."
	}
	if n > len(labels) {
		n = len(labels)
	}
	return dns.Fqdn(strings.Join(labels[len(labels)-n:], "."))
}

func wildcardOf(ce string) string {
	if ce == "." {
		return "*."
	}
	return "*." + ce
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

func hasType(bitmap []uint16, t uint16) bool {
	for _, b := range bitmap {
		if b == t {
			return true
		}
	}
	return false
}

// splitSigs returns the records of name/qtype in rrs, without duplicates
// (an RRset is a set, RFC 2181 5), and the RRSIGs over them.
func splitSigs(rrs []dns.RR, name string, qtype uint16) ([]dns.RR, []*dns.RRSIG) {
	var set []dns.RR
	var sigs []*dns.RRSIG
	seen := map[string]bool{}
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
			// The data as text: the owner, type and class are the same.
			data := strings.TrimPrefix(rr.String(), rr.Header().String())
			if seen[data] {
				continue
			}
			seen[data] = true
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
