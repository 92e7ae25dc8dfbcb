package dmarcpeers

import (
	"bytes"
	"strings"
	"testing"
)

// TestGenerate: the series is deterministic, stays within 1-500 records,
// and mixes both schemas and both packings.
func TestGenerate(t *testing.T) {
	n1, d1, _ := Packed(3, 17, GenOptions{})
	n2, d2, _ := Packed(3, 17, GenOptions{})
	if n1 != n2 || !bytes.Equal(d1, d2) {
		t.Fatal("the same seed and index gave two reports")
	}
	if !CatFileName(n1) {
		t.Errorf("%s: not a name dmarc-cat accepts", n1)
	}
	seen := map[string]int{}
	lo, hi := 1000, 0
	for i := range 300 {
		name, _, f := Packed(3, i, GenOptions{})
		seen[f.Schema]++
		if strings.HasSuffix(name, ".zip") {
			seen["zip"]++
		} else if strings.HasSuffix(name, ".xml.gz") {
			seen["gz"]++
		}
		lo, hi = min(lo, len(f.Records)), max(hi, len(f.Records))
		x := f.XML()
		if ns := bytes.Contains(x, []byte(`xmlns="urn:ietf:params:xml:ns:dmarc-2.0"`)); ns != (f.Schema == "rfc9990") {
			t.Errorf("report %d: schema %s, namespace %v", i, f.Schema, ns)
		}
	}
	if lo < 1 || hi > 500 || hi < 200 {
		t.Errorf("records per report from %d to %d, want within 1-500 and reaching above 200", lo, hi)
	}
	for _, k := range []string{"rfc7489", "rfc9990", "zip", "gz"} {
		if seen[k] < 30 {
			t.Errorf("%s: %d of 300", k, seen[k])
		}
	}
}

// TestParseCatTable reads dmarc-cat's table, written here by hand in its
// layout (tabwriter columns; an empty RDKIM cell; a name with spaces).
func TestParseCatTable(t *testing.T) {
	out := "dmarc-cat 0.15.0,parallel/j1 by Ollivier Robert\n\n" +
		"Reporting by: Enterprise Outlook — dmarcreport@microsoft.com\n" +
		"From 2024-11-25 00:00:00 +0000 UTC to 2024-11-26 00:00:00 +0000 UTC\n\n" +
		"Domain: example.com\nPolicy: p=reject; dkim=s; spf=r\n\nReports(2):\n" +
		"IP          Count   From        RFrom       RDKIM   RSPF    \n" +
		"192.0.2.1   7       example.com example.com pass    pass    \n" +
		"2001:db8::1 1       example.com bulk.test           softfail\n"
	r, err := parseCatTable(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.OrgName != "Enterprise Outlook" || r.Email != "dmarcreport@microsoft.com" || r.Begin != 1732492800 || r.End != 1732579200 ||
		r.Domain != "example.com" || r.P != "reject" || r.ADKIM != "s" || r.ASPF != "r" || r.Count != 2 {
		t.Errorf("header: %+v", r)
	}
	want := []CatRow{{"192.0.2.1", 7, "example.com", "example.com", "pass", "pass"}, {"2001:db8::1", 1, "example.com", "bulk.test", "", "softfail"}}
	if len(r.Rows) != 2 || r.Rows[0] != want[0] || r.Rows[1] != want[1] {
		t.Errorf("rows: %+v", r.Rows)
	}
}

// TestParseCatDump reads the %v line of dmarc-cat's decoded struct: free
// text with spaces goes to the one free field of its run; two free fields
// with spaces make the run Unknown rather than a guess.
func TestParseCatDump(t *testing.T) {
	line := "2026/11/29 15:54:12 report={0 {Big Receiver r@x.test see our page 42 {100 200} []} {example.com r s none quarantine 100 } " +
		"[{{192.0.2.1 3 {none fail pass [{local_policy arc=pass as.1=pass} {forwarded }]}} {example.com bounce.example.com } " +
		"{{example.com s1 pass } {bounce.example.com  pass not quite}}}]}\n2026/11/29 15:54:12 Resolving all 1 IPs\n"
	f := parseCatDump(line, "Big Receiver")
	if f == nil {
		t.Fatal("unreadable")
	}
	if f.OrgName != "Big Receiver" || f.Email != "r@x.test" || f.ExtraContactInfo != "see our page" || f.ReportID != "42" ||
		f.Begin != 100 || f.End != 200 || f.Domain != "example.com" || f.SP != "quarantine" || f.Pct != "100" || f.FO != "" {
		t.Errorf("metadata/policy: %+v", f)
	}
	if len(f.Records) != 1 {
		t.Fatalf("%d records", len(f.Records))
	}
	r := f.Records[0]
	if r.SourceIP != "192.0.2.1" || r.Count != 3 || r.Disposition != "none" || r.DKIM != "fail" || r.SPF != "pass" ||
		r.HeaderFrom != "example.com" || r.EnvelopeFrom != "bounce.example.com" || r.EnvelopeTo != "" {
		t.Errorf("record: %+v", r)
	}
	if len(r.Reasons) != 2 || r.Reasons[0] != (Reason{"local_policy", "arc=pass as.1=pass"}) || r.Reasons[1] != (Reason{"forwarded", ""}) {
		t.Errorf("reasons: %+v", r.Reasons)
	}
	if r.AuthDKIM[0] != (DKIMAuth{"example.com", "s1", "pass", ""}) || r.AuthSPF[0].Domain != "bounce.example.com" || r.AuthSPF[0].HumanResult != "not quite" {
		t.Errorf("auth: %+v %+v", r.AuthDKIM, r.AuthSPF)
	}
	// Without the organisation from the table, its name and the contact
	// text both hold spaces: the run cannot be split, so it is Unknown.
	if f := parseCatDump(line, ""); f == nil || f.OrgName != Unknown || f.ReportID != Unknown || f.Begin != 100 {
		t.Errorf("ambiguous metadata: %+v", f)
	}
}

// TestQuirkIsExact: a peer difference counts as its quirk only when the
// peer's value is exactly the quirk's rewrite of ours; anything else is a
// difference.
func TestQuirkIsExact(t *testing.T) {
	ours := &Feedback{OrgName: "o", ReportID: "<id>", Domain: "d", P: "none", Records: []Record{{
		SourceIP: "2001:db8:0:0::1", Count: 1, Disposition: "pass", DKIM: "pass", SPF: "fail", HeaderFrom: "d",
		AuthDKIM: []DKIMAuth{{Domain: "d", Result: "pass"}, {Domain: "e", Selector: "s", Result: "fail"}},
	}}}
	peer := &Feedback{OrgName: "o", ReportID: "id", Domain: "d", P: "none", Begin: 0, Records: []Record{{
		SourceIP: "2001:db8::1", Count: 1, Disposition: "none", DKIM: "pass", SPF: "fail", HeaderFrom: "d",
		AuthDKIM: []DKIMAuth{{Domain: "d", Selector: "s", Result: "pass"}, {Domain: "d", Selector: "s", Result: "pass"}},
	}}}
	tl := CompareMailDMARC(ours, peer, false)
	if len(tl.Diffs) != 0 || tl.Quirks[QuirkMDDisposition] != 1 || tl.Quirks[QuirkMDReportID] != 1 || tl.Quirks[QuirkMDAuthFirst] != 3 {
		t.Errorf("%s %v %q", tl, tl.Quirks, tl.Diffs)
	}
	peer.Records[0].Disposition = "reject"   // not what the quirk makes of "pass"
	peer.Records[0].AuthDKIM[1].Domain = "x" // neither ours nor the first entry's
	tl = CompareMailDMARC(ours, peer, false)
	if len(tl.Diffs) != 2 {
		t.Errorf("want 2 differences: %s %q", tl, tl.Diffs)
	}
}
