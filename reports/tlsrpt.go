package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// The JSON of RFC 8460 section 4.4. Counts are json.Number so that a
// fraction or an out-of-range value skips one count, not the report.
type jsonTLSReport struct {
	OrgName   *string `json:"organization-name"`
	DateRange struct {
		Start string `json:"start-datetime"`
		End   string `json:"end-datetime"`
	} `json:"date-range"`
	ContactInfo string `json:"contact-info"`
	ReportID    string `json:"report-id"`
	Policies    *[]struct {
		Policy struct {
			Type    string   `json:"policy-type"`
			Strings []string `json:"policy-string"`
			Domain  string   `json:"policy-domain"`
			MXHosts []string `json:"mx-host"`
		} `json:"policy"`
		Summary struct {
			Success json.Number `json:"total-successful-session-count"`
			Failure json.Number `json:"total-failure-session-count"`
		} `json:"summary"`
		Failures []struct {
			ResultType        string      `json:"result-type"`
			SendingIP         string      `json:"sending-mta-ip"`
			ReceivingMX       string      `json:"receiving-mx-hostname"`
			ReceivingMXHelo   string      `json:"receiving-mx-helo"`
			ReceivingIP       string      `json:"receiving-ip"`
			Count             json.Number `json:"failed-session-count"`
			AdditionalInfo    string      `json:"additional-information"`
			FailureReasonCode string      `json:"failure-reason-code"`
		} `json:"failure-details"`
	} `json:"policies"`
}

// json reads the TLS reports of a JSON input: usually one object, but a
// collector may write several one after the other (JSON lines), and each
// is a report. What follows them that is not JSON is an error.
func (r *reader) json(name string, data []byte) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	for n := 0; !r.full(); n++ {
		rep, err := parseTLS(name, dec, r.lim.MaxRecords)
		if err == io.EOF && n > 0 {
			return
		}
		if err != nil {
			if n > 0 {
				err = fmt.Errorf("%s: %w: after %d JSON reports: %v", name, ErrMalformed, n, err)
			}
			r.fail(err)
			return
		}
		if !r.add(rep) {
			return
		}
	}
}

// parseTLS reads the next JSON value of dec as a TLS report; io.EOF when
// there is none.
func parseTLS(name string, dec *json.Decoder, maxRecords int) (*Report, error) {
	var j jsonTLSReport
	// A value of the wrong type (a policy-string that is one string, not
	// an array) is skipped by encoding/json, which reads the rest and
	// returns the first such error: the report stays, the error is said.
	var typeErr *json.UnmarshalTypeError
	if err := dec.Decode(&j); err == io.EOF {
		return nil, io.EOF
	} else if err != nil && !errors.As(err, &typeErr) {
		return nil, fmt.Errorf("%s: %w: JSON: %v", name, ErrMalformed, err)
	}
	// A TLS report names its organisation and its policies (RFC 8460
	// section 4.4: both required); other JSON is not one.
	if j.OrgName == nil && j.Policies == nil {
		return nil, fmt.Errorf("%s: %w: JSON without organization-name or policies (not an RFC 8460 TLS report)", name, ErrNotReport)
	}
	t := &TLSReport{ContactInfo: strings.TrimSpace(j.ContactInfo), ReportID: strings.TrimSpace(j.ReportID)}
	rep := &Report{Kind: KindTLS, Source: name, TLS: t}
	if j.OrgName != nil {
		t.OrgName = strings.TrimSpace(*j.OrgName)
	} else {
		rep.Errors = append(rep.Errors, "no organization-name")
	}
	if typeErr != nil {
		rep.Errors = append(rep.Errors, fmt.Sprintf("%s skipped: a JSON %s where a %s belongs", clip(typeErr.Field), typeErr.Value, typeErr.Type))
	}
	var err error
	if t.Begin, err = tlsTime(j.DateRange.Start); err != nil {
		rep.Errors = append(rep.Errors, "date-range start-datetime: "+err.Error())
	}
	if t.End, err = tlsTime(j.DateRange.End); err != nil {
		rep.Errors = append(rep.Errors, "date-range end-datetime: "+err.Error())
	}
	if j.Policies == nil {
		rep.Errors = append(rep.Errors, "no policies")
		return rep, nil
	}
	n, capped := 0, false
	for i, p := range *j.Policies {
		if n >= maxRecords {
			capped = true
			break
		}
		n++
		tp := TLSPolicy{Type: enum(p.Policy.Type), Domain: strings.TrimSpace(p.Policy.Domain), Strings: p.Policy.Strings, MXHosts: p.Policy.MXHosts}
		tp.Success = count(p.Summary.Success, fmt.Sprintf("policy %d total-successful-session-count", i+1), rep)
		tp.Failure = count(p.Summary.Failure, fmt.Sprintf("policy %d total-failure-session-count", i+1), rep)
		for k, f := range p.Failures {
			if n >= maxRecords {
				capped = true
				break
			}
			n++
			tp.Failures = append(tp.Failures, TLSFailure{
				ResultType: strings.TrimSpace(f.ResultType), SendingIP: strings.TrimSpace(f.SendingIP),
				ReceivingMX: strings.TrimSpace(f.ReceivingMX), ReceivingMXHelo: strings.TrimSpace(f.ReceivingMXHelo),
				ReceivingIP:    strings.TrimSpace(f.ReceivingIP),
				Count:          count(f.Count, fmt.Sprintf("policy %d failure %d failed-session-count", i+1, k+1), rep),
				AdditionalInfo: f.AdditionalInfo, FailureReasonCode: f.FailureReasonCode,
			})
		}
		t.Policies = append(t.Policies, tp)
	}
	if capped {
		rep.Errors = append(rep.Errors, fmt.Sprintf("policies and failure details beyond Limits.MaxRecords (%d) skipped", maxRecords))
	}
	return rep, nil
}

func count(n json.Number, what string, rep *Report) int64 {
	if n == "" {
		return 0
	}
	v, err := n.Int64()
	if err != nil || v < 0 {
		rep.Errors = append(rep.Errors, fmt.Sprintf("%s %q is not a count", what, clip(n.String())))
		return 0
	}
	return v
}

// tlsTime reads date-range's RFC 3339 date-time (RFC 8460 section 4.4).
// Some senders leave out the zone; UTC is what the RFC asks for, so that is
// how it is read.
func tlsTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("absent")
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 date-time", clip(s))
}
