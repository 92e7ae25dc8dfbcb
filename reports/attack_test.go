package reports

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

// Attacks found by driving sealtrace-cli reports with crafted inputs
// (h/rattack). Each test failed before its fix.

// withTail is a valid report of two records with tail inserted after the
// first record, so that what the tail costs and what survives it show.
func withTail(tail string) []byte {
	x := aggregateXML(2)
	i := strings.Index(x, "</record>") + len("</record>")
	return []byte(x[:i] + tail + x[i:])
}

// TestXMLShapeBounds: a few MB of XML shaped to make encoding/xml allocate
// far more than its size (1.5 MB of nested <x> cost 130 MB: the decoder
// keeps a stack entry per open element; one tag with 200k attributes is
// held whole; every xmlns declaration stays bound until its element ends;
// gzipped, 61 KB of nesting took the CLI past 2 GB) is cut where the shape
// turns absurd: the record before it is kept, the report says why the
// rest was skipped, and reading allocates a small multiple of the input.
func TestXMLShapeBounds(t *testing.T) {
	attrs := func(n int, f string) string {
		var b strings.Builder
		b.WriteString("<x")
		for i := range n {
			b.WriteString(" ")
			b.WriteString(strings.ReplaceAll(f, "N", string(rune('a'+i%26))+strings.Repeat("z", i%7)+string(rune('a'+i/26%26))+string(rune('a'+i/676%26))+string(rune('a'+i/17576%26))))
		}
		return b.String() + "/>"
	}
	for _, c := range []struct{ name, tail, why string }{
		{"deep", strings.Repeat("<x>", 500_000), "nested more than"},
		{"attributes", attrs(200_000, `N=""`), "tag longer than"},
		{"quoted >", attrs(200_000, `N=">"`), "tag longer than"},
		{"name", "<" + strings.Repeat("n", 2<<20) + "/>", "tag longer than"},
		{"namespaces", strings.Repeat(`<x xmlns:a="u" xmlns:b="u" xmlns:c="u" xmlns:d="u">`, 200), "namespace declarations"},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := withTail(c.tail)
			var reps []*Report
			var err error
			n := allocated(func() { reps, err = Read("shape.xml", data, Limits{}) })
			if err != nil || len(reps) != 1 {
				t.Fatalf("%d reports, error %v; want the report with the record before the attack", len(reps), err)
			}
			a := reps[0].Aggregate
			if len(a.Records) != 1 || a.Records[0].SourceIP != "192.0.2.0" {
				t.Errorf("records %+v, want the first one", a.Records)
			}
			if !strings.Contains(strings.Join(reps[0].Errors, "\n"), c.why) {
				t.Errorf("errors %q, want one saying %q", reps[0].Errors, c.why)
			}
			if n > 8*uint64(len(data))+(4<<20) {
				t.Errorf("a %d KiB document allocated %d MiB", len(data)>>10, n>>20)
			}
			t.Logf("%d KiB: %d KiB allocated, errors %q", len(data)>>10, n>>10, reps[0].Errors)
		})
	}
	// Nothing before the attack: an error that says what, not a report.
	_, err := Read("deep.xml", []byte("<feedback>"+strings.Repeat("<x>", 100_000)), Limits{})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "nested more than") {
		t.Errorf("error %v, want ErrTooLarge naming the nesting", err)
	}
}

// TestErrorFlood: an mbox of 300k "From " lines (9.6 MB) was 300k errors,
// each kept and joined into one string: 1.1 GB and 200 MB of stderr for
// 96 MB. The errors of one input are capped (the count of the rest said),
// and the reports beside them are still read.
func TestErrorFlood(t *testing.T) {
	const n = 300_000
	var b strings.Builder
	b.WriteString("From a@b Mon Nov 30 01:00:00 2026\nFrom: a@b\nContent-Type: text/xml\n\n" + aggregateXML(1) + "\n")
	for range n {
		b.WriteString("From x Mon Nov 30 01:00:00 2026\n")
	}
	b.WriteString("From a@b Mon Nov 30 01:00:00 2026\nFrom: a@b\nContent-Type: text/xml\n\n" + strings.Replace(aggregateXML(1), "g1", "g2", 1) + "\n")
	data := []byte(b.String())
	var reps []*Report
	var err error
	alloc := allocated(func() { reps, err = Read("flood.mbox", data, Limits{}) })
	if len(reps) != 2 {
		t.Errorf("%d reports, want the 2 around the flood", len(reps))
	}
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	lines := strings.Count(msg, "\n") + 1
	if !errors.Is(err, ErrNotReport) || lines > maxErrors+1 || !strings.Contains(msg, "00 more problems in this input") {
		t.Errorf("%d error lines, last %q; want at most %d and the count of the rest", lines, msg[strings.LastIndexByte(msg, '\n')+1:], maxErrors+1)
	}
	if alloc > 40*uint64(len(data)) {
		t.Errorf("a %d MiB mbox allocated %d MiB", len(data)>>20, alloc>>20)
	}
	t.Logf("%d KiB: %d MiB allocated", len(data)>>10, alloc>>20)
}

// TestReadFileRefusesEarly: a file larger than MaxInput was read up to the
// cap before being refused, and /dev/zero (or a pipe of garbage) was read
// to 256 MB: 583 MB of RSS and 9 s for an answer known from its first
// bytes. A regular file's size and every file's head are looked at first.
func TestReadFileRefusesEarly(t *testing.T) {
	dir := t.TempDir()
	sparse := func(name string, size int64) string {
		p := dir + "/" + name
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := f.Truncate(size); err != nil { // sparse: no disk used
			t.Fatal(err)
		}
		return p
	}
	lim := Limits{MaxInput: 32 << 20}
	for _, c := range []struct {
		path string
		want error
	}{
		{sparse("huge.xml", lim.MaxInput+1), ErrTooLarge},
		{sparse("zeros.xml", lim.MaxInput), ErrNotReport},
		{"/dev/zero", ErrNotReport},
	} {
		var err error
		n := allocated(func() { _, err = ReadFile(c.path, lim) })
		if !errors.Is(err, c.want) {
			t.Errorf("%s: error %v, want %v", c.path, err, c.want)
		}
		if n > 1<<20 {
			t.Errorf("%s: allocated %d MiB before refusing", c.path, n>>20)
		}
	}
	// A real report is still read, whatever its head.
	p := dir + "/ok.xml"
	if err := os.WriteFile(p, append(bytes.Repeat([]byte(" "), 2000), aggregateXML(3)...), 0o600); err != nil {
		t.Fatal(err)
	}
	if reps, err := ReadFile(p, lim); err != nil || len(reps) != 1 || len(reps[0].Aggregate.Records) != 3 {
		t.Errorf("%d reports, %v", len(reps), err)
	}
}

// tlsReportJSON is a TLS report (RFC 8460 section 4.4) with id, whose first
// policy's policy-string is policyString (raw JSON).
func tlsReportJSON(id, policyString string) string {
	return `{"organization-name":"Org","date-range":{"start-datetime":"2026-01-01T00:00:00Z","end-datetime":"2026-01-02T00:00:00Z"},` +
		`"contact-info":"c","report-id":"` + id + `","policies":[{"policy":{"policy-type":"sts","policy-string":` + policyString +
		`,"policy-domain":"example.com"},"summary":{"total-successful-session-count":5,"total-failure-session-count":1},` +
		`"failure-details":[{"result-type":"certificate-expired","sending-mta-ip":"192.0.2.1","failed-session-count":1}]}]}`
}

// TestTLSReportTolerant: one value of the wrong JSON type (policy-string
// as a string, not an array) lost the whole report; a second report
// after the first in one file (JSON lines) was dropped in silence, and so
// was trailing garbage. The report is kept with the value skipped and
// said; each report of a stream is read; garbage after them is an error.
func TestTLSReportTolerant(t *testing.T) {
	reps, err := Read("typed.json", []byte(tlsReportJSON("t1", `"v=STSv1; mode=enforce"`)), Limits{})
	if err != nil || len(reps) != 1 {
		t.Fatalf("%d reports, error %v", len(reps), err)
	}
	tls := reps[0].TLS
	if len(tls.Policies) != 1 || tls.Policies[0].Success != 5 || len(tls.Policies[0].Failures) != 1 || tls.ReportID != "t1" {
		t.Errorf("policies %+v", tls.Policies)
	}
	if e := strings.Join(reps[0].Errors, "\n"); !strings.Contains(e, "policy-string") {
		t.Errorf("errors %q, want the skipped value named", reps[0].Errors)
	}

	two := tlsReportJSON("one", `["v=STSv1"]`) + "\n" + tlsReportJSON("two", `["v=STSv1"]`) + "\n"
	reps, err = Read("two.json", []byte(two), Limits{})
	if err != nil || len(reps) != 2 || reps[1].TLS.ReportID != "two" {
		t.Errorf("%d reports, error %v; want both", len(reps), err)
	}
	reps, err = Read("junk.json", []byte(tlsReportJSON("one", `["v=STSv1"]`)+"GARBAGE{"), Limits{})
	if len(reps) != 1 || !errors.Is(err, ErrMalformed) {
		t.Errorf("%d reports, error %v; want the report and an error for what follows", len(reps), err)
	}
}

// TestDocumentCap: a plain 215 MB XML of 5M records (under MaxInput, which
// is large for mbox archives) took 1 GB, and over a minute once the memory
// was limited, while the same document gzipped is refused by
// MaxDecompressed. One XML or JSON document is held to MaxDecompressed
// however it arrived, refused before decoding.
func TestDocumentCap(t *testing.T) {
	lim := Limits{MaxDecompressed: 1 << 20}
	big := aggregateXML(1 << 20 / 300 * 2) // some 2 MB
	bigJSON := `{"organization-name":"x","contact-info":"` + strings.Repeat("a", 2<<20) + `","policies":[]}`
	for name, data := range map[string]string{"big.xml": big, "big.json": bigJSON} {
		var reps []*Report
		var err error
		b := []byte(data)
		n := allocated(func() { reps, err = Read(name, b, lim) })
		if len(reps) != 0 || !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "MaxDecompressed") {
			t.Errorf("%s: %d reports, error %v", name, len(reps), err)
		}
		if n > 64<<10 {
			t.Errorf("%s: allocated %d KiB before refusing", name, n>>10)
		}
	}
}

// TestGzipMembersAndTrailer: a gzip file of two members (RFC 1952 section
// 2.2 allows any number) followed by junk, or one member followed by junk,
// was said to be "truncated: what followed is lost" and failed the input,
// though nothing was lost. The members are read; the junk is said in the
// report; a stream really cut short still says so.
func TestGzipMembersAndTrailer(t *testing.T) {
	x := []byte(aggregateXML(2))
	half := len(x) / 2
	two := append(gzipped(t, x[:half]), gzipped(t, x[half:])...)
	for _, c := range []struct {
		name string
		data []byte
		want string // in the report's Errors; "" for none
	}{
		{"two members", two, ""},
		{"two members and junk", append(bytes.Clone(two), "GARBAGE\x00\x01"...), "9 bytes after the gzip data ignored"},
		{"zero padding", append(gzipped(t, x), make([]byte, 512)...), "512 bytes after the gzip data ignored"},
	} {
		reps, err := Read(c.name+".xml.gz", c.data, Limits{})
		if err != nil || len(reps) != 1 || len(reps[0].Aggregate.Records) != 2 {
			t.Errorf("%s: %d reports, error %v", c.name, len(reps), err)
			continue
		}
		if got := strings.Join(reps[0].Errors, "\n"); got != c.want {
			t.Errorf("%s: errors %q, want %q", c.name, got, c.want)
		}
	}
	g := gzipped(t, x)
	reps, err := Read("cut.xml.gz", g[:len(g)-8], Limits{}) // no CRC and size
	if !errors.Is(err, ErrMalformed) || len(reps) != 1 || !strings.Contains(strings.Join(reps[0].Errors, "\n"), "truncated") {
		t.Errorf("cut stream: %d reports, error %v", len(reps), err)
	}
}

// TestHeaderFlood: a 60 MB message of 20M empty header fields took 1.5 GB
// and 30 s (each field kept). A header keeps maxFields fields; past them
// only the first Content-Type, -Transfer-Encoding and -Disposition, so the
// report after the flood is still found.
func TestHeaderFlood(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("From: a@b\n")
	for range 500_000 {
		b.WriteString("a:\nContent-X:\n")
	}
	b.WriteString("Content-Type: text/xml\n\n" + aggregateXML(1))
	data := b.Bytes()
	var reps []*Report
	var err error
	n := allocated(func() { reps, err = Read("flood.eml", data, Limits{}) })
	if err != nil || len(reps) != 1 {
		t.Errorf("%d reports, error %v; want the report after the flood", len(reps), err)
	}
	if n > 8*uint64(len(data)) {
		t.Errorf("a %d MiB message allocated %d MiB", len(data)>>20, n>>20)
	}
	t.Logf("%d KiB: %d KiB allocated", len(data)>>10, n>>10)
}

// endless yields its pattern for ever (a pipe that never ends).
type endless []byte

func (e endless) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], e)
	}
	return n, nil
}

// TestReadStreamEndless: standard input of "<feedback>" for ever was read
// to MaxInput (256 MB: 597 MB of RSS) before being refused. One XML or
// JSON document is held to MaxDecompressed from its head on, and garbage
// is refused after its head.
func TestReadStreamEndless(t *testing.T) {
	lim := Limits{MaxDecompressed: 1 << 20}
	for _, c := range []struct {
		pattern string
		want    error
	}{
		{"<feedback>", ErrTooLarge},
		{`{"organization-name":"`, ErrTooLarge},
		{"\x00", ErrNotReport},
	} {
		var err error
		n := allocated(func() { _, err = ReadStream("(stdin)", endless(c.pattern), -1, lim) })
		if !errors.Is(err, c.want) {
			t.Errorf("%q for ever: error %v, want %v", c.pattern, err, c.want)
		}
		if n > 8<<20 {
			t.Errorf("%q for ever: allocated %d MiB", c.pattern, n>>20)
		}
	}
}

// FuzzXMLShape: for any input, xmlShape either accepts it or cuts at a '<'
// inside it, and what it accepts it accepts again with anything after the
// cut removed (the cut is where the absurd shape starts, not later).
func FuzzXMLShape(f *testing.F) {
	f.Add([]byte(aggregateXML(1)))
	f.Add(withTail(strings.Repeat("<x>", 300)))
	f.Add(withTail(`<x a=">" b='>'/><!-- <y> --><![CDATA[<z>]]><?p <q> ?><!DOCTYPE x>`))
	f.Add([]byte("<a xmlns='u' xmlns:b=\"v\"></a></a></a>< b<c"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cut, why := xmlShape(data)
		if cut < 0 {
			if why != "" {
				t.Fatalf("no cut but %q", why)
			}
			return
		}
		if cut >= len(data) || data[cut] != '<' || why == "" {
			t.Fatalf("cut %d (%q) in %d bytes", cut, why, len(data))
		}
		if c, _ := xmlShape(data[:cut]); c >= 0 {
			t.Fatalf("the part before the cut at %d is cut again at %d", cut, c)
		}
	})
}

// TestDatesStayRFC3339: a date_range of 1099511627775 seconds (year 36812)
// was written "36812-02-20T00:36:15Z", which is not RFC 3339 (a four-digit
// year) and which strict readers of the JSON refuse. Past 9999-12-31 a
// date is unreadable, said, and null.
func TestDatesStayRFC3339(t *testing.T) {
	x := strings.Replace(aggregateXML(1), "<begin>1</begin>", "<begin>1099511627775</begin>", 1)
	reps, err := Read("far.xml", []byte(x), Limits{})
	if err != nil || len(reps) != 1 {
		t.Fatalf("%d reports, %v", len(reps), err)
	}
	if !reps[0].Aggregate.Begin.IsZero() || !strings.Contains(strings.Join(reps[0].Errors, "\n"), "date_range begin") {
		t.Errorf("begin %v, errors %q", reps[0].Aggregate.Begin, reps[0].Errors)
	}
	b, _ := reps[0].JSON(nil)
	if !strings.Contains(string(b), `"begin":null`) {
		t.Errorf("JSON %s", b)
	}
}

// TestWalkFileLinks: a folder's symbolic link to a report file was skipped
// in silence (only regular files were read), losing the report; links to
// folders are still not followed (a link to ".." is a loop), and a link to
// a device is not read.
func TestWalkFileLinks(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(outside+"/real.xml", []byte(aggregateXML(1)), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for link, target := range map[string]string{"report.xml": outside + "/real.xml", "loop": "..", "zero": "/dev/zero"} {
		if err := os.Symlink(target, dir+"/"+link); err != nil {
			t.Fatal(err)
		}
	}
	reps, err := ReadDir(dir, Limits{})
	if err != nil || len(reps) != 1 {
		t.Errorf("%d reports, error %v; want the linked report", len(reps), err)
	}
}

// TestXMLControlCharacter: one raw control character (ESC) in an org_name
// made the XML unreadable in both of encoding/xml's modes and the whole
// report was lost. It is read with the character as U+FFFD, and said.
func TestXMLControlCharacter(t *testing.T) {
	x := strings.Replace(aggregateXML(2), "<org_name>Gen", "<org_name>G\x1b[31men\x00", 1)
	reps, err := Read("esc.xml", []byte(x), Limits{})
	if err != nil || len(reps) != 1 {
		t.Fatalf("%d reports, error %v", len(reps), err)
	}
	a := reps[0].Aggregate
	if a.OrgName != "G\uFFFD[31men\uFFFD" || len(a.Records) != 2 {
		t.Errorf("org_name %q, %d records", a.OrgName, len(a.Records))
	}
	if !strings.Contains(strings.Join(reps[0].Errors, "\n"), "2 control characters read as U+FFFD") {
		t.Errorf("errors %q", reps[0].Errors)
	}
}
