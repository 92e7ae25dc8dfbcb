package inspect

import (
	"context"
	"fmt"
	"strings"

	"github.com/miekg/dns"
	"github.com/sealtrace/sealtrace/resolver"
	"golang.org/x/net/publicsuffix"
)

// DMARC per RFC 9989: the record is found, and the organizational domain
// determined, by the DNS tree walk (4.10), not the public suffix list of
// RFC 7489; the latter is still computed and shown where it differs, since
// many receivers ran RFC 7489 until recently.

type dmarcRecord struct {
	raw      string
	p, sp    string
	np       string
	adkim    string // r or s
	aspf     string
	psd      string // y, n or empty
	testing  bool   // t=y
	location string // the domain the record was found at
}

func parseDMARC(txt string) (*dmarcRecord, error) {
	tags, err := parseTags(txt, true)
	if err != nil {
		return nil, err
	}
	if len(tags.names) == 0 || tags.names[0] != "v" || tags.value("v") != "DMARC1" {
		return nil, fmt.Errorf("v=DMARC1 is not its first tag")
	}
	r := &dmarcRecord{raw: txt, adkim: "r", aspf: "r"}
	pol := func(tag string) (string, error) {
		v := strings.ToLower(tags.value(tag))
		switch v {
		case "", "none", "quarantine", "reject":
			return v, nil
		}
		return "", fmt.Errorf("%s=%s is not none, quarantine or reject", tag, v)
	}
	if r.p, err = pol("p"); err != nil {
		return nil, err
	}
	if r.sp, err = pol("sp"); err != nil {
		return nil, err
	}
	if r.np, err = pol("np"); err != nil {
		return nil, err
	}
	for _, a := range []struct {
		tag string
		dst *string
	}{{"adkim", &r.adkim}, {"aspf", &r.aspf}} {
		switch v := strings.ToLower(tags.value(a.tag)); v {
		case "":
		case "r", "s":
			*a.dst = v
		default:
			return nil, fmt.Errorf("%s=%s is not r or s", a.tag, v)
		}
	}
	r.psd = strings.ToLower(tags.value("psd"))
	r.testing = strings.ToLower(tags.value("t")) == "y"
	if r.p == "" {
		// RFC 9989 4.7: a record without a valid p= is treated as p=none
		// (when it has rua=), which is what receivers apply.
		r.p = "none"
	}
	return r, nil
}

// dmarcWalk is the result of one DNS tree walk.
type dmarcWalk struct {
	policy  *dmarcRecord // the closest record, the one that applies
	org     string       // the organizational domain
	tempErr error
	steps   []Step
}

// treeWalk implements RFC 9989 4.10 for domain. With steps=false it is run
// quietly (for the organizational domains of the SPF and DKIM identifiers).
func treeWalk(ctx context.Context, rec *resolver.Recorder, domain string, withSteps bool) dmarcWalk {
	w := dmarcWalk{}
	step := func(what, result, detail string) {
		if withSteps {
			w.steps = append(w.steps, Step{Check: "dmarc", What: what, Result: result, Detail: detail, RFC: "RFC 9989 4.10"})
		}
	}
	labels := dns.SplitDomainName(domain)
	var found []*dmarcRecord
	target := labels
	for len(target) > 0 {
		name := strings.Join(target, ".")
		ans, ev, err := rec.QueryEvidence(ctx, "_dmarc."+name, dns.TypeTXT)
		if err != nil || (ans.Rcode != dns.RcodeSuccess && ans.Rcode != dns.RcodeNameError) {
			if err == nil {
				err = fmt.Errorf("the DNS server answered %s", resolver.RcodeName(ans.Rcode))
			}
			w.tempErr = err
			step("Could not look up the DMARC record at _dmarc."+name+".", TempError, evidenceLine(ev))
			return w
		}
		var valid []*dmarcRecord
		var bad []string
		for _, t := range ans.TXT() {
			if !strings.HasPrefix(strings.TrimSpace(t), "v=DMARC1") {
				continue
			}
			if r, perr := parseDMARC(t); perr == nil {
				r.location = name
				valid = append(valid, r)
			} else {
				bad = append(bad, fmt.Sprintf("%q: %v", t, perr))
			}
		}
		switch {
		case len(valid) == 1:
			found = append(found, valid[0])
			step("Found a DMARC record at _dmarc."+name+".", Pass, evidenceLine(ev))
		case len(valid) > 1:
			step("Found several DMARC records at _dmarc."+name+"; a domain must publish one, so they are all ignored.", PermError, evidenceLine(ev))
		case len(bad) > 0:
			step("The DMARC record at _dmarc."+name+" is invalid and ignored: "+strings.Join(bad, "; "), PermError, evidenceLine(ev))
		default:
			step("No DMARC record at _dmarc."+name+".", None, evidenceLine(ev))
		}
		if len(valid) == 1 && valid[0].psd != "" {
			break // a psd= tag ends the walk (4.10 steps 2 and 7)
		}
		// 4.10 step 5: from five labels or more, jump to four; then one at a time.
		if len(target) >= 5 {
			target = target[len(target)-4:]
		} else {
			target = target[1:]
		}
	}
	if len(found) > 0 {
		w.policy = found[0]
	}
	w.org = orgFromWalk(domain, found)
	return w
}

// orgFromWalk picks the organizational domain from the records a walk found
// (RFC 9989 4.10.1): the record with psd=n; the domain below the one with
// psd=y; otherwise the record with the fewest labels; otherwise the domain.
func orgFromWalk(domain string, found []*dmarcRecord) string {
	if len(found) == 0 {
		return domain
	}
	last := found[len(found)-1]
	switch last.psd {
	case "n":
		return last.location
	case "y":
		if strings.EqualFold(last.location, domain) {
			return domain
		}
		labels := dns.SplitDomainName(domain)
		n := dns.CountLabel(last.location + ".")
		return strings.Join(labels[len(labels)-n-1:], ".")
	}
	return last.location
}

// aligned tells whether identifier id aligns with the author domain under
// mode (s: equal; r: same organizational domain).
func aligned(id, author, idOrg, authorOrg, mode string) bool {
	if strings.EqualFold(id, author) {
		return true
	}
	return mode == "r" && idOrg != "" && strings.EqualFold(idOrg, authorOrg)
}

func checkDMARC(ctx context.Context, rec *resolver.Recorder, fromDomain string, spfRes SPFResult, dkimRes []DKIMResult) DMARCResult {
	r := DMARCResult{Result: None, Policy: "none", Disposition: "none", Domain: fromDomain, Steps: []Step{}}
	step := func(what, result, detail, rfc string) {
		r.Steps = append(r.Steps, Step{Check: "dmarc", What: what, Result: result, Detail: detail, RFC: rfc})
	}
	if fromDomain == "" {
		step("The message has no usable From address, so there is no author domain for DMARC to protect.", PermError, "", "RFC 9989 4.4")
		r.Result = PermError
		return r
	}
	w := treeWalk(ctx, rec, fromDomain, true)
	r.Steps = append(r.Steps, w.steps...)
	if w.tempErr != nil {
		r.Result = TempError
		step("DMARC could not be evaluated because of a DNS problem (temperror): "+w.tempErr.Error()+". A receiver would try again later; this is not a failure.", TempError, "", "RFC 9989 4.8")
		return r
	}
	r.OrgDomain = w.org
	if psl, err := publicsuffix.EffectiveTLDPlusOne(fromDomain); err == nil && !strings.EqualFold(psl, w.org) {
		r.OrgDomainPSL = psl
		step(fmt.Sprintf("Older receivers (RFC 7489) use the public suffix list, which makes %s the organizational domain instead of %s; their alignment checks may decide differently.", psl, w.org),
			Neutral, "", "RFC 7489 3.2")
	}
	if w.policy == nil {
		step("Neither "+fromDomain+" nor a domain above it publishes a DMARC record: the domain asks receivers for nothing.", None, "", "RFC 9989 4.10")
		return r
	}
	rec0 := w.policy
	r.Record, r.RecordDomain, r.Testing = rec0.raw, rec0.location, rec0.testing
	step(fmt.Sprintf("The DMARC record that applies is at _dmarc.%s; the organizational domain is %s.", rec0.location, w.org), Pass, rec0.raw, "RFC 9989 4.10")

	// Which policy applies: p= for the domain itself, sp= for subdomains,
	// np= for subdomains that do not exist (RFC 9989 4.7).
	r.Policy = rec0.p
	switch {
	case strings.EqualFold(rec0.location, fromDomain):
	default:
		ans, ev, err := rec.QueryEvidence(ctx, fromDomain, dns.TypeA)
		nx := err == nil && ans.Rcode == dns.RcodeNameError
		if nx && rec0.np != "" {
			r.Policy = rec0.np
			step(fromDomain+" does not exist in DNS, so the policy for non-existent subdomains (np=) applies.", Neutral, evidenceLine(ev), "RFC 9989 4.7")
		} else if rec0.sp != "" {
			r.Policy = rec0.sp
			step(fromDomain+" is a subdomain, so the subdomain policy (sp=) applies.", Neutral, "", "RFC 9989 4.7")
		}
	}

	// Alignment (RFC 9989 4.4). An identifier that could have aligned but
	// could not be decided (its check was temperror, or the walk for its
	// organizational domain failed) makes DMARC temperror unless another
	// aligned identifier passed: temperror is not fail.
	var undecided []string
	if spfRes.Domain != "" && (spfRes.Result == Pass || spfRes.Result == TempError) {
		ok, werr := alignedWalk(ctx, rec, spfRes.Domain, fromDomain, w.org, rec0.aspf)
		switch {
		case werr != nil:
			undecided = append(undecided, "SPF for "+spfRes.Domain)
			step(fmt.Sprintf("Could not tell whether SPF's domain %s is aligned with %s: the DMARC lookups for its organizational domain failed (%v).", spfRes.Domain, fromDomain, werr), TempError, "", "RFC 9989 4.10")
		case spfRes.Result == TempError && ok:
			undecided = append(undecided, "SPF for "+spfRes.Domain)
			step("SPF could not be checked (temperror) for "+spfRes.Domain+", which is aligned with the From domain: had it passed, DMARC would pass.", TempError, "", "RFC 9989 4.4.2")
		case spfRes.Result == Pass:
			r.SPFAligned = ok
			step(alignSentence("SPF", spfRes.Domain, fromDomain, rec0.aspf, ok), boolResult(ok), "", "RFC 9989 4.4.2")
		default:
			step("SPF could not be checked (temperror) for "+spfRes.Domain+", but that domain is not aligned with "+fromDomain+" anyway.", spfRes.Result, "", "RFC 9989 4.4.2")
		}
	} else {
		step("SPF did not pass ("+spfRes.Result+"), so it cannot count for DMARC.", spfRes.Result, "", "RFC 9989 4.4.2")
	}
	anyPass := false
	for _, d := range dkimRes {
		if d.Result != Pass && d.Result != TempError {
			continue
		}
		anyPass = anyPass || d.Result == Pass
		ok, werr := alignedWalk(ctx, rec, d.Domain, fromDomain, w.org, rec0.adkim)
		switch {
		case werr != nil:
			undecided = append(undecided, "DKIM for "+d.Domain)
			step(fmt.Sprintf("Could not tell whether the DKIM domain %s is aligned with %s: the DMARC lookups for its organizational domain failed (%v).", d.Domain, fromDomain, werr), TempError, "", "RFC 9989 4.10")
		case d.Result == TempError && ok:
			undecided = append(undecided, "DKIM for "+d.Domain)
			step("The DKIM signature of "+d.Domain+", which is aligned with the From domain, could not be checked (temperror): had it passed, DMARC would pass.", TempError, "", "RFC 9989 4.4.1")
		case d.Result == Pass:
			step(alignSentence("DKIM", d.Domain, fromDomain, rec0.adkim, ok), boolResult(ok), "", "RFC 9989 4.4.1")
			r.DKIMAligned = r.DKIMAligned || ok
		default:
			step("The DKIM signature of "+d.Domain+" could not be checked (temperror), but that domain is not aligned with "+fromDomain+" anyway.", TempError, "", "RFC 9989 4.4.1")
		}
		if r.DKIMAligned {
			break
		}
	}
	if !anyPass {
		step("No DKIM signature passed, so DKIM cannot count for DMARC.", Fail, "", "RFC 9989 4.4.1")
	}

	if r.SPFAligned || r.DKIMAligned {
		r.Result = Pass
		step("DMARC passes: an identifier that verified is aligned with the From domain "+fromDomain+".", Pass, "", "RFC 9989 4.8")
		return r
	}
	if len(undecided) > 0 {
		r.Result = TempError
		step(fmt.Sprintf("DMARC is undecided (temperror): nothing aligned passed, but %s could not be checked because of a DNS problem, and it could have passed. A receiver would try again later; this is not a failure.", strings.Join(undecided, " and ")),
			TempError, "", "RFC 9989 4.8")
		return r
	}
	r.Result = Fail
	r.Disposition = r.Policy
	if rec0.testing && r.Policy != "none" {
		// t=y asks receivers to apply one step less (RFC 9989 4.7, t tag).
		r.Disposition = map[string]string{"reject": "quarantine", "quarantine": "none"}[r.Policy]
		step("The record says t=y (testing): receivers apply one step less than the policy.", Neutral, "", "RFC 9989 4.7")
	}
	step(fmt.Sprintf("DMARC fails: nothing that verified is aligned with %s. The domain's policy is %s, so a receiver would %s the message.", fromDomain, r.Policy, dispositionVerb(r.Disposition)),
		Fail, "", "RFC 9989 4.8")
	return r
}

// alignedWalk tells whether id is aligned with the author domain under
// mode; the error says that the walk for id's organizational domain failed
// where alignment depended on it (relaxed mode, different names).
func alignedWalk(ctx context.Context, rec *resolver.Recorder, id, author, authorOrg, mode string) (bool, error) {
	if strings.EqualFold(id, author) {
		return true, nil
	}
	if mode != "r" {
		return false, nil
	}
	w := treeWalk(ctx, rec, id, false)
	if w.tempErr != nil {
		return false, w.tempErr
	}
	return aligned(id, author, w.org, authorOrg, mode), nil
}

func alignSentence(what, id, from, mode string, ok bool) string {
	m := "relaxed: the same organizational domain is enough"
	if mode == "s" {
		m = "strict: the domains must be equal"
	}
	if ok {
		return fmt.Sprintf("%s passed for %s, which is aligned with the From domain %s (%s).", what, id, from, m)
	}
	return fmt.Sprintf("%s passed for %s, but that is not aligned with the From domain %s (%s).", what, id, from, m)
}

func boolResult(b bool) string {
	if b {
		return Pass
	}
	return Fail
}

func dispositionVerb(d string) string {
	switch d {
	case "reject":
		return "reject"
	case "quarantine":
		return "quarantine (put in spam)"
	}
	return "deliver (policy none: the domain only monitors)"
}
