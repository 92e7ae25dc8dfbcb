package pipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/sealtrace/sealtrace/internal/testpeers/testdata"
	"github.com/sealtrace/sealtrace/reports"
)

type failureJSON struct {
	Kind     string `json:"kind"`
	SourceIP string `json:"source_ip"`
	Original *struct {
		MessageID  string `json:"message_id"`
		FromDomain string `json:"from_domain"`
		Source     string `json:"source"`
	} `json:"original"`
}

func reportJSON(t *testing.T, e *Engine, r *reports.Report) failureJSON {
	t.Helper()
	b, err := e.ReportJSON(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	var f failureJSON
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return f
}

// TestReportJSONInspectsFailures: a failure report's JSON carries the full
// inspection report of the message inside it (message_id, from_domain), for
// the whole message and for headers alone; other kinds pass through.
func TestReportJSONInspectsFailures(t *testing.T) {
	e := offline(t, 1)
	for _, c := range []struct{ file, id, from string }{
		{"failure.eml", "<invoice-5512@bulk-sender.example>", "sealtrace.example"},
		{"failure-headers.eml", "<news-2026-11@sealtrace.example>", "sealtrace.example"},
	} {
		reps, err := reports.ReadFile(filepath.Join("..", "reports", "testdata", c.file), reports.Limits{})
		if err != nil || len(reps) != 1 {
			t.Fatalf("%s: %v %d", c.file, err, len(reps))
		}
		f := reportJSON(t, e, reps[0])
		if f.Kind != "failure" || f.Original == nil || f.Original.MessageID != c.id || f.Original.FromDomain != c.from {
			t.Errorf("%s: %+v original %+v", c.file, f, f.Original)
		}
		res, ok := e.InspectFailure(context.Background(), reps[0])
		if !ok || res.Report == nil || res.Report.MessageID != c.id {
			t.Errorf("%s: InspectFailure %v %+v", c.file, ok, res.Report)
		}
	}
	reps, err := reports.ReadFile("../reports/testdata/tlsrpt.json", reports.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := e.InspectFailure(context.Background(), reps[0]); ok {
		t.Error("InspectFailure of a TLS report")
	}
	var n int
	err = e.ReportsJSON(context.Background(), reps, func(r *reports.Report, line []byte, err error) bool {
		n++
		return err == nil && json.Valid(line)
	})
	if err != nil || n != 1 {
		t.Errorf("ReportsJSON: %v, %d lines", err, n)
	}
}

// TestRealFailureOriginals: the message each real failure report carries
// is inspected, and its Message-ID is the one the peers read
// (expected.jsonl original_message_id; null where the carried message has
// none).
func TestRealFailureOriginals(t *testing.T) {
	dir := testdata.Dir(t, "reports")
	f, err := os.Open(filepath.Join(dir, "expected.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e := offline(t, 1)
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		var x struct {
			File string  `json:"file"`
			Kind string  `json:"kind"`
			ID   *string `json:"original_message_id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &x); err != nil {
			t.Fatal(err)
		}
		if x.Kind != "failure" {
			continue
		}
		n++
		reps, err := reports.ReadFile(filepath.Join(dir, x.File), reports.Limits{})
		if err != nil || len(reps) != 1 {
			t.Errorf("%s: %v %d", x.File, err, len(reps))
			continue
		}
		got := reportJSON(t, e, reps[0])
		want := ""
		if x.ID != nil {
			want = *x.ID
		}
		if got.Original == nil || got.Original.MessageID != want {
			t.Errorf("%s: original %+v, want message_id %q", x.File, got.Original, want)
		}
	}
	if n != 7 {
		t.Errorf("%d failure reports, want 7", n)
	}
}
