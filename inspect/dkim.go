package inspect

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sealtrace/sealtrace/resolver"
	"github.com/sealtrace/sealtrace/trace"
)

// Limits on the DKIM work one message can cause (issue 9; go-msgauth's
// VerifyOptions.MaxVerifications and mailauth cap it the same way).
const (
	// DefaultMaxDKIMSignatures is how many DKIM-Signature fields are
	// evaluated per message, top first, when Options.MaxDKIMSignatures is 0.
	// Real mail carries one to three; the rest are reported as not evaluated.
	DefaultMaxDKIMSignatures = 10
	// MaxKeyLookups is how many DKIM signatures are verified (each waiting
	// on its key lookup) at the same time.
	MaxKeyLookups = 4
)

// verifyDKIM verifies the first limit DKIM-Signature fields, in header
// order, at most MaxKeyLookups at a time, and reports the others as not
// evaluated. limit <= 0 means DefaultMaxDKIMSignatures.
func verifyDKIM(ctx context.Context, m *Message, bodies *bodyHashes, rec *resolver.Recorder, now time.Time, limit int) []DKIMResult {
	if limit <= 0 {
		limit = DefaultMaxDKIMSignatures
	}
	fields := m.All("DKIM-Signature")
	out := make([]DKIMResult, len(fields))
	for i := limit; i < len(fields); i++ {
		out[i] = notEvaluated(fields[i], len(fields), limit)
	}
	fields = fields[:min(limit, len(fields))]
	ix := indexFields(m)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(MaxKeyLookups, len(fields)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = verifyOneDKIM(ctx, ix, fields[i], bodies, rec, now)
			}
		}()
	}
	for i := range fields {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// notEvaluated is the result of a signature past the limit: who signed, as
// far as the field says, and why it was not checked. RFC 8601 2.7.1 calls a
// signature that was "not otherwise able to be processed" neutral.
func notEvaluated(f Field, n, limit int) DKIMResult {
	s, _ := parseSigCommon(f, true)
	return DKIMResult{Domain: s.d, Selector: s.s, Algorithm: s.algo, Result: Neutral,
		Reason: fmt.Sprintf("not evaluated: the message has %d DKIM signatures, and Sealtrace evaluates only the first %d", n, limit),
		Steps: []Step{{Check: "dkim", Result: Neutral, RFC: "RFC 6376 6.1", Detail: strings.TrimSpace(clipS(f.Value())),
			What: fmt.Sprintf("Not evaluated: the message has %d DKIM-Signature fields, and only the first %d (from the top) are evaluated, so that a message cannot make Sealtrace do unbounded work. Verifiers limit this too (RFC 6376 6.1 lets them).", n, limit)}}}
}

func verifyOneDKIM(ctx context.Context, ix *fieldIndex, f Field, bodies *bodyHashes, rec *resolver.Recorder, now time.Time) DKIMResult {
	r := DKIMResult{Steps: []Step{}}
	step := func(what, result, detail, rfc string) {
		r.Steps = append(r.Steps, Step{Check: "dkim", What: what, Result: result, Detail: detail, RFC: rfc})
	}
	finish := func(e *sigError) DKIMResult {
		r.Result, r.Reason, r.Code = e.result, e.reason, e.code
		step("The signature cannot be accepted: "+e.reason+".", e.result, "", e.rfc)
		return r
	}

	s, perr := parseSigCommon(f, true)
	r.Domain, r.Selector, r.Algorithm = s.d, s.s, s.algo
	if perr == nil {
		perr = checkDKIMTags(s)
	}
	if s.tags != nil {
		r.Identifier = s.i
		r.Canon = s.canon
		r.SignedHeaders = s.h
	}
	if perr != nil {
		step("Read the DKIM-Signature header field.", PermError, strings.TrimSpace(f.Value()), "RFC 6376 3.5")
		return finish(perr)
	}
	step(fmt.Sprintf("Read the DKIM-Signature: the domain %s signed it with selector %s, algorithm %s, canonicalization %s.", s.d, s.s, s.algo, s.canon),
		Pass, "signed header fields: "+strings.Join(s.h, ", "), "RFC 6376 3.5")

	if s.x >= 0 {
		exp := time.Unix(s.x, 0).UTC()
		if now.After(exp) {
			// An expired signature is not evaluated at all (RFC 6376 6.1.1:
			// the verifier ignores it), which RFC 8601 2.7.1 calls permerror,
			// as dkimpy and OpenDKIM do; "fail" would claim a broken
			// signature, which nobody checked.
			step("Checked the expiry time x=: the signature expired "+exp.Format(time.RFC3339)+", so it is not evaluated.", PermError,
				"evaluated at "+now.UTC().Format(time.RFC3339), "RFC 6376 6.1.1")
			r.Result, r.Reason = PermError, "signature expired at "+exp.Format(time.RFC3339)
			return r
		}
		step("Checked the expiry time x=: the signature is valid until "+exp.Format(time.RFC3339)+".", Pass, "", "RFC 6376 3.5")
	}
	if s.t >= 0 {
		signed := time.Unix(s.t, 0).UTC()
		if signed.After(now.Add(5 * time.Minute)) {
			step("The signing time t= lies in the future ("+signed.Format(time.RFC3339)+"): the signer's clock is wrong, or the evaluation time is earlier than delivery.",
				Neutral, "evaluated at "+now.UTC().Format(time.RFC3339), "RFC 6376 3.5")
		}
	}

	key, ev, kerr := fetchKey(ctx, rec, s)
	keyName := s.s + "._domainkey." + s.d
	if kerr != nil {
		step("Fetched the public key from DNS at "+keyName+".", kerr.result, evidenceLine(ev), "RFC 6376 3.6.2")
		return finish(kerr)
	}
	// Finding the key is not the verdict: an ok step, no result word.
	r.Steps = append(r.Steps, Step{Check: "dkim", What: fmt.Sprintf("Fetched the public key from DNS at %s (%s, %d bits).", keyName, key.keyType, key.bits),
		Kind: trace.KindOK, Detail: evidenceLine(ev), RFC: "RFC 6376 3.6.2"})
	r.KeyBits, r.Testing = key.bits, key.testing
	if kerr := checkKey(s, key); kerr != nil {
		return finish(kerr)
	}
	if key.strict && s.i != "" && !strings.EqualFold(domainOf(s.i), s.d) {
		return finish(permErr("RFC 6376 3.6.1", "the key has t=s, so i= must be in exactly %s, but it is %s", s.d, s.i))
	}
	if key.testing {
		step("The key record says t=y: the domain is testing DKIM, and receivers must not treat the message differently because of this signature.", Neutral, key.record, "RFC 6376 3.6.1")
	}

	if bodies.headersOnly {
		// Pasted headers, a header block from a ticket: the body is not
		// here, so its hash cannot be checked and a mismatch would say
		// nothing. Only the signature over the header fields is checked.
		step("The message has headers only, so the body hash bh= could not be checked.", Neutral, "", "RFC 6376 3.7")
		if !headerSignatureHolds(step, &r, ix, s, key) {
			return r
		}
		step("With the whole message the signature could pass or fail: only its header part was checked.", Neutral, "", "RFC 6376 3.7")
		r.Result, r.Reason = Neutral, "headers only: the body hash was not checked; the header signature holds"
		return r
	}
	sum, total, berr := bodies.sum(s.bRelaxed, s.hashName, s.l)
	if berr != nil {
		// The body is shorter than the signer hashed, so it changed: the
		// signature is invalid (RFC 6376 3.5, l=), a fail as dkimpy and
		// OpenDKIM report it, not a malformed signature.
		return finish(&sigError{result: Fail, reason: fmt.Sprintf("l=%d is longer than the %d-byte canonical body (the body was cut after signing)", s.l, total), rfc: "RFC 6376 3.5"})
	}
	bodyCanon := canonSimple
	if s.bRelaxed {
		bodyCanon = canonRelaxed
	}
	detail := fmt.Sprintf("computed bh=%s\nstated   bh=%s", base64.StdEncoding.EncodeToString(sum), base64.StdEncoding.EncodeToString(s.bh))
	if s.l >= 0 {
		r.BodyLength, r.UnsignedBytes = s.l, total-s.l
		detail += fmt.Sprintf("\nl=%d covers %d of %d canonical body bytes", s.l, s.l, total)
	}
	if !bytes.Equal(sum, s.bh) {
		step("Hashed the body ("+bodyCanon+" canonicalization) and compared it with the body hash bh= in the signature: they differ.", Fail, detail, "RFC 6376 3.7")
		r.Result, r.Reason, r.Code = Fail, "body hash mismatch (body changed after signing)", CodeBodyHashMismatch
		// Tell a trainee whether only the body changed: the header signature
		// does not depend on the body, only on bh= as stated.
		data := signedHeaders(ix, s, s.hRelaxed)
		if verifyData(s, key, data) {
			step("The signature over the header fields still matches: the headers are as signed, only the body changed (a footer, a rewritten link, a different encoding).", Neutral, string(data), "RFC 6376 3.7")
		} else {
			step("The signature over the header fields does not match either: headers changed too.", Fail, string(data), "RFC 6376 3.7")
		}
		return r
	}
	step("Hashed the body ("+bodyCanon+" canonicalization) and compared it with the body hash bh= in the signature: they match, so the body is as signed.", Pass, detail, "RFC 6376 3.7")
	if s.l >= 0 && total > s.l {
		step(fmt.Sprintf("The signature covers only the first %d bytes of the body (l=); %d bytes after them are not signed and could have been added by anyone.", s.l, total-s.l),
			Neutral, "", "RFC 6376 8.2")
	}

	if !headerSignatureHolds(step, &r, ix, s, key) {
		return r
	}
	if s.hashName == "sha1" {
		r.Result, r.Reason = Policy, "rsa-sha1 signatures are no longer accepted (the signature itself is intact)"
		step("The signature uses rsa-sha1, which verifiers must not accept any more.", Policy, "", "RFC 8301 3.1")
		return r
	}
	r.Result = Pass
	if s.l >= 0 && total > s.l {
		r.Reason = fmt.Sprintf("risky: l= leaves %d body bytes unsigned", total-s.l)
	}
	return r
}

// checkDKIMTags checks what only DKIM-Signature has: v=1, i= within d=,
// From among the signed fields (RFC 6376 3.5, 5.4).
func checkDKIMTags(s *signature) *sigError {
	if v := s.tags.value("v"); v != "1" {
		return permErr("RFC 6376 3.5", "the version v=%s is not 1", v)
	}
	s.i = s.tags.value("i")
	if s.i == "" {
		s.i = "@" + s.d
	} else if id := strings.ToLower(domainOf(s.i)); id != s.d && !strings.HasSuffix(id, "."+s.d) {
		return permErr("RFC 6376 3.5", "the identity i=%s is not within the signing domain d=%s", s.i, s.d)
	}
	from := false
	for _, h := range s.h {
		from = from || strings.EqualFold(h, "From")
	}
	if !from {
		return permErr("RFC 6376 5.4", "h= does not include From, so the signature does not protect the author")
	}
	return nil
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return addr
}

// evidenceLine renders one DNS answer for a step's detail.
func evidenceLine(ev resolver.Evidence) string {
	s := fmt.Sprintf("%s %s → %s", strings.TrimSuffix(ev.Name, "."), ev.Type, ev.Rcode)
	if ev.Error != "" {
		// No rcode came: say what happened instead (a timeout and an
		// unreachable server are different problems for the reader).
		s = fmt.Sprintf("%s %s → %s", strings.TrimSuffix(ev.Name, "."), ev.Type, resolver.OutcomeWords(ev.Outcome))
		s += " (" + ev.Error + ")"
	}
	for _, a := range ev.Answers {
		s += "\n  " + a
	}
	if ev.Authenticated {
		s += "\n  (DNSSEC-authenticated)"
	}
	return s
}

// headerSignatureHolds checks the signature b= over the signed header
// fields with the public key (RFC 6376 3.7) and records the step; on a
// mismatch it makes r a fail.
func headerSignatureHolds(step func(what, result, detail, rfc string), r *DKIMResult, ix *fieldIndex, s *signature, key *publicKey) bool {
	data := signedHeaders(ix, s, s.hRelaxed)
	if !verifyData(s, key, data) {
		step("Checked the signature b= over the signed header fields with the public key: it does not match.", Fail, string(data), "RFC 6376 3.7")
		r.Result, r.Reason, r.Code = Fail, "signature mismatch (a signed header changed)", CodeSignatureMismatch
		return false
	}
	step("Checked the signature b= over the signed header fields with the public key: it matches.", Pass, string(data), "RFC 6376 3.7")
	return true
}
