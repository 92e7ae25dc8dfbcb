// Package dmarcpeers drives the real programs that read DMARC aggregate
// reports beside Sealtrace's reports package, and writes the reports they all
// read: a test fixture package, never used by the application.
//
// An aggregate report (RFC 7489 section 7.2 and appendix C; RFC 9990, which
// puts the same elements in the urn:ietf:params:xml:ns:dmarc-2.0 namespace)
// says, for one reporting organisation, one policy domain and one period,
// how many messages each source IP sent with which DMARC, DKIM and SPF
// results. Receivers mail it as XML, gzip'd XML or a zip holding the XML,
// named receiver!policy-domain!begin!end[!unique].xml.gz (section 7.2.1.1).
//
// The peers, both packaged by Debian:
//
//   - dmarc-cat (Go, /usr/bin/dmarc-cat): a table per report. DmarcCat runs
//     it with -N (no reverse DNS), -j 1 and -D, and reads both the table and
//     the debug dump of the decoded report; Quirks lists what it cannot read
//     and what it reads differently.
//   - Mail::DMARC (Perl, libmail-dmarc-perl): its receiver
//     Mail::DMARC::Report::Receive, driven by maildmarc.pl with its store
//     switched off; MailDMARC runs it on many files in one process.
//
// Feedback is the neutral form all three sides (generator, peers, the code
// under test) are turned into before Compare counts what agrees.
package dmarcpeers

// Feedback is one aggregate report with every field a peer may expose, as
// strings and numbers with no interpretation.
type Feedback struct {
	Schema string // "rfc7489" or "rfc9990" (generator and ours only)

	OrgName, Email, ExtraContactInfo, ReportID string
	Begin, End                                 int64 // seconds since the epoch
	Errors                                     []string
	Generator                                  string // RFC 9990

	Domain                   string
	ADKIM, ASPF, P, SP, NP   string
	Pct, FO                  string // RFC 7489
	Testing, DiscoveryMethod string // RFC 9990

	Records []Record
}

// Record is one <record>.
type Record struct {
	SourceIP                             string
	Count                                int
	Disposition, DKIM, SPF               string
	Reasons                              []Reason
	HeaderFrom, EnvelopeFrom, EnvelopeTo string
	AuthDKIM                             []DKIMAuth
	AuthSPF                              []SPFAuth
}

// Reason is a policy override reason.
type Reason struct{ Type, Comment string }

// DKIMAuth is one auth_results/dkim.
type DKIMAuth struct{ Domain, Selector, Result, HumanResult string }

// SPFAuth is one auth_results/spf.
type SPFAuth struct{ Domain, Scope, Result, HumanResult string }

// Total is the number of messages the report counts.
func (f *Feedback) Total() int {
	n := 0
	for _, r := range f.Records {
		n += r.Count
	}
	return n
}
