package reports

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/sealtrace/sealtrace/internal/safetext"
)

// JSON writes the report as one JSON object, the contract of docs/report.md
// (section "DMARC and TLS reports"). For a failure report, original is the
// full inspection report of the carried message (pipeline.Engine.ReportJSON
// writes it); nil writes "original": null. Other kinds ignore original.
// Strings are written as sent, escaped by encoding/json: they are data.
func (r *Report) JSON(original json.RawMessage) ([]byte, error) {
	var v any
	errs := r.Errors
	if errs == nil {
		errs = []string{}
	}
	switch {
	case r.Aggregate != nil:
		v = aggregateJSON(r, errs)
	case r.Failure != nil:
		v = failureJSON(r, errs, original)
	case r.TLS != nil:
		v = tlsJSON(r, errs)
	default:
		v = struct {
			Kind   string   `json:"kind"`
			Source string   `json:"source"`
			Errors []string `json:"errors"`
		}{r.Kind, r.Source, errs}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	// Safe to print on a terminal without changing what it means.
	return safetext.JSON(bytes.TrimSuffix(b.Bytes(), []byte("\n"))), nil
}

// MarshalJSON is JSON(nil): a failure report's original is null.
func (r *Report) MarshalJSON() ([]byte, error) { return r.JSON(nil) }

// jsonTime is RFC 3339 in UTC, null for the zero time.
type jsonTime time.Time

func (t jsonTime) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	if tt.IsZero() {
		return []byte("null"), nil
	}
	return strconv.AppendQuote(nil, tt.UTC().Format(time.RFC3339)), nil
}

// optString is a value as published: null when absent.
type optString string

func (s optString) MarshalJSON() ([]byte, error) {
	if s == "" {
		return []byte("null"), nil
	}
	return json.Marshal(string(s))
}

type policyJSON struct {
	P               optString `json:"p"`
	SP              optString `json:"sp"`
	NP              optString `json:"np"`
	ADKIM           optString `json:"adkim"`
	ASPF            optString `json:"aspf"`
	Testing         optString `json:"testing"`
	Pct             optString `json:"pct"`
	FO              optString `json:"fo"`
	DiscoveryMethod optString `json:"discovery_method"`
}

type reasonJSON struct {
	Type    string `json:"type"`
	Comment string `json:"comment"`
}

type dkimJSON struct {
	Domain      string `json:"domain"`
	Selector    string `json:"selector"`
	Result      string `json:"result"`
	HumanResult string `json:"human_result,omitempty"`
}

type spfJSON struct {
	Domain      string `json:"domain"`
	Scope       string `json:"scope"`
	Result      string `json:"result"`
	HumanResult string `json:"human_result,omitempty"`
}

type recordJSON struct {
	SourceIP     string       `json:"source_ip"`
	Count        int          `json:"count"`
	Disposition  string       `json:"disposition"`
	DKIM         string       `json:"dkim"`
	SPF          string       `json:"spf"`
	HeaderFrom   string       `json:"header_from"`
	EnvelopeFrom string       `json:"envelope_from"`
	EnvelopeTo   string       `json:"envelope_to,omitempty"`
	Reasons      []reasonJSON `json:"reasons"`
	Auth         struct {
		DKIM []dkimJSON `json:"dkim"`
		SPF  []spfJSON  `json:"spf"`
	} `json:"auth"`
}

func aggregateJSON(r *Report, errs []string) any {
	a := r.Aggregate
	recs := make([]recordJSON, len(a.Records))
	for i := range a.Records {
		in := &a.Records[i]
		out := &recs[i]
		*out = recordJSON{SourceIP: in.SourceIP, Count: in.Count, Disposition: in.Disposition, DKIM: in.DKIM,
			SPF: in.SPF, HeaderFrom: in.HeaderFrom, EnvelopeFrom: in.EnvelopeFrom, EnvelopeTo: in.EnvelopeTo,
			Reasons: []reasonJSON{}}
		for _, re := range in.Reasons {
			out.Reasons = append(out.Reasons, reasonJSON(re))
		}
		out.Auth.DKIM = []dkimJSON{}
		for _, d := range in.Auth.DKIM {
			out.Auth.DKIM = append(out.Auth.DKIM, dkimJSON(d))
		}
		out.Auth.SPF = []spfJSON{}
		for _, s := range in.Auth.SPF {
			out.Auth.SPF = append(out.Auth.SPF, spfJSON(s))
		}
	}
	p := a.Policy
	reportErrs := a.ReportErrors
	if reportErrs == nil {
		reportErrs = []string{}
	}
	return struct {
		Kind             string       `json:"kind"`
		Source           string       `json:"source"`
		Schema           string       `json:"schema"`
		OrgName          string       `json:"org_name"`
		Email            string       `json:"email"`
		ExtraContactInfo string       `json:"extra_contact_info,omitempty"`
		ReportID         string       `json:"report_id"`
		Begin            jsonTime     `json:"begin"`
		End              jsonTime     `json:"end"`
		Generator        string       `json:"generator,omitempty"`
		ReportErrors     []string     `json:"report_errors"`
		PolicyDomain     string       `json:"policy_domain"`
		Policy           policyJSON   `json:"policy"`
		TotalCount       int          `json:"total_count"`
		Records          []recordJSON `json:"records"`
		Errors           []string     `json:"errors"`
	}{KindAggregate, r.Source, a.Schema, a.OrgName, a.Email, a.ExtraContactInfo, a.ReportID,
		jsonTime(a.Begin), jsonTime(a.End), a.Generator, reportErrs, a.PolicyDomain,
		policyJSON{optString(p.P), optString(p.SP), optString(p.NP), optString(p.ADKIM), optString(p.ASPF),
			optString(p.Testing), optString(p.Pct), optString(p.FO), optString(p.Discovery)},
		a.Total(), recs, errs}
}

func failureJSON(r *Report, errs []string, original json.RawMessage) any {
	f := r.Failure
	if len(original) == 0 {
		original = json.RawMessage("null")
	}
	part := ""
	switch {
	case f.Original == nil:
	case f.HeadersOnly:
		part = "text/rfc822-headers"
	default:
		part = "message/rfc822"
	}
	rcpt := f.OriginalRcptTo
	if rcpt == nil {
		rcpt = []string{}
	}
	uris := f.ReportedURI
	if uris == nil {
		uris = []string{}
	}
	return struct {
		Kind              string          `json:"kind"`
		Source            string          `json:"source"`
		FeedbackType      string          `json:"feedback_type"`
		UserAgent         string          `json:"user_agent,omitempty"`
		SourceIP          string          `json:"source_ip"`
		ReportedDomain    string          `json:"reported_domain"`
		ArrivalDate       jsonTime        `json:"arrival_date"`
		ArrivalDateText   string          `json:"arrival_date_text,omitempty"`
		AuthFailure       string          `json:"auth_failure"`
		IdentityAlignment string          `json:"identity_alignment,omitempty"`
		DeliveryResult    string          `json:"delivery_result,omitempty"`
		OriginalMailFrom  string          `json:"original_mail_from,omitempty"`
		OriginalRcptTo    []string        `json:"original_rcpt_to"`
		DKIMDomain        string          `json:"dkim_domain,omitempty"`
		DKIMIdentity      string          `json:"dkim_identity,omitempty"`
		DKIMSelector      string          `json:"dkim_selector,omitempty"`
		SPFDNS            string          `json:"spf_dns,omitempty"`
		ReportedURI       []string        `json:"reported_uri"`
		AuthResults       []string        `json:"authentication_results"`
		OriginalPart      optString       `json:"original_part"`
		Original          json.RawMessage `json:"original"`
		Errors            []string        `json:"errors"`
	}{KindFailure, r.Source, f.FeedbackType, f.UserAgent, f.SourceIP, f.ReportedDomain,
		jsonTime(f.ArrivalDate), f.ArrivalDateText, f.AuthFailure, f.IdentityAlignment, f.DeliveryResult,
		f.OriginalMailFrom, rcpt, f.DKIMDomain, f.DKIMIdentity, f.DKIMSelector, f.SPFDNS, uris,
		nonNil(f.AuthenticationResults),
		optString(part), original, errs}
}

type tlsFailureJSON struct {
	ResultType        string `json:"result_type"`
	SendingIP         string `json:"sending_ip"`
	ReceivingMX       string `json:"receiving_mx"`
	ReceivingMXHelo   string `json:"receiving_mx_helo,omitempty"`
	ReceivingIP       string `json:"receiving_ip,omitempty"`
	Count             int64  `json:"count"`
	AdditionalInfo    string `json:"additional_info,omitempty"`
	FailureReasonCode string `json:"failure_reason_code,omitempty"`
}

type tlsPolicyJSON struct {
	Type     string           `json:"type"`
	Domain   string           `json:"domain"`
	Strings  []string         `json:"policy_strings,omitempty"`
	MXHosts  []string         `json:"mx_hosts,omitempty"`
	Success  int64            `json:"success"`
	Failure  int64            `json:"failure"`
	Failures []tlsFailureJSON `json:"failures"`
}

func tlsJSON(r *Report, errs []string) any {
	t := r.TLS
	pols := make([]tlsPolicyJSON, len(t.Policies))
	for i, p := range t.Policies {
		pols[i] = tlsPolicyJSON{Type: p.Type, Domain: p.Domain, Strings: p.Strings, MXHosts: p.MXHosts,
			Success: p.Success, Failure: p.Failure, Failures: []tlsFailureJSON{}}
		for _, f := range p.Failures {
			pols[i].Failures = append(pols[i].Failures, tlsFailureJSON(f))
		}
	}
	return struct {
		Kind        string          `json:"kind"`
		Source      string          `json:"source"`
		OrgName     string          `json:"org_name"`
		ContactInfo string          `json:"contact_info,omitempty"`
		ReportID    string          `json:"report_id"`
		Begin       jsonTime        `json:"begin"`
		End         jsonTime        `json:"end"`
		Policies    []tlsPolicyJSON `json:"policies"`
		Errors      []string        `json:"errors"`
	}{KindTLS, r.Source, t.OrgName, t.ContactInfo, t.ReportID, jsonTime(t.Begin), jsonTime(t.End), pols, errs}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// CSVHeader is the header row of CSVRecords' columns.
func CSVHeader() []string {
	return []string{"source", "org_name", "report_id", "begin", "end", "policy_domain", "p",
		"source_ip", "count", "disposition", "dkim", "spf", "header_from", "envelope_from",
		"reasons", "dkim_auth", "spf_auth"}
}

// CSVRecords is one row per record of an aggregate report (none for the
// other kinds), in CSVHeader's columns. A cell that a spreadsheet would take
// for a formula (starting with = + - @, a tab or a carriage return) is
// prefixed with an apostrophe: a report's strings come from strangers.
func (r *Report) CSVRecords() [][]string {
	a := r.Aggregate
	if a == nil {
		return nil
	}
	rows := make([][]string, 0, len(a.Records))
	for i := range a.Records {
		rec := &a.Records[i]
		var reasons, dk, sp []byte
		for j, re := range rec.Reasons {
			if j > 0 {
				reasons = append(reasons, "; "...)
			}
			reasons = append(reasons, re.Type...)
			if re.Comment != "" {
				reasons = append(reasons, " ("+re.Comment+")"...)
			}
		}
		for j, d := range rec.Auth.DKIM {
			if j > 0 {
				dk = append(dk, "; "...)
			}
			dk = append(dk, authCell(d.Domain, d.Selector, d.Result)...)
		}
		for j, s := range rec.Auth.SPF {
			if j > 0 {
				sp = append(sp, "; "...)
			}
			sp = append(sp, authCell(s.Domain, s.Scope, s.Result)...)
		}
		row := []string{r.Source, a.OrgName, a.ReportID, csvTime(a.Begin), csvTime(a.End), a.PolicyDomain,
			a.Policy.P, rec.SourceIP, strconv.Itoa(rec.Count), rec.Disposition, rec.DKIM, rec.SPF,
			rec.HeaderFrom, rec.EnvelopeFrom, string(reasons), string(dk), string(sp)}
		for k := range row {
			row[k] = csvCell(row[k])
		}
		rows = append(rows, row)
	}
	return rows
}

// authCell is "domain/selector=result" (or domain/scope), without "/" when
// the reporter gave no selector or scope (RFC 9990 has no SPF scope).
func authCell(domain, part, result string) string {
	if part == "" {
		return domain + "=" + result
	}
	return domain + "/" + part + "=" + result
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// csvCell defuses formula injection (OWASP "CSV Injection").
func csvCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
