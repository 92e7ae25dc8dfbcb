package pipeline

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/sealtrace/sealtrace/reports"
)

// InspectFailure inspects the message a DMARC failure report carries (RFC
// 6591 section 2: the original message, or only its header) with the
// engine, as any other message. ok is false when r is not a failure report
// or carries no message. A header without its body is inspected as a
// message with an empty body: its DKIM body hashes fail, which says what the
// report can and cannot show.
func (e *Engine) InspectFailure(ctx context.Context, r *reports.Report) (res Result, ok bool) {
	if r == nil || r.Failure == nil || len(r.Failure.Original) == 0 {
		return Result{}, false
	}
	return e.Inspect(ctx, r.Failure.Original, r.Source), true
}

// ReportJSON is r's JSON (reports.Report.JSON), with a failure report's
// "original" filled with the full inspection report of the message it
// carries (message_id included).
func (e *Engine) ReportJSON(ctx context.Context, r *reports.Report) ([]byte, error) {
	res, ok := e.InspectFailure(ctx, r)
	if !ok {
		return r.JSON(nil)
	}
	orig, err := res.Report.JSON()
	if err != nil {
		return nil, err
	}
	return r.JSON(json.RawMessage(bytes.TrimSpace(orig)))
}

// ReportsJSON calls emit with each report of reps and its JSON (ReportJSON),
// in order, stopping when emit returns false or ctx is done (returning ctx's
// error).
func (e *Engine) ReportsJSON(ctx context.Context, reps []*reports.Report, emit func(r *reports.Report, line []byte, err error) bool) error {
	for _, r := range reps {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, err := e.ReportJSON(ctx, r)
		if !emit(r, line, err) {
			return nil
		}
	}
	return nil
}
