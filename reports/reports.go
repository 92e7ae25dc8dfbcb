package reports

import (
	"errors"
	"strings"
	"time"
)

// The kinds of report, as Report.Kind and the JSON "kind" say them.
const (
	KindAggregate = "aggregate"
	KindFailure   = "failure"
	KindTLS       = "tlsrpt"
)

// The aggregate schemas, as Aggregate.Schema says them.
const (
	SchemaRFC7489 = "rfc7489" // no namespace (or any other than dmarc-2.0)
	SchemaRFC9990 = "rfc9990" // urn:ietf:params:xml:ns:dmarc-2.0
)

// Errors Read returns (wrapped, with what and where): test with errors.Is.
var (
	// ErrTooLarge: the input, or what it decompresses to, exceeds a Limit.
	ErrTooLarge = errors.New("reports: too large")
	// ErrNotReport: the input is none of the forms a report arrives in.
	ErrNotReport = errors.New("reports: not a DMARC or TLS report")
	// ErrMalformed: the input is a report's form but cannot be read as one.
	ErrMalformed = errors.New("reports: malformed report")
)

// Report is one report read from an input. Exactly one of Aggregate,
// Failure and TLS is set, the one Kind names.
type Report struct {
	Kind string // KindAggregate, KindFailure or KindTLS
	// Source says where the report was found: the input's name, followed by
	// the part or archive member that held it ("x.eml: report.xml.gz").
	Source    string
	Aggregate *Aggregate
	Failure   *Failure
	TLS       *TLSReport
	// Errors says what was skipped in a report that was only partly
	// readable (malformed XML, a record beyond Limits.MaxRecords, an
	// unreadable date). Empty for a report read whole.
	Errors []string
}

// Key identifies a report across copies (the same report fetched twice, or
// sent in two messages): its kind, reporting organisation and report id
// (RFC 7489 section 7.2: report_id is unique per reporter). A failure
// report has no report id; its key is empty.
func (r *Report) Key() string {
	switch {
	case r.Aggregate != nil:
		return KindAggregate + "\x00" + r.Aggregate.OrgName + "\x00" + r.Aggregate.ReportID
	case r.TLS != nil:
		return KindTLS + "\x00" + r.TLS.OrgName + "\x00" + r.TLS.ReportID
	}
	return ""
}

// Period is the time the report covers: the aggregate or TLS report's date
// range, the failure's arrival date (Begin = End) when it has one.
func (r *Report) Period() (begin, end time.Time) {
	switch {
	case r.Aggregate != nil:
		return r.Aggregate.Begin, r.Aggregate.End
	case r.TLS != nil:
		return r.TLS.Begin, r.TLS.End
	case r.Failure != nil:
		return r.Failure.ArrivalDate, r.Failure.ArrivalDate
	}
	return time.Time{}, time.Time{}
}

// Aggregate is a DMARC aggregate report (RFC 7489 appendix C, RFC 9990
// appendix A): who reports, about which domain and policy, for which period,
// and one Record per source and result combination.
type Aggregate struct {
	Schema  string // SchemaRFC7489 or SchemaRFC9990
	Version string // <version> as sent ("1.0", "2.0"), often absent

	// report_metadata
	OrgName          string
	Email            string
	ExtraContactInfo string
	ReportID         string
	Begin, End       time.Time // date_range, UTC (seconds since the epoch in the XML)
	ReportErrors     []string  // <error> elements: the reporter's own complaints
	Generator        string    // RFC 9990: the software that wrote the report

	// policy_published
	PolicyDomain string
	Policy       Policy

	Records []Record
}

// Policy is the DMARC record the receiver found (policy_published), each
// value as published and empty when the reporter left it out (parsedmarc
// fills defaults; this does not, so a missing sp stays missing).
type Policy struct {
	P, SP, NP   string // none, quarantine, reject
	ADKIM, ASPF string // r, s
	Pct         string // RFC 7489 only: the percentage, as sent
	FO          string // failure reporting options, as sent
	Testing     string // RFC 9990: y or n
	Discovery   string // RFC 9990 discovery_method: psl or treewalk
}

// Record is one row of an aggregate report: Count messages from SourceIP
// with the same results.
type Record struct {
	SourceIP string
	Count    int
	// policy_evaluated: what the receiver did and the DMARC-aligned results.
	Disposition string // none, quarantine, reject; RFC 9990 adds pass
	DKIM, SPF   string // pass or fail (aligned results, RFC 7489 appendix C)
	Reasons     []Reason
	// identifiers
	HeaderFrom, EnvelopeFrom, EnvelopeTo string
	// auth_results: the raw results, aligned or not.
	Auth Auth
}

// Reason is a receiver's reason for applying another disposition than the
// policy's (RFC 7489 appendix C PolicyOverrideReason): forwarded,
// sampled_out, trusted_forwarder, mailing_list, local_policy, other, with a
// free-text comment (which often carries arc=pass).
type Reason struct {
	Type, Comment string
}

// Auth is a record's auth_results.
type Auth struct {
	DKIM []DKIMAuth
	SPF  []SPFAuth
}

// DKIMAuth is one DKIM signature's result in auth_results.
type DKIMAuth struct {
	Domain, Selector, Result, HumanResult string
}

// SPFAuth is the SPF check's result in auth_results (scope mfrom or helo).
type SPFAuth struct {
	Domain, Scope, Result, HumanResult string
}

// Pass reports whether the record's messages passed DMARC: an aligned DKIM
// or SPF pass (RFC 7489 section 6.6.2), or RFC 9990's pass disposition.
func (r *Record) Pass() bool {
	return r.DKIM == "pass" || r.SPF == "pass" || r.Disposition == "pass"
}

// RescuedByARC reports whether the receiver says it overrode the policy for
// forwarded mail because an ARC chain it trusts passed: a reason forwarded,
// trusted_forwarder or local_policy whose comment says arc=pass (how Google
// and Microsoft write it).
func (r *Record) RescuedByARC() bool {
	for _, re := range r.Reasons {
		switch re.Type {
		case "forwarded", "trusted_forwarder", "local_policy":
			if strings.Contains(strings.ToLower(re.Comment), "arc=pass") {
				return true
			}
		}
	}
	return false
}

// Total is the number of messages the report counts.
func (a *Aggregate) Total() int {
	n := 0
	for i := range a.Records {
		n += a.Records[i].Count
	}
	return n
}

// Failure is a DMARC failure report (RFC 6591, RFC 9991): the fields of the
// message/feedback-report part and the failing message it carries.
type Failure struct {
	FeedbackType   string // auth-failure (RFC 6591 section 3)
	UserAgent      string
	Version        string
	SourceIP       string
	ReportedDomain string
	// ArrivalDate is Arrival-Date in UTC; zero when the report has none or
	// it cannot be read (ArrivalDateText keeps what was sent).
	ArrivalDate       time.Time
	ArrivalDateText   string
	AuthFailure       string // dmarc, dkim, spf, adsp, bodyhash, revoked, signature
	IdentityAlignment string // RFC 6591 section 3.2: none, dkim, spf, or both
	DeliveryResult    string
	OriginalMailFrom  string
	OriginalRcptTo    []string
	DKIMDomain        string
	DKIMIdentity      string
	DKIMSelector      string
	DKIMCanonicalized string
	SPFDNS            string
	ReportedURI       []string
	// AuthenticationResults are the reporter's Authentication-Results
	// fields in the report (RFC 6591 section 3.1), as sent.
	AuthenticationResults []string
	// Original is the carried message (message/rfc822) or its header
	// (text/rfc822-headers, HeadersOnly set), as sent; nil when the report
	// carries neither.
	Original    []byte
	HeadersOnly bool
}

// TLSReport is an SMTP TLS report (RFC 8460 section 4).
type TLSReport struct {
	OrgName     string
	ContactInfo string
	ReportID    string
	Begin, End  time.Time // date-range, UTC
	Policies    []TLSPolicy
}

// TLSPolicy is one policy's summary (RFC 8460 section 4.3/4.4).
type TLSPolicy struct {
	Type     string // sts, tlsa, no-policy-found
	Domain   string
	Strings  []string // the policy as the sender saw it
	MXHosts  []string
	Success  int64
	Failure  int64
	Failures []TLSFailure
}

// TLSFailure is one failure-details entry (RFC 8460 section 4.3).
type TLSFailure struct {
	ResultType        string // starttls-not-supported, certificate-expired, validation-failure, sts-policy-fetch-error...
	SendingIP         string
	ReceivingMX       string // receiving-mx-hostname
	ReceivingMXHelo   string
	ReceivingIP       string
	Count             int64 // failed-session-count
	AdditionalInfo    string
	FailureReasonCode string
}

// Limits bounds what reading one input may cost. A zero field takes its
// default (DefaultLimits).
type Limits struct {
	// MaxInput is the most bytes ReadFile reads from one file.
	MaxInput int64
	// MaxDecompressed is the most bytes decompressed from all the gzip and
	// zip streams of one input together, and the largest one XML or JSON
	// document read, however it arrived (a plain one is no cheaper to
	// decode than a gzipped one).
	MaxDecompressed int64
	// MaxRecords is the most records kept from one aggregate report; the
	// rest are skipped and said in Report.Errors.
	MaxRecords int
	// MaxReports is the most reports read from one input.
	MaxReports int
	// MaxDepth is how deeply containers may nest (a zip in a message in an
	// mbox is depth 3).
	MaxDepth int
}

// DefaultLimits are far above any real report (the largest aggregate
// reports, from the biggest receivers, are a few MB of XML with some ten
// thousand records) and far below what would hurt a desktop.
func DefaultLimits() Limits {
	return Limits{
		MaxInput:        256 << 20,
		MaxDecompressed: 64 << 20,
		MaxRecords:      200_000,
		MaxReports:      10_000,
		MaxDepth:        6,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxInput <= 0 {
		l.MaxInput = d.MaxInput
	}
	if l.MaxDecompressed <= 0 {
		l.MaxDecompressed = d.MaxDecompressed
	}
	if l.MaxRecords <= 0 {
		l.MaxRecords = d.MaxRecords
	}
	if l.MaxReports <= 0 {
		l.MaxReports = d.MaxReports
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	return l
}

// Dedup drops the reports whose Key an earlier one has (the same aggregate
// or TLS report fetched twice, or found both in a folder and in an mbox),
// keeping the first. Failure reports, which have no key, are all kept.
func Dedup(reps []*Report) []*Report {
	seen := make(map[string]bool, len(reps))
	out := reps[:0:0]
	for _, r := range reps {
		if k := r.Key(); k != "" {
			if seen[k] {
				continue
			}
			seen[k] = true
		}
		out = append(out, r)
	}
	return out
}
