package dmarcpeers

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Tally counts field comparisons between our reading and a peer's.
//
//   - Agreed: the peer gives the same value.
//   - Explained: the peer gives another value, and the difference is one of
//     its documented quirks (listed in Quirks); our value is the one the
//     report carries.
//   - Diffs: any other difference (the test fails on them).
type Tally struct {
	Compared, Agreed, Explained int
	Diffs                       []string
	// Quirks counts the explained differences by quirk.
	Quirks map[string]int
	// names of the two sides in Diffs: "ours" and "peer" unless set.
	want, got string
}

// Add adds o's counts to t.
func (t *Tally) Add(o *Tally) {
	t.Compared += o.Compared
	t.Agreed += o.Agreed
	t.Explained += o.Explained
	t.Diffs = append(t.Diffs, o.Diffs...)
	for k, v := range o.Quirks {
		if t.Quirks == nil {
			t.Quirks = map[string]int{}
		}
		t.Quirks[k] += v
	}
}

func (t *Tally) String() string {
	return fmt.Sprintf("%d/%d fields agree, %d differ by a known peer quirk, %d differ", t.Agreed, t.Compared, t.Explained, len(t.Diffs))
}

// eq compares one field; want is ours, got the peer's. Whitespace around a
// value is not part of it (the peers keep the reporter's; we trim).
func (t *Tally) eq(where, want, got string) {
	if got == Unknown {
		return
	}
	t.Compared++
	if strings.TrimSpace(want) == strings.TrimSpace(got) {
		t.Agreed++
		return
	}
	w, g := t.want, t.got
	if w == "" {
		w, g = "ours", "peer"
	}
	t.Diffs = append(t.Diffs, fmt.Sprintf("%s: %s %q, %s %q", where, w, want, g, got))
}

// Prefix returns t with every difference prefixed by what (a file name).
func (t *Tally) Prefix(what string) *Tally {
	for i, d := range t.Diffs {
		t.Diffs[i] = what + ": " + d
	}
	return t
}

// quirk compares a field the peer is known to rewrite: want is ours, as
// what the peer would print is rewrite(want).
func (t *Tally) quirk(where, want, rewritten, got, name string) {
	if got == Unknown {
		return
	}
	if strings.TrimSpace(want) == strings.TrimSpace(got) || strings.TrimSpace(rewritten) != strings.TrimSpace(got) {
		t.eq(where, want, got)
		return
	}
	t.Compared++
	t.Explained++
	if t.Quirks == nil {
		t.Quirks = map[string]int{}
	}
	t.Quirks[name]++
}

func (t *Tally) num(where string, want, got int64) {
	t.eq(where, strconv.FormatInt(want, 10), strconv.FormatInt(got, 10))
}

// ip compares addresses as addresses: a reporter may write an IPv6 address
// in any of its forms; dmarc-cat prints it in RFC 5952's, Mail::DMARC keeps
// what was written.
func (t *Tally) ip(where, want, got string) {
	a, err1 := netip.ParseAddr(strings.TrimSpace(want))
	b, err2 := netip.ParseAddr(strings.TrimSpace(got))
	if err1 == nil && err2 == nil && a.Unmap() == b.Unmap() {
		t.eq(where, want, want)
		return
	}
	t.eq(where, want, got)
}

// Quirks of the peers, the names Tally.Quirks counts them under.
const (
	// Mail::DMARC 1.20211209 (Report/Receive.pm, do_node_record):
	QuirkMDDisposition = "Mail::DMARC: a disposition other than none|quarantine|reject (RFC 9990's pass) is stored as none"
	QuirkMDResult      = "Mail::DMARC: an evaluated dkim/spf other than pass|fail is stored as pass"
	QuirkMDAuthFirst   = "Mail::DMARC: every auth_results/dkim (spf) entry of a record gets, per field, the first value of that field in any entry (its XPath is relative to the record)"
	QuirkMDFromSubject = "Mail::DMARC: an envelope_to or header_from absent from the XML is taken from the message's Subject or attachment name"
	QuirkMDReportID    = "Mail::DMARC: <> around report_id are removed"
	QuirkMDSPFResult   = "Mail::DMARC: an auth_results SPF result outside RFC 7208's is stored as temperror"
	QuirkMDSPFScope    = "Mail::DMARC: an SPF scope other than mfrom|helo is dropped"
	// dmarc-cat 0.15.0:
	QuirkCatAuthMerge = "dmarc-cat: several auth_results/dkim (spf) entries are decoded into one struct, later ones overwriting"
)

func stripAngles(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "<")
	return strings.TrimSuffix(s, ">")
}

// CompareMailDMARC counts what Mail::DMARC read against ours: every field
// its receiver keeps (np, testing, discovery_method, generator and fo it
// does not read).
// fromMessage says the peer read a whole message (.eml), not a bare report.
func CompareMailDMARC(ours, peer *Feedback, fromMessage bool) *Tally {
	t := &Tally{}
	t.eq("org_name", ours.OrgName, peer.OrgName)
	t.eq("email", ours.Email, peer.Email)
	t.quirk("report_id", ours.ReportID, stripAngles(ours.ReportID), peer.ReportID, QuirkMDReportID)
	t.num("begin", ours.Begin, peer.Begin)
	t.num("end", ours.End, peer.End)
	t.eq("errors", strings.Join(ours.Errors, "|"), strings.Join(peer.Errors, "|"))
	t.eq("policy domain", ours.Domain, peer.Domain)
	t.eq("policy adkim", ours.ADKIM, peer.ADKIM)
	t.eq("policy aspf", ours.ASPF, peer.ASPF)
	t.eq("policy p", ours.P, peer.P)
	t.eq("policy sp", ours.SP, peer.SP)
	if ours.Pct != "0" { // its reader skips a value that is false in Perl
		t.eq("policy pct", ours.Pct, peer.Pct)
	}
	t.num("records", int64(len(ours.Records)), int64(len(peer.Records)))
	for i := range min(len(ours.Records), len(peer.Records)) {
		o, p := &ours.Records[i], &peer.Records[i]
		w := fmt.Sprintf("record %d ", i)
		t.ip(w+"source_ip", o.SourceIP, p.SourceIP)
		t.num(w+"count", int64(o.Count), int64(p.Count))
		disp := o.Disposition
		if !slices.Contains([]string{"none", "quarantine", "reject"}, disp) {
			disp = "none"
		}
		t.quirk(w+"disposition", o.Disposition, disp, p.Disposition, QuirkMDDisposition)
		for _, x := range [][3]string{{"dkim", o.DKIM, p.DKIM}, {"spf", o.SPF, p.SPF}} {
			rw := x[1]
			if rw != "pass" && rw != "fail" {
				rw = "pass"
			}
			t.quirk(w+x[0], x[1], rw, x[2], QuirkMDResult)
		}
		t.num(w+"reasons", int64(len(o.Reasons)), int64(len(p.Reasons)))
		for k := range min(len(o.Reasons), len(p.Reasons)) {
			t.eq(fmt.Sprintf("%sreason %d type", w, k), o.Reasons[k].Type, p.Reasons[k].Type)
			t.eq(fmt.Sprintf("%sreason %d comment", w, k), o.Reasons[k].Comment, p.Reasons[k].Comment)
		}
		subj := func(where, want, got string) {
			if fromMessage && strings.TrimSpace(want) == "" && got != "" {
				t.quirk(where, want, got, got, QuirkMDFromSubject)
				return
			}
			t.eq(where, want, got)
		}
		subj(w+"header_from", o.HeaderFrom, p.HeaderFrom)
		t.eq(w+"envelope_from", o.EnvelopeFrom, p.EnvelopeFrom)
		subj(w+"envelope_to", o.EnvelopeTo, p.EnvelopeTo)
		t.num(w+"auth dkim count", int64(len(o.AuthDKIM)), int64(len(p.AuthDKIM)))
		first := firstDKIM(o.AuthDKIM)
		for k := range min(len(o.AuthDKIM), len(p.AuthDKIM)) {
			a, b := o.AuthDKIM[k], p.AuthDKIM[k]
			ww := fmt.Sprintf("%sauth dkim %d ", w, k)
			t.quirk(ww+"domain", a.Domain, first.Domain, b.Domain, QuirkMDAuthFirst)
			t.quirk(ww+"selector", a.Selector, first.Selector, b.Selector, QuirkMDAuthFirst)
			t.quirk(ww+"result", a.Result, first.Result, b.Result, QuirkMDAuthFirst)
			t.quirk(ww+"human_result", a.HumanResult, first.HumanResult, b.HumanResult, QuirkMDAuthFirst)
		}
		t.num(w+"auth spf count", int64(len(o.AuthSPF)), int64(len(p.AuthSPF)))
		firstS := firstSPF(o.AuthSPF)
		for k := range min(len(o.AuthSPF), len(p.AuthSPF)) {
			a, b, first := o.AuthSPF[k], p.AuthSPF[k], firstS
			ww := fmt.Sprintf("%sauth spf %d ", w, k)
			t.quirk(ww+"domain", a.Domain, first.Domain, b.Domain, QuirkMDAuthFirst)
			scope := first.Scope
			if scope != "mfrom" && scope != "helo" {
				t.quirk(ww+"scope", a.Scope, "", b.Scope, QuirkMDSPFScope)
			} else {
				t.quirk(ww+"scope", a.Scope, scope, b.Scope, QuirkMDAuthFirst)
			}
			res := first.Result
			if !slices.Contains([]string{"none", "neutral", "pass", "fail", "softfail", "temperror", "permerror"}, res) {
				t.quirk(ww+"result", a.Result, "temperror", b.Result, QuirkMDSPFResult)
			} else {
				t.quirk(ww+"result", a.Result, res, b.Result, QuirkMDAuthFirst)
			}
		}
	}
	return t
}

// firstDKIM is what Mail::DMARC stores in every DKIM entry: per field, the
// first entry that has it.
func firstDKIM(as []DKIMAuth) DKIMAuth {
	var m DKIMAuth
	for _, a := range slices.Backward(as) {
		m.Domain = cmp(a.Domain, m.Domain)
		m.Selector = cmp(a.Selector, m.Selector)
		m.Result = cmp(a.Result, m.Result)
		m.HumanResult = cmp(a.HumanResult, m.HumanResult)
	}
	return m
}

func firstSPF(as []SPFAuth) SPFAuth {
	var m SPFAuth
	for _, a := range slices.Backward(as) {
		m.Domain = cmp(a.Domain, m.Domain)
		m.Scope = cmp(a.Scope, m.Scope)
		m.Result = cmp(a.Result, m.Result)
	}
	return m
}

// catMerge is what dmarc-cat's single auth struct holds after decoding
// every entry in turn: each later entry's non-empty fields overwrite.
func catMergeDKIM(as []DKIMAuth) DKIMAuth {
	var m DKIMAuth
	for _, a := range as {
		m.Domain = cmp(a.Domain, m.Domain)
		m.Selector = cmp(a.Selector, m.Selector)
		m.Result = cmp(a.Result, m.Result)
		m.HumanResult = cmp(a.HumanResult, m.HumanResult)
	}
	return m
}

func catMergeSPF(as []SPFAuth) SPFAuth {
	var m SPFAuth
	for _, a := range as {
		m.Domain = cmp(a.Domain, m.Domain)
		m.Result = cmp(a.Result, m.Result)
		m.HumanResult = cmp(a.HumanResult, m.HumanResult)
	}
	return m
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// catRows is the table dmarc-cat would print for ours: per record IP,
// Count, header_from, the (merged) DKIM domain or else SPF domain, and
// the merged DKIM and SPF results.
func catRows(f *Feedback) []CatRow {
	rows := make([]CatRow, 0, len(f.Records))
	for _, r := range f.Records {
		d, s := catMergeDKIM(r.AuthDKIM), catMergeSPF(r.AuthSPF)
		rf := d.Domain
		if rf == "" {
			rf = s.Domain
		}
		ip := strings.TrimSpace(r.SourceIP)
		if a, err := netip.ParseAddr(ip); err == nil {
			ip = a.Unmap().String()
		}
		rows = append(rows, CatRow{IP: ip, Count: r.Count, From: strings.TrimSpace(r.HeaderFrom), RFrom: strings.TrimSpace(rf),
			RDKIM: strings.TrimSpace(d.Result), RSPF: strings.TrimSpace(s.Result)})
	}
	return rows
}

func sortRows(rows []CatRow) {
	slices.SortStableFunc(rows, func(a, b CatRow) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
	})
}

// CompareDmarcCat counts what dmarc-cat printed against ours: the table
// (organisation, contact, period, domain, p, adkim, aspf, the number of
// records and per row IP, count, header_from, DKIM-or-SPF domain and the
// DKIM and SPF results) and, when its debug line could be read, the rest
// of what it decodes (report_id, sp, pct, fo, each record's disposition,
// evaluated dkim/spf, reasons, envelope_from/to and auth results).
func CompareDmarcCat(ours *Feedback, peer *CatReport) *Tally {
	t := &Tally{}
	t.eq("org_name", ours.OrgName, peer.OrgName)
	t.eq("email", ours.Email, peer.Email)
	t.num("begin", ours.Begin, peer.Begin)
	t.num("end", ours.End, peer.End)
	t.eq("policy domain", ours.Domain, peer.Domain)
	t.eq("policy p", ours.P, peer.P)
	t.eq("policy adkim", ours.ADKIM, peer.ADKIM)
	t.eq("policy aspf", ours.ASPF, peer.ASPF)
	t.num("records", int64(len(ours.Records)), int64(peer.Count))
	// The table is sorted by count; ties in no set order: compare both
	// sorted the same way.
	want, got := catRows(ours), slices.Clone(peer.Rows)
	sortRows(want)
	sortRows(got)
	t.num("table rows", int64(len(want)), int64(len(got)))
	for i := range min(len(want), len(got)) {
		a, b := want[i], got[i]
		w := fmt.Sprintf("table row %d ", i)
		t.ip(w+"IP", a.IP, b.IP)
		t.num(w+"Count", int64(a.Count), int64(b.Count))
		t.eq(w+"From", a.From, b.From)
		t.eq(w+"RFrom", a.RFrom, b.RFrom)
		t.eq(w+"RDKIM", a.RDKIM, b.RDKIM)
		t.eq(w+"RSPF", a.RSPF, b.RSPF)
	}
	d := peer.Dump
	if d == nil {
		return t
	}
	t.eq("report_id", ours.ReportID, d.ReportID)
	t.eq("extra_contact_info", ours.ExtraContactInfo, d.ExtraContactInfo)
	t.eq("policy sp", ours.SP, d.SP)
	if ours.Pct != "" { // an int in dmarc-cat: absent prints 0
		t.eq("policy pct", ours.Pct, d.Pct)
	}
	t.eq("policy fo", ours.FO, d.FO)
	t.num("dump records", int64(len(ours.Records)), int64(len(d.Records)))
	for i := range min(len(ours.Records), len(d.Records)) {
		o, p := &ours.Records[i], &d.Records[i]
		w := fmt.Sprintf("record %d ", i)
		t.ip(w+"source_ip", o.SourceIP, p.SourceIP)
		t.num(w+"count", int64(o.Count), int64(p.Count))
		t.eq(w+"disposition", o.Disposition, p.Disposition)
		t.eq(w+"dkim", o.DKIM, p.DKIM)
		t.eq(w+"spf", o.SPF, p.SPF)
		if len(p.Reasons) != 1 || p.Reasons[0].Type != Unknown {
			t.num(w+"reasons", int64(len(o.Reasons)), int64(len(p.Reasons)))
			for k := range min(len(o.Reasons), len(p.Reasons)) {
				t.eq(fmt.Sprintf("%sreason %d type", w, k), o.Reasons[k].Type, p.Reasons[k].Type)
				t.eq(fmt.Sprintf("%sreason %d comment", w, k), o.Reasons[k].Comment, p.Reasons[k].Comment)
			}
		}
		t.eq(w+"header_from", o.HeaderFrom, p.HeaderFrom)
		t.eq(w+"envelope_from", o.EnvelopeFrom, p.EnvelopeFrom)
		t.eq(w+"envelope_to", o.EnvelopeTo, p.EnvelopeTo)
		md, ms := catMergeDKIM(o.AuthDKIM), catMergeSPF(o.AuthSPF)
		// When every entry has the same value the merge is that value:
		// an agreement. Otherwise the peer shows the merge, not any one
		// entry.
		chk := func(field, merged, got string, vals []string) {
			same := true
			for _, v := range vals {
				same = same && strings.TrimSpace(v) == strings.TrimSpace(merged)
			}
			if same {
				t.eq(field, merged, got)
				return
			}
			t.Compared++
			if strings.TrimSpace(merged) == strings.TrimSpace(got) {
				t.Explained++
				if t.Quirks == nil {
					t.Quirks = map[string]int{}
				}
				t.Quirks[QuirkCatAuthMerge]++
			} else {
				t.Diffs = append(t.Diffs, fmt.Sprintf("%s: ours merged %q, peer %q", field, merged, got))
			}
		}
		dv := func(f func(DKIMAuth) string) []string {
			var vs []string
			for _, a := range o.AuthDKIM {
				vs = append(vs, f(a))
			}
			return vs
		}
		sv := func(f func(SPFAuth) string) []string {
			var vs []string
			for _, a := range o.AuthSPF {
				vs = append(vs, f(a))
			}
			return vs
		}
		p0, s0 := p.AuthDKIM[0], p.AuthSPF[0]
		chk(w+"auth dkim domain", md.Domain, p0.Domain, dv(func(a DKIMAuth) string { return a.Domain }))
		chk(w+"auth dkim selector", md.Selector, p0.Selector, dv(func(a DKIMAuth) string { return a.Selector }))
		chk(w+"auth dkim result", md.Result, p0.Result, dv(func(a DKIMAuth) string { return a.Result }))
		chk(w+"auth dkim human_result", md.HumanResult, p0.HumanResult, dv(func(a DKIMAuth) string { return a.HumanResult }))
		chk(w+"auth spf domain", ms.Domain, s0.Domain, sv(func(a SPFAuth) string { return a.Domain }))
		chk(w+"auth spf result", ms.Result, s0.Result, sv(func(a SPFAuth) string { return a.Result }))
		chk(w+"auth spf human_result", ms.HumanResult, s0.HumanResult, sv(func(a SPFAuth) string { return a.HumanResult }))
	}
	return t
}

// CompareTruth counts ours against the generator's report: every field,
// exactly.
func CompareTruth(ours, truth *Feedback) *Tally {
	t := &Tally{want: "generated", got: "read"}
	t.eq("schema", truth.Schema, ours.Schema)
	t.eq("org_name", truth.OrgName, ours.OrgName)
	t.eq("email", truth.Email, ours.Email)
	t.eq("extra_contact_info", truth.ExtraContactInfo, ours.ExtraContactInfo)
	t.eq("report_id", truth.ReportID, ours.ReportID)
	t.num("begin", truth.Begin, ours.Begin)
	t.num("end", truth.End, ours.End)
	t.eq("errors", strings.Join(truth.Errors, "|"), strings.Join(ours.Errors, "|"))
	t.eq("generator", truth.Generator, ours.Generator)
	for _, x := range [][3]string{
		{"domain", truth.Domain, ours.Domain}, {"adkim", truth.ADKIM, ours.ADKIM}, {"aspf", truth.ASPF, ours.ASPF},
		{"p", truth.P, ours.P}, {"sp", truth.SP, ours.SP}, {"np", truth.NP, ours.NP}, {"pct", truth.Pct, ours.Pct},
		{"fo", truth.FO, ours.FO}, {"testing", truth.Testing, ours.Testing}, {"discovery_method", truth.DiscoveryMethod, ours.DiscoveryMethod},
	} {
		t.eq("policy "+x[0], x[1], x[2])
	}
	t.num("records", int64(len(truth.Records)), int64(len(ours.Records)))
	for i := range min(len(truth.Records), len(ours.Records)) {
		a, b := truth.Records[i], ours.Records[i]
		w := fmt.Sprintf("record %d ", i)
		t.eq(w+"source_ip", a.SourceIP, b.SourceIP)
		t.num(w+"count", int64(a.Count), int64(b.Count))
		t.eq(w+"disposition", a.Disposition, b.Disposition)
		t.eq(w+"dkim", a.DKIM, b.DKIM)
		t.eq(w+"spf", a.SPF, b.SPF)
		t.eq(w+"reasons", fmt.Sprint(a.Reasons), fmt.Sprint(b.Reasons))
		t.eq(w+"header_from", a.HeaderFrom, b.HeaderFrom)
		t.eq(w+"envelope_from", a.EnvelopeFrom, b.EnvelopeFrom)
		t.eq(w+"envelope_to", a.EnvelopeTo, b.EnvelopeTo)
		t.eq(w+"auth dkim", fmt.Sprint(a.AuthDKIM), fmt.Sprint(b.AuthDKIM))
		t.eq(w+"auth spf", fmt.Sprint(a.AuthSPF), fmt.Sprint(b.AuthSPF))
	}
	return t
}
