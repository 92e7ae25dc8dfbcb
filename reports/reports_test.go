package reports

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func readOne(t *testing.T, file string) *Report {
	t.Helper()
	reps, err := ReadFile(filepath.Join("testdata", file), Limits{})
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if len(reps) != 1 {
		t.Fatalf("%s: %d reports, want 1", file, len(reps))
	}
	if len(reps[0].Errors) > 0 {
		t.Fatalf("%s: errors %q", file, reps[0].Errors)
	}
	return reps[0]
}

func day(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestAggregateRFC7489 reads our own RFC 7489 report in its three forms
// (XML, gzip, and the same via ReadDir) and checks every field.
func TestAggregateRFC7489(t *testing.T) {
	want := &Aggregate{
		Schema: SchemaRFC7489, OrgName: "Receiver One", Email: "dmarc-noreply@receiver-one.example",
		ReportID: "r1-2026-11-28-0001", Begin: day("2026-11-27T00:00:00Z"), End: day("2026-11-27T23:59:59Z"),
		PolicyDomain: "sealtrace.example", Policy: Policy{P: "quarantine", ADKIM: "r", ASPF: "s", Pct: "100"},
		Records: []Record{
			{SourceIP: "192.0.2.10", Count: 12, Disposition: "none", DKIM: "pass", SPF: "pass",
				HeaderFrom: "sealtrace.example", EnvelopeFrom: "sealtrace.example",
				Auth: Auth{DKIM: []DKIMAuth{{Domain: "sealtrace.example", Selector: "mail2026", Result: "pass"}},
					SPF: []SPFAuth{{Domain: "sealtrace.example", Scope: "mfrom", Result: "pass"}}}},
			{SourceIP: "198.51.100.7", Count: 3, Disposition: "none", DKIM: "fail", SPF: "fail",
				Reasons:    []Reason{{Type: "local_policy", Comment: "arc=pass as[2].d=lists.example as[2].s=arc1 remote-ip[2]=192.0.2.10"}},
				HeaderFrom: "sealtrace.example", EnvelopeFrom: "lists.example",
				Auth: Auth{DKIM: []DKIMAuth{{Domain: "sealtrace.example", Selector: "mail2026", Result: "fail"},
					{Domain: "lists.example", Selector: "arc1", Result: "pass"}},
					SPF: []SPFAuth{{Domain: "lists.example", Scope: "mfrom", Result: "pass"}}}},
			{SourceIP: "203.0.113.99", Count: 5, Disposition: "quarantine", DKIM: "fail", SPF: "fail",
				HeaderFrom: "sealtrace.example",
				Auth:       Auth{SPF: []SPFAuth{{Domain: "bulk-sender.example", Scope: "mfrom", Result: "softfail"}}}},
		},
	}
	for _, f := range []string{"agg-rfc7489.xml", "agg-rfc7489.xml.gz"} {
		r := readOne(t, f)
		if r.Kind != KindAggregate || r.Source != filepath.Join("testdata", f) {
			t.Errorf("%s: kind %q source %q", f, r.Kind, r.Source)
		}
		if !reflect.DeepEqual(r.Aggregate, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", f, r.Aggregate, want)
		}
	}
	r := readOne(t, "agg-rfc7489.xml")
	if got := r.Aggregate.Total(); got != 20 {
		t.Errorf("Total = %d, want 20", got)
	}
	recs := r.Aggregate.Records
	if !recs[0].Pass() || recs[1].Pass() || recs[2].Pass() {
		t.Errorf("Pass: %v %v %v, want true false false", recs[0].Pass(), recs[1].Pass(), recs[2].Pass())
	}
	if recs[0].RescuedByARC() || !recs[1].RescuedByARC() || recs[2].RescuedByARC() {
		t.Errorf("RescuedByARC: %v %v %v, want false true false", recs[0].RescuedByARC(), recs[1].RescuedByARC(), recs[2].RescuedByARC())
	}
}

// TestAggregateRFC9990 reads the dmarc-2.0 namespace with RFC 9990's new
// elements (np, testing, discovery_method, generator, the pass
// disposition, extensions skipped), as XML and as a zip, and as the whole
// body of a message (Google's application/zip).
func TestAggregateRFC9990(t *testing.T) {
	for _, f := range []string{"agg-rfc9990.xml", "agg-rfc9990.zip", "zip-body.eml"} {
		a := readOne(t, f).Aggregate
		if a == nil {
			t.Fatalf("%s: no aggregate", f)
		}
		if a.Schema != SchemaRFC9990 || a.Version != "1.0" || a.Generator != "Receiver Two reporter 4.1" {
			t.Errorf("%s: schema %q version %q generator %q", f, a.Schema, a.Version, a.Generator)
		}
		wantPol := Policy{P: "reject", SP: "quarantine", NP: "reject", Testing: "y", Discovery: "treewalk"}
		if a.Policy != wantPol {
			t.Errorf("%s: policy %+v, want %+v", f, a.Policy, wantPol)
		}
		if len(a.Records) != 2 {
			t.Fatalf("%s: %d records", f, len(a.Records))
		}
		r0 := a.Records[0]
		if r0.SourceIP != "2001:db8::25" || r0.Count != 40 || r0.Disposition != "pass" || !r0.Pass() ||
			r0.EnvelopeTo != "receiver-two.example" || r0.Auth.DKIM[0].HumanResult != "good signature" {
			t.Errorf("%s: record 0 %+v", f, r0)
		}
		if r1 := a.Records[1]; r1.Pass() || len(r1.Reasons) != 1 || r1.Reasons[0].Type != "other" {
			t.Errorf("%s: record 1 %+v", f, r1)
		}
	}
}

// TestFailureReport reads an ARF report carrying the whole message and one
// carrying only its header (with a base64 feedback part and a Source-IP
// followed by a comment).
func TestFailureReport(t *testing.T) {
	f := readOne(t, "failure.eml").Failure
	if f == nil {
		t.Fatal("no failure report")
	}
	if f.FeedbackType != "auth-failure" || f.SourceIP != "203.0.113.99" || f.ReportedDomain != "sealtrace.example" ||
		f.AuthFailure != "dmarc" || f.IdentityAlignment != "none" || f.DeliveryResult != "spam" ||
		f.UserAgent != "ReceiverOne-Feedback/2.3" || f.OriginalMailFrom != "<billing@bulk-sender.example>" ||
		!reflect.DeepEqual(f.OriginalRcptTo, []string{"<alice@receiver-one.example>"}) {
		t.Errorf("fields %+v", f)
	}
	if !f.ArrivalDate.Equal(day("2026-11-28T10:04:59Z")) || f.ArrivalDate.Location() != time.UTC {
		t.Errorf("ArrivalDate %v, want 2026-11-28T10:04:59Z in UTC", f.ArrivalDate)
	}
	if len(f.AuthenticationResults) != 1 || !strings.Contains(f.AuthenticationResults[0], "dmarc=fail header.from=sealtrace.example") {
		t.Errorf("Authentication-Results %q (folded field unfolded)", f.AuthenticationResults)
	}
	if f.HeadersOnly || !bytes.Contains(f.Original, []byte("Message-ID: <invoice-5512@bulk-sender.example>")) ||
		!bytes.HasSuffix(f.Original, []byte("Please pay the attached invoice today.\n")) {
		t.Errorf("Original (headers only %v):\n%s", f.HeadersOnly, f.Original)
	}

	h := readOne(t, "failure-headers.eml").Failure
	if h.SourceIP != "2001:db8::17c" || h.AuthFailure != "dkim" || h.DKIMDomain != "sealtrace.example" ||
		h.DKIMSelector != "mail2026" || !h.ArrivalDate.IsZero() {
		t.Errorf("fields %+v", h)
	}
	if !h.HeadersOnly || !bytes.Contains(h.Original, []byte("Message-ID: <news-2026-11@sealtrace.example>")) {
		t.Errorf("Original (headers only %v):\n%s", h.HeadersOnly, h.Original)
	}
}

// TestTLSReport reads RFC 8460 JSON as a file and as the gzipped attachment
// of a multipart/report message.
func TestTLSReport(t *testing.T) {
	want := &TLSReport{
		OrgName: "Receiver Three", ContactInfo: "tls-reports@receiver-three.example",
		ReportID: "2026-11-28T00:00:00Z_sealtrace.example", Begin: day("2026-11-28T00:00:00Z"), End: day("2026-11-28T23:59:59Z"),
		Policies: []TLSPolicy{
			{Type: "sts", Domain: "sealtrace.example", Strings: []string{"version: STSv1", "mode: enforce", "mx: mx1.sealtrace.example", "max_age: 86400"},
				MXHosts: []string{"mx1.sealtrace.example"}, Success: 310, Failure: 4,
				Failures: []TLSFailure{
					{ResultType: "certificate-expired", SendingIP: "198.51.100.40", ReceivingMX: "mx1.sealtrace.example", ReceivingIP: "192.0.2.25", Count: 3},
					{ResultType: "starttls-not-supported", SendingIP: "198.51.100.41", ReceivingMX: "mx2.sealtrace.example", Count: 1},
				}},
			{Type: "tlsa", Domain: "sealtrace.example", Strings: []string{"3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6"}, Success: 310},
		},
	}
	for _, f := range []string{"tlsrpt.json", "tlsrpt.eml"} {
		r := readOne(t, f)
		if r.Kind != KindTLS || !reflect.DeepEqual(r.TLS, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", f, r.TLS, want)
		}
	}
}

// TestMbox: an mbox of report messages gives each report; the message that
// carries none is an error that names it, and does not stop the others.
func TestMbox(t *testing.T) {
	reps, err := ReadFile("testdata/reports.mbox", Limits{})
	if !errors.Is(err, ErrNotReport) || !strings.Contains(err.Error(), "message 2") ||
		!strings.Contains(err.Error(), "Are you receiving our reports?") {
		t.Errorf("error %v, want ErrNotReport naming message 2 and its subject", err)
	}
	var kinds []string
	for _, r := range reps {
		kinds = append(kinds, r.Kind)
	}
	if !reflect.DeepEqual(kinds, []string{KindAggregate, KindFailure, KindTLS}) {
		t.Errorf("kinds %q", kinds)
	}
	if len(reps) == 3 && !strings.HasPrefix(reps[1].Source, "testdata/reports.mbox: message 3") {
		t.Errorf("source %q", reps[1].Source)
	}
}

// TestReadDir reads our whole testdata folder: every file gives its reports
// (10 files, 12 reports), the mbox's plain message is the one error, and
// a hidden file is skipped.
func TestReadDir(t *testing.T) {
	dir := t.TempDir()
	files, _ := filepath.Glob("testdata/*")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o600)
	}
	os.WriteFile(filepath.Join(dir, ".hidden.xml"), []byte("not xml"), 0o600)
	reps, err := ReadDir(dir, Limits{})
	if len(reps) != 12 {
		t.Errorf("%d reports, want 12", len(reps))
	}
	if err == nil || strings.Count(err.Error(), "\n") != 0 || !strings.Contains(err.Error(), "message 2") {
		t.Errorf("error %v, want only the mbox's message 2", err)
	}
	seen := map[string]int{}
	for _, r := range reps {
		if k := r.Key(); k != "" {
			seen[k]++
		}
	}
	// The RFC 9990 report arrives 4 times (xml, zip, eml, mbox): one key.
	if seen[KindAggregate+"\x00Receiver Two\x00rcv2.7731"] != 4 {
		t.Errorf("keys %v", seen)
	}
}

// TestJSONContract checks the JSON of each kind against the contract in
// docs/report.md: the keys, RFC 3339 UTC times, null for an unpublished
// policy value, the caller's original inside a failure report.
func TestJSONContract(t *testing.T) {
	decode := func(r *Report, orig json.RawMessage) map[string]any {
		t.Helper()
		b, err := r.JSON(orig)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("\n")) {
			t.Errorf("JSON spans lines: %s", b)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		return m
	}
	m := decode(readOne(t, "agg-rfc7489.xml"), nil)
	for _, k := range []string{"kind", "org_name", "report_id", "begin", "end", "policy_domain", "policy", "records", "schema", "errors"} {
		if _, ok := m[k]; !ok {
			t.Errorf("aggregate: no %q", k)
		}
	}
	if m["kind"] != "aggregate" || m["begin"] != "2026-11-27T00:00:00Z" || m["end"] != "2026-11-27T23:59:59Z" || m["schema"] != "rfc7489" {
		t.Errorf("aggregate: %v", m)
	}
	pol := m["policy"].(map[string]any)
	if pol["p"] != "quarantine" || pol["sp"] != nil || pol["np"] != nil || pol["testing"] != nil {
		t.Errorf("policy %v: p quarantine, sp/np/testing null", pol)
	}
	for _, k := range []string{"p", "sp", "np", "adkim", "aspf", "testing"} {
		if _, ok := pol[k]; !ok {
			t.Errorf("policy has no %q", k)
		}
	}
	rec := m["records"].([]any)[1].(map[string]any)
	for _, k := range []string{"source_ip", "count", "disposition", "dkim", "spf", "header_from", "envelope_from", "reasons", "auth"} {
		if _, ok := rec[k]; !ok {
			t.Errorf("record has no %q", k)
		}
	}
	auth := rec["auth"].(map[string]any)
	dk := auth["dkim"].([]any)[1].(map[string]any)
	sp := auth["spf"].([]any)[0].(map[string]any)
	if dk["domain"] != "lists.example" || dk["selector"] != "arc1" || dk["result"] != "pass" ||
		sp["domain"] != "lists.example" || sp["scope"] != "mfrom" || sp["result"] != "pass" {
		t.Errorf("auth %v", auth)
	}
	if rs := rec["reasons"].([]any); len(rs) != 1 || rs[0].(map[string]any)["type"] != "local_policy" {
		t.Errorf("reasons %v", rs)
	}

	fr := readOne(t, "failure.eml")
	m = decode(fr, json.RawMessage(`{"message_id":"<invoice-5512@bulk-sender.example>"}`))
	if m["kind"] != "failure" || m["feedback_type"] != "auth-failure" || m["source_ip"] != "203.0.113.99" ||
		m["reported_domain"] != "sealtrace.example" || m["arrival_date"] != "2026-11-28T10:04:59Z" || m["auth_failure"] != "dmarc" {
		t.Errorf("failure: %v", m)
	}
	if o, _ := m["original"].(map[string]any); o["message_id"] != "<invoice-5512@bulk-sender.example>" {
		t.Errorf("original %v", m["original"])
	}
	if m = decode(fr, nil); m["original"] != nil {
		t.Errorf("original without an inspection: %v, want null", m["original"])
	}

	m = decode(readOne(t, "tlsrpt.json"), nil)
	if m["kind"] != "tlsrpt" || m["org_name"] != "Receiver Three" || m["begin"] != "2026-11-28T00:00:00Z" {
		t.Errorf("tlsrpt: %v", m)
	}
	p0 := m["policies"].([]any)[0].(map[string]any)
	f0 := p0["failures"].([]any)[0].(map[string]any)
	if p0["type"] != "sts" || p0["domain"] != "sealtrace.example" || p0["success"] != 310.0 || p0["failure"] != 4.0 ||
		f0["result_type"] != "certificate-expired" || f0["sending_ip"] != "198.51.100.40" ||
		f0["receiving_mx"] != "mx1.sealtrace.example" || f0["count"] != 3.0 {
		t.Errorf("policy %v", p0)
	}
}

// TestHostileStrings: a report's strings are data. Terminal controls in
// them reach the JSON only escaped (no raw ESC, C1 or bidi override), and
// decode back to what was sent; CSV cells a spreadsheet would run as a
// formula are defused.
func TestHostileStrings(t *testing.T) {
	// XML cannot carry C0 controls (encoding/xml refuses them, escaped or
	// raw), but it carries C1 controls (U+009B is CSI to a terminal) and
	// bidirectional overrides; TLS reports' JSON carries anything.
	xml := `<feedback><report_metadata><org_name>Evil ` + "\u009b31m\u202eCorp" + `</org_name><report_id>=HYPERLINK("http://x")</report_id>` +
		`<date_range><begin>0</begin><end>1</end></date_range></report_metadata><policy_published><domain>x.example</domain><p>none</p></policy_published>` +
		`<record><row><source_ip>-1+2</source_ip><count>1</count><policy_evaluated><disposition>none</disposition><dkim>fail</dkim><spf>fail</spf></policy_evaluated></row>` +
		`<identifiers><header_from>@x.example</header_from></identifiers></record></feedback>`
	js := `{"organization-name":"Evil\u001b]0;pwned\u0007\u009b31m","policies":[]}`
	for _, in := range []struct{ name, data, org string }{
		{"hostile.xml", xml, "Evil \u009b31m\u202eCorp"},
		{"hostile.json", js, "Evil\x1b]0;pwned\x07\u009b31m"},
	} {
		reps, err := Read(in.name, []byte(in.data), Limits{})
		if err != nil || len(reps) != 1 {
			t.Fatalf("%s: %v %d", in.name, err, len(reps))
		}
		b, err := reps[0].JSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"\x1b", "\x07", "\u009b", "\u202e"} {
			if bytes.Contains(b, []byte(bad)) {
				t.Errorf("%s: JSON carries raw %q: %s", in.name, bad, b)
			}
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil || m["org_name"] != in.org {
			t.Errorf("%s: org_name decodes to %q (%v), want %q", in.name, m["org_name"], err, in.org)
		}
	}
	reps, _ := Read("hostile.xml", []byte(xml), Limits{})
	rows := reps[0].CSVRecords()
	if len(rows) != 1 {
		t.Fatalf("%d rows", len(rows))
	}
	hdr := CSVHeader()
	cell := func(name string) string {
		for i, h := range hdr {
			if h == name {
				return rows[0][i]
			}
		}
		t.Fatalf("no column %q", name)
		return ""
	}
	if cell("report_id") != `'=HYPERLINK("http://x")` || cell("source_ip") != "'-1+2" || cell("header_from") != "'@x.example" {
		t.Errorf("CSV row %q", rows[0])
	}
	if len(rows[0]) != len(hdr) {
		t.Errorf("row of %d cells, header of %d", len(rows[0]), len(hdr))
	}
}

// TestMessageWithOtherAttachments: a report message that also carries a
// PDF notice and a logo gives its report and no error; a message whose only
// attachment is no report names it in the error.
func TestMessageWithOtherAttachments(t *testing.T) {
	x, err := os.ReadFile("testdata/agg-rfc7489.xml.gz")
	if err != nil {
		t.Fatal(err)
	}
	part := func(ct, name string, body []byte) string {
		return "--b\r\nContent-Type: " + ct + "\r\nContent-Disposition: attachment; filename=\"" + name +
			"\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString(body) + "\r\n"
	}
	head := "From: r@x.example\r\nSubject: Report\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
	msg := head + part("application/pdf", "notice.pdf", []byte("%PDF-1.4 not a report")) +
		part("image/png", "logo.png", []byte("\x89PNG")) + part("application/gzip", "r.xml.gz", x) + "--b--\r\n"
	reps, err := Read("m.eml", []byte(msg), Limits{})
	if err != nil || len(reps) != 1 || reps[0].Source != "m.eml: r.xml.gz" {
		t.Errorf("%d reports, error %v", len(reps), err)
	}
	msg = head + part("application/pdf", "notice.pdf", []byte("%PDF-1.4 not a report")) + "--b--\r\n"
	reps, err = Read("m.eml", []byte(msg), Limits{})
	if len(reps) != 0 || !errors.Is(err, ErrNotReport) || !strings.Contains(err.Error(), "m.eml: notice.pdf") {
		t.Errorf("%d reports, error %v", len(reps), err)
	}
}
