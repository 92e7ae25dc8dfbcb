// Package trace is the shape in which every check of Sealtrace says what it
// did: SPF, DKIM, DMARC, ARC and the receivers' claims (package inspect),
// OpenPGP (pgp), DANE and its DNSSEC chain of trust (dane, resolver), and
// WKD. A Step is one plain sentence a trainee understands, the result word
// it led to, the record or value it rests on, and the RFC section that says
// so. The app draws steps, the CLI prints them, and the report carries them
// in its JSON.
//
// Result words are RFC 8601's (section 2.7): the same few words for every
// method, so that a reader learns them once. They belong to results only.
// Every step also has a Kind, a small vocabulary of its own (info, ok,
// warn, pass, fail, temperror): a step that only tells something (a
// question asked, a record fetched, "the key does not expire") is info or
// ok and carries no result word.
package trace

import "encoding/json"

// Result is a result word.
type Result = string

// The result words of RFC 8601 2.7, plus policy (RFC 8601 2.7.1: a
// signature that verifies but that local policy refuses, such as rsa-sha1
// under RFC 8301).
const (
	Pass      Result = "pass"
	Fail      Result = "fail"
	SoftFail  Result = "softfail"
	Neutral   Result = "neutral"
	None      Result = "none"
	TempError Result = "temperror"
	PermError Result = "permerror"
	Policy    Result = "policy"
)

// Kind is what sort of step it is: the Trace's word and colour for it.
type Kind = string

// The kinds of step.
const (
	KindInfo      Kind = "info"      // tells something: a question asked, a fact found
	KindOK        Kind = "ok"        // something needed was found (a record fetched)
	KindWarn      Kind = "warn"      // worth a look, not a failure
	KindPass      Kind = "pass"      // a check passed
	KindFail      Kind = "fail"      // a check failed
	KindTempError Kind = "temperror" // could not be decided now (network, server): try again
)

// Step is one thing a check did.
type Step struct {
	Check  string `json:"check"`            // spf, dkim, dmarc, arc, claims, pgp, dane, dnssec, wkd
	What   string `json:"what"`             // one plain sentence
	Kind   Kind   `json:"kind"`             // the step's sort; empty: KindOf derives it from Result
	Result Result `json:"result"`           // what the step led to; empty for info and ok steps
	Detail string `json:"detail,omitempty"` // the record or value it rests on
	RFC    string `json:"rfc,omitempty"`    // the section that says so
}

// KindOf is s.Kind, or, for a step made without one, the kind its result
// word implies: pass and fail for themselves, permerror a fail, temperror,
// the in-between words a warning, and none or no word information.
func KindOf(s Step) Kind {
	if s.Kind != "" {
		return s.Kind
	}
	switch s.Result {
	case Pass:
		return KindPass
	case Fail, PermError, "bogus":
		return KindFail
	case TempError, "error":
		return KindTempError
	case SoftFail, Neutral, Policy:
		return KindWarn
	}
	return KindInfo
}

// MarshalJSON writes the step with its kind always set.
func (s Step) MarshalJSON() ([]byte, error) {
	type plain Step // without this method
	p := plain(s)
	p.Kind = KindOf(s)
	return json.Marshal(p)
}

// Info is an information step: no result word.
func Info(check, what, detail, rfc string) Step {
	return Step{Check: check, What: what, Kind: KindInfo, Detail: detail, RFC: rfc}
}
