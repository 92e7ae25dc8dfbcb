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
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/miekg/dns"
	"github.com/sealtrace/sealtrace/resolver"
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
	if _, ok := dns.IsDomainName(s.s + "._domainkey." + s.d); !ok {
		return s, permErr("RFC 6376 3.5", "d=%s s=%s do not form a domain name", s.d, s.s)
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

// fetchKey looks the key up at s._domainkey.d and parses it. The evidence is
// returned even on error.
func fetchKey(ctx context.Context, rec *resolver.Recorder, sel, domain string) (*publicKey, resolver.Evidence, *sigError) {
	name := sel + "._domainkey." + domain
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

// signedHeaders builds the header part of the signed data (RFC 6376 5.4.2):
// for each name in h=, the next unused instance from the bottom, then the
// signature field itself with b= emptied and no final CRLF.
func signedHeaders(m *Message, s *signature, relaxed bool) []byte {
	var buf bytes.Buffer
	used := map[int]bool{}
	for _, name := range s.h {
		for i := len(m.Fields) - 1; i >= 0; i-- {
			if used[i] || !strings.EqualFold(m.Fields[i].Name, name) {
				continue
			}
			used[i] = true
			buf.Write(canonHeader(m.Fields[i].Raw, relaxed))
			break
		}
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
// length, as several signatures usually share them.
type bodyHashes struct {
	body []byte
	mu   sync.Mutex
	sums map[bodyKey]bodySum
}

type bodyKey struct {
	relaxed bool
	hash    string
	l       int64
}

type bodySum struct {
	sum   []byte
	total int64
}

func newBodyHashes(body []byte) *bodyHashes {
	return &bodyHashes{body: body, sums: map[bodyKey]bodySum{}}
}

var errLTooLong = errors.New("l= is longer than the body")

// sum returns the hash of the canonical body, cut at l when l >= 0, and the
// canonical length.
func (bh *bodyHashes) sum(relaxed bool, hashName string, l int64) ([]byte, int64, error) {
	k := bodyKey{relaxed, hashName, l}
	bh.mu.Lock()
	s, ok := bh.sums[k]
	bh.mu.Unlock()
	if !ok {
		h := newHash(hashName)
		var w io.Writer = h
		if l >= 0 {
			w = &limitWriter{w: h, n: l}
		}
		s.total = writeCanonBody(w, bh.body, relaxed)
		s.sum = h.Sum(nil)
		bh.mu.Lock()
		bh.sums[k] = s
		bh.mu.Unlock()
	}
	if l > s.total {
		return nil, s.total, errLTooLong
	}
	return s.sum, s.total, nil
}
