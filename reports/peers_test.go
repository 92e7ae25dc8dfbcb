package reports

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sealtrace/sealtrace/internal/testpeers/dmarcpeers"
	"github.com/sealtrace/sealtrace/internal/testpeers/testdata"
)

// The peer tests read the same aggregate reports with this package,
// dmarc-cat and Mail::DMARC (both from Debian) and count, field by field,
// where they agree. A difference fails the test unless it is one of a
// peer's known quirks (dmarcpeers.Quirk*: each is a place where the peer
// stores something else than the report says, checked to be exactly that
// rewrite of our value). Where a peer cannot read an input at all, ours is
// still asserted (it must read the report) and the reason is logged.

// requirePeers fails (CI) or skips (elsewhere) when a peer is missing.
func requirePeers(t *testing.T) {
	t.Helper()
	for _, err := range []error{dmarcpeers.DmarcCatAvailable(), dmarcpeers.MailDMARCAvailable()} {
		if err == nil {
			continue
		}
		if os.Getenv("CI") == "true" {
			t.Fatal(err, "(make deps-test installs it)")
		}
		t.Skip(err, "(make deps-test installs it)")
	}
}

// peerFeedback turns our aggregate report into the neutral form the peers'
// output is read into.
func peerFeedback(a *Aggregate) *dmarcpeers.Feedback {
	f := &dmarcpeers.Feedback{
		Schema: a.Schema, OrgName: a.OrgName, Email: a.Email, ExtraContactInfo: a.ExtraContactInfo,
		ReportID: a.ReportID, Begin: a.Begin.Unix(), End: a.End.Unix(), Errors: a.ReportErrors,
		Generator: a.Generator, Domain: a.PolicyDomain,
		ADKIM: a.Policy.ADKIM, ASPF: a.Policy.ASPF, P: a.Policy.P, SP: a.Policy.SP, NP: a.Policy.NP,
		Pct: a.Policy.Pct, FO: a.Policy.FO, Testing: a.Policy.Testing, DiscoveryMethod: a.Policy.Discovery,
	}
	for _, r := range a.Records {
		rec := dmarcpeers.Record{
			SourceIP: r.SourceIP, Count: r.Count, Disposition: r.Disposition, DKIM: r.DKIM, SPF: r.SPF,
			HeaderFrom: r.HeaderFrom, EnvelopeFrom: r.EnvelopeFrom, EnvelopeTo: r.EnvelopeTo,
		}
		for _, re := range r.Reasons {
			rec.Reasons = append(rec.Reasons, dmarcpeers.Reason{Type: re.Type, Comment: re.Comment})
		}
		for _, d := range r.Auth.DKIM {
			rec.AuthDKIM = append(rec.AuthDKIM, dmarcpeers.DKIMAuth{Domain: d.Domain, Selector: d.Selector, Result: d.Result, HumanResult: d.HumanResult})
		}
		for _, s := range r.Auth.SPF {
			rec.AuthSPF = append(rec.AuthSPF, dmarcpeers.SPFAuth{Domain: s.Domain, Scope: s.Scope, Result: s.Result, HumanResult: s.HumanResult})
		}
		f.Records = append(f.Records, rec)
	}
	return f
}

// peerReadOne reads path with this package and returns its one
// aggregate report.
func peerReadOne(t *testing.T, path string) *Aggregate {
	t.Helper()
	reps, err := ReadFile(path, Limits{})
	if err != nil {
		t.Errorf("%s: %v", filepath.Base(path), err)
	}
	var aggs []*Aggregate
	for _, r := range reps {
		if r.Aggregate != nil {
			aggs = append(aggs, r.Aggregate)
		}
		if len(r.Errors) > 0 {
			t.Errorf("%s: skipped parts of a whole report: %q", filepath.Base(path), r.Errors)
		}
	}
	if len(aggs) != 1 {
		t.Fatalf("%s: %d aggregate reports, want 1", filepath.Base(path), len(aggs))
	}
	if len(aggs[0].Records) == 0 {
		t.Fatalf("%s: no records", filepath.Base(path))
	}
	return aggs[0]
}

var peerDMARC2NS = regexp.MustCompile(`\s+xmlns="urn:ietf:params:xml:ns:dmarc-2\.0"`)

// TestAggregatePeersGenerated: 60 generated reports (1-500 records, RFC 7489
// and RFC 9990, .xml.gz and .zip) read by ours must equal what was
// generated on every field, and agree with dmarc-cat and Mail::DMARC on
// every field each of them exposes.
func TestAggregatePeersGenerated(t *testing.T) {
	requirePeers(t)
	tmp := t.TempDir()
	const seed = 20261129
	opts := dmarcpeers.GenOptions{}
	paths, err := dmarcpeers.WriteDir(tmp, seed, 58, opts)
	if err != nil {
		t.Fatal(err)
	}
	// The bounds themselves: one report of exactly 500 records, one of 1.
	for _, n := range []int{500, 1} {
		o := dmarcpeers.GenOptions{MinRecords: n, MaxRecords: n}
		name, data, _ := dmarcpeers.Packed(seed+uint64(n), 1000+n, o)
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	truths := map[string]*dmarcpeers.Feedback{}
	for i := range 58 {
		_, _, f := dmarcpeers.Packed(seed, i, opts)
		truths[paths[i]] = f
	}
	for k, n := range []int{500, 1} {
		_, _, f := dmarcpeers.Packed(seed+uint64(n), 1000+n, dmarcpeers.GenOptions{MinRecords: n, MaxRecords: n})
		truths[paths[58+k]] = f
	}

	var truth, cat, md dmarcpeers.Tally
	var mdPaths []string
	ours := map[string]*dmarcpeers.Feedback{}
	schemas := map[string]int{}
	for _, p := range paths {
		o := peerFeedback(peerReadOne(t, p))
		ours[p] = o
		schemas[o.Schema]++
		truth.Add(dmarcpeers.CompareTruth(o, truths[p]).Prefix(filepath.Base(p)))

		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		cr, err := dmarcpeers.DmarcCat(t.Context(), tmp, data)
		if err != nil {
			t.Errorf("dmarc-cat cannot read the generated %s: %v", filepath.Base(p), err)
		} else {
			if cr.Dump == nil {
				t.Errorf("%s: dmarc-cat's debug line unreadable", filepath.Base(p))
			}
			cat.Add(dmarcpeers.CompareDmarcCat(o, cr).Prefix(filepath.Base(p)))
		}
		mdPaths = append(mdPaths, p)
	}
	if schemas["rfc7489"] == 0 || schemas["rfc9990"] == 0 {
		t.Errorf("the generated series lacks a schema: %v", schemas)
	}
	// Mail::DMARC reads nothing from an RFC 9990 report as sent (see
	// dmarcpeers.MailDMARC): it is shown each with the namespace removed.
	res, err := dmarcpeers.MailDMARC(t.Context(), mdPaths, true)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Report == nil {
			t.Errorf("Mail::DMARC cannot read the generated %s: %s", filepath.Base(paths[i]), r.Err)
			continue
		}
		md.Add(dmarcpeers.CompareMailDMARC(ours[paths[i]], r.Report, false).Prefix(filepath.Base(paths[i])))
	}
	logTally(t, "generator (what was written)", &truth)
	logTally(t, "dmarc-cat", &cat)
	logTally(t, "Mail::DMARC", &md)
}

// TestAggregatePeersReal: the real aggregate reports of the shared test
// data, read by ours, dmarc-cat and Mail::DMARC.
func TestAggregatePeersReal(t *testing.T) {
	requirePeers(t)
	dir := filepath.Join(testdata.Dir(t, "reports"), "aggregate")
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no reports in %s: %v", dir, err)
	}
	slices.Sort(files)
	tmp := t.TempDir()
	var cat, md dmarcpeers.Tally
	var catRead, mdRead, nsCopies int
	ours := map[string]*dmarcpeers.Feedback{}
	nsFiles := map[string]bool{}
	for _, p := range files {
		name := filepath.Base(p)
		o := peerFeedback(peerReadOne(t, p))
		ours[p] = o
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		xml := data
		if strings.HasSuffix(name, ".eml") {
			// dmarc-cat reads no messages: hand it the attachment,
			// taken out with the standard library (not with ours).
			if data, err = peerAttachment(data); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if xml, err = peerUnpack(data); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		cr, err := dmarcpeers.DmarcCat(t.Context(), tmp, data)
		if err != nil {
			// ours was asserted by peerReadOne above.
			t.Logf("%s: dmarc-cat cannot read it (%v); ours read %d records", name, err, len(o.Records))
		} else {
			catRead++
			tc := dmarcpeers.CompareDmarcCat(o, cr)
			for _, d := range tc.Diffs {
				t.Errorf("%s: dmarc-cat: %s", name, d)
			}
			cat.Add(tc)
		}
		if peerDMARC2NS.Match(xml) {
			nsCopies++
			nsFiles[p] = true
		}
	}
	// As sent, Mail::DMARC reads no RFC 9990 report: it must fail on
	// each (a peer that starts reading them is worth knowing about), and
	// the comparison is made with the namespace removed.
	asSent, err := dmarcpeers.MailDMARC(t.Context(), files, false)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range asSent {
		if ns := nsFiles[files[i]]; ns == (r.Report != nil) {
			t.Errorf("%s: in the dmarc-2.0 namespace: %v; Mail::DMARC read it as sent: %v", filepath.Base(files[i]), ns, r.Report != nil)
		}
	}
	res, err := dmarcpeers.MailDMARC(t.Context(), files, true)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		name := filepath.Base(files[i])
		o := ours[files[i]]
		if r.Report == nil {
			t.Logf("%s: Mail::DMARC cannot read it (%s); ours read %d records", name, r.Err, len(o.Records))
			continue
		}
		mdRead++
		tc := dmarcpeers.CompareMailDMARC(o, r.Report, strings.HasSuffix(name, ".eml"))
		for _, d := range tc.Diffs {
			t.Errorf("%s: Mail::DMARC: %s", name, d)
		}
		md.Add(tc)
	}
	t.Logf("%d real reports: dmarc-cat read %d, Mail::DMARC read %d (%d of them only with the dmarc-2.0 namespace removed)",
		len(files), catRead, mdRead, nsCopies)
	logTally(t, "dmarc-cat", &cat)
	logTally(t, "Mail::DMARC", &md)
}

func logTally(t *testing.T, peer string, tl *dmarcpeers.Tally) {
	t.Helper()
	t.Logf("%s: %s", peer, tl)
	keys := make([]string, 0, len(tl.Quirks))
	for k := range tl.Quirks {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		t.Logf("  %6d × %s", tl.Quirks[k], k)
	}
	for i, d := range tl.Diffs {
		if i == 20 {
			t.Errorf("%s: … %d more differences", peer, len(tl.Diffs)-20)
			break
		}
		t.Errorf("%s: %s", peer, d)
	}
	if tl.Compared == 0 || tl.Agreed == 0 {
		t.Errorf("%s: nothing compared", peer)
	}
}

// peerAttachment returns the first report attachment of a message (zip, gzip
// or XML), decoded, or the message body when the body itself is one.
func peerAttachment(msg []byte) ([]byte, error) {
	m, err := mail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		return nil, err
	}
	b, ok, err := peerFindPart(mail.Header(m.Header), m.Body, 0)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("no report attachment")
	}
	return b, nil
}

func peerFindPart(h mail.Header, body io.Reader, depth int) ([]byte, bool, error) {
	ct, params, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if strings.HasPrefix(ct, "multipart/") && depth < 5 {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return nil, false, nil
			}
			b, ok, err := peerFindPart(mail.Header(p.Header), p, depth+1)
			if ok || err != nil {
				return b, ok, err
			}
		}
	}
	var r io.Reader = body
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))) {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, &peerCRLFStripper{r: body})
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	}
	if ct == "text/plain" || ct == "text/html" {
		return nil, false, nil
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, false, err
	}
	if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) || bytes.HasPrefix(data, []byte("PK\x03\x04")) || bytes.Contains(data, []byte("<feedback")) {
		return data, true, nil
	}
	return nil, false, nil
}

// peerCRLFStripper drops line breaks from base64 text.
type peerCRLFStripper struct{ r io.Reader }

func (c *peerCRLFStripper) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	j := 0
	for _, b := range p[:n] {
		if b != '\r' && b != '\n' && b != ' ' && b != '\t' {
			p[j] = b
			j++
		}
	}
	return j, err
}

// peerUnpack returns the XML inside a .xml.gz or .zip (the data itself when it
// is neither), with the standard library.
func peerUnpack(data []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(zr)
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return nil, err
		}
		if len(zr.File) == 0 {
			return nil, fmt.Errorf("empty zip")
		}
		f, err := zr.File[0].Open()
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return io.ReadAll(f)
	}
	return data, nil
}
