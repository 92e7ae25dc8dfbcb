package mailbox

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sealtrace/sealtrace/internal/testpeers/dovecottest"
)

// Report messages written here, one of each form receivers send: an
// aggregate report gzipped as an attachment, one zipped as the whole body
// (as Google sends it), one as quoted-printable XML, a TLS report
// (multipart/report; report-type=tlsrpt), a failure report
// (multipart/report; report-type=feedback-report, RFC 6591), and ordinary
// mail beside them, one of which quotes a report's subject.

// AggregateXML is a small RFC 7489 aggregate report.
func AggregateXML(org, id string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<feedback>
  <report_metadata><org_name>` + org + `</org_name><email>noreply@` + org + `</email><report_id>` + id + `</report_id>
    <date_range><begin>1764288000</begin><end>1764374399</end></date_range></report_metadata>
  <policy_published><domain>example.com</domain><adkim>r</adkim><aspf>r</aspf><p>reject</p><sp>reject</sp><pct>100</pct></policy_published>
  <record><row><source_ip>192.0.2.10</source_ip><count>3</count>
    <policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>pass</spf></policy_evaluated></row>
    <identifiers><header_from>example.com</header_from></identifiers>
    <auth_results><dkim><domain>example.com</domain><selector>s1</selector><result>pass</result></dkim>
      <spf><domain>example.com</domain><result>pass</result></spf></auth_results></record>
</feedback>
`)
}

// TLSReportJSON is a small RFC 8460 report.
func TLSReportJSON(org, id string) []byte {
	return []byte(`{"organization-name":"` + org + `","date-range":{"start-datetime":"2026-11-28T00:00:00Z","end-datetime":"2026-11-28T23:59:59Z"},` +
		`"contact-info":"tlsrpt@` + org + `","report-id":"` + id + `","policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: enforce","mx: mx.example.com","max_age: 86400"],` +
		`"policy-domain":"example.com"},"summary":{"total-successful-session-count":5,"total-failure-session-count":1},` +
		`"failure-details":[{"result-type":"certificate-expired","sending-mta-ip":"198.51.100.7","receiving-mx-hostname":"mx.example.com","failed-session-count":1}]}]}`)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func zipped(name string, b []byte) []byte {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	f, _ := w.Create(name)
	f.Write(b)
	w.Close()
	return buf.Bytes()
}

func b64lines(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var out strings.Builder
	for len(s) > 76 {
		out.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	return out.String() + s + "\r\n"
}

func header(lines ...string) string {
	return strings.Join(append([]string{"Date: Sat, 29 Nov 2026 06:00:00 +0000", "MIME-Version: 1.0"}, lines...), "\r\n") + "\r\n"
}

// mixedWith is a multipart/mixed message: a text part and an attachment.
func mixedWith(subject, from, ctype, filename, enc, body string) []byte {
	return []byte(header("From: "+from, "To: dmarc@example.com", "Subject: "+subject, "Message-ID: <"+filename+"@test>",
		`Content-Type: multipart/mixed; boundary="b1"`) + "\r\n" +
		"--b1\r\nContent-Type: text/plain\r\n\r\nThis is an aggregate report for example.com.\r\n" +
		"--b1\r\nContent-Type: " + ctype + "; name=\"" + filename + "\"\r\nContent-Disposition: attachment; filename=\"" + filename + "\"\r\n" +
		"Content-Transfer-Encoding: " + enc + "\r\n\r\n" + body + "--b1--\r\n")
}

type reportSeeds struct {
	seeds []dovecottest.Seed
	// want is what each report message's part must be, by seed index.
	want map[int]wantPart
	// ordinary are the seeds without a report; decoy among them quotes a
	// report subject.
	ordinary []int
	decoy    int
	old      int // the seed whose arrival date is set in 2020
}

type wantPart struct {
	name, mediaType string
	data            []byte
}

func buildReportSeeds(t *testing.T) reportSeeds {
	var rs reportSeeds
	rs.want = map[int]wantPart{}
	add := func(raw []byte, w *wantPart) {
		if w != nil {
			rs.want[len(rs.seeds)] = *w
		} else {
			rs.ordinary = append(rs.ordinary, len(rs.seeds))
		}
		rs.seeds = append(rs.seeds, dovecottest.Seed{Folder: "Reports", Raw: raw})
	}
	// 1. gzip attachment.
	aggGz := gz(AggregateXML("receiver.example", "agg-gz-1"))
	name := "receiver.example!example.com!1764288000!1764374399.xml.gz"
	add(mixedWith("Report Domain: example.com Submitter: receiver.example Report-ID: <agg-gz-1>", "noreply@receiver.example",
		"application/gzip", name, "base64", b64lines(aggGz)), &wantPart{name, "application/gzip", aggGz})
	// 2. An ordinary message.
	add([]byte(header("From: bob@example.net", "To: dmarc@example.com", "Subject: lunch?", "Message-ID: <lunch@test>",
		"Content-Type: text/plain")+"\r\nAre we still on for lunch?\r\n"), nil)
	// 3. zip as the whole body, Google's way.
	zname := "google.com!example.com!1764288000!1764374399.zip"
	aggZip := zipped("google.com!example.com!1764288000!1764374399.xml", AggregateXML("google.com", "agg-zip-2"))
	add([]byte(header("From: noreply-dmarc-support@google.com", "To: dmarc@example.com",
		"Subject: Report domain: example.com Submitter: google.com Report-ID: 2", "Message-ID: <zip@test>",
		`Content-Type: application/zip; name="`+zname+`"`, `Content-Disposition: attachment; filename="`+zname+`"`,
		"Content-Transfer-Encoding: base64")+"\r\n"+b64lines(aggZip)), &wantPart{zname, "application/zip", aggZip})
	// 4. XML, quoted-printable, no file name.
	xml := AggregateXML("mail.example.org", "agg-xml-3")
	var qp bytes.Buffer
	qw := quotedprintable.NewWriter(&qp)
	qw.Write(xml)
	qw.Close()
	raw := mixedWith("Report Domain: example.com Submitter: mail.example.org Report-ID: <agg-xml-3>", "dmarc@mail.example.org",
		"text/xml", "x", "quoted-printable", qp.String()+"\r\n")
	raw = bytes.Replace(raw, []byte("; name=\"x\""), nil, 1)
	raw = bytes.Replace(raw, []byte("Content-Disposition: attachment; filename=\"x\"\r\n"), nil, 1)
	add(raw, &wantPart{"report.xml", "text/xml", xml})
	// 5. An ordinary message with an ordinary attachment.
	add(mixedWith("the slides", "carol@example.net", "application/pdf", "slides.pdf", "base64", b64lines([]byte("%PDF-1.4 not really"))), nil)
	// 6. A TLS report: multipart/report; report-type=tlsrpt (RFC 8460 5.3).
	tls := TLSReportJSON("mx-checker.example", "tls-4")
	add([]byte(header("From: tlsrpt@mx-checker.example", "To: tlsrpt@example.com",
		"Subject: Report Domain: example.com Submitter: mx-checker.example Report-ID: <tls-4>", "Message-ID: <tls@test>",
		"TLS-Report-Domain: example.com", "TLS-Report-Submitter: mx-checker.example",
		`Content-Type: multipart/report; report-type="tlsrpt"; boundary="r1"`)+"\r\n"+
		"--r1\r\nContent-Type: text/plain\r\n\r\nThis is a TLS report.\r\n"+
		"--r1\r\nContent-Type: application/tlsrpt+json\r\nContent-Disposition: attachment; filename=\"mx-checker.example!example.com!1764288000!1764374399!tls-4.json\"\r\n"+
		"Content-Transfer-Encoding: base64\r\n\r\n"+b64lines(tls)+"--r1--\r\n"),
		&wantPart{"mx-checker.example!example.com!1764288000!1764374399!tls-4.json", "application/tlsrpt+json", tls})
	// 7. A reply quoting a report subject, with no report in it.
	rs.decoy = len(rs.seeds)
	add([]byte(header("From: dave@example.com", "To: postmaster@example.com",
		"Subject: Re: Report Domain: example.com Submitter: google.com Report-ID: 2", "Message-ID: <decoy@test>",
		"Content-Type: text/plain")+"\r\nWhy is Google reporting failures?\r\n"), nil)
	// 8. A failure report (RFC 6591 2), carrying the failed message.
	original := "From: ceo@example.com\r\nTo: victim@receiver.example\r\nSubject: wire the money\r\nMessage-ID: <phish-1@attacker.example>\r\nDate: Fri, 28 Nov 2026 10:00:00 +0000\r\n\r\nplease\r\n"
	failureBody := "--f1\r\nContent-Type: text/plain\r\n\r\nThis is an authentication failure report for an email message received from IP 203.0.113.9.\r\n" +
		"--f1\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: auth-failure\r\nUser-Agent: test/1.0\r\nVersion: 1\r\nOriginal-Envelope-Id: o1\r\n" +
		"Original-Mail-From: ceo@example.com\r\nArrival-Date: Fri, 28 Nov 2026 10:00:01 +0000\r\nSource-IP: 203.0.113.9\r\nReported-Domain: example.com\r\nAuth-Failure: dmarc\r\nDelivery-Result: reject\r\n\r\n" +
		"--f1\r\nContent-Type: message/rfc822\r\n\r\n" + original + "--f1--\r\n"
	ctype := `multipart/report; report-type=feedback-report; boundary="f1"`
	add([]byte(header("From: abuse@receiver.example", "To: ruf@example.com", "Subject: FW: wire the money", "Message-ID: <fail@test>",
		"Content-Type: "+ctype)+"\r\n"+failureBody),
		&wantPart{"report.eml", "multipart/report", []byte("MIME-Version: 1.0\r\nContent-Type: " + ctype + "\r\n\r\n" + failureBody)})
	// 9. An aggregate report that arrived in 2020 (left out by --since).
	rs.old = len(rs.seeds)
	oldGz := gz(AggregateXML("old.example", "agg-old"))
	add(mixedWith("Report Domain: example.com Submitter: old.example Report-ID: <agg-old>", "noreply@old.example",
		"application/octet-stream", "old.example!example.com!1577836800!1577923199.xml.gz", "base64", b64lines(oldGz)),
		&wantPart{"old.example!example.com!1577836800!1577923199.xml.gz", "application/octet-stream", oldGz})
	for _, s := range rs.seeds {
		if _, err := mail.ReadMessage(bytes.NewReader(s.Raw)); err != nil {
			t.Fatalf("a test message does not parse: %v", err)
		}
	}
	return rs
}

// fetchLines are the FETCH commands of a session, by the UIDs they name.
var fetchRe = regexp.MustCompile(`(?i)^UID FETCH (\S+) \((.*)\)$`)

// Against a real Dovecot: the reports of a folder are found, only their
// parts are fetched (the commands are read from Dovecot's rawlog), nothing
// is marked \Seen, --since leaves the old one out, and a second run with
// the cache fetches nothing.
func TestDovecotReports(t *testing.T) {
	rs := buildReportSeeds(t)
	d := dovecottest.Start(t, rs.seeds)
	// The old report's arrival date (INTERNALDATE is the Maildir file's
	// time) is set before Dovecot first looks at the folder.
	files, _ := filepath.Glob(filepath.Join(d.Maildir, ".Reports", "cur", fmt.Sprintf("%d.M%dP1.*", 1795000000+rs.old, rs.old)))
	if len(files) != 1 {
		t.Fatalf("the old report's file: %v", files)
	}
	old := time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC)
	if err := os.Chtimes(files[0], old, old); err != nil {
		t.Fatal(err)
	}
	before := d.Snapshot(t)
	a := account(d, ImplicitTLS, d.IMAPSAddr)
	cache := &Cache{Dir: t.TempDir(), MaxBytes: 64 << 20}

	got, err := FetchReports(context.Background(), a, "Reports", ReportOptions{Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	session1 := newSession(t, d, nil)

	// Which UID is which seed: a second session lists the folder (its
	// commands come after those checked).
	listed := d.Sessions(t)
	bySeed := uidsBySeed(t, d, a, rs)
	newSession(t, d, listed) // its rawlog written out before the next
	byUID := map[uint32]int{}
	for i, u := range bySeed {
		byUID[u] = i
	}

	// Every report was found, with its part decoded.
	if got.Matched != len(rs.want)+1 { // the reports and the decoy
		t.Errorf("the search matched %d messages, want %d", got.Matched, len(rs.want)+1)
	}
	if len(got.NoReport) != 1 || got.NoReport[0] != bySeed[rs.decoy] {
		t.Errorf("messages without a report: %v, want the decoy's UID %d", got.NoReport, bySeed[rs.decoy])
	}
	checkParts(t, got.Parts, rs, byUID, false)

	// What the server got: EXAMINE, one SEARCH, BODYSTRUCTURE of the
	// matches, and BODY.PEEK of each report's one section.
	var fetchedBodies []string
	bodyFetches := 0
	for _, c := range session1 {
		u := strings.ToUpper(c)
		for _, bad := range []string{"SELECT", "STORE", "COPY", "MOVE", "EXPUNGE", "APPEND", "CREATE", "DELETE", "RENAME"} {
			if strings.HasPrefix(u, bad+" ") || strings.HasPrefix(u, "UID "+bad+" ") {
				t.Errorf("the client sent %q", c)
			}
		}
		if strings.Contains(u, "BODY[") || strings.Contains(u, "BODY.PEEK[]") || strings.Contains(u, "RFC822 ") || strings.Contains(u, "RFC822)") || strings.Contains(u, "RFC822.TEXT") {
			t.Errorf("a fetch of a whole message or without PEEK: %q", c)
		}
		m := fetchRe.FindStringSubmatch(c)
		if m == nil || !strings.Contains(u, "BODY.PEEK[") {
			continue
		}
		bodyFetches++
		for _, uid := range parseUIDSet(t, m[1]) {
			i, ok := byUID[uid]
			if _, isReport := rs.want[i]; !ok || !isReport {
				t.Errorf("a body fetch of a message that is not a report (seed %d): %q", i, c)
			}
			fetchedBodies = append(fetchedBodies, fmt.Sprintf("%d:%s", i, m[2]))
		}
	}
	if len(fetchedBodies) != len(rs.want) {
		t.Errorf("%d parts fetched, want one per report (%d): %v", len(fetchedBodies), len(rs.want), fetchedBodies)
	}
	// The attachments at section 2 come in one command: three commands
	// for six reports (section 2; section 1; the failure report, alone).
	if bodyFetches != 3 {
		t.Errorf("%d body fetch commands, want 3 (section 2 batched, section 1, the failure report)", bodyFetches)
	}
	wantSection := map[int]string{0: "BODY.PEEK[2]<0.", 2: "BODY.PEEK[1]<0.", 3: "BODY.PEEK[2]<0.", 5: "BODY.PEEK[2]<0.", 7: "BODY.PEEK[TEXT]<0.", 8: "BODY.PEEK[2]<0."}
	for _, f := range fetchedBodies {
		var i int
		fmt.Sscanf(f, "%d:", &i)
		if w := wantSection[i]; w == "" || !strings.Contains(strings.ToUpper(f), w) {
			t.Errorf("seed %d: fetched %q, want %s...", i, f, w)
		}
	}
	searches := 0
	for _, c := range session1 {
		if strings.HasPrefix(strings.ToUpper(c), "UID SEARCH") {
			searches++
			t.Logf("search: %s", c)
		}
	}
	if searches != 1 {
		t.Errorf("%d searches", searches)
	}

	// Nothing changed: no \Seen on the unread reports.
	if after := d.Snapshot(t); after != before {
		t.Errorf("the server's messages changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	// Again, with the cache: the same parts, and no FETCH at all.
	done := d.Sessions(t)
	again, err := FetchReports(context.Background(), a, "Reports", ReportOptions{Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	checkParts(t, again.Parts, rs, byUID, true)
	for _, c := range newSession(t, d, done) {
		if strings.Contains(strings.ToUpper(c), "FETCH") {
			t.Errorf("with everything cached, the client sent %q", c)
		}
	}

	// A report arrives and one is deleted by another client: read again
	// with the cache, the header search covers only what is new (UID N:*),
	// the known UIDs are checked by UID, the new part alone is fetched, and
	// the deleted report is gone.
	arrived := mixedWith("Report Domain: example.com Submitter: late.example Report-ID: <late>", "noreply@late.example",
		"application/gzip", "late.xml.gz", "base64", b64lines(gz(AggregateXML("late.example", "late"))))
	d.Deliver(t, "Reports", arrived)
	d.Remove(t, "Reports") // seed 0 (file names sort by seed), the gzipped report
	before = d.Snapshot(t)
	done = d.Sessions(t)
	later, err := FetchReports(context.Background(), a, "Reports", ReportOptions{Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	session := newSession(t, d, done)
	var newUID uint32
	for _, p := range later.Parts {
		if p.UID == bySeed[0] {
			t.Errorf("the deleted report (UID %d) is still read", p.UID)
		}
		if _, ok := byUID[p.UID]; !ok {
			newUID = p.UID
			if p.Cached || p.Err != nil || !bytes.Equal(p.Data, gz(AggregateXML("late.example", "late"))) {
				t.Errorf("the new report: %+v", p)
			}
		} else if !p.Cached {
			t.Errorf("UID %d was fetched again", p.UID)
		}
	}
	if newUID == 0 || len(later.Parts) != len(rs.want) { // one gone, one come
		t.Errorf("%d parts, new UID %d", len(later.Parts), newUID)
	}
	var headerSearches, bodyFetchCmds []string
	for _, c := range session {
		u := strings.ToUpper(c)
		switch {
		case strings.HasPrefix(u, "UID SEARCH") && strings.Contains(u, "SUBJECT"):
			headerSearches = append(headerSearches, c)
		case strings.HasPrefix(u, "UID FETCH") && strings.Contains(u, "BODY.PEEK["):
			bodyFetchCmds = append(bodyFetchCmds, c)
		}
	}
	if len(headerSearches) != 1 || !strings.Contains(headerSearches[0], fmt.Sprintf("UID %d:*", again.UIDNext)) {
		t.Errorf("header searches %q, want one from UID %d on (UIDNEXT when last searched)", headerSearches, again.UIDNext)
	}
	if len(bodyFetchCmds) != 1 || !strings.HasPrefix(bodyFetchCmds[0], fmt.Sprintf("UID FETCH %d ", newUID)) {
		t.Errorf("body fetches %q, want the new report's only", bodyFetchCmds)
	}

	// --since: the report that arrived in 2020 is left out.
	recent, err := FetchReports(context.Background(), a, "Reports", ReportOptions{Since: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if recent.Matched != len(rs.want) { // the reports and the decoy, less the old one
		t.Errorf("since 2025: %d matched, want %d", recent.Matched, len(rs.want))
	}
	for _, p := range recent.Parts {
		if byUID[p.UID] == rs.old {
			t.Errorf("since 2025: the 2020 report was read")
		}
	}
	if after := d.Snapshot(t); after != before {
		t.Errorf("the server's messages changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func checkParts(t *testing.T, parts []ReportPart, rs reportSeeds, byUID map[uint32]int, cached bool) {
	t.Helper()
	seen := map[int]bool{}
	for _, p := range parts {
		i, ok := byUID[p.UID]
		w, isReport := rs.want[i]
		if !ok || !isReport {
			t.Errorf("UID %d (seed %d) read as a report", p.UID, i)
			continue
		}
		seen[i] = true
		if p.Err != nil {
			t.Errorf("seed %d: %v", i, p.Err)
			continue
		}
		if p.Cached != cached {
			t.Errorf("seed %d: cached %v, want %v", i, p.Cached, cached)
		}
		if p.Name != w.name || p.MediaType != w.mediaType {
			t.Errorf("seed %d: %q %s, want %q %s", i, p.Name, p.MediaType, w.name, w.mediaType)
		}
		// Text may come back with CRLF line ends and without the last
		// line break (the CRLF before a boundary is the boundary's).
		norm := func(b []byte) []byte { return bytes.TrimSpace(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))) }
		if !bytes.Equal(p.Data, w.data) && !(strings.HasPrefix(w.mediaType, "text/") || strings.HasPrefix(w.mediaType, "multipart/")) || !bytes.Equal(norm(p.Data), norm(w.data)) {
			t.Errorf("seed %d: %d bytes differ from the %d attached:\n%.300q\n%.300q", i, len(p.Data), len(w.data), p.Data, w.data)
		}
		if p.MediaType == "multipart/report" {
			// The entity reads as MIME, with its three parts.
			msg, err := mail.ReadMessage(bytes.NewReader(p.Data))
			if err != nil {
				t.Fatal(err)
			}
			_, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
			mr := multipart.NewReader(msg.Body, params["boundary"])
			var types []string
			for {
				part, err := mr.NextPart()
				if err == io.EOF {
					break
				} else if err != nil {
					t.Fatal(err)
				}
				types = append(types, part.Header.Get("Content-Type"))
			}
			if strings.Join(types, ",") != "text/plain,message/feedback-report,message/rfc822" {
				t.Errorf("the failure report's parts: %v", types)
			}
		}
	}
	if len(seen) != len(rs.want) {
		t.Errorf("%d reports read, want %d", len(seen), len(rs.want))
	}
}

// parseUIDSet reads "1,3:5" (RFC 3501 sequence-set, as the client sent it).
func parseUIDSet(t *testing.T, set string) []uint32 {
	t.Helper()
	var out []uint32
	for _, r := range strings.Split(set, ",") {
		var a, b uint32
		if n, _ := fmt.Sscanf(r, "%d:%d", &a, &b); n == 2 {
			for u := a; u <= b; u++ {
				out = append(out, u)
			}
		} else if _, err := fmt.Sscan(r, &a); err == nil {
			out = append(out, a)
		} else {
			t.Fatalf("UID set %q", set)
		}
	}
	return out
}

// newSession returns the commands of the one session that is not in
// before, once it has logged out (Dovecot writes its rawlog as the session
// goes).
func newSession(t *testing.T, d *dovecottest.Server, before map[string][]string) []string {
	t.Helper()
	for i := 0; ; i++ {
		var fresh [][]string
		for name, cmds := range d.Sessions(t) {
			if _, old := before[name]; !old {
				fresh = append(fresh, cmds)
			}
		}
		if len(fresh) == 1 && len(fresh[0]) > 0 && strings.EqualFold(fresh[0][len(fresh[0])-1], "LOGOUT") {
			return fresh[0]
		}
		if len(fresh) > 1 || i == 200 {
			t.Fatalf("want one new session that logged out, have %q", fresh)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// uidsBySeed maps each seed to its UID, by Message-ID, in a session of its
// own.
func uidsBySeed(t *testing.T, d *dovecottest.Server, a Account, rs reportSeeds) map[int]uint32 {
	t.Helper()
	m, err := Connect(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Examine("Reports"); err != nil {
		t.Fatal(err)
	}
	list, err := m.List(1, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]uint32{}
	for _, mi := range list {
		msg, err := mail.ReadMessage(bytes.NewReader(append(mi.Header, "\r\n"...)))
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range rs.seeds {
			if bytes.Contains(s.Raw, []byte("Message-ID: "+msg.Header.Get("Message-ID")+"\r\n")) {
				out[i] = mi.UID
			}
		}
	}
	if len(out) != len(rs.seeds) {
		t.Fatalf("%d of %d messages found by Message-ID", len(out), len(rs.seeds))
	}
	return out
}

func TestDecodeTransfer(t *testing.T) {
	for _, c := range []struct{ in, enc, want, err string }{
		{"aGVs\r\nbG8=\r\n", "base64", "hello", ""},
		{"aGVs \t\r\nbG8=", "BASE64", "hello", ""},
		{"aGVs*bG8=", "base64", "", "not valid base64"},
		{"caf=C3=A9=\r\nx", "quoted-printable", "café" + "x", ""},
		{"<x/>", "8bit", "<x/>", ""},
		{"<x/>", "x-uuencode", "", "unknown transfer encoding"},
	} {
		got, err := decodeTransfer([]byte(c.in), c.enc)
		if c.err != "" {
			if !errors.Is(err, ErrReportEncoding) || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q %s: %v, want %q", c.in, c.enc, err, c.err)
			}
			continue
		}
		if err != nil || string(got) != c.want {
			t.Errorf("%q %s: %q %v, want %q", c.in, c.enc, got, err, c.want)
		}
	}
}

func FuzzDecodeTransfer(f *testing.F) {
	f.Add([]byte("aGVs\r\nbG8=\r\n"), "base64")
	f.Add([]byte("caf=C3=A9=\r\nx"), "quoted-printable")
	f.Add([]byte("<x/>"), "7bit")
	f.Fuzz(func(t *testing.T, b []byte, enc string) {
		out, err := decodeTransfer(b, enc)
		if err == nil && len(out) > len(b) {
			t.Fatalf("%d bytes decoded from %d", len(out), len(b))
		}
		if err != nil && !errors.Is(err, ErrReportEncoding) {
			t.Fatalf("an error of its own: %v", err)
		}
	})
}

func TestReportBatches(t *testing.T) {
	var todo []pendingPart
	for u := uint32(1); u <= 120; u++ {
		ch := reportChoice{Part: []int{2}, Size: 1000}
		switch {
		case u%10 == 0:
			ch.Part = []int{1}
		case u == 7 || u == 8:
			ch = reportChoice{Multi: true, Type: "multipart/report"}
		case u == 33:
			ch.Size = reportBatchBytes - 500 // with any other, over reportBatchBytes
		}
		todo = append(todo, pendingPart{u, ch})
	}
	var sizes []string
	seen := map[uint32]bool{}
	for _, b := range reportBatches(todo) {
		var bytes int64
		for _, p := range b {
			if seen[p.uid] {
				t.Errorf("UID %d twice", p.uid)
			}
			seen[p.uid] = true
			bytes += int64(p.ch.Size)
			if sectionName(p.ch.Part) != sectionName(b[0].ch.Part) || p.ch.Multi != b[0].ch.Multi {
				t.Errorf("a batch mixes sections: %+v", b)
			}
		}
		if len(b) > reportBatch || (len(b) > 1 && bytes > reportBatchBytes) || (b[0].ch.Multi && len(b) != 1) {
			t.Errorf("a batch of %d parts, %d bytes", len(b), bytes)
		}
		sizes = append(sizes, fmt.Sprint(len(b)))
	}
	if len(seen) != len(todo) {
		t.Errorf("%d of %d parts batched", len(seen), len(todo))
	}
	// Section 2 (106 parts): the 27 before UID 33, UID 33 alone (its size),
	// then 50 and 28; the two failure reports alone, where they first come;
	// section 1: 12.
	if got := strings.Join(sizes, " "); got != "27 1 50 28 1 1 12" {
		t.Errorf("batches %s", got)
	}
}

// BenchmarkDovecotReports reads a folder of 1,000 gzipped aggregate
// reports (and 1,000 ordinary messages) from Dovecot: cold (every part
// fetched, 50 to a command) and warm (from the cache: one SEARCH).
func BenchmarkDovecotReports(b *testing.B) {
	var seeds []dovecottest.Seed
	plain := []byte(header("From: bob@example.net", "To: dmarc@example.com", "Subject: lunch?", "Content-Type: text/plain") + "\r\nlunch?\r\n")
	for i := range 1000 {
		id := fmt.Sprintf("bench-%d", i)
		raw := mixedWith("Report Domain: example.com Submitter: receiver.example Report-ID: <"+id+">", "noreply@receiver.example",
			"application/gzip", "receiver.example!example.com!"+id+".xml.gz", "base64", b64lines(gz(AggregateXML("receiver.example", id))))
		seeds = append(seeds, dovecottest.Seed{Folder: "Reports", Raw: raw}, dovecottest.Seed{Folder: "Reports", Raw: plain})
	}
	d := dovecottest.Start(b, seeds)
	a := Account{Server: d.IMAPSAddr, Security: ImplicitTLS, Username: "alice", Password: "secret", RootCAs: d.Roots, Timeout: 5 * time.Second}
	// Dovecot indexes the folder the first time it is opened: once, before.
	if got, err := FetchReports(context.Background(), a, "Reports", ReportOptions{}); err != nil || len(got.Parts) != 1000 {
		b.Fatalf("%v, %d parts", err, len(got.Parts))
	}
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			got, err := FetchReports(context.Background(), a, "Reports", ReportOptions{})
			if err != nil || len(got.Parts) != 1000 {
				b.Fatalf("%v, %d parts", err, len(got.Parts))
			}
		}
	})
	cache := &Cache{Dir: b.TempDir()}
	if _, err := FetchReports(context.Background(), a, "Reports", ReportOptions{Cache: cache}); err != nil {
		b.Fatal(err)
	}
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			got, err := FetchReports(context.Background(), a, "Reports", ReportOptions{Cache: cache})
			if err != nil || len(got.Parts) != 1000 || !got.Parts[999].Cached {
				b.Fatalf("%v, %d parts", err, len(got.Parts))
			}
		}
	})
}
