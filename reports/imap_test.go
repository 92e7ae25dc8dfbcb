package reports

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sealtrace/sealtrace/assets"
	"github.com/sealtrace/sealtrace/internal/testpeers/dovecottest"
	"github.com/sealtrace/sealtrace/mailbox"
)

// The reports of an IMAP folder on a real Dovecot, read with FromIMAP,
// are the reports the same messages give when read whole from files:
// each message of reports/testdata as it is, the bare reports of
// testdata attached the ways receivers attach them, a copy of one report
// (kept once), and ordinary mail from the demo mailbox. Nothing on the
// server changes, and no message is fetched whole.

func attach(subject, ctype, filename string, data []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return []byte("From: noreply@receiver.example\r\nTo: dmarc@sealtrace.example\r\nSubject: " + subject +
		"\r\nDate: Mon, 30 Nov 2026 01:00:00 +0000\r\nMessage-ID: <" + filename + "@test>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nA report.\r\n" +
		"--m\r\nContent-Type: " + ctype + "; name=\"" + filename + "\"\r\nContent-Disposition: attachment; filename=\"" + filename +
		"\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b.String() + "--m--\r\n")
}

func testdataFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// canonical is a report's JSON without its source (which names the file or
// the IMAP message), with a failure report's original message, its line
// ends as CRLF (IMAP sends every message with CRLF, RFC 3501 2.3.4).
func canonical(t *testing.T, r *Report) string {
	t.Helper()
	c := *r
	c.Source = ""
	b, err := c.JSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Failure != nil {
		b = append(b, r.Failure.Original...)
	}
	return strings.ReplaceAll(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n", "\r\n")
}

func TestFromIMAPDovecot(t *testing.T) {
	var raws [][]byte
	for _, name := range []string{"zip-body.eml", "tlsrpt.eml", "failure.eml", "failure-headers.eml"} {
		raws = append(raws, testdataFile(t, name))
	}
	mr := mailbox.NewMboxReader(bytes.NewReader(testdataFile(t, "reports.mbox")))
	for {
		raw, _, err := mr.Next()
		if err != nil {
			break
		}
		raws = append(raws, raw)
	}
	raws = append(raws,
		attach("Report Domain: sealtrace.example Submitter: a Report-ID: 1", "application/gzip", "a.xml.gz", testdataFile(t, "agg-rfc7489.xml.gz")),
		attach("Report domain: sealtrace.example Submitter: b Report-ID: 2", "application/zip", "b.zip", testdataFile(t, "agg-rfc9990.zip")),
		attach("Report Domain: sealtrace.example Submitter: c Report-ID: 3", "application/octet-stream", "c.xml", testdataFile(t, "agg-rfc9990.xml")),
		attach("Report Domain: sealtrace.example Submitter: d Report-ID: 4", "application/tlsrpt+json", "d.json", testdataFile(t, "tlsrpt.json")),
		testdataFile(t, "zip-body.eml"), // a second copy
	)
	// What the same messages give read whole, one copy of each report.
	want := map[string]int{}
	var wantN, wantDup int
	seen := map[string]bool{}
	for i, raw := range raws {
		reps, err := Read("message.eml", raw, DefaultLimits())
		if err != nil && len(reps) == 0 && !strings.Contains(string(raw), "Are you receiving") {
			t.Fatalf("message %d does not read locally: %v", i, err)
		}
		for _, r := range reps {
			if k := r.Key(); k != "" {
				if seen[k] {
					wantDup++
					continue
				}
				seen[k] = true
			}
			want[canonical(t, r)]++
			wantN++
		}
	}
	if wantN < 6 || wantDup < 2 {
		t.Fatalf("only %d reports and %d copies in the test messages", wantN, wantDup)
	}

	var seeds []dovecottest.Seed
	for _, raw := range raws {
		seeds = append(seeds, dovecottest.Seed{Folder: "DMARC", Raw: raw})
	}
	demo := mailbox.NewMboxReader(bytes.NewReader(assets.DemoMbox))
	for range 5 {
		raw, _, err := demo.Next()
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, dovecottest.Seed{Folder: "DMARC", Raw: raw})
	}
	d := dovecottest.Start(t, seeds)
	before := d.Snapshot(t)
	a := mailbox.Account{Server: d.IMAPSAddr, Security: mailbox.ImplicitTLS, Username: "alice", Password: "secret",
		RootCAs: d.Roots, Timeout: 5 * time.Second}
	res, err := FromIMAP(context.Background(), a, "DMARC", mailbox.ReportOptions{}, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Errors {
		t.Errorf("part error: %v", e)
	}
	got := map[string]int{}
	for _, r := range res.Reports {
		got[canonical(t, r)]++
		if !strings.HasPrefix(r.Source, "imap://127.0.0.1/DMARC;UIDVALIDITY=") || !strings.Contains(r.Source, "/;UID=") {
			t.Errorf("source %q", r.Source)
		}
	}
	if len(res.Reports) != wantN || res.Duplicates != wantDup {
		t.Errorf("%d reports (%d duplicates), want %d (%d duplicates)", len(res.Reports), res.Duplicates, wantN, wantDup)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("read from files %d time(s), over IMAP %d:\n%.600s", n, got[k], k)
		}
	}
	for k, n := range got {
		if want[k] == 0 {
			t.Errorf("over IMAP only (%d):\n%.600s", n, k)
		}
	}
	// The parser is checked against peers elsewhere; here, independently of
	// it, the org and id of the attached reports (read from the files with
	// the standard library) are among what came over IMAP.
	keys := map[string]bool{}
	for _, r := range res.Reports {
		keys[r.Key()] = true
	}
	var xmls [][]byte
	zr, err := gzip.NewReader(bytes.NewReader(testdataFile(t, "agg-rfc7489.xml.gz")))
	if err != nil {
		t.Fatal(err)
	}
	x, _ := io.ReadAll(zr)
	xmls = append(xmls, x, testdataFile(t, "agg-rfc9990.xml"))
	field := func(b []byte, tag string) string {
		m := regexp.MustCompile(`<` + tag + `>\s*([^<]*?)\s*</` + tag + `>`).FindSubmatch(b)
		if m == nil {
			t.Fatalf("no <%s> in a test report", tag)
		}
		return string(m[1])
	}
	for _, x := range xmls {
		if k := KindAggregate + "\x00" + field(x, "org_name") + "\x00" + field(x, "report_id"); !keys[k] {
			t.Errorf("no aggregate report %q over IMAP", k)
		}
	}
	var tj struct {
		Org string `json:"organization-name"`
		ID  string `json:"report-id"`
	}
	if err := json.Unmarshal(testdataFile(t, "tlsrpt.json"), &tj); err != nil {
		t.Fatal(err)
	}
	if k := KindTLS + "\x00" + tj.Org + "\x00" + tj.ID; !keys[k] {
		t.Errorf("no TLS report %q over IMAP", k)
	}

	var kinds []string
	for _, r := range res.Reports {
		kinds = append(kinds, r.Kind)
	}
	sort.Strings(kinds)
	t.Logf("%d reports over IMAP: %v; %d messages matched, %d without a report", len(kinds), kinds, res.Folder.Matched, len(res.Folder.NoReport))

	for _, c := range d.Commands(t) {
		u := strings.ToUpper(c)
		if strings.Contains(u, "BODY[") || strings.Contains(u, "BODY.PEEK[]") || strings.HasPrefix(u, "SELECT") || strings.HasPrefix(u, "UID STORE") {
			t.Errorf("the client sent %q", c)
		}
	}
	if after := d.Snapshot(t); after != before {
		t.Errorf("the server's messages changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}
