package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealtrace/sealtrace/internal/testpeers/testdata"
)

const ownReports = "../../reports/testdata"

// offlineZone is a zone file that answers nothing useful, so that failure
// reports' messages are inspected without the network.
func offlineZone(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "offline.zone")
	if err := os.WriteFile(p, []byte("invalid. 3600 IN SOA ns.invalid. h.invalid. 1 3600 600 86400 60\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReportsUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"reports"},
		{"reports", "--format", "yaml", "x.xml"},
		{"reports", "--since", "last week", "x.xml"},
		{"reports", "--dns-zone", "a.zone", "--dns-server", "127.0.0.1:53", "x.xml"},
		{"reports", "--no-such-flag", "x.xml"},
	} {
		code, out, stderr := runCLI(t, "", args...)
		if code != 2 || out != "" || stderr == "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2, nothing, a reason", args, code, out, stderr)
		}
	}
	if code, _, _ := runCLI(t, "", "reports", "-h"); code != 0 {
		t.Errorf("-h: exit %d", code)
	}
}

// TestReportsJSONFolder reads our test folder: one JSON object per report
// (12), a failure report's original inspected (its message_id), and exit 1
// because the mbox holds a message that carries no report, which stderr
// names; the other reports are still printed.
func TestReportsJSONFolder(t *testing.T) {
	code, out, stderr := runCLI(t, "", "reports", "--format", "json", "--dns-zone", offlineZone(t), ownReports)
	if code != 1 || !strings.Contains(stderr, "reports.mbox: message 2") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d, stderr %q; want 1 naming only the mbox's message 2", code, stderr)
	}
	lines := jsonLines(t, out)
	if len(lines) != 12 {
		t.Fatalf("%d JSON lines, want 12", len(lines))
	}
	kinds := map[string]int{}
	ids := map[string]bool{}
	for _, m := range lines {
		kinds[m["kind"].(string)]++
		if m["kind"] == "failure" {
			o, ok := m["original"].(map[string]any)
			if !ok {
				t.Errorf("failure without original: %v", m)
				continue
			}
			ids[o["message_id"].(string)] = true
		}
	}
	if kinds["aggregate"] != 6 || kinds["failure"] != 3 || kinds["tlsrpt"] != 3 {
		t.Errorf("kinds %v", kinds)
	}
	if !ids["<invoice-5512@bulk-sender.example>"] || !ids["<news-2026-11@sealtrace.example>"] {
		t.Errorf("originals' message ids %v", ids)
	}
}

// TestReportsExitZero: inputs that are all readable exit 0; "-" reads
// standard input.
func TestReportsExitZero(t *testing.T) {
	x, err := os.ReadFile(filepath.Join(ownReports, "agg-rfc7489.xml.gz"))
	if err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCLI(t, string(x), "reports", "--format", "json", filepath.Join(ownReports, "tlsrpt.json"), "-")
	if code != 0 || stderr != "" {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	lines := jsonLines(t, out)
	if len(lines) != 2 || lines[0]["kind"] != "tlsrpt" || lines[1]["source"] != "(stdin)" || lines[1]["report_id"] != "r1-2026-11-28-0001" {
		t.Errorf("lines %v", lines)
	}
}

// TestReportsCSV: a header row, then one row per aggregate record (3 + 2);
// failure and TLS reports give no rows.
func TestReportsCSV(t *testing.T) {
	code, out, stderr := runCLI(t, "", "reports", "--format", "csv", "--dns-zone", offlineZone(t),
		filepath.Join(ownReports, "agg-rfc7489.xml"), filepath.Join(ownReports, "agg-rfc9990.zip"), filepath.Join(ownReports, "failure.eml"), filepath.Join(ownReports, "tlsrpt.json"))
	if code != 0 {
		t.Errorf("exit %d: %s", code, stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 || rows[0][0] != "source" || rows[0][7] != "source_ip" {
		t.Fatalf("rows %q", rows)
	}
	if r := rows[2]; r[7] != "198.51.100.7" || r[8] != "3" || r[10] != "fail" || !strings.HasPrefix(r[14], "local_policy (arc=pass") {
		t.Errorf("row 2 %q", r)
	}
	if r := rows[4]; r[7] != "2001:db8::25" || r[9] != "pass" {
		t.Errorf("row 4 %q", r)
	}
}

// TestReportsText: the summary says each source's row with its results and
// reasons, "forwarded mail rescued by ARC" where the receiver says arc=pass,
// the carried message of a failure report as Sealtrace re-checked it, and
// the TLS policies with their failures.
func TestReportsText(t *testing.T) {
	code, out, stderr := runCLI(t, "", "reports", "--dns-zone", offlineZone(t),
		filepath.Join(ownReports, "agg-rfc7489.xml"), filepath.Join(ownReports, "failure.eml"), filepath.Join(ownReports, "tlsrpt.json"))
	if code != 0 {
		t.Errorf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"DMARC aggregate report for sealtrace.example from Receiver One (report r1-2026-11-28-0001, rfc7489 schema)",
		"period:  2026-11-27 00:00 – 2026-11-27 23:59 UTC",
		"messages: 20 (12 passed DMARC, 8 failed)",
		"p=quarantine sp=- adkim=r aspf=s",
		"forwarded mail rescued by ARC",
		"auth: dkim sealtrace.example s=mail2026 fail, dkim lists.example s=arc1 pass, spf lists.example pass",
		"DMARC failure report for sealtrace.example: a message from 203.0.113.99 failed dmarc",
		"carried: the message, Message-ID <invoice-5512@bulk-sender.example>, From domain sealtrace.example",
		"Sealtrace re-checked it: DMARC",
		"SMTP TLS report from Receiver Three",
		"certificate-expired",
		"from 198.51.100.40 to mx1.sealtrace.example",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "203.0.113.99") && strings.Contains(line, "rescued") ||
			strings.HasPrefix(strings.TrimSpace(line), "198.51.100.7") && !strings.Contains(line, "rescued") {
			t.Errorf("ARC rescue on the wrong row: %q", line)
		}
	}
}

// TestReportsTextHostile: terminal controls in a report never reach the
// terminal.
func TestReportsTextHostile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "evil.json")
	os.WriteFile(p, []byte(`{"organization-name":"Evil\u001b[2J\u009b31m\u202e","report-id":"x\u0007","policies":[{"policy":{"policy-type":"sts","policy-domain":"a\u001b]0;t\u0007"}}]}`), 0o600)
	for _, format := range []string{"text", "json", "csv"} {
		_, out, stderr := runCLI(t, "", "reports", "--format", format, p)
		for _, bad := range []string{"\x1b", "\x07", "\u009b", "\u202e"} {
			if strings.Contains(out+stderr, bad) {
				t.Errorf("%s: output carries %q: %q", format, bad, out)
			}
		}
	}
}

// TestReportsSince keeps the reports whose period ends on or after the date.
func TestReportsSince(t *testing.T) {
	_, out, _ := runCLI(t, "", "reports", "--format", "json", "--since", "2026-11-28",
		filepath.Join(ownReports, "agg-rfc7489.xml"), filepath.Join(ownReports, "agg-rfc9990.xml"))
	lines := jsonLines(t, out)
	if len(lines) != 1 || lines[0]["report_id"] != "rcv2.7731" {
		t.Errorf("lines %v", lines)
	}
}

// TestReportsRealFolder reads the whole folder of real reports: 50 reports
// printed, exit 1 for the 8 broken inputs, each named on stderr.
func TestReportsRealFolder(t *testing.T) {
	dir := testdata.Dir(t, "reports")
	code, out, stderr := runCLI(t, "", "reports", "--format", "json", "--dns-zone", offlineZone(t), dir)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if n := len(jsonLines(t, out)); n != 50 {
		t.Errorf("%d reports, want 50", n)
	}
	for i := 1; i <= 8; i++ {
		if !strings.Contains(stderr, "/invalid/i0"+string(rune('0'+i))) {
			t.Errorf("stderr does not name invalid input %d:\n%s", i, stderr)
		}
	}
	if strings.Contains(stderr, "/aggregate/") || strings.Contains(stderr, "/tlsrpt/") || strings.Contains(stderr, "/failure/") {
		t.Errorf("a good input is complained about:\n%s", stderr)
	}
}

// TestReportsMissingFile: a file that cannot be opened is named on stderr
// and exits 1; the readable one is still printed.
func TestReportsMissingFile(t *testing.T) {
	code, out, stderr := runCLI(t, "", "reports", "--format", "json", "/nonexistent/r.xml", filepath.Join(ownReports, "tlsrpt.json"))
	if code != 1 || !strings.Contains(stderr, "/nonexistent/r.xml") || len(jsonLines(t, out)) != 1 {
		t.Errorf("exit %d, stderr %q, out %q", code, stderr, out)
	}
}
