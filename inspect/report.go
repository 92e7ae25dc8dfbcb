package inspect

import (
	"github.com/sealtrace/sealtrace/resolver"
	"github.com/sealtrace/sealtrace/trace"
)

// Result words are RFC 8601's (2.7): package trace's, named here too.
const (
	Pass      = trace.Pass
	Fail      = trace.Fail
	SoftFail  = trace.SoftFail
	Neutral   = trace.Neutral
	None      = trace.None
	TempError = trace.TempError
	PermError = trace.PermError
	Policy    = trace.Policy
)

// Code says, for programs, why a signature did not verify: the Reason
// words are for people and may change.
type Code string

const (
	CodeNoKey             Code = "no_key"             // the key record does not exist (removed or rotated)
	CodeBodyHashMismatch  Code = "body_hash_mismatch" // the body changed after signing
	CodeSignatureMismatch Code = "signature_mismatch" // a signed header field changed after signing
)

// Report is the authentication report of one message: the contract the GUI,
// the CLI (--format json) and exports share (docs/report.md).
type Report struct {
	Source     string   `json:"source"`
	MessageID  string   `json:"message_id"`
	FromDomain string   `json:"from_domain"`
	Subject    string   `json:"subject,omitempty"`
	Error      string   `json:"error,omitempty"`    // set when the message could not be read
	Warnings   []string `json:"warnings,omitempty"` // what could not be checked, and why
	// NeedsBody lists, when the message came as its header only, the checks
	// that needed its body.
	NeedsBody []BodyNeed          `json:"needs_body,omitempty"`
	SPF       SPFResult           `json:"spf"`
	DKIM      []DKIMResult        `json:"dkim"`
	DMARC     DMARCResult         `json:"dmarc"`
	ARC       ARCResult           `json:"arc"`
	Claims    []Claim             `json:"claims"`
	Hops      []Hop               `json:"hops"`
	PGP       *PGPReport          `json:"pgp,omitempty"`     // OpenPGP content, when there is some
	Bounce    *BounceReport       `json:"bounce,omitempty"`  // when the message is a bounce (RFC 3464)
	Recheck   *RecheckInputs      `json:"recheck,omitempty"` // when a person re-checked it with other inputs
	DNS       []resolver.Evidence `json:"dns"`
	// DNSSource says where the answers in DNS came from: the system
	// resolver, a named server, offline zone files, or answers recorded
	// earlier.
	DNSSource resolver.SourceInfo `json:"dns_source"`
	// WhatIf is set when the report is a what-if: the inspection of a
	// recorded message on changed inputs, not what happened.
	WhatIf *WhatIf `json:"what_if,omitempty"`
}

// WhatIf says which changes a what-if report was made with.
type WhatIf struct {
	Edits []string `json:"edits"`           // as given (pipeline.ParseEdit's form)
	Notes []string `json:"notes,omitempty"` // what each edit did, in words
}

// PGPReport is the OpenPGP section of a report. Package pgp decides it; the
// callers (CLI, desktop app) join it to the report, so that inspect does not
// depend on pgp.
type PGPReport struct {
	Kind string `json:"kind"`
	// Result is what the section means for the message as the reader sees
	// it: pass (a good signature by a key from the user's keyring, over
	// the whole body shown), neutral (a good signature over only part of
	// it, or by a key the message itself carried; an unknown signer; not
	// decrypted), fail (a bad signature), none (not signed).
	Result            string   `json:"result"`
	Encrypted         bool     `json:"encrypted"`
	Decrypted         bool     `json:"decrypted"`
	Signature         string   `json:"signature"` // good, bad, unknown_key, none
	SignerFingerprint string   `json:"signer_fingerprint,omitempty"`
	SignerKeyID       string   `json:"signer_key_id,omitempty"`
	SignerUserID      string   `json:"signer_user_id,omitempty"`
	KeySource         string   `json:"key_source,omitempty"` // keyring, autocrypt
	SignerKeyExpires  string   `json:"signer_key_expires,omitempty"`
	PlaintextSHA256   string   `json:"plaintext_sha256,omitempty"`
	EncryptedTo       []string `json:"encrypted_to,omitempty"`
	Error             string   `json:"error,omitempty"`
	Steps             []Step   `json:"steps"`
}

// RecheckInputs say with which inputs a message was checked again (the
// desktop app's Re-check): so that a report read later does not pass for
// what the receiver saw.
type RecheckInputs struct {
	EvaluationTime string `json:"evaluation_time"`     // RFC 3339
	TimeBasis      string `json:"time_basis"`          // "at delivery (…)", "as hop N (…) received it", "now", "as before"
	IP             string `json:"ip,omitempty"`        // the SPF inputs given instead of the message's
	HELO           string `json:"helo,omitempty"`      //
	MailFrom       string `json:"mail_from,omitempty"` //
	DNS            string `json:"dns"`                 // the DNS source, in words
}

// BounceReport is what a bounce (a delivery status notification, RFC 3464)
// says. Package pipeline reads it; the returned message is a report of its
// own.
type BounceReport struct {
	ReportingMTA string            `json:"reporting_mta,omitempty"`
	Recipients   []BounceRecipient `json:"recipients"`
	// Returned is what the bounce carries of the message: "message" (whole,
	// message/rfc822), "headers" (text/rfc822-headers) or "none".
	Returned string `json:"returned"`
}

// BounceRecipient is one recipient the bounce reports on (RFC 3464 2.3).
type BounceRecipient struct {
	FinalRecipient string `json:"final_recipient"`
	Action         string `json:"action"`                    // failed, delayed, delivered, relayed, expanded
	Status         string `json:"status"`                    // RFC 3463: 5.1.1
	RemoteMTA      string `json:"remote_mta,omitempty"`      // the server that refused it
	DiagnosticCode string `json:"diagnostic_code,omitempty"` // its words: "smtp; 550 5.1.1 …"
}

// Step is one thing a check did, said so that a trainee understands it:
// the one step type of every check (package trace).
type Step = trace.Step

// SPFResult is the SPF check (RFC 7208) of the connecting IP.
type SPFResult struct {
	Result   string `json:"result"`
	Domain   string `json:"domain"`
	IP       string `json:"ip"`
	HELO     string `json:"helo"`
	MailFrom string `json:"mail_from"`
	Record   string `json:"record,omitempty"`
	Lookups  int    `json:"lookups"`      // DNS-querying mechanisms counted against the limit of 10
	Void     int    `json:"void_lookups"` // lookups that found nothing, against the limit of 2
	Steps    []Step `json:"steps"`
}

// DKIMResult is the verification of one DKIM-Signature (RFC 6376).
type DKIMResult struct {
	Domain        string   `json:"domain"`
	Selector      string   `json:"selector"`
	Algorithm     string   `json:"algorithm"`
	Identifier    string   `json:"identifier,omitempty"`
	Canon         string   `json:"canonicalization,omitempty"`
	SignedHeaders []string `json:"signed_headers,omitempty"`
	Result        string   `json:"result"`
	Reason        string   `json:"reason,omitempty"`
	Code          Code     `json:"reason_code,omitempty"` // the reason, for programs
	KeyBits       int      `json:"key_bits,omitempty"`
	BodyLength    int64    `json:"body_length,omitempty"`    // l=, when present
	UnsignedBytes int64    `json:"unsigned_bytes,omitempty"` // body bytes after l=
	Testing       bool     `json:"testing,omitempty"`        // key record t=y
	Steps         []Step   `json:"steps"`
}

// DMARCResult is the DMARC evaluation (RFC 9989).
type DMARCResult struct {
	Result      string `json:"result"`
	Policy      string `json:"policy"`      // the policy that applies to the From domain: none, quarantine, reject
	Disposition string `json:"disposition"` // what a receiver would do: none, quarantine, reject
	Domain      string `json:"domain"`      // the RFC5322.From domain
	OrgDomain   string `json:"org_domain,omitempty"`
	// OrgDomainPSL is the RFC 7489 organizational domain (public suffix list)
	// when it differs from the RFC 9989 one.
	OrgDomainPSL string `json:"org_domain_rfc7489,omitempty"`
	Record       string `json:"record,omitempty"`
	RecordDomain string `json:"record_domain,omitempty"`
	SPFAligned   bool   `json:"spf_aligned"`
	DKIMAligned  bool   `json:"dkim_aligned"`
	Testing      bool   `json:"testing,omitempty"` // t=y
	Steps        []Step `json:"steps"`
}

// ARCResult is the ARC chain validation (RFC 8617).
type ARCResult struct {
	Result     string        `json:"result"`
	Instances  int           `json:"instances"`
	Reason     string        `json:"reason,omitempty"`
	OldestPass int           `json:"oldest_pass,omitempty"`
	Sets       []ARCInstance `json:"sets,omitempty"`
	Steps      []Step        `json:"steps"`
}

// ARCInstance is what one intermediary added.
type ARCInstance struct {
	Instance   int    `json:"instance"`
	Domain     string `json:"domain"`   // the sealer, AS d=
	Selector   string `json:"selector"` // AS s=
	CV         string `json:"cv"`
	SealResult string `json:"seal_result"`
	AMSResult  string `json:"ams_result"`
	AuthservID string `json:"authserv_id,omitempty"` // from the AAR
	// SignedHeaders are the fields the instance's ARC-Message-Signature covers.
	SignedHeaders []string `json:"signed_headers,omitempty"`
	Claims        string   `json:"claims,omitempty"` // the AAR's results, as written
}

// Claim is one result stated in an Authentication-Results field.
type Claim struct {
	AuthservID string `json:"authserv_id"`
	Method     string `json:"method"`
	Result     string `json:"result"`
	Reason     string `json:"reason,omitempty"`  // reason= (for compauth, Microsoft's reason code)
	Comment    string `json:"comment,omitempty"` // the field's comments on this result, as written
	Props      string `json:"props,omitempty"`   // the properties, for display: key=value, quoted where needed
	// Properties are the same, one by one, for programs.
	Properties []ClaimProperty `json:"properties,omitempty"`
	Trusted    bool            `json:"trusted"`
	Ours       string          `json:"ours,omitempty"`        // what Sealtrace finds now for the same method
	Comparison string          `json:"explanation,omitempty"` // why they differ, when they do
}

// ClaimProperty is one property of a claim (RFC 8601 2.2 propspec):
// header.d=example.com is ptype header, property d. Ptype is empty for the
// properties real receivers write without one (Microsoft's action=).
type ClaimProperty struct {
	Ptype    string `json:"ptype,omitempty"`
	Property string `json:"property"`
	Value    string `json:"value"`
}

// Hop is one Received field, oldest first.
type Hop struct {
	From       string `json:"from"`
	RDNS       string `json:"rdns,omitempty"`
	HELO       string `json:"helo,omitempty"` // the HELO/EHLO name, when stated apart from From (Exim helo=, qmail HELO)
	By         string `json:"by"`
	IP         string `json:"ip"` // the connecting client's address as the receiving server recorded it
	With       string `json:"with,omitempty"`
	ID         string `json:"id,omitempty"` // the receiving server's queue id (the "id" clause), for its logs
	TLS        string `json:"tls"`          // "none stated", "TLS", "TLS (ESMTPS)", or the version and cipher
	TLSVersion string `json:"tls_version,omitempty"`
	TLSCipher  string `json:"tls_cipher,omitempty"`
	Time       string `json:"time"`
	// DelaySeconds is the time since the previous hop (or the Date field);
	// nil (JSON null) when either time is unknown.
	DelaySeconds *float64 `json:"delay_seconds"`
	ClockSkew    bool     `json:"clock_skew,omitempty"`
	Raw          string   `json:"raw,omitempty"`
}
