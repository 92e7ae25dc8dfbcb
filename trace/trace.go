// Package trace is the shape in which every check of Sealtrace says what it
// did: SPF, DKIM, DMARC, ARC and the receivers' claims (package inspect),
// OpenPGP (pgp), DANE and its DNSSEC chain of trust (dane, resolver), and
// WKD. A Step is one plain sentence a trainee understands, the result word
// it led to, the record or value it rests on, and the RFC section that says
// so. The app draws steps, the CLI prints them, and the report carries them
// in its JSON.
//
// Result words are RFC 8601's (section 2.7): the same few words for every
// method, so that a reader learns them once.
package trace

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

// Step is one thing a check did.
type Step struct {
	Check  string `json:"check"`            // spf, dkim, dmarc, arc, claims, pgp, dane, dnssec, wkd
	What   string `json:"what"`             // one plain sentence
	Result Result `json:"result"`           // what the step led to
	Detail string `json:"detail,omitempty"` // the record or value it rests on
	RFC    string `json:"rfc,omitempty"`    // the section that says so
}
