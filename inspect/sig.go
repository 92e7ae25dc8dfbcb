package inspect

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/miekg/dns"
	"github.com/sealtrace/sealtrace/resolver"
	"golang.org/x/net/idna"
)

// signature is a parsed DKIM-Signature, ARC-Message-Signature or ARC-Seal:
// the three share the tag syntax, the key records and the crypto.
type signature struct {
	field    Field
	tags     *tagList
	algo     string // a= as written, lower case
	keyType  string // rsa, ed25519
	hashName string // sha1, sha256
	d, s, i  string
	keyName  string // s._domainkey.d in A-labels, the name the key is looked up at
	hRelaxed bool
	bRelaxed bool
	canon    string
	h        []string
	bh, b    []byte
	l        int64 // -1 when absent
	t, x     int64 // -1 when absent
}

// sigError is a signature problem with its RFC 8601 result word.
type sigError struct {
	result string
	reason string
	rfc    string
	code   Code
}

func (e *sigError) Error() string { return e.reason }

func permErr(rfc, format string, a ...any) *sigError {
	return &sigError{result: PermError, reason: fmt.Sprintf(format, a...), rfc: rfc}
}

// parseSigCommon reads the tags every signature kind has: a=, b=, d=, s=,
// and for message signatures bh=, c=, h=, l=, t=, x=.
func parseSigCommon(f Field, messageSig bool) (*signature, *sigError) {
	tags, err := parseTags(f.Value(), false)
	if err != nil {
		return &signature{field: f, l: -1, t: -1, x: -1}, permErr("RFC 6376 3.2", "the %s field is malformed: %v", f.Name, err)
	}
	s := &signature{field: f, tags: tags, l: -1, t: -1, x: -1}
	s.d = strings.ToLower(tags.value("d"))
	s.s = tags.value("s")
	s.algo = strings.ToLower(tags.value("a"))
	for _, req := range []string{"a", "b", "d", "s"} {
		if _, ok := tags.get(req); !ok {
			return s, permErr("RFC 6376 6.1.1", "the %s field has no %s= tag", f.Name, req)
		}
	}
	if messageSig {
		for _, req := range []string{"bh", "h"} {
			if _, ok := tags.get(req); !ok {
				return s, permErr("RFC 6376 6.1.1", "the %s field has no %s= tag", f.Name, req)
			}
		}
	}
	switch s.algo {
	case "rsa-sha256":
		s.keyType, s.hashName = "rsa", "sha256"
	case "rsa-sha1":
		s.keyType, s.hashName = "rsa", "sha1"
	case "ed25519-sha256":
		s.keyType, s.hashName = "ed25519", "sha256"
	default:
		return s, permErr("RFC 6376 3.3", "the signing algorithm a=%s is not one Sealtrace knows (rsa-sha256, ed25519-sha256, rsa-sha1)", s.algo)
	}
	var derr error
	if s.b, derr = decodeB64(tags.value("b")); derr != nil || len(s.b) == 0 {
		return s, permErr("RFC 6376 3.5", "the signature b= is not valid base64")
	}
	if s.d == "" || s.s == "" {
		return s, permErr("RFC 6376 3.5", "d= or s= is empty")
	}
	// Checked here, before any lookup: a d= or s= is hostile text, and only
	// a name made of DNS labels may become a question (issue 9).
	ad, ok := dnsLabels(s.d)
	if !ok {
		return s, permErr("RFC 6376 3.5", "d=%q is not a valid domain name", clipS(s.d))
	}
	as, ok := dnsLabels(s.s)
	if !ok {
		return s, permErr("RFC 6376 3.5", "s=%q is not a valid selector", clipS(s.s))
	}
	if s.keyName = as + "._domainkey." + ad; len(s.keyName) > 253 {
		return s, permErr("RFC 6376 3.5", "s=%s and d=%s make a name longer than DNS allows (253 bytes), not a valid domain name", clipS(s.s), clipS(s.d))
	}
	if v, ok := tags.get("t"); ok {
		if s.t, derr = strconv.ParseInt(stripWSP(v), 10, 64); derr != nil || s.t < 0 {
			return s, permErr("RFC 6376 3.5", "t=%s is not a time stamp", v)
		}
	}
	if !messageSig {
		return s, nil
	}
	if s.bh, derr = decodeB64(tags.value("bh")); derr != nil || len(s.bh) == 0 {
		return s, permErr("RFC 6376 3.5", "the body hash bh= is not valid base64")
	}
	s.canon = "simple/simple"
	if c, ok := tags.get("c"); ok {
		hc, bc, _ := strings.Cut(strings.ToLower(stripWSP(c)), "/")
		if bc == "" {
			bc = canonSimple
		}
		if (hc != canonSimple && hc != canonRelaxed) || (bc != canonSimple && bc != canonRelaxed) {
			return s, permErr("RFC 6376 3.5", "the canonicalization c=%s is not simple or relaxed", c)
		}
		s.hRelaxed, s.bRelaxed = hc == canonRelaxed, bc == canonRelaxed
		s.canon = hc + "/" + bc
	}
	for _, h := range strings.Split(tags.value("h"), ":") {
		if h = strings.Trim(h, " \t\r\n"); h != "" {
			s.h = append(s.h, h)
		}
	}
	if len(s.h) == 0 {
		return s, permErr("RFC 6376 3.5", "h= names no header field")
	}
	if v, ok := tags.get("l"); ok {
		if s.l, derr = strconv.ParseInt(stripWSP(v), 10, 64); derr != nil || s.l < 0 {
			return s, permErr("RFC 6376 3.5", "l=%s is not a length", v)
		}
	}
	if v, ok := tags.get("x"); ok {
		if s.x, derr = strconv.ParseInt(stripWSP(v), 10, 64); derr != nil || s.x < 0 {
			return s, permErr("RFC 6376 3.5", "x=%s is not a time stamp", v)
		}
	}
	return s, nil
}

// dnsLabels checks a d= or s= value and returns it in A-labels. RFC 6376
// 3.5 makes both dot-separated sub-domains of RFC 5321 4.1.2 (letters,
// digits, hyphens); underscores are accepted too, as DNS allows them (RFC
// 2181 11) and real selectors carry them. A label with non-ASCII letters
// is a U-label (RFC 8616 4), looked up as its A-label. Anything else (white
// space, brackets, slashes, backslash escapes, an empty label) is refused.
func dnsLabels(name string) (string, bool) {
	if name == "" {
		return "", false
	}
	labels := strings.Split(name, ".")
	for i, l := range labels {
		if !isLDH(l) {
			a, err := idna.Lookup.ToASCII(l)
			if err != nil || !isLDH(a) {
				return "", false
			}
			labels[i] = a
		}
		if len(labels[i]) == 0 || len(labels[i]) > 63 {
			return "", false
		}
	}
	return strings.ToLower(strings.Join(labels, ".")), true
}

func isLDH(l string) bool {
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !isAlpha(c) && !(c >= '0' && c <= '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// publicKey is a parsed key record (RFC 6376 3.6.1).
type publicKey struct {
	record  string
	keyType string
	hashes  []string // h=, empty means any
	rsa     *rsa.PublicKey
	ed      ed25519.PublicKey
	bits    int
	testing bool // t=y
	strict  bool // t=s
}

// fetchKey looks the key of s up at s._domainkey.d and parses it. The
// evidence is returned even on error.
func fetchKey(ctx context.Context, rec *resolver.Recorder, s *signature) (*publicKey, resolver.Evidence, *sigError) {
	name := s.keyName
	ans, ev, err := rec.QueryEvidence(ctx, name, dns.TypeTXT)
	if err != nil {
		return nil, ev, &sigError{result: TempError, reason: "the key could not be fetched: " + err.Error(), rfc: "RFC 6376 6.1.2"}
	}
	switch ans.Rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		e := permErr("RFC 6376 6.1.2", "no key: %s does not exist in DNS (removed or rotated?)", strings.TrimSuffix(ans.Name, "."))
		e.code = CodeNoKey
		return nil, ev, e
	default:
		return nil, ev, &sigError{result: TempError, reason: "the DNS server answered " + resolver.RcodeName(ans.Rcode) + " for the key", rfc: "RFC 6376 6.1.2"}
	}
	txts := ans.TXT()
	if len(txts) == 0 {
		e := permErr("RFC 6376 6.1.2", "no key: %s has no TXT record", strings.TrimSuffix(ans.Name, "."))
		e.code = CodeNoKey
		return nil, ev, e
	}
	if len(txts) > 1 {
		// RFC 6376 3.6.2.2 leaves this undefined; most verifiers take the
		// first valid one, and so do we.
		for _, t := range txts {
			if k, kerr := parseKey(t); kerr == nil {
				return k, ev, nil
			}
		}
	}
	k, kerr := parseKey(txts[0])
	return k, ev, kerr
}

func parseKey(rec string) (*publicKey, *sigError) {
	tags, err := parseTags(rec, true)
	if err != nil {
		return nil, permErr("RFC 6376 3.6.1", "the key record is malformed: %v", err)
	}
	k := &publicKey{record: rec, keyType: "rsa"}
	if v, ok := tags.get("v"); ok && (v != "DKIM1" || tags.names[0] != "v") {
		return nil, permErr("RFC 6376 3.6.1", "the key record's v=%s is not DKIM1 (or not the first tag)", v)
	}
	if v, ok := tags.get("k"); ok {
		k.keyType = strings.ToLower(v)
	}
	if v, ok := tags.get("h"); ok {
		for _, h := range strings.Split(stripWSP(v), ":") {
			k.hashes = append(k.hashes, strings.ToLower(h))
		}
	}
	if v, ok := tags.get("s"); ok {
		email := false
		for _, svc := range strings.Split(stripWSP(v), ":") {
			if svc == "*" || strings.EqualFold(svc, "email") {
				email = true
			}
		}
		if !email {
			return nil, permErr("RFC 6376 3.6.1", "the key record's s=%s does not allow use for email", v)
		}
	}
	if v, ok := tags.get("t"); ok {
		for _, fl := range strings.Split(stripWSP(v), ":") {
			k.testing = k.testing || fl == "y"
			k.strict = k.strict || fl == "s"
		}
	}
	p, ok := tags.get("p")
	if !ok {
		return nil, permErr("RFC 6376 3.6.1", "the key record has no p= tag")
	}
	if stripWSP(p) == "" {
		return nil, permErr("RFC 6376 3.6.1", "the key has been revoked (empty p=)")
	}
	der, err := decodeB64(p)
	if err != nil {
		return nil, permErr("RFC 6376 3.6.1", "the key p= is not valid base64")
	}
	switch k.keyType {
	case "rsa":
		pub, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			// Some publish a bare PKCS#1 RSAPublicKey.
			if rk, err2 := x509.ParsePKCS1PublicKey(der); err2 == nil {
				pub, err = rk, nil
			}
		}
		rk, isRSA := pub.(*rsa.PublicKey)
		if err != nil || !isRSA {
			return nil, permErr("RFC 6376 3.6.1", "the key p= is not an RSA public key")
		}
		k.rsa, k.bits = rk, rk.N.BitLen()
	case "ed25519":
		if len(der) != ed25519.PublicKeySize {
			return nil, permErr("RFC 8463 4", "the Ed25519 key p= has %d bytes, not 32", len(der))
		}
		k.ed, k.bits = ed25519.PublicKey(der), 256
	default:
		return nil, permErr("RFC 6376 3.6.1", "the key type k=%s is not one Sealtrace knows", k.keyType)
	}
	return k, nil
}

// checkKey matches a key to a signature (RFC 6376 6.1.2 steps 6-8, RFC 8301).
func checkKey(s *signature, k *publicKey) *sigError {
	if k.keyType != s.keyType {
		return permErr("RFC 6376 6.1.2", "the key is %s but the signature says a=%s", k.keyType, s.algo)
	}
	if len(k.hashes) > 0 {
		ok := false
		for _, h := range k.hashes {
			ok = ok || h == s.hashName
		}
		if !ok {
			return permErr("RFC 6376 3.6.1", "the key record's h=%s does not allow %s", strings.Join(k.hashes, ":"), s.hashName)
		}
	}
	if k.rsa != nil && k.bits < 1024 {
		return &sigError{result: PermError, reason: fmt.Sprintf("the RSA key has only %d bits; keys under 1024 bits are never valid", k.bits), rfc: "RFC 8301 3.2"}
	}
	return nil
}

func newHash(name string) hash.Hash {
	if name == "sha1" {
		return sha1.New()
	}
	return sha256.New()
}

func cryptoHash(name string) crypto.Hash {
	if name == "sha1" {
		return crypto.SHA1
	}
	return crypto.SHA256
}

// verifyData checks the signature b= over data with key k.
func verifyData(s *signature, k *publicKey, data []byte) bool {
	h := newHash(s.hashName)
	h.Write(data)
	sum := h.Sum(nil)
	switch {
	case k.rsa != nil:
		return rsa.VerifyPKCS1v15(k.rsa, cryptoHash(s.hashName), sum, s.b) == nil
	case k.ed != nil:
		return ed25519.Verify(k.ed, sum, s.b)
	}
	return false
}

// fieldIndex lists a message's header fields by lower-case name, built once
// per message and check, so that choosing the fields of an h= list costs
// one map lookup per name: h= may name 200,000 fields over 4,000 header
// fields, and a scan of the header per name would cost their product
// (issue 9).
type fieldIndex struct {
	m      *Message
	byName map[string][]int // positions in m.Fields, top first
}

func indexFields(m *Message) *fieldIndex {
	ix := &fieldIndex{m: m, byName: make(map[string][]int)}
	for i, f := range m.Fields {
		k := strings.ToLower(f.Name)
		ix.byName[k] = append(ix.byName[k], i)
	}
	return ix
}

// selectFields returns the positions of the fields that names select
// (RFC 6376 5.4.2): for each name, the next instance not yet used, counting
// from the bottom; a name with no instance left selects nothing (5.4: a
// nonexistent field is signed as the null string). probes counts the
// candidate fields examined, which a test holds to one per name.
func (ix *fieldIndex) selectFields(names []string) (pos []int, probes int) {
	used := map[string]int{}
	for _, name := range names {
		k := strings.ToLower(name)
		list := ix.byName[k]
		n := used[k]
		probes++
		if n < len(list) {
			pos = append(pos, list[len(list)-1-n])
			used[k] = n + 1
		}
	}
	return pos, probes
}

// signedHeaders builds the header part of the signed data (RFC 6376 5.4.2):
// the fields h= selects, then the signature field itself with b= emptied
// and no final CRLF.
func signedHeaders(ix *fieldIndex, s *signature, relaxed bool) []byte {
	var buf bytes.Buffer
	pos, _ := ix.selectFields(s.h)
	for _, i := range pos {
		buf.Write(canonHeader(ix.m.Fields[i].Raw, relaxed))
	}
	self := canonHeader(stripB(s.field.Raw), relaxed)
	buf.Write(bytes.TrimSuffix(self, []byte("\r\n")))
	return buf.Bytes()
}

// stripB returns the field with the value of its b= tag removed
// (RFC 6376 3.7), everything else byte for byte.
func stripB(raw []byte) []byte {
	end := len(raw)
	if bytes.HasSuffix(raw, []byte("\r\n")) {
		end -= 2
	}
	pos := bytes.IndexByte(raw, ':') + 1
	for pos <= end {
		segEnd := end
		if i := bytes.IndexByte(raw[pos:end], ';'); i >= 0 {
			segEnd = pos + i
		}
		seg := raw[pos:segEnd]
		if eq := bytes.IndexByte(seg, '='); eq >= 0 && string(bytes.Trim(seg[:eq], " \t\r\n")) == "b" {
			out := make([]byte, 0, len(raw))
			out = append(out, raw[:pos+eq+1]...)
			return append(out, raw[segEnd:]...)
		}
		pos = segEnd + 1
	}
	return raw
}

// bodyHashes computes body hashes once per canonicalization, hash and
// length, as several signatures usually share them. prepare computes all
// the lengths a message's signatures ask for in one pass over the body per
// canonicalization and hash, so that distinct l= values do not cost a pass
// each (issue 9: 300 signatures with distinct l= over 10 MB).
type bodyHashes struct {
	body        []byte
	headersOnly bool // the message has no body at all (pasted headers): body hashes are not checked
	mu          sync.Mutex
	sums        map[bodyKey]*bodySum
	passes      atomic.Int32 // canonicalization passes over the body, for tests
}

type bodyKey struct {
	relaxed bool
	hash    string
	l       int64
}

// bodySum is one body hash, ready when done is closed.
type bodySum struct {
	done  chan struct{}
	sum   []byte
	total int64
}

func newBodyHashes(body []byte) *bodyHashes {
	return &bodyHashes{body: body, sums: map[bodyKey]*bodySum{}}
}

var errLTooLong = errors.New("l= is longer than the body")

// sum returns the hash of the canonical body, cut at l when l >= 0, and the
// canonical length. It waits for a hash that prepare is computing.
func (bh *bodyHashes) sum(relaxed bool, hashName string, l int64) ([]byte, int64, error) {
	k := bodyKey{relaxed, hashName, l}
	bh.mu.Lock()
	s, ok := bh.sums[k]
	if !ok {
		s = &bodySum{done: make(chan struct{})}
		bh.sums[k] = s
	}
	bh.mu.Unlock()
	if !ok {
		bh.compute(relaxed, hashName, map[int64]*bodySum{l: s})
	}
	<-s.done
	if l > s.total {
		return nil, s.total, errLTooLong
	}
	return s.sum, s.total, nil
}

// prepare starts computing the hashes keys name, one pass per
// canonicalization and hash, in the background; sum waits for them.
func (bh *bodyHashes) prepare(keys []bodyKey) {
	type group struct {
		relaxed bool
		hash    string
	}
	groups := map[group]map[int64]*bodySum{}
	bh.mu.Lock()
	for _, k := range keys {
		if _, ok := bh.sums[k]; ok {
			continue
		}
		s := &bodySum{done: make(chan struct{})}
		bh.sums[k] = s
		g := group{k.relaxed, k.hash}
		if groups[g] == nil {
			groups[g] = map[int64]*bodySum{}
		}
		groups[g][k.l] = s
	}
	bh.mu.Unlock()
	for g, want := range groups {
		go bh.compute(g.relaxed, g.hash, want)
	}
}

// compute hashes the canonical body once and fills every sum of want (by
// l; -1 is the whole body).
func (bh *bodyHashes) compute(relaxed bool, hashName string, want map[int64]*bodySum) {
	bh.passes.Add(1)
	pw := &prefixWriter{h: newHash(hashName), sums: map[int64][]byte{}}
	for l := range want {
		if l >= 0 {
			pw.cuts = append(pw.cuts, l)
		}
	}
	slices.Sort(pw.cuts)
	total := writeCanonBody(pw, bh.body, relaxed)
	pw.finish()
	full := pw.h.Sum(nil)
	for l, s := range want {
		s.total = total
		if l < 0 {
			s.sum = full
		} else {
			s.sum = pw.sums[l] // nil when l > total
		}
		close(s.done)
	}
}

// prefixWriter hashes what is written and keeps the hash of the first l
// bytes for each l in cuts (ascending). A hash's Sum does not change its
// state, so the prefixes cost one pass.
type prefixWriter struct {
	h    hash.Hash
	n    int64
	cuts []int64
	sums map[int64][]byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	written := len(b)
	for len(p.cuts) > 0 && p.n+int64(len(b)) >= p.cuts[0] {
		k := p.cuts[0] - p.n
		p.h.Write(b[:k])
		p.n, b = p.n+k, b[k:]
		p.sums[p.cuts[0]] = p.h.Sum(nil)
		p.cuts = p.cuts[1:]
	}
	p.h.Write(b)
	p.n += int64(len(b))
	return written, nil
}

// finish records the cuts at the very end (an empty canonical body); cuts
// beyond it stay absent: l is longer than the body.
func (p *prefixWriter) finish() {
	for len(p.cuts) > 0 && p.cuts[0] == p.n {
		p.sums[p.cuts[0]] = p.h.Sum(nil)
		p.cuts = p.cuts[1:]
	}
}

// bodyKeys lists the body hashes a message's signatures will ask for: the
// DKIM signatures within limit and the ARC-Message-Signatures (at most
// maxARCInstances of them count, RFC 8617 4.2.1).
func bodyKeys(m *Message, limit int) []bodyKey {
	if limit <= 0 {
		limit = DefaultMaxDKIMSignatures
	}
	var keys []bodyKey
	dkim, ams := 0, 0
	for _, f := range m.Fields {
		switch strings.ToLower(f.Name) {
		case "dkim-signature":
			if dkim++; dkim > limit {
				continue
			}
		case "arc-message-signature":
			if ams++; ams > maxARCInstances {
				continue
			}
		default:
			continue
		}
		if s, err := parseSigCommon(f, true); err == nil {
			keys = append(keys, bodyKey{s.bRelaxed, s.hashName, s.l})
		}
	}
	return keys
}
