package reports

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzLimits are small, so that the fuzzer spends its time on structure.
var fuzzLimits = Limits{MaxDecompressed: 1 << 20, MaxRecords: 50, MaxReports: 20}

// checkRead reads data and checks what must hold for any input: no panic,
// a kind that matches the one part set, bounds kept, and JSON that is valid
// and safe for a terminal.
func checkRead(t *testing.T, name string, data []byte) {
	reps, err := Read(name, data, fuzzLimits)
	if len(reps) == 0 && err == nil {
		t.Fatalf("no report and no error")
	}
	if len(reps) > fuzzLimits.MaxReports {
		t.Fatalf("%d reports", len(reps))
	}
	for _, r := range reps {
		set := 0
		for _, ok := range []bool{r.Aggregate != nil, r.Failure != nil, r.TLS != nil} {
			if ok {
				set++
			}
		}
		want := map[string]bool{KindAggregate: r.Aggregate != nil, KindFailure: r.Failure != nil, KindTLS: r.TLS != nil}
		if set != 1 || !want[r.Kind] {
			t.Fatalf("kind %q with aggregate %v failure %v tls %v", r.Kind, r.Aggregate != nil, r.Failure != nil, r.TLS != nil)
		}
		if r.Aggregate != nil && len(r.Aggregate.Records) > fuzzLimits.MaxRecords {
			t.Fatalf("%d records", len(r.Aggregate.Records))
		}
		b, err := r.JSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(b) {
			t.Fatalf("invalid JSON %q", b)
		}
		for _, c := range string(b) {
			if c < 0x20 || c == 0x7f || c >= 0x80 && c <= 0x9f || c >= 0x202a && c <= 0x202e || c >= 0x2066 && c <= 0x2069 {
				t.Fatalf("raw control %U in JSON", c)
			}
		}
		r.CSVRecords()
	}
}

func seed(f *testing.F, glob string) {
	files, _ := filepath.Glob(filepath.Join("testdata", glob))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzReadXML: aggregate reports.
func FuzzReadXML(f *testing.F) {
	seed(f, "*.xml")
	f.Add([]byte(aggregateXML(3)))
	full := aggregateXML(3)
	f.Add([]byte(full[:len(full)/2]))
	f.Add([]byte(`<!DOCTYPE feedback [<!ENTITY a "aa">]><feedback>&a;</feedback>`))
	f.Add([]byte(`<?xml version="1.0" encoding="latin1"?><feedback><record><row><count>-1</count></row></record></feedback>`))
	f.Fuzz(func(t *testing.T, data []byte) { checkRead(t, "f.xml", data) })
}

// FuzzReadArchive: gzip and zip, nested and broken.
func FuzzReadArchive(f *testing.F) {
	seed(f, "*.gz")
	seed(f, "*.zip")
	f.Add([]byte("\x1f\x8b"))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) { checkRead(t, "f.zip", data) })
}

// FuzzReadJSON: TLS reports.
func FuzzReadJSON(f *testing.F) {
	seed(f, "*.json")
	f.Add([]byte(`{"organization-name":"x","policies":[{"summary":{"total-successful-session-count":1.5}}]}`))
	f.Add([]byte(`{"organization-name":"x","date-range":{"start-datetime":"2026-01-01T00:00:00"}}`))
	f.Fuzz(func(t *testing.T, data []byte) { checkRead(t, "f.json", data) })
}

// FuzzReadMessage: messages and mbox files carrying reports, failure
// reports.
func FuzzReadMessage(f *testing.F) {
	seed(f, "*.eml")
	seed(f, "*.mbox")
	f.Add([]byte("Content-Type: multipart/report; report-type=feedback-report; boundary=b\n\n--b\nContent-Type: message/feedback-report\n\nSource-IP: 1\n--b--\n"))
	f.Add([]byte(strings.Repeat("Content-Type: multipart/mixed; boundary=a\n\n--a\n", 20)))
	f.Fuzz(func(t *testing.T, data []byte) { checkRead(t, "f.eml", data) })
}
