package pipeline

// What-if: the inspection of a recorded message again, on changed inputs.
// An edit changes the bundle's inputs (a DNS answer, the message, the SPF
// inputs, the evaluation time) and the edited bundle is replayed; nothing
// asks the network, and the report says it is a what-if and lists the
// edits (Report.WhatIf).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/sealtrace/sealtrace/inspect"
	"github.com/sealtrace/sealtrace/pgp"
	"github.com/sealtrace/sealtrace/resolver"
)

// ErrEdit wraps every reason a what-if edit cannot be read or applied.
var ErrEdit = errors.New("what-if")

// MaxEditBytes bounds one edit's text (a body+= footer, a DNS answer).
const MaxEditBytes = 64 << 10

// Edit is one what-if change; ParseEdit reads it and String writes it back.
//
//	dns:NAME/TYPE=RDATA    the answer to NAME TYPE is RDATA (zone-file form)
//	dns:NAME/TYPE=nxdomain the name does not exist (also nodata, servfail, timeout)
//	body+=TEXT             TEXT appended to the body ("\n" is a line break)
//	ip=ADDR                the connecting IP address (SPF)
//	now=RFC3339            the evaluation time
//	adkim=s|r, aspf=s|r    the DMARC record's alignment modes (RFC 9989 4.7)
//	p=none|quarantine|reject, t=y|n   the DMARC record's policy and testing flag
//	dkim-key=delete|rotate the signatures' key records gone, or another key
//	forward=plain|arc      forwarded by a list that adds a footer, without or with an ARC seal
//	spf-lookups=N          N include lookups (up to 20) put in front of the SPF record
type Edit struct {
	Key   string // "dns", "body+", "ip", "now", "adkim", …
	Name  string // dns: the question's name, fully qualified
	Type  uint16 // dns: the question's type
	Value string
}

// String is the edit as ParseEdit reads it.
func (e Edit) String() string {
	switch e.Key {
	case "dns":
		return "dns:" + e.Name + "/" + resolver.TypeName(e.Type) + "=" + e.Value
	case "body+":
		return "body+=" + strings.ReplaceAll(e.Value, "\n", `\n`)
	}
	return e.Key + "=" + e.Value
}

var editChoices = map[string][]string{
	"adkim": {"s", "r"}, "aspf": {"s", "r"}, "p": {"none", "quarantine", "reject"}, "t": {"y", "n"},
	"dkim-key": {"delete", "rotate"}, "forward": {"plain", "arc"},
}

var dnsFailures = []string{"nxdomain", "nodata", "servfail", "timeout"}

// ParseEdit reads one edit (see Edit).
func ParseEdit(s string) (Edit, error) {
	bad := func(format string, a ...any) (Edit, error) {
		return Edit{}, fmt.Errorf("%w: %.100q: %s", ErrEdit, s, fmt.Sprintf(format, a...))
	}
	if len(s) > MaxEditBytes {
		return bad("longer than %d KiB", MaxEditBytes>>10)
	}
	if v, ok := strings.CutPrefix(s, "body+="); ok {
		v = strings.ReplaceAll(v, `\n`, "\n")
		if v == "" {
			return bad("nothing to append")
		}
		return Edit{Key: "body+", Value: v}, nil
	}
	if q, ok := strings.CutPrefix(s, "dns:"); ok {
		q, v, ok := strings.Cut(q, "=")
		if !ok {
			return bad("say dns:NAME/TYPE=RDATA or dns:NAME/TYPE=nxdomain")
		}
		name, typ, ok := strings.Cut(q, "/")
		if !ok {
			return bad("the question needs a type: dns:NAME/TYPE=…")
		}
		fq, err := resolver.Fqdn(name)
		if err != nil {
			return bad("%q is not a domain name", name)
		}
		t, ok := dns.StringToType[strings.ToUpper(typ)]
		if !ok || t == dns.TypeANY || t == dns.TypeCNAME {
			return bad("%q is not a record type Sealtrace asks for", typ)
		}
		if slices.Contains(dnsFailures, strings.ToLower(v)) {
			v = strings.ToLower(v)
		} else if _, err := resolver.NewReplay([]resolver.Evidence{{Name: fq, Type: resolver.TypeName(t), Rcode: "NOERROR", Answers: []string{v}}}); err != nil {
			return bad("the answer does not read as a %s record: %v", resolver.TypeName(t), err)
		}
		return Edit{Key: "dns", Name: fq, Type: t, Value: v}, nil
	}
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return bad("an edit is KEY=VALUE (dns:…, body+=…, ip=, now=, adkim=, aspf=, p=, t=, dkim-key=, forward=, spf-lookups=)")
	}
	switch k {
	case "ip":
		ip := net.ParseIP(v)
		if ip == nil {
			return bad("not an IP address")
		}
		v = ip.String()
	case "now":
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return bad("not an RFC 3339 time (such as 2026-11-23T10:00:00Z)")
		}
		v = t.UTC().Format(time.RFC3339)
	case "spf-lookups":
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 20 {
			return bad("a number of lookups from 1 to 20")
		}
	default:
		choices, ok := editChoices[k]
		if !ok {
			return bad("unknown edit %q", k)
		}
		if !slices.Contains(choices, v) {
			return bad("%s takes %s", k, strings.Join(choices, ", "))
		}
	}
	return Edit{Key: k, Value: v}, nil
}

// ParseEdits reads each edit.
func ParseEdits(ss []string) ([]Edit, error) {
	var out []Edit
	for _, s := range ss {
		e, err := ParseEdit(s)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// Throwaway names used by edits that need DNS names of their own: under
// .invalid (RFC 6761 6.4), which no real zone holds, so that the what-if can
// never be mistaken for a real domain's record.
const (
	WhatIfListDomain = "lists.whatif.invalid"
	WhatIfListIP     = "192.0.2.25" // TEST-NET-1 (RFC 5737): the list server's address
	whatIfSelector   = "whatif"
	whatIfFooter     = "-- \nYou received this message through the list people@" + WhatIfListDomain + ".\n"
)

// ApplyEdits returns a copy of b with the edits applied, in order, and what
// each did in words (for Report.WhatIf). The copy's report is b's (a what-if
// is not compared with it).
func ApplyEdits(b *Bundle, edits []Edit) (*Bundle, []string, error) {
	c := *b
	c.Message = bytes.Clone(b.Message)
	c.DNS = slices.Clone(b.DNS)
	c.TrustedAuthservIDs = slices.Clone(b.TrustedAuthservIDs)
	var rep inspect.Report
	if err := json.Unmarshal(b.Report, &rep); err != nil {
		return nil, nil, fmt.Errorf("%w: the bundle's report: %v", ErrEdit, err)
	}
	w := &whatIf{b: &c, rep: &rep}
	for _, e := range edits {
		if err := w.apply(e); err != nil {
			return nil, nil, fmt.Errorf("%w: %s: %v", ErrEdit, e, err)
		}
	}
	if _, err := resolver.NewReplay(c.DNS); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrEdit, err)
	}
	return &c, w.notes, nil
}

// WhatIf replays b with the edits applied. The report says it is a what-if
// (Report.WhatIf: the edits and what each did); Replay.Edits lists them.
func WhatIf(ctx context.Context, b *Bundle, po pgp.Options, edits ...Edit) (Result, error) {
	if len(edits) == 0 {
		return Replay(ctx, b, po)
	}
	eb, notes, err := ApplyEdits(b, edits)
	if err != nil {
		return Result{Report: &inspect.Report{Source: b.Source, Error: err.Error()}, Err: err}, err
	}
	r, err := replay(ctx, eb, po)
	if err != nil {
		return r, err
	}
	wi := &inspect.WhatIf{Edits: []string{}, Notes: notes}
	for _, e := range edits {
		wi.Edits = append(wi.Edits, e.String())
	}
	for _, ev := range r.Report.DNS {
		if ev.Rcode == resolver.RcodeNotInEvidence {
			wi.Notes = append(wi.Notes, fmt.Sprintf("the changed inputs asked %s %s, which the recorded inspection did not ask: it is temperror here; say what it answers with an edit such as dns:%s/%s=nxdomain",
				ev.Name, ev.Type, strings.TrimSuffix(ev.Name, "."), ev.Type))
		}
	}
	r.Report.WhatIf = wi
	r.Replay.Edits = wi.Edits
	r.Replay.Bundle = b
	return r, nil
}

type whatIf struct {
	b     *Bundle
	rep   *inspect.Report
	notes []string
}

func (w *whatIf) note(format string, a ...any) { w.notes = append(w.notes, fmt.Sprintf(format, a...)) }

// set replaces the answer to name/qtype in the evidence, or adds it. An
// edited answer is never DNSSEC-authenticated: no signature covers it.
func (w *whatIf) set(name string, qtype uint16, rcode string, answers []string) {
	ev := resolver.Evidence{Name: name, Type: resolver.TypeName(qtype), Rcode: rcode, Answers: answers, TTL: 300, Time: w.b.EvaluationTime}
	if answers == nil {
		ev.Answers = []string{}
	}
	for i, old := range w.b.DNS {
		if old.Name == name && old.Type == ev.Type {
			ev.Time = old.Time
			if old.TTL != 0 {
				ev.TTL = old.TTL
			}
			w.b.DNS[i] = ev
			return
		}
	}
	w.b.DNS = append(w.b.DNS, ev)
}

func (w *whatIf) lookup(name string, qtype uint16) (resolver.Evidence, bool) {
	for _, ev := range w.b.DNS {
		if ev.Name == name && ev.Type == resolver.TypeName(qtype) {
			return ev, true
		}
	}
	return resolver.Evidence{}, false
}

func (w *whatIf) apply(e Edit) error {
	switch e.Key {
	case "dns":
		switch e.Value {
		case "nxdomain":
			w.set(e.Name, e.Type, "NXDOMAIN", nil)
		case "nodata":
			w.set(e.Name, e.Type, "NOERROR", nil)
		case "servfail":
			w.set(e.Name, e.Type, "SERVFAIL", nil)
		case "timeout":
			w.set(e.Name, e.Type, resolver.RcodeTimeout, nil)
			for i := range w.b.DNS {
				if w.b.DNS[i].Name == e.Name && w.b.DNS[i].Type == resolver.TypeName(e.Type) {
					w.b.DNS[i].Error = resolver.ErrTimeout.Error()
				}
			}
		default:
			w.set(e.Name, e.Type, "NOERROR", []string{e.Value})
		}
		w.note("DNS: %s %s now answers %s (not DNSSEC-signed)", e.Name, resolver.TypeName(e.Type), e.Value)
	case "body+":
		w.appendBody(e.Value)
		w.note("%d bytes appended to the body", len(e.Value))
	case "ip":
		w.b.SPF.IP, w.b.SPF.IPFrom = e.Value, FromGiven
		w.note("the connecting IP address is %s", e.Value)
	case "now":
		t, _ := time.Parse(time.RFC3339, e.Value)
		w.b.EvaluationTime = t
		w.note("evaluated as of %s", e.Value)
	case "adkim", "aspf", "p", "t":
		return w.dmarcTag(e.Key, e.Value)
	case "dkim-key":
		return w.dkimKey(e.Value)
	case "spf-lookups":
		n, _ := strconv.Atoi(e.Value)
		return w.spfLookups(n)
	case "forward":
		return w.forward(e.Value == "arc")
	default:
		return fmt.Errorf("unknown edit")
	}
	return nil
}

// appendBody adds text at the end of the message, in the message's own
// line endings, on a line of its own.
func (w *whatIf) appendBody(text string) {
	m := w.b.Message
	nl := "\n"
	if bytes.Contains(m, []byte("\r\n")) {
		nl = "\r\n"
	}
	if !bytes.Contains(m, []byte(nl+nl)) && !bytes.HasPrefix(m, []byte(nl)) {
		m = append(m, nl...) // headers only: the body starts after an empty line
	}
	if len(m) > 0 && m[len(m)-1] != '\n' {
		m = append(m, nl...)
	}
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\n", nl)
	if !strings.HasSuffix(text, nl) {
		text += nl
	}
	w.b.Message = append(m, text...)
}

// dmarcTag rewrites one tag of the DMARC record that applied (RFC 9989
// 4.7), or publishes a record at the From domain when there was none.
func (w *whatIf) dmarcTag(tag, value string) error {
	dom := w.rep.DMARC.RecordDomain
	rec := w.rep.DMARC.Record
	if dom == "" {
		if w.rep.FromDomain == "" {
			return errors.New("the message has no From domain, so DMARC has no record to change")
		}
		dom, rec = w.rep.FromDomain, "v=DMARC1; p=none"
		w.note("no DMARC record applied: one is published at _dmarc.%s", dom)
	}
	name, err := resolver.Fqdn("_dmarc." + dom)
	if err != nil {
		return err
	}
	// The record as recorded, if the evidence holds it (the report's copy
	// may be cut).
	if ev, ok := w.lookup(name, dns.TypeTXT); ok {
		for _, a := range ev.Answers {
			if strings.HasPrefix(strings.ToLower(strings.TrimSpace(a)), "v=dmarc1") {
				rec = a
			}
		}
	}
	rec = setTag(rec, tag, value)
	// The policy of a subdomain found at its organizational domain is sp=
	// when the record has one (RFC 9989 4.7).
	if tag == "p" && !strings.EqualFold(dom, w.rep.FromDomain) && hasTag(rec, "sp") {
		rec = setTag(rec, "sp", value)
	}
	w.set(name, dns.TypeTXT, "NOERROR", []string{rec})
	w.note("DMARC record at %s: %s", name, rec)
	return nil
}

// setTag sets tag=value in a tag list, in place when the tag is there
// (keeping the others' order), else at the end.
func setTag(list, tag, value string) string {
	parts := strings.Split(list, ";")
	var out []string
	done := false
	for _, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		if strings.EqualFold(strings.TrimSpace(k), tag) {
			if !done {
				out = append(out, " "+tag+"="+value)
				done = true
			}
			continue
		}
		if strings.TrimSpace(p) != "" {
			out = append(out, p)
		}
	}
	if !done {
		out = append(out, " "+tag+"="+value)
	}
	for i := range out {
		out[i] = strings.TrimSpace(out[i])
	}
	return strings.Join(out, "; ")
}

func hasTag(list, tag string) bool {
	for p := range strings.SplitSeq(list, ";") {
		k, _, _ := strings.Cut(p, "=")
		if strings.EqualFold(strings.TrimSpace(k), tag) {
			return true
		}
	}
	return false
}

// dkimKey removes or replaces the key record of every DKIM signature (RFC
// 6376 3.6.2.1: SELECTOR._domainkey.DOMAIN).
func (w *whatIf) dkimKey(how string) error {
	if len(w.rep.DKIM) == 0 {
		return errors.New("the message has no DKIM signature")
	}
	seen := map[string]bool{}
	for _, d := range w.rep.DKIM {
		name, err := resolver.Fqdn(d.Selector + "._domainkey." + d.Domain)
		if err != nil || seen[name] {
			continue
		}
		seen[name] = true
		if how == "delete" {
			w.set(name, dns.TypeTXT, "NXDOMAIN", nil)
			w.note("the key record %s was deleted", name)
			continue
		}
		key := "v=DKIM1; k=rsa; p=" + rotatedRSA
		if strings.HasPrefix(d.Algorithm, "ed25519") {
			key = "v=DKIM1; k=ed25519; p=" + rotatedEd25519
		}
		w.set(name, dns.TypeTXT, "NOERROR", []string{key})
		w.note("the key record %s now holds another key (rotated)", name)
	}
	if len(seen) == 0 {
		return errors.New("no signature names a selector and domain")
	}
	return nil
}

// spfLookups puts n include mechanisms in front of the SPF record that was
// checked, each to a record of its own that matches nothing: the eleventh
// DNS-querying term exceeds the limit of 10 (RFC 7208 4.6.4), a permerror.
func (w *whatIf) spfLookups(n int) error {
	if w.rep.SPF.Domain == "" {
		return errors.New("SPF was not checked for this message (no connecting IP or sender), so there is no record to change")
	}
	name, err := resolver.Fqdn(w.rep.SPF.Domain)
	if err != nil {
		return err
	}
	rest := "-all"
	if ev, ok := w.lookup(name, dns.TypeTXT); ok {
		for _, a := range ev.Answers {
			if strings.HasPrefix(strings.ToLower(a), "v=spf1") {
				rest = strings.TrimSpace(a[len("v=spf1"):])
			}
		}
	}
	var terms []string
	for i := 1; i <= n; i++ {
		inc := fmt.Sprintf("l%d._spf.%s.", i, WhatIfListDomain)
		terms = append(terms, "include:"+strings.TrimSuffix(inc, "."))
		w.set(inc, dns.TypeTXT, "NOERROR", []string{"v=spf1 -all"})
	}
	rec := "v=spf1 " + strings.Join(terms, " ")
	if rest != "" {
		rec += " " + rest
	}
	w.set(name, dns.TypeTXT, "NOERROR", []string{rec})
	w.note("SPF record of %s: %d include lookups in front (each to a record under %s that matches nothing)", name, n, WhatIfListDomain)
	return nil
}

// forward makes the message as a mailing list delivers it: a footer added
// to the body, sent on from the list's own address (so the receiver's SPF
// check sees the list's IP), and with arc, sealed by the list first.
func (w *whatIf) forward(arc bool) error {
	w.appendBody(whatIfFooter)
	w.b.SPF.IP, w.b.SPF.IPFrom = WhatIfListIP, FromGiven
	w.note("forwarded through the list %s: a footer added to the body, delivered from %s", WhatIfListDomain, WhatIfListIP)
	if arc {
		// The list seals after its change (RFC 8617 5.1): its AMS covers
		// the body with the footer, its AAR what it saw on arrival.
		return w.arcSeal()
	}
	return nil
}

// rotatedRSA and rotatedEd25519 are the public halves of keys made once
// for dkim-key=rotate: "the selector now publishes another key". Their
// private halves were thrown away, so nothing signed with them exists.
const (
	rotatedRSA     = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAzz0IcvZhLmIaYgLPkgOy3/WJG1m8cJsEwEoR/c2ME0ZrQ8Ube55TeQsFXWKEtWrRJA6UimZBnTEvNqDHM2eYRPHdWlYMk8t30D422hbG+Ifgkxkd55mE5pT0Ogw7DIvMy1EqpfKXiaiHcz8l4tiDgQ+hHxvA66jB0n5Udt6FM+DEpcvjjJ+eFoKtoz7w82GoWLiiFLNQdPo0FeoE2ooww5BES9SbezHuWcWbVUjnKYHQZeti+a1VapYEGx13hCYpDx6/zOett0+wRpL48McvU+RIBZaAho73DJ4O957DAXr/LPIq2ZRaDhs6RlwQtAR9rhLaZRt65ghmFE2yYczV3wIDAQAB"
	rotatedEd25519 = "GftblwBEXzd/e9GA/YgsqMbxvHHJ02quKwKhKxd4K64="
)

// throwawaySealKey seals forward=arc what-ifs. It is published here, in the
// source, on purpose: a seal made with it proves nothing but the lesson, and
// the what-if publishes its public half in the edited evidence (and says
// so).
const throwawaySealKey = `-----BEGIN RSA PRIVATE KEY-----
MIIEpAIBAAKCAQEAryei0Z0dSguOviLeitXLFDrRTHmfAom6YxzyRHDSluXw+1Ic
1wNHgU0ffgqjeX46kCi1pS5wc8ULxuzGcr9EKOaFFG3QVR92G5xFkRsUN9g2v+Ik
AW6EatL3GOVMzR+tej7rrLL2KyRkSx1CNIR5jkwlm18t/OfMnvBmh6BuKPlHfcHn
JoHVCKTVfjIP2g6rDLefPfhP2n1X6jeA6RJwBlwFeiHyIwNUf/smwiDwCcML4idR
OoUXqLWXjrUIwdANvA9HzL94t/y1yHg4dcQElNyQJOUxvLk5SQAVU+sYwwVc3dif
yW8HUwTw+baE+nLqKEvfxfpsQoWWPmbxWzQHxwIDAQABAoIBADv7O9PClSQlPxW3
xTQQMMJVvhUNVTm+RpjoccKkTEmmpta58Oxk0Bjke1Nje0YAxzdU6ZeOhq3unbDa
pr7m5wWGo64ySPTNmFmuM1iUyGCzZ1RgsenXmfsnEb1x0NIx9et2Hqj+hDST+tCK
TYDEmQf05bAGcS45hyYqt0Hc27ylyCCoc8WI3b90iWF8nvfbn5sBf2wQoMLHSYqb
Gn91yM0pDRv/Uj53XGIEinL0sDokf6Q4Oh3TkXvdIUUpRELvoNUcGH0QSkpzBEiW
WTE2GUSE3t3DabNebVftn7tIOV8jaw8vc+u5MY3FdKsABwO+nDcokdGG9+XTUzTH
S25MECECgYEA047zdphw30z6x8r2aCuSqQ5BDQ6TZXVSQwREz4UmVt/ga586772o
aF/PwV1X/S5aUEJ0MDM8uU0OQKGeI7F+D5AAZcRKOlkO1NGbsUELT81wuUl72XST
/ndLsrySgMDXeQQKwUkfJvKrbKFw0gPzHIddOCvw0+O47ULSb6a/dJECgYEA0/L/
WLn/Wy4sMbMHFn3xN62Tx1V1LA8MHsn+ixSNKFJjh6NY0okzDslGOwvkI9ywlgTs
jstVMpMDwUF+IbvJY6BFKRVZnNUcOiVtfJdizAqjoudipNK2Vly6w+zodW5FdDfb
lxT/KOCpysmIWR13/XiLLWahSae7L0ijTHmAAtcCgYEAuPp6KE08DBOMBxuQ/h5z
OvwqptcCzCicB9r4q5aZokZYPOHaL3tef/yedE1AvTBFaX3hh6+VPdSBTMPDuSPd
vI/FuTW7TW9HR5ALGR5tXJaeJHR7JPUI3evDNYIqewein76IBN8BrRVsDCzQr+Ei
NeSp/o51IWAw9suBonxjVPECgYAZxnlrLuNxEUJqoN0BzTsijEdmfGwNeZ79t47v
Fwa7mplkC2dn4yuEZtHVqHKMMfB/rgWer/eieOKCBBb0v0OUjA8dGe2V9wzBvX99
IWPwcHLKAt2qMb3e7tP/s7XpYgmsQoa/7tvA+uFrOesM+1p2RsyWLt76eB15eJnz
WOtKbQKBgQDA5BCK/BEAoN8Xu9s+3BxDAS5RFp/sViGkkK+BLYAelsU26Q1ArxhY
0ZVgvX3D0x32a5c1M5QDJa302q2ugL/b1KWYuHDrn1EZqtXR9kkd+sp/LaZOsU/o
nhZL8m/w2hWbE23huIkp0Fk4zDf+RpesseRAA1sN8brJ6Jaz6IgV9Q==
-----END RSA PRIVATE KEY-----
`

// Change is one check's verdict before and after a what-if.
type Change struct {
	Check         string // "SPF", "DKIM d=bank.example s=s2026", "DMARC", "Disposition", "ARC"
	Before, After string
}

// Changed says whether the verdict changed.
func (c Change) Changed() bool { return c.Before != c.After }

// Changes lists each check's verdict in before and after, in the report's
// order; a DKIM signature is matched by its position.
func Changes(before, after *inspect.Report) []Change {
	out := []Change{{"SPF", before.SPF.Result, after.SPF.Result}}
	for i := range max(len(before.DKIM), len(after.DKIM)) {
		c := Change{Before: "none", After: "none"}
		var d inspect.DKIMResult
		if i < len(before.DKIM) {
			d, c.Before = before.DKIM[i], before.DKIM[i].Result
		}
		if i < len(after.DKIM) {
			d, c.After = after.DKIM[i], after.DKIM[i].Result
		}
		c.Check = "DKIM d=" + d.Domain + " s=" + d.Selector
		out = append(out, c)
	}
	if len(before.DKIM) == 0 && len(after.DKIM) == 0 {
		out = append(out, Change{"DKIM", "none", "none"})
	}
	return append(out,
		Change{"DMARC", before.DMARC.Result, after.DMARC.Result},
		Change{"Disposition", before.DMARC.Disposition, after.DMARC.Disposition},
		Change{"ARC", before.ARC.Result, after.ARC.Result})
}
