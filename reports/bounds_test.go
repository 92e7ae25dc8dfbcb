package reports

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
)

// allocated is how many bytes f allocates (runtime.MemStats.TotalAlloc).
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// zeros writes n MiB of zero bytes to w.
func zeros(t *testing.T, w interface{ Write([]byte) (int, error) }, mib int) {
	t.Helper()
	buf := make([]byte, 1<<20)
	for range mib {
		if _, err := w.Write(buf); err != nil {
			t.Fatal(err)
		}
	}
}

func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type member struct {
	name string
	data []byte
}

func zipped(t *testing.T, members ...member) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, m := range members {
		w, err := zw.Create(m.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(m.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestGzipBomb: 32 MiB of zeros in a 32 KB gzip stream is refused with
// ErrTooLarge after decompressing no more than the cap (bounded memory: a
// reader that expanded it would allocate 32 MiB).
func TestGzipBomb(t *testing.T) {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zeros(t, zw, 32)
	zw.Close()
	bomb := b.Bytes()
	var reps []*Report
	var err error
	n := allocated(func() { reps, err = Read("bomb.xml.gz", bomb, Limits{MaxDecompressed: 1 << 20}) })
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "decompresses to more than 1048576 bytes") {
		t.Errorf("error %v, want ErrTooLarge saying the cap", err)
	}
	if len(reps) != 0 {
		t.Errorf("%d reports from a bomb", len(reps))
	}
	if n > 8<<20 {
		t.Errorf("reading a %d-byte bomb allocated %d MiB, want under 8 MiB", len(bomb), n>>20)
	}
	t.Logf("bomb of %d bytes (32 MiB inside): refused after %d KiB allocated", len(bomb), n>>10)
}

// TestZipBomb: a zip whose member honestly declares 32 MiB is refused
// before decompressing; one whose header lies (declares 1 KiB, holds 64
// MiB) is refused while decompressing, in bounded memory either way.
func TestZipBomb(t *testing.T) {
	var honest bytes.Buffer
	zw := zip.NewWriter(&honest)
	w, _ := zw.Create("big.xml")
	zeros(t, w, 32)
	zw.Close()

	// The lie: compress by hand and write the member raw with a small size.
	var raw bytes.Buffer
	{
		var tmp bytes.Buffer
		tw := zip.NewWriter(&tmp)
		w, _ := tw.Create("lie.xml")
		zeros(t, w, 32)
		tw.Close()
		zr, err := zip.NewReader(bytes.NewReader(tmp.Bytes()), int64(tmp.Len()))
		if err != nil {
			t.Fatal(err)
		}
		rc, _ := zr.File[0].OpenRaw()
		lw := zip.NewWriter(&raw)
		h := zr.File[0].FileHeader
		h.UncompressedSize64 = 1024
		cw, err := lw.CreateRaw(&h)
		if err != nil {
			t.Fatal(err)
		}
		buf := new(bytes.Buffer)
		buf.ReadFrom(rc)
		cw.Write(buf.Bytes())
		lw.Close()
	}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"honest.zip", honest.Bytes(), "declares 33554432 bytes"},
		{"lying.zip", raw.Bytes(), "lie.xml"},
	} {
		var err error
		n := allocated(func() { _, err = Read(c.name, c.data, Limits{MaxDecompressed: 1 << 20}) })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
		if c.name == "honest.zip" && !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: %v, want ErrTooLarge", c.name, err)
		}
		if n > 8<<20 {
			t.Errorf("%s (%d bytes): allocated %d MiB, want under 8 MiB", c.name, len(c.data), n>>20)
		}
	}
}

// TestBudgetSpansInput: the cap counts the bytes of every member of an
// input together, so a thousand small members cannot add up to a bomb; the
// members read before the cap are kept.
func TestBudgetSpansInput(t *testing.T) {
	x, err := os.ReadFile("testdata/agg-rfc7489.xml")
	if err != nil {
		t.Fatal(err)
	}
	var ms []member
	for i := range 20 {
		ms = append(ms, member{fmt.Sprintf("r%02d.xml", i), x})
	}
	reps, err := Read("many.zip", zipped(t, ms...), Limits{MaxDecompressed: int64(len(x))*5 + 10})
	if len(reps) != 5 || !errors.Is(err, ErrTooLarge) {
		t.Errorf("%d reports, error %v; want 5 and ErrTooLarge for the rest", len(reps), err)
	}
}

// TestNesting: gzip inside gzip inside ... is refused past MaxDepth, with
// an error that says so.
func TestNesting(t *testing.T) {
	x, _ := os.ReadFile("testdata/agg-rfc7489.xml")
	data := x
	for range 3 {
		data = gzipped(t, data)
	}
	if reps, err := Read("3.gz", data, Limits{}); err != nil || len(reps) != 1 {
		t.Errorf("3 layers: %d reports, %v", len(reps), err)
	}
	for range 10 {
		data = gzipped(t, data)
	}
	reps, err := Read("13.gz", data, Limits{})
	if len(reps) != 0 || !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "nested more than 6 deep") {
		t.Errorf("13 layers: %d reports, error %v", len(reps), err)
	}
}

// TestBillionLaughs: entity declarations are refused with a clear error;
// a reference to an undeclared entity is a syntax error (encoding/xml
// never expands anything but the five predefined entities).
func TestBillionLaughs(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?>` + "\n<!DOCTYPE feedback [\n <!ENTITY lol \"lol\">\n")
	prev := "lol"
	for i := 1; i <= 9; i++ {
		name := fmt.Sprintf("lol%d", i)
		fmt.Fprintf(&b, " <!ENTITY %s \"%s\">\n", name, strings.Repeat("&"+prev+";", 10))
		prev = name
	}
	b.WriteString("]>\n<feedback><report_metadata><org_name>&lol9;</org_name></report_metadata></feedback>\n")
	var reps []*Report
	var err error
	n := allocated(func() { reps, err = Read("laughs.xml", []byte(b.String()), Limits{}) })
	if len(reps) != 0 || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "entity expansion is refused") {
		t.Errorf("%d reports, error %v", len(reps), err)
	}
	if n > 1<<20 {
		t.Errorf("allocated %d KiB", n>>10)
	}
	reps, err = Read("undeclared.xml", []byte("<feedback><report_metadata><org_name>&lol9;</org_name></report_metadata></feedback>"), Limits{})
	if len(reps) != 0 || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "entity") {
		t.Errorf("undeclared entity: %d reports, error %v", len(reps), err)
	}
}

// aggregateXML is a report with n records, the i-th from 192.0.2.i.
func aggregateXML(n int) string {
	var b strings.Builder
	b.WriteString(`<feedback><report_metadata><org_name>Gen</org_name><report_id>g1</report_id><date_range><begin>1</begin><end>2</end></date_range></report_metadata>`)
	b.WriteString(`<policy_published><domain>gen.example</domain><p>none</p></policy_published>`)
	for i := range n {
		fmt.Fprintf(&b, `<record><row><source_ip>192.0.2.%d</source_ip><count>%d</count><policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>fail</spf></policy_evaluated></row><identifiers><header_from>gen.example</header_from></identifiers></record>`, i, i+1)
	}
	b.WriteString(`</feedback>`)
	return b.String()
}

// TestRecordCap keeps MaxRecords records and says how many were skipped.
func TestRecordCap(t *testing.T) {
	reps, err := Read("big.xml", []byte(aggregateXML(10)), Limits{MaxRecords: 3})
	if err != nil || len(reps) != 1 {
		t.Fatalf("%v %d", err, len(reps))
	}
	a := reps[0].Aggregate
	if len(a.Records) != 3 || a.Records[2].SourceIP != "192.0.2.2" {
		t.Errorf("%d records", len(a.Records))
	}
	if len(reps[0].Errors) != 1 || reps[0].Errors[0] != "7 records beyond Limits.MaxRecords (3) skipped" {
		t.Errorf("errors %q", reps[0].Errors)
	}
}

// TestMaxReports: an mbox of five reports read with MaxReports 2 gives two
// and says the rest were skipped.
func TestMaxReports(t *testing.T) {
	var b strings.Builder
	for i := range 5 {
		fmt.Fprintf(&b, "From x@y Mon Nov 30 01:00:0%d 2026\nFrom: x@y\nContent-Type: text/xml\n\n%s\n\n", i, aggregateXML(1))
	}
	reps, err := Read("five.mbox", []byte(b.String()), Limits{MaxReports: 2})
	if len(reps) != 2 || !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "more than 2 reports") {
		t.Errorf("%d reports, error %v", len(reps), err)
	}
}

// TestMalformedKeepsRecords: XML truncated in the third record keeps the
// two records before it and says what was skipped; a sender's unescaped &
// is read leniently; a record with an unreadable count is skipped alone; a
// report with no record is an error.
func TestMalformedKeepsRecords(t *testing.T) {
	full := aggregateXML(4)
	i := strings.Index(full, "192.0.2.2")
	reps, err := Read("truncated.xml", []byte(full[:i]), Limits{})
	if err != nil || len(reps) != 1 {
		t.Fatalf("truncated: %v %d", err, len(reps))
	}
	if r := reps[0]; len(r.Aggregate.Records) != 2 || len(r.Errors) != 1 ||
		!strings.Contains(r.Errors[0], "XML broken") || !strings.Contains(r.Errors[0], "2 records read before it") {
		t.Errorf("truncated: %d records, errors %q", len(r.Aggregate.Records), r.Errors)
	}
	// An unescaped & is read leniently: all four records, and the report
	// says so.
	reps, err = Read("ampersand.xml", []byte(full[:i]+"AT&T"+full[i:]), Limits{})
	if err != nil || len(reps) != 1 {
		t.Fatalf("ampersand: %v %d", err, len(reps))
	}
	if r := reps[0]; len(r.Aggregate.Records) != 4 || r.Aggregate.Records[2].SourceIP != "AT&T192.0.2.2" || len(r.Errors) != 1 ||
		!strings.Contains(r.Errors[0], "not well-formed") || !strings.Contains(r.Errors[0], "read leniently") {
		t.Errorf("ampersand: %d records, errors %q", len(r.Aggregate.Records), r.Errors)
	}
	bad := strings.Replace(full, "<count>2</count>", "<count>two</count>", 1)
	reps, err = Read("count.xml", []byte(bad), Limits{})
	if err != nil || len(reps) != 1 {
		t.Fatalf("%v %d", err, len(reps))
	}
	if r := reps[0]; len(r.Aggregate.Records) != 3 || len(r.Errors) != 1 || r.Errors[0] != `record 2 skipped: count "two" is not a number of messages` {
		t.Errorf("%d records, errors %q", len(r.Aggregate.Records), r.Errors)
	}
	reps, err = Read("empty.xml", []byte(aggregateXML(0)), Limits{})
	if len(reps) != 0 || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "no record") {
		t.Errorf("no record: %d reports, error %v", len(reps), err)
	}
}

// TestOneBadReportNeverStopsOthers: a zip of a good aggregate report, a
// broken one, a text file and a TLS report gives the two good reports and
// an error naming each bad member.
func TestOneBadReportNeverStopsOthers(t *testing.T) {
	x, _ := os.ReadFile("testdata/agg-rfc7489.xml")
	j, _ := os.ReadFile("testdata/tlsrpt.json")
	data := zipped(t, member{"good.xml", x}, member{"broken.xml", []byte("<feedback><report_metadata>")},
		member{"readme.txt", []byte("hello")}, member{"tls.json.gz", gzipped(t, j)})
	reps, err := Read("mixed.zip", data, Limits{})
	if len(reps) != 2 || reps[0].Kind != KindAggregate || reps[1].Kind != KindTLS {
		t.Fatalf("%d reports", len(reps))
	}
	for _, m := range []string{"mixed.zip: broken.xml", "mixed.zip: readme.txt"} {
		if err == nil || !strings.Contains(err.Error(), m) {
			t.Errorf("error %v does not name %s", err, m)
		}
	}
	if reps[1].Source != "mixed.zip: tls.json.gz" {
		t.Errorf("source %q", reps[1].Source)
	}
}

// TestCharsets: a Latin-1 report is read; an encoding we cannot read is a
// clear error.
func TestCharsets(t *testing.T) {
	x := strings.Replace(aggregateXML(1), "<org_name>Gen</org_name>", "<org_name>Caf\xe9</org_name>", 1)
	reps, err := Read("latin1.xml", []byte(`<?xml version="1.0" encoding="ISO-8859-1"?>`+x), Limits{})
	if err != nil || len(reps) != 1 || reps[0].Aggregate.OrgName != "Café" {
		t.Errorf("%v %d %+v", err, len(reps), reps)
	}
	_, err = Read("ebcdic.xml", []byte(`<?xml version="1.0" encoding="EBCDIC-US"?>`+x), Limits{})
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "unsupported XML encoding EBCDIC-US") {
		t.Errorf("error %v", err)
	}
}

// TestNotReports: inputs that are no report say so, whatever their name.
func TestNotReports(t *testing.T) {
	for _, c := range []struct{ name, data, want string }{
		{"x.json", `{"a": 1}`, "not an RFC 8460 TLS report"},
		{"x.json", `{"organization-name": `, "JSON"},
		{"x.eml", "Subject: hello\n\nhi\n", `(Subject "hello") carries no report`},
		{"x.xml", "<html><body>hi</body></html>", "<html>"},
		{"x.bin", "\x00\x01\x02", "neither XML, JSON, gzip, zip nor a mail message"},
		{"x.zip", "PK\x05\x06" + strings.Repeat("\x00", 18), "empty zip archive"},
	} {
		reps, err := Read(c.name, []byte(c.data), Limits{})
		if len(reps) != 0 || err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %d reports, error %v, want %q", c.data, len(reps), err, c.want)
		}
	}
}

// BenchmarkReadAggregateGzip: one gzipped aggregate report of 500 records,
// the largest a day of a busy domain sends from one receiver.
func BenchmarkReadAggregateGzip(b *testing.B) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(aggregateXML(500)))
	zw.Close()
	data := buf.Bytes()
	b.SetBytes(int64(len(aggregateXML(500))))
	b.ReportAllocs()
	for b.Loop() {
		reps, err := Read("b.xml.gz", data, Limits{})
		if err != nil || len(reps[0].Aggregate.Records) != 500 {
			b.Fatal(err)
		}
	}
}
