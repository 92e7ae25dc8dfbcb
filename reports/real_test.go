package reports

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sealtrace/sealtrace/internal/testpeers/testdata"
)

// expected is one line of reports/expected.jsonl: what parsedmarc, mox and
// a standard-library reader read from a real report.
type expected struct {
	File         string              `json:"file"`
	Kind         string              `json:"kind"`
	OrgName      string              `json:"org_name"`
	ReportID     string              `json:"report_id"`
	Begin        string              `json:"begin"`
	End          string              `json:"end"`
	PolicyDomain string              `json:"policy_domain"`
	Policy       map[string]*string  `json:"policy"`
	TotalCount   *int                `json:"total_count"`
	Accept       map[string][]string `json:"accept"`
	Records      []struct {
		SourceIP    string `json:"source_ip"`
		Count       int    `json:"count"`
		Disposition string `json:"disposition"`
		DKIM        string `json:"dkim"`
		SPF         string `json:"spf"`
		HeaderFrom  string `json:"header_from"`
	} `json:"records"`
	Policies []struct {
		Type    string `json:"type"`
		Domain  string `json:"domain"`
		Success int64  `json:"success"`
		Failure int64  `json:"failure"`
	} `json:"policies"`
	FeedbackType   string  `json:"feedback_type"`
	SourceIP       string  `json:"source_ip"`
	ReportedDomain string  `json:"reported_domain"`
	ArrivalDateUTC string  `json:"arrival_date_utc"`
	OriginalMsgID  *string `json:"original_message_id"`
	OriginalPart   string  `json:"original_part"`
	PeerError      string  `json:"peer_error"`
}

// readExpected reads expected.jsonl of the real reports.
func readExpected(t *testing.T) (string, []expected) {
	t.Helper()
	dir := testdata.Dir(t, "reports")
	f, err := os.Open(filepath.Join(dir, "expected.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []expected
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e expected
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("expected.jsonl: %v", err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) < 50 {
		t.Fatalf("expected.jsonl holds %d entries; the set has 58", len(out))
	}
	return dir, out
}

// fieldCheck counts the fields compared with the peers and reports each
// difference.
type fieldCheck struct {
	t        *testing.T
	file     string
	compared int
}

func (c *fieldCheck) eq(field string, ours, peers any) {
	c.t.Helper()
	c.compared++
	if fmt.Sprint(ours) != fmt.Sprint(peers) {
		c.t.Errorf("%s: %s = %q, the peers read %q", c.file, field, fmt.Sprint(ours), fmt.Sprint(peers))
	}
}

// oneOf: the peers accept several forms (parsedmarc normalises report_id and
// org_name, mox and the stdlib reader keep the literal value; expected.jsonl
// lists both).
func (c *fieldCheck) oneOf(field, ours, peers string, accept []string) {
	c.t.Helper()
	c.compared++
	if ours != peers && !slices.Contains(accept, ours) {
		c.t.Errorf("%s: %s = %q, the peers read %q (or one of %q)", c.file, field, ours, peers, accept)
	}
}

func utc(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// TestRealReports reads every real report of the shared test data and
// compares every field the peers read (expected.jsonl). It proves the reader
// agrees with parsedmarc, mox and a stdlib reader on 50 real inputs from
// many receivers and in every form (xml, gz, zip, eml with zip body, json).
func TestRealReports(t *testing.T) {
	dir, exp := readExpected(t)
	total := 0
	for _, e := range exp {
		if e.Kind == "invalid" {
			continue
		}
		c := &fieldCheck{t: t, file: e.File}
		reps, err := ReadFile(filepath.Join(dir, e.File), Limits{})
		if err != nil {
			t.Errorf("%s: %v", e.File, err)
		}
		if len(reps) != 1 {
			t.Errorf("%s: %d reports, want 1", e.File, len(reps))
			continue
		}
		r := reps[0]
		c.eq("kind", r.Kind, e.Kind)
		switch e.Kind {
		case KindAggregate:
			checkAggregate(c, r, &e)
		case KindTLS:
			checkTLS(c, r, &e)
		case KindFailure:
			checkFailure(c, r, &e)
		}
		total += c.compared
	}
	t.Logf("%d fields compared with the peers", total)
}

func checkAggregate(c *fieldCheck, r *Report, e *expected) {
	a := r.Aggregate
	if a == nil {
		c.t.Errorf("%s: no aggregate", e.File)
		return
	}
	c.oneOf("org_name", a.OrgName, e.OrgName, e.Accept["org_name"])
	c.oneOf("report_id", a.ReportID, e.ReportID, e.Accept["report_id"])
	c.eq("begin", utc(a.Begin), e.Begin)
	c.eq("end", utc(a.End), e.End)
	c.eq("policy_domain", a.PolicyDomain, e.PolicyDomain)
	// The policy as published: a missing sp (Yahoo, Cisco) stays missing,
	// as mox and the stdlib reader read it (expected.jsonl says null);
	// parsedmarc's filled-in defaults are in its notes, not asserted.
	ours := map[string]string{"p": a.Policy.P, "sp": a.Policy.SP, "adkim": a.Policy.ADKIM, "aspf": a.Policy.ASPF}
	for _, k := range []string{"p", "sp", "adkim", "aspf"} {
		want := ""
		if v := e.Policy[k]; v != nil {
			want = *v
		}
		c.eq("policy."+k, ours[k], want)
	}
	if e.TotalCount != nil {
		c.eq("total_count", a.Total(), *e.TotalCount)
	}
	c.eq("len(records)", len(a.Records), len(e.Records))
	for i := range min(len(a.Records), len(e.Records)) {
		g, w := &a.Records[i], &e.Records[i]
		p := fmt.Sprintf("records[%d].", i)
		c.eq(p+"source_ip", g.SourceIP, w.SourceIP)
		c.eq(p+"count", g.Count, w.Count)
		c.eq(p+"disposition", g.Disposition, w.Disposition)
		c.eq(p+"dkim", g.DKIM, w.DKIM)
		c.eq(p+"spf", g.SPF, w.SPF)
		c.eq(p+"header_from", g.HeaderFrom, w.HeaderFrom)
	}
	if len(r.Errors) > 0 {
		c.t.Errorf("%s: a whole report read with errors %q", e.File, r.Errors)
	}
}

func checkTLS(c *fieldCheck, r *Report, e *expected) {
	tr := r.TLS
	if tr == nil {
		c.t.Errorf("%s: no TLS report", e.File)
		return
	}
	c.eq("org_name", tr.OrgName, e.OrgName)
	c.eq("report_id", tr.ReportID, e.ReportID)
	c.eq("begin", utc(tr.Begin), e.Begin)
	c.eq("end", utc(tr.End), e.End)
	c.eq("len(policies)", len(tr.Policies), len(e.Policies))
	for i := range min(len(tr.Policies), len(e.Policies)) {
		g, w := &tr.Policies[i], &e.Policies[i]
		p := fmt.Sprintf("policies[%d].", i)
		c.eq(p+"type", g.Type, w.Type)
		c.eq(p+"domain", g.Domain, w.Domain)
		c.eq(p+"success", g.Success, w.Success)
		c.eq(p+"failure", g.Failure, w.Failure)
		// RFC 8460 section 4.4: the failure details add up to at most the
		// failure count (a sender may leave some out).
		var sum int64
		for _, f := range g.Failures {
			sum += f.Count
		}
		if sum > g.Failure {
			c.t.Errorf("%s: %sfailures add up to %d, more than failure %d", e.File, p, sum, g.Failure)
		}
	}
}

func checkFailure(c *fieldCheck, r *Report, e *expected) {
	f := r.Failure
	if f == nil {
		c.t.Errorf("%s: no failure report", e.File)
		return
	}
	c.eq("feedback_type", f.FeedbackType, e.FeedbackType)
	c.eq("source_ip", f.SourceIP, e.SourceIP)
	c.eq("reported_domain", f.ReportedDomain, e.ReportedDomain)
	switch {
	case e.ArrivalDateUTC != "":
		c.eq("arrival_date", utc(f.ArrivalDate), e.ArrivalDateUTC)
	case strings.HasPrefix(e.File, "failure/f04-"):
		// Ours differs and is right: the report has no Arrival-Date but the
		// older ARF name of the same field, Received-Date (RFC 6591's own
		// example, section 5). parsedmarc substitutes the report message's
		// Date (12:17:45), which is when the report was written, not when
		// the failing message arrived (12:15:31 PDT).
		c.eq("arrival_date (Received-Date)", utc(f.ArrivalDate), "2010-04-14T19:15:31Z")
	default:
		// No Arrival-Date: parsedmarc substitutes the report's Date; we
		// leave it unset rather than claim an arrival time the report
		// does not give.
		c.eq("arrival_date (absent)", utc(f.ArrivalDate), "")
	}
	part := "message/rfc822"
	if f.HeadersOnly {
		part = "text/rfc822-headers"
	}
	if f.Original == nil {
		part = ""
	}
	c.eq("original_part", part, e.OriginalPart)
}

// TestRealInvalid: the broken inputs of the real set give no report and a
// clear error of the right class, as the peers reject them.
func TestRealInvalid(t *testing.T) {
	dir, exp := readExpected(t)
	want := map[string]struct {
		err  error
		text string
	}{
		"invalid/i01-empty.xml":              {ErrNotReport, "empty"},
		"invalid/i02-zip-without-xml.zip":    {ErrNotReport, "notempty.txt"},
		"invalid/i03-zip-with-empty-xml.zip": {ErrNotReport, "bad.xml: reports: not a DMARC or TLS report: empty"},
		"invalid/i04-gzip-of-text.txt.gz":    {ErrNotReport, "neither XML, JSON, gzip, zip nor a mail message"},
		"invalid/i05-malformed.xml":          {ErrMalformed, "line 7"},
		"invalid/i06-wrong-root.xml":         {ErrNotReport, "<invalid_root>"},
		"invalid/i07-truncated.xml.gz":       {ErrMalformed, "gzip stream broken"},
		"invalid/i08-truncated.zip":          {ErrMalformed, "zip"},
	}
	n := 0
	for _, e := range exp {
		if e.Kind != "invalid" {
			continue
		}
		n++
		w, ok := want[e.File]
		if !ok {
			t.Errorf("%s: a new invalid input; add it to this test", e.File)
			continue
		}
		reps, err := ReadFile(filepath.Join(dir, e.File), Limits{})
		if len(reps) != 0 {
			t.Errorf("%s: %d reports from an invalid input", e.File, len(reps))
		}
		if !errors.Is(err, w.err) || !strings.Contains(err.Error(), w.text) {
			t.Errorf("%s: error %v, want %v containing %q (the peer says %q)", e.File, err, w.err, w.text, e.PeerError)
		}
	}
	if n != len(want) {
		t.Errorf("%d invalid inputs in expected.jsonl, %d in this test", n, len(want))
	}
}
