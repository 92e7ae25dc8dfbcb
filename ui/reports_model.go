package ui

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/sealtrace/sealtrace/reports"
)

// What the Reports view shows of the reports read, per policy domain: the
// period, the counts per day for the chart, one row per source and result,
// the failure reports and the TLS policies. Everything here comes from a
// report, so it is hostile: it is only ever a label's or a text segment's
// text (clipped by the view), and every count is capped.

// maxCount caps every count taken from a report: a report may say
// 18446744073709551615, and sums must not overflow.
const maxCount = 1 << 40

// maxDays is the most days the chart shows (the latest ones).
const maxDays = 400

// maxSources is the most source rows kept per domain.
const maxSources = 2000

// domainData is one policy domain's reports.
type domainData struct {
	name       string
	begin, end time.Time
	orgs       []string // reporting organisations, in the order first seen
	aggregates int
	policy     reports.Policy // as the latest aggregate report published it
	policyAt   time.Time
	total      int64
	failing    int64
	days       []dayCount
	sources    []*sourceRow
	failures   []*loadedReport
	tls        []tlsRow
	dropped    int // source rows beyond maxSources
}

// dayCount is one day of the chart: messages that passed DMARC, failed it
// with no action taken (p=none, a local override), and failed and were
// quarantined or rejected.
type dayCount struct {
	day                   time.Time
	pass, failed, blocked int64
}

func (d dayCount) total() int64 { return d.pass + d.failed + d.blocked }

// sourceRow is one sending source with one set of results, summed over the
// reports.
type sourceRow struct {
	ip          string
	count       int64
	disposition string
	dkim, spf   string // aligned results (policy_evaluated)
	headerFrom  string
	envFrom     string
	auth        reports.Auth
	reasons     []reports.Reason
	rescued     bool // forwarded mail rescued by ARC
	pass        bool
	orgs        []string
	offline     bool // from the demo: no network check
}

func (s *sourceRow) failing() bool { return !s.pass }

// tlsRow is one policy of a TLS report.
type tlsRow struct {
	org        string
	begin, end time.Time
	policy     reports.TLSPolicy
	offline    bool
}

// loadedReport is a report as the view keeps it.
type loadedReport struct {
	r       *reports.Report
	file    string
	offline bool   // the demo's: no network checks
	msg     *entry // a failure report's message, inspected; nil while inspecting or when none
	msgErr  string
}

// buildDomains groups reports by policy domain, sorted by name.
func buildDomains(reps []*loadedReport) []*domainData {
	byName := map[string]*domainData{}
	get := func(name string) *domainData {
		name = normDomain(name)
		d := byName[name]
		if d == nil {
			d = &domainData{name: name}
			byName[name] = d
		}
		return d
	}
	type dayKey = time.Time
	days := map[*domainData]map[dayKey]*dayCount{}
	rows := map[*domainData]map[string]*sourceRow{}
	for _, lr := range reps {
		r := lr.r
		switch {
		case r.Aggregate != nil:
			a := r.Aggregate
			d := get(a.PolicyDomain)
			d.aggregates++
			d.widen(a.Begin, a.End)
			d.addOrg(a.OrgName)
			if d.policyAt.IsZero() || !a.End.Before(d.policyAt) {
				d.policy, d.policyAt = a.Policy, a.End
			}
			if days[d] == nil {
				days[d], rows[d] = map[dayKey]*dayCount{}, map[string]*sourceRow{}
			}
			day := a.Begin.UTC().Truncate(24 * time.Hour)
			dc := days[d][day]
			if dc == nil {
				dc = &dayCount{day: day}
				days[d][day] = dc
			}
			for i := range a.Records {
				rec := &a.Records[i]
				n := capCount(int64(rec.Count))
				pass := rec.Pass()
				switch {
				case pass:
					dc.pass = capCount(dc.pass + n)
				case rec.Disposition == "quarantine" || rec.Disposition == "reject":
					dc.blocked = capCount(dc.blocked + n)
				default:
					dc.failed = capCount(dc.failed + n)
				}
				d.total = capCount(d.total + n)
				if !pass {
					d.failing = capCount(d.failing + n)
				}
				key := strings.Join([]string{rec.SourceIP, rec.Disposition, rec.DKIM, rec.SPF, rec.HeaderFrom, rec.EnvelopeFrom, authKey(rec.Auth), reasonKey(rec.Reasons)}, "\x00")
				s := rows[d][key]
				if s == nil {
					if len(rows[d]) >= maxSources {
						d.dropped++
						continue
					}
					s = &sourceRow{ip: rec.SourceIP, disposition: rec.Disposition, dkim: rec.DKIM, spf: rec.SPF, headerFrom: rec.HeaderFrom,
						envFrom: rec.EnvelopeFrom, auth: rec.Auth, reasons: rec.Reasons, rescued: rec.RescuedByARC(), pass: pass, offline: lr.offline}
					rows[d][key] = s
					d.sources = append(d.sources, s)
				}
				s.count = capCount(s.count + n)
				if !contains(s.orgs, a.OrgName) && len(s.orgs) < 20 {
					s.orgs = append(s.orgs, a.OrgName)
				}
				s.offline = s.offline && lr.offline
			}
		case r.Failure != nil:
			d := get(r.Failure.ReportedDomain) // its arrival is not a period reported on
			d.failures = append(d.failures, lr)
		case r.TLS != nil:
			t := r.TLS
			for _, p := range t.Policies {
				d := get(p.Domain)
				d.widen(t.Begin, t.End)
				d.addOrg(t.OrgName)
				d.tls = append(d.tls, tlsRow{org: t.OrgName, begin: t.Begin, end: t.End, policy: p, offline: lr.offline})
			}
		}
	}
	out := make([]*domainData, 0, len(byName))
	for _, d := range byName {
		d.days = fillDays(days[d])
		sort.SliceStable(d.sources, func(i, j int) bool {
			a, b := d.sources[i], d.sources[j]
			if a.pass != b.pass {
				return !a.pass // failing sources first
			}
			return a.count > b.count
		})
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func (d *domainData) widen(begin, end time.Time) {
	if begin.IsZero() || end.IsZero() {
		return
	}
	if d.begin.IsZero() || begin.Before(d.begin) {
		d.begin = begin
	}
	if end.After(d.end) {
		d.end = end
	}
}

func (d *domainData) addOrg(org string) {
	if !contains(d.orgs, org) && len(d.orgs) < 50 {
		d.orgs = append(d.orgs, org)
	}
}

// fillDays is one entry per day from the first to the last day reported,
// days without reports included (at zero), at most maxDays (the latest).
func fillDays(m map[time.Time]*dayCount) []dayCount {
	if len(m) == 0 {
		return nil
	}
	var first, last time.Time
	for day := range m {
		if first.IsZero() || day.Before(first) {
			first = day
		}
		if day.After(last) {
			last = day
		}
	}
	if last.Sub(first) > (maxDays-1)*24*time.Hour {
		first = last.Add(-(maxDays - 1) * 24 * time.Hour)
	}
	var out []dayCount
	for day := first; !day.After(last); day = day.Add(24 * time.Hour) {
		if dc := m[day]; dc != nil {
			out = append(out, *dc)
		} else {
			out = append(out, dayCount{day: day})
		}
	}
	return out
}

func capCount(n int64) int64 {
	if n < 0 {
		return 0
	}
	return min(n, maxCount)
}

func normDomain(s string) string {
	s = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	if s == "" {
		return "(no domain given)"
	}
	return s
}

func authKey(a reports.Auth) string {
	var b strings.Builder
	for _, d := range a.DKIM {
		b.WriteString(d.Domain + "/" + d.Selector + "/" + d.Result + ";")
	}
	for _, s := range a.SPF {
		b.WriteString(s.Domain + "/" + s.Scope + "/" + s.Result + ";")
	}
	return b.String()
}

func reasonKey(rs []reports.Reason) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.Type + "/" + r.Comment + ";")
	}
	return b.String()
}

// sameIP compares two addresses as addresses (an IPv6 address is written in
// many ways; a report's may carry a zone or spaces).
func sameIP(a, b string) bool {
	pa, err1 := netip.ParseAddr(strings.TrimSpace(a))
	pb, err2 := netip.ParseAddr(strings.TrimSpace(b))
	if err1 != nil || err2 != nil {
		return false
	}
	return pa.Unmap() == pb.Unmap()
}

// recordAligned says whether domain d aligns with the From domain from: equal
// (strict, "s"), or sharing the organizational domain (relaxed), RFC 7489
// section 3.1 (the public suffix list stands for the organizational domain).
func recordAligned(d, from, mode string) bool {
	d, from = normDomain(d), normDomain(from)
	if d == from {
		return true
	}
	if mode == "s" {
		return false
	}
	od, err1 := publicsuffix.EffectiveTLDPlusOne(d)
	of, err2 := publicsuffix.EffectiveTLDPlusOne(from)
	return err1 == nil && err2 == nil && od == of
}

// suggestion is what the domain's owner could do about a source, in plain
// words, derived from the record alone: its aligned and raw results, the
// receiver's reasons and the published policy.
func suggestion(s *sourceRow, p reports.Policy) string {
	from := normDomain(s.headerFrom)
	var dkimPass, dkimPassAligned, dkimFailOwn []reports.DKIMAuth
	for _, d := range s.auth.DKIM {
		switch {
		case d.Result == "pass" && recordAligned(d.Domain, from, p.ADKIM):
			dkimPassAligned = append(dkimPassAligned, d)
		case d.Result == "pass":
			dkimPass = append(dkimPass, d)
		case recordAligned(d.Domain, from, "r"):
			dkimFailOwn = append(dkimFailOwn, d)
		}
	}
	spf := reports.SPFAuth{Result: "none"}
	for _, x := range s.auth.SPF {
		if x.Scope == "" || x.Scope == "mfrom" {
			spf = x
			break
		}
	}
	spfDomain := normDomain(spf.Domain)
	if spf.Domain == "" {
		spfDomain = normDomain(s.envFrom)
	}
	spfAligned := spf.Result == "pass" && recordAligned(spfDomain, from, p.ASPF)

	if s.pass {
		if s.dkim == "pass" && s.spf != "pass" && spf.Result != "pass" {
			return fmt.Sprintf("Passes through its DKIM signature alone: SPF says %s for %s (this IP is not in that SPF record). "+
				"Nothing to do unless it is your own server, then add it to the SPF record; if the signature ever breaks on the way, this mail fails.", spf.Result, spfDomain)
		}
		return "Nothing to do: this source passes DMARC."
	}
	if s.rescued {
		return "Forwarded mail rescued by ARC: a mailing list or forwarder changed the message (so your signature broke), and the receiver trusted the forwarder's ARC seal, which said it passed before. Nothing to fix in your DNS."
	}
	for _, r := range s.reasons {
		switch r.Type {
		case "forwarded", "mailing_list", "trusted_forwarder":
			return "The receiver says this was forwarded (" + r.Type + "): the forwarder broke your signature or sent from its own IP. Nothing to fix in your records; a forwarder that seals with ARC lets receivers see it passed before."
		}
	}
	switch {
	case len(dkimPass) > 0 && (spf.Result == "pass" && !spfAligned) && len(dkimPassAligned) == 0:
		if p.ADKIM == "s" && recordAligned(dkimPass[0].Domain, from, "r") {
			return fmt.Sprintf("Strict alignment: the signature of %s and the envelope sender %s pass, but adkim=s and aspf=s ask for %s exactly. "+
				"Sign with %s itself, or publish adkim=r (relaxed) if subdomains are yours.", dkimPass[0].Domain, spfDomain, from, from)
		}
		return fmt.Sprintf("A service signs (%s) and sends (%s) with its own domains: both pass, but neither is %s, so DMARC fails. "+
			"If it sends for you (a newsletter or CRM provider), have it sign with a DKIM key under %s (it usually gives you a CNAME to publish) "+
			"and use a bounce address under %s, or add its include: to your SPF record.", dkimPass[0].Domain, spfDomain, from, from, from)
	case len(dkimPass) > 0 && len(dkimPassAligned) == 0:
		if p.ADKIM == "s" && recordAligned(dkimPass[0].Domain, from, "r") {
			return fmt.Sprintf("Strict alignment: the signature of %s passes, but adkim=s asks for %s exactly. Sign with %s itself, or publish adkim=r.", dkimPass[0].Domain, from, from)
		}
		return fmt.Sprintf("Signed by %s, not by %s: the signature passes but is not aligned. If this service sends for you, have it sign with a key under %s.", dkimPass[0].Domain, from, from)
	case spf.Result == "permerror":
		return fmt.Sprintf("The SPF record of %s cannot be evaluated (permerror: a syntax error, or more than ten DNS lookups). Fix the record: every receiver fails SPF for all your mail.", spfDomain)
	case spf.Result == "temperror":
		return fmt.Sprintf("SPF for %s could not be checked (temperror: a DNS failure at the receiver). Check that your DNS servers answer; it is not a failure of the sender.", spfDomain)
	case len(dkimFailOwn) > 0 && spf.Result == "pass":
		return fmt.Sprintf("Your DKIM signature (%s, selector %s) did not verify, but SPF passed for %s, not aligned. The message was changed on the way, or the key in DNS is not the one that signed.", dkimFailOwn[0].Domain, dkimFailOwn[0].Selector, spfDomain)
	case len(dkimFailOwn) > 0:
		return fmt.Sprintf("Your DKIM signature (%s, selector %s) did not verify and this IP is not in your SPF record. If this is a forwarder or a mailing list, nothing to fix; "+
			"if it is your own server, check that the selector's key in DNS is the one it signs with.", dkimFailOwn[0].Domain, dkimFailOwn[0].Selector)
	case spf.Result == "none" && len(s.auth.DKIM) == 0:
		return fmt.Sprintf("Nothing authenticates this mail: %s publishes no SPF record and there was no DKIM signature. If %s is not a domain you send from, this is someone using your name, and your policy (%s) is what stops it.", spfDomain, from, policyFor(p, from))
	case spf.Result == "fail" || spf.Result == "softfail" || spf.Result == "neutral":
		return fmt.Sprintf("This IP is not in your SPF record (%s for %s) and there is no valid signature. If it is your newsletter provider or another service that sends for you, add its include: to the SPF record and have it sign with DKIM; "+
			"if you do not know it, someone is using your name, and your policy (%s) is what stops it.", spf.Result, spfDomain, policyFor(p, from))
	}
	return fmt.Sprintf("Neither DKIM nor SPF passed aligned with %s.", from)
}

// policyFor says the published policy words.
func policyFor(p reports.Policy, from string) string {
	var parts []string
	for _, kv := range [][2]string{{"p", p.P}, {"sp", p.SP}, {"np", p.NP}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	if len(parts) == 0 {
		return "not stated in the report"
	}
	return strings.Join(parts, " ")
}

// policyText is the published policy as one line.
func policyText(p reports.Policy) string {
	var parts []string
	for _, kv := range [][2]string{{"p", p.P}, {"sp", p.SP}, {"np", p.NP}, {"adkim", p.ADKIM}, {"aspf", p.ASPF}, {"pct", p.Pct}, {"testing", p.Testing}, {"discovery", p.Discovery}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	return strings.Join(parts, "  ")
}
