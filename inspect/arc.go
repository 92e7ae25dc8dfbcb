package inspect

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/sealtrace/sealtrace/resolver"
)

// ARC chain validation, RFC 8617 5.2.

const maxARCInstances = 50 // RFC 8617 4.2.1

type arcSet struct {
	instance     int
	aar, ams, as *Field
}

// validateARC validates the ARC chain of m. The result is always set.
func validateARC(ctx context.Context, m *Message, bodies *bodyHashes, rec *resolver.Recorder) ARCResult {
	r := ARCResult{Result: None, Steps: []Step{}}
	step := func(what, result, detail, rfc string) {
		r.Steps = append(r.Steps, Step{Check: "arc", What: what, Result: result, Detail: detail, RFC: rfc})
	}
	fail := func(reason, rfc string) ARCResult {
		r.Result, r.Reason = Fail, reason
		step("The ARC chain is broken: "+reason+".", Fail, "", rfc)
		return r
	}
	// A key that could not be fetched leaves the chain undecided: temperror
	// is not fail (issue 9).
	undecided := func(reason, rfc string) ARCResult {
		r.Result, r.Reason = TempError, reason
		step("The ARC chain could not be checked (temperror): "+reason+".", TempError, "", rfc)
		return r
	}

	sets, err := collectARCSets(m)
	if err != nil {
		// The chain is broken, but what each intermediary left is still
		// worth reading: list the instances found, as far as they go.
		r.Sets = listARCSets(sets)
		r.Instances = len(r.Sets)
		return fail(err.Error(), "RFC 8617 5.2")
	}
	if len(sets) == 0 {
		step("The message has no ARC header fields: no intermediary sealed it.", None, "", "RFC 8617 5.2")
		return r
	}
	n := len(sets)
	r.Instances = n
	for _, s := range sets {
		inst := ARCInstance{Instance: s.instance}
		id, claims := splitAAR(s.aar.Value())
		inst.AuthservID, inst.Claims = id, claims
		r.Sets = append(r.Sets, inst)
	}
	step(fmt.Sprintf("Found %d ARC set(s): each intermediary that handled the message added a seal (ARC-Seal), a signature over the message (ARC-Message-Signature) and what it checked (ARC-Authentication-Results).", n),
		Pass, "", "RFC 8617 4.1")

	// Parse the seals first: their cv= values decide a lot (5.2 steps 2-3).
	seals := make([]*signature, n)
	for i, s := range sets {
		sig, perr := parseSigCommon(*s.as, false)
		if perr == nil {
			perr = checkSealTags(sig, s.instance)
		}
		if sig.tags != nil {
			r.Sets[i].Domain, r.Sets[i].Selector, r.Sets[i].CV = sig.d, sig.s, strings.ToLower(sig.tags.value("cv"))
		}
		if perr != nil {
			r.Sets[i].SealResult = PermError
			return fail(fmt.Sprintf("the ARC-Seal of instance %d is malformed: %s", s.instance, perr.reason), perr.rfc)
		}
		seals[i] = sig
	}
	if r.Sets[n-1].CV == Fail {
		return fail(fmt.Sprintf("the last intermediary (instance %d) already found the chain broken (cv=fail)", n), "RFC 8617 5.2 step 2")
	}
	for i := range sets {
		want := Pass
		if i == 0 {
			want = None
		}
		if r.Sets[i].CV != want {
			return fail(fmt.Sprintf("instance %d says cv=%s where the chain requires cv=%s", i+1, r.Sets[i].CV, want), "RFC 8617 5.1.1")
		}
	}

	// The newest ARC-Message-Signature must verify (step 3); older ones tell
	// where the message was last intact (step 4, oldest-pass).
	ix := indexFields(m)
	for i := n - 1; i >= 0; i-- {
		res, reason, detail, signed := verifyAMS(ctx, ix, *sets[i].ams, sets[i].instance, bodies, rec)
		r.Sets[i].AMSResult, r.Sets[i].SignedHeaders = res, signed
		if res == Pass {
			step(fmt.Sprintf("Verified the ARC-Message-Signature of instance %d (%s): the message is as intermediary %d saw it.", i+1, r.Sets[i].Domain, i+1), Pass, detail, "RFC 8617 5.2 step 3")
			r.OldestPass = i + 1
			continue
		}
		if i == n-1 && res == TempError {
			return undecided(fmt.Sprintf("the newest ARC-Message-Signature (instance %d, %s) could not be verified: %s", i+1, r.Sets[i].Domain, reason), "RFC 8617 5.2 step 3")
		}
		if i == n-1 {
			r.Sets[i].SealResult = ""
			return fail(fmt.Sprintf("the newest ARC-Message-Signature (instance %d, %s) does not verify: %s", i+1, r.Sets[i].Domain, reason), "RFC 8617 5.2 step 3")
		}
		step(fmt.Sprintf("The ARC-Message-Signature of instance %d (%s) no longer verifies (%s): the message changed after intermediary %d.", i+1, r.Sets[i].Domain, reason, i+1),
			Neutral, detail, "RFC 8617 5.2 step 4")
		break
	}

	// Every seal must verify, newest first (step 5).
	for i := n - 1; i >= 0; i-- {
		res, reason, detail := verifySeal(ctx, m, sets[:i+1], seals[i], rec)
		r.Sets[i].SealResult = res
		if res == TempError {
			return undecided(fmt.Sprintf("the ARC-Seal of instance %d (%s) could not be verified: %s", i+1, r.Sets[i].Domain, reason), "RFC 8617 5.2 step 5")
		}
		if res != Pass {
			return fail(fmt.Sprintf("the ARC-Seal of instance %d (%s) does not verify: %s", i+1, r.Sets[i].Domain, reason), "RFC 8617 5.2 step 5")
		}
		step(fmt.Sprintf("Verified the ARC-Seal of instance %d (%s): the ARC sets up to it are as that intermediary sealed them.", i+1, r.Sets[i].Domain), Pass, detail, "RFC 8617 5.2 step 5")
	}
	r.Result = Pass
	for _, inst := range r.Sets {
		step(fmt.Sprintf("Intermediary %d (%s) recorded what it found when the message reached it: %s", inst.Instance, orUnknown(inst.AuthservID), orUnknown(inst.Claims)),
			Neutral, "", "RFC 8617 4.1.1")
	}
	step(fmt.Sprintf("The ARC chain of %d instance(s) is intact: what each intermediary recorded can be trusted as far as its sealer is trusted.", n), Pass, "", "RFC 8617 5.2 step 6")
	return r
}

// listARCSets describes the sets of a chain whose structure is broken:
// instance, sealer and cv= from the ARC-Seal, or the d= and s= of the
// ARC-Message-Signature when the seal is missing, and the AAR's authserv-id
// and results. Nothing is verified.
func listARCSets(sets []*arcSet) []ARCInstance {
	var out []ARCInstance
	for _, s := range sets {
		inst := ARCInstance{Instance: s.instance}
		if s.aar != nil {
			inst.AuthservID, inst.Claims = splitAAR(s.aar.Value())
		}
		if s.as != nil {
			if sig, _ := parseSigCommon(*s.as, false); sig.tags != nil {
				inst.Domain, inst.Selector, inst.CV = sig.d, sig.s, strings.ToLower(sig.tags.value("cv"))
			}
		} else if s.ams != nil {
			if sig, _ := parseSigCommon(*s.ams, true); sig.tags != nil {
				inst.Domain, inst.Selector = sig.d, sig.s
			}
		}
		out = append(out, inst)
	}
	return out
}

// collectARCSets groups the ARC fields by instance and checks the structure
// (RFC 8617 4.2.1, 5.2 step 1): one of each field per instance, instances
// 1..N without gaps, N at most 50. On a broken structure it returns the
// first problem and the sets it could still group, by instance (at most 50;
// a field with an unreadable i= or a second field of a kind is left out).
func collectARCSets(m *Message) ([]*arcSet, error) {
	byInst := map[int]*arcSet{}
	maxI := 0
	var first error
	found := func() []*arcSet {
		keys := make([]int, 0, len(byInst))
		for k := range byInst {
			keys = append(keys, k)
		}
		sort.Ints(keys)
		out := make([]*arcSet, 0, min(len(keys), maxARCInstances))
		for _, k := range keys[:min(len(keys), maxARCInstances)] {
			out = append(out, byInst[k])
		}
		return out
	}
	for i := range m.Fields {
		f := &m.Fields[i]
		var kind string
		switch strings.ToLower(f.Name) {
		case "arc-seal":
			kind = "ARC-Seal"
		case "arc-message-signature":
			kind = "ARC-Message-Signature"
		case "arc-authentication-results":
			kind = "ARC-Authentication-Results"
		default:
			continue
		}
		inst, err := arcInstance(f.Value(), kind == "ARC-Authentication-Results")
		if err != nil {
			if first == nil {
				first = fmt.Errorf("an %s field has %v", kind, err)
			}
			continue
		}
		s := byInst[inst]
		if s == nil {
			s = &arcSet{instance: inst}
			byInst[inst] = s
		}
		slot := map[string]**Field{"ARC-Seal": &s.as, "ARC-Message-Signature": &s.ams, "ARC-Authentication-Results": &s.aar}[kind]
		if *slot != nil {
			if first == nil {
				first = fmt.Errorf("instance %d has two %s fields", inst, kind)
			}
			continue
		}
		*slot = f
		maxI = max(maxI, inst)
	}
	if first != nil {
		return found(), first
	}
	if len(byInst) == 0 {
		return nil, nil
	}
	if maxI > maxARCInstances {
		return found(), fmt.Errorf("instance %d is above the limit of %d", maxI, maxARCInstances)
	}
	sets := make([]*arcSet, 0, maxI)
	for i := 1; i <= maxI; i++ {
		s := byInst[i]
		if s == nil {
			return found(), fmt.Errorf("instance %d is missing (instances must run 1 to %d)", i, maxI)
		}
		for _, k := range []struct {
			name string
			f    *Field
		}{{"ARC-Seal", s.as}, {"ARC-Message-Signature", s.ams}, {"ARC-Authentication-Results", s.aar}} {
			if k.f == nil {
				return found(), fmt.Errorf("instance %d has no %s field", i, k.name)
			}
		}
		sets = append(sets, s)
	}
	return sets, nil
}

// arcInstance reads i= from a field. In the AAR it must come first
// (RFC 8617 4.1.1); in AMS and AS it is a tag among the others.
func arcInstance(v string, aar bool) (int, error) {
	var raw string
	if aar {
		first, _, _ := strings.Cut(v, ";")
		name, val, ok := strings.Cut(first, "=")
		if !ok || strings.TrimSpace(name) != "i" {
			return 0, fmt.Errorf("no instance tag i= at its start")
		}
		raw = val
	} else {
		tags, err := parseTags(v, false)
		if err != nil {
			return 0, err
		}
		val, ok := tags.get("i")
		if !ok {
			return 0, fmt.Errorf("no instance tag i=")
		}
		raw = val
	}
	raw = stripWSP(raw)
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || raw[0] == '+' || raw[0] == '0' {
		return 0, fmt.Errorf("an invalid instance i=%s", raw)
	}
	return n, nil
}

// splitAAR returns the authserv-id and the results, as written, of an AAR
// value: "i=1; mx.microsoft.com 1; spf=none; …" is instance 1, authserv-id
// mx.microsoft.com, version 1 (RFC 8617 4.1.1 with RFC 8601 2.2), then the
// results. The ";" inside comments and quoted strings do not count.
func splitAAR(v string) (string, string) {
	f := readAuthres(v, true)
	parts := splitAuthres(v)
	skip := 0
	if f.Instance > 0 {
		skip++
	}
	if f.AuthservID != "" {
		for skip < len(parts) && strings.TrimSpace(parts[skip]) == "" {
			skip++
		}
		skip++
	}
	skip = min(skip, len(parts))
	return f.AuthservID, strings.Join(strings.Fields(strings.Join(parts[skip:], ";")), " ")
}

// checkSealTags checks what only ARC-Seal has (RFC 8617 4.1.3): cv= is
// none, pass or fail; no h= (the seal covers the ARC sets, not chosen fields).
func checkSealTags(s *signature, inst int) *sigError {
	cv, ok := s.tags.get("cv")
	if !ok {
		return permErr("RFC 8617 4.1.3", "no cv= tag")
	}
	switch strings.ToLower(cv) {
	case None, Pass, Fail:
	default:
		return permErr("RFC 8617 4.1.3", "cv=%s is not none, pass or fail", cv)
	}
	if _, ok := s.tags.get("h"); ok {
		return permErr("RFC 8617 4.1.3", "an ARC-Seal must not have an h= tag")
	}
	return nil
}

// verifyAMS verifies one ARC-Message-Signature like a DKIM signature
// (RFC 8617 4.1.2): same tags without v=, i= is the instance.
func verifyAMS(ctx context.Context, ix *fieldIndex, f Field, inst int, bodies *bodyHashes, rec *resolver.Recorder) (result, reason, detail string, signed []string) {
	s, perr := parseSigCommon(f, true)
	if perr != nil {
		return perr.result, perr.reason, "", nil
	}
	signed = s.h
	for _, h := range s.h {
		if strings.EqualFold(h, "ARC-Seal") {
			return PermError, "h= includes ARC-Seal, which an ARC-Message-Signature must not sign", "", signed
		}
	}
	key, ev, kerr := fetchKey(ctx, rec, s)
	detail = evidenceLine(ev)
	if kerr == nil {
		kerr = checkKey(s, key)
	}
	if kerr != nil {
		return kerr.result, kerr.reason, detail, signed
	}
	if s.hashName == "sha1" {
		return Fail, "rsa-sha1 is not accepted", detail, signed
	}
	sum, total, err := bodies.sum(s.bRelaxed, s.hashName, s.l)
	if err != nil {
		return PermError, fmt.Sprintf("l=%d is longer than the %d-byte body", s.l, total), detail, signed
	}
	if !bytes.Equal(sum, s.bh) {
		return Fail, "body hash mismatch (body changed after sealing)", detail, signed
	}
	if !verifyData(s, key, signedHeaders(ix, s, s.hRelaxed)) {
		return Fail, "signature mismatch (a signed header changed)", detail, signed
	}
	return Pass, "", detail, signed
}

// verifySeal verifies an ARC-Seal over the ARC sets up to its instance
// (RFC 8617 5.1.1): for each instance in order its AAR, AMS and AS, relaxed,
// the seal being verified last with b= emptied and no final CRLF.
func verifySeal(ctx context.Context, m *Message, sets []*arcSet, s *signature, rec *resolver.Recorder) (result, reason, detail string) {
	key, ev, kerr := fetchKey(ctx, rec, s)
	detail = evidenceLine(ev)
	if kerr == nil {
		kerr = checkKey(s, key)
	}
	if kerr != nil {
		return kerr.result, kerr.reason, detail
	}
	if s.hashName == "sha1" {
		return Fail, "rsa-sha1 is not accepted", detail
	}
	var buf bytes.Buffer
	for i, set := range sets {
		buf.Write(canonHeader(set.aar.Raw, true))
		buf.Write(canonHeader(set.ams.Raw, true))
		if i < len(sets)-1 {
			buf.Write(canonHeader(set.as.Raw, true))
		}
	}
	buf.Write(bytes.TrimSuffix(canonHeader(stripB(s.field.Raw), true), []byte("\r\n")))
	if !verifyData(s, key, buf.Bytes()) {
		return Fail, "signature mismatch (an ARC header field changed)", detail
	}
	return Pass, "", detail
}
