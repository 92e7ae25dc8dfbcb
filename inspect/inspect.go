package inspect

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/sealtrace/sealtrace/resolver"
)

// Options are the inputs of an inspection besides the message.
type Options struct {
	// Resolver answers the DNS questions; required.
	Resolver resolver.Resolver
	// Now is the evaluation time (signature expiry); nil means time.Now.
	Now func() time.Time
	// Clock stamps each DNS answer in the evidence with when it was asked;
	// nil means time.Now. It is the wall clock, never the evaluation time:
	// a report evaluated "as of" another day still says when DNS answered.
	Clock func() time.Time
	// IP, HELO and MailFrom override the SPF inputs derived from the message.
	IP, HELO, MailFrom string
	// TrustedAuthservIDs are the receivers whose Authentication-Results are
	// believed; empty means the topmost field's authserv-id.
	TrustedAuthservIDs []string
	// Source names the message in the report (a file name and index).
	Source string
	// DNSDeadline bounds all the DNS work of one inspection; 0 means
	// DefaultDNSDeadline. The answers that have not come by then are
	// temperror.
	DNSDeadline time.Duration
	// MaxDKIMSignatures is how many DKIM signatures are evaluated, top
	// first; 0 means DefaultMaxDKIMSignatures.
	MaxDKIMSignatures int
}

// DefaultDNSDeadline bounds the DNS work of one inspection when
// Options.DNSDeadline is 0: long enough for a slow resolver and SPF's ten
// lookups (RFC 7208 4.6.4), short enough that a server that never answers
// cannot stall the app or a batch.
const DefaultDNSDeadline = 20 * time.Second

// errDNSDeadline is the cause of the per-message context when its deadline
// fires, to tell it from the caller's cancellation.
var errDNSDeadline = errors.New("inspect: the DNS deadline of the message passed")

// ErrNoResolver is returned when Options.Resolver is nil.
var ErrNoResolver = errors.New("inspect: no resolver given")

// Inspect verifies raw and returns its report. The report is always
// returned; when the message cannot be read, the error says why and the
// report carries the same text in Error.
func Inspect(ctx context.Context, raw []byte, opts Options) (*Report, error) {
	rep := &Report{Source: opts.Source, DKIM: []DKIMResult{}, Claims: []Claim{}, Hops: []Hop{}, DNS: []resolver.Evidence{},
		SPF:   SPFResult{Result: None, Steps: []Step{}},
		DMARC: DMARCResult{Result: None, Policy: "none", Disposition: "none", Steps: []Step{}},
		ARC:   ARCResult{Result: None, Steps: []Step{}},
	}
	if opts.Resolver == nil {
		rep.Error = ErrNoResolver.Error()
		return rep, ErrNoResolver
	}
	m, err := Parse(raw)
	if err != nil {
		rep.Error = err.Error()
		return rep, err
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	rec := resolver.NewRecorder(opts.Resolver, opts.Clock)
	rep.DNSSource = resolver.Describe(opts.Resolver)
	evalTime := now()

	if f, ok := m.Get("Message-ID"); ok {
		rep.MessageID = strings.TrimSpace(f.Value())
	}
	if f, ok := m.Get("Subject"); ok {
		rep.Subject = decodeHeader(strings.TrimSpace(f.Value()))
	}
	var fromWarn string
	rep.FromDomain, fromWarn = fromDomain(m)
	if fromWarn != "" {
		rep.Warnings = append(rep.Warnings, fromWarn)
	}
	rep.Warnings = append(rep.Warnings, m.Warnings...)
	if m.NoSeparator {
		rep.Warnings = append(rep.Warnings, "the message has headers only (no body): DKIM signatures are checked over the header fields only (neutral when those hold), and ARC message signatures cannot match")
	}
	rep.Hops = parseHops(m)

	// One deadline for all DNS work of the message (issue 9).
	deadline := opts.DNSDeadline
	if deadline <= 0 {
		deadline = DefaultDNSDeadline
	}
	outer, ends := ctx, time.Now().Add(deadline)
	ctx, cancel := context.WithDeadlineCause(ctx, ends, errDNSDeadline)
	defer cancel()

	// SPF, DKIM and ARC are independent; DMARC needs SPF and DKIM.
	bodies := newBodyHashes(m.Body)
	bodies.headersOnly = m.NoSeparator
	bodies.prepare(bodyKeys(m, opts.MaxDKIMSignatures))
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); rep.SPF = checkSPF(ctx, m, rep.Hops, opts, rec) }()
	go func() { defer wg.Done(); rep.DKIM = verifyDKIM(ctx, m, bodies, rec, evalTime, opts.MaxDKIMSignatures) }()
	go func() { defer wg.Done(); rep.ARC = validateARC(ctx, m, bodies, rec) }()
	wg.Wait()
	rep.DMARC = checkDMARC(ctx, rec, rep.FromDomain, rep.SPF, rep.DKIM)
	if rep.DMARC.Result == Fail && rep.ARC.Result == Pass {
		sealers := make([]string, 0, len(rep.ARC.Sets))
		for _, s := range rep.ARC.Sets {
			sealers = append(sealers, s.Domain)
		}
		rep.DMARC.Steps = append(rep.DMARC.Steps, Step{Check: "dmarc", Result: Neutral, RFC: "RFC 8617 7.2",
			What: "DMARC fails, but the ARC chain is intact: a receiver that trusts " + strings.Join(sealers, ", ") +
				" may accept the message anyway, based on what the intermediaries recorded (see ARC)."})
	}

	// The sockets time out at the deadline itself, which can be a moment
	// before the context's timer marks it done: the clock decides too.
	if outer.Err() == nil && (context.Cause(ctx) == errDNSDeadline || !time.Now().Before(ends)) {
		deadlineReached(rep, deadline)
	}

	var warns []string
	rep.Claims, warns = readClaims(m, opts.TrustedAuthservIDs)
	rep.Warnings = append(rep.Warnings, warns...)
	if rep.Claims == nil {
		rep.Claims = []Claim{}
	}
	compareClaims(rep)
	if m.NoSeparator {
		rep.NeedsBody = bodyNeeds(m, rep)
	}
	rep.DNS = rec.Evidence()
	return rep, nil
}

// deadlineReached says, in every check that ended as temperror, that the
// message's DNS deadline was reached: the answers that had not come by then
// are what made it temperror.
func deadlineReached(rep *Report, deadline time.Duration) {
	what := fmt.Sprintf("The DNS work for this message reached its deadline (%s) and was stopped: the answers that had not come by then count as temperror, not as failures. Try again, or use a faster DNS server.", deadline)
	hit := false
	add := func(check, result string, steps *[]Step) {
		if result == TempError {
			*steps = append(*steps, Step{Check: check, What: what, Result: TempError})
			hit = true
		}
	}
	add("spf", rep.SPF.Result, &rep.SPF.Steps)
	for i := range rep.DKIM {
		add("dkim", rep.DKIM[i].Result, &rep.DKIM[i].Steps)
	}
	add("dmarc", rep.DMARC.Result, &rep.DMARC.Steps)
	add("arc", rep.ARC.Result, &rep.ARC.Steps)
	if hit {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("DNS did not answer everything within the deadline of %s: the checks that needed the missing answers are temperror", deadline))
	}
}

var reAtDomain = regexp.MustCompile(`@([A-Za-z0-9.-]+)`)

// fromDomain returns the domain of the RFC5322.From address (RFC 9989 4.4:
// one address, one domain), and a warning when the field is missing,
// repeated or not parseable.
func fromDomain(m *Message) (string, string) {
	froms := m.All("From")
	if len(froms) == 0 {
		return "", "the message has no From field"
	}
	if len(froms) > 1 {
		return "", "the message has several From fields, a classic way to fool mail clients; DMARC cannot pick one"
	}
	v := strings.TrimSpace(froms[0].Value())
	addrs, err := mail.ParseAddressList(v)
	if err == nil && len(addrs) > 0 {
		d := strings.ToLower(domainOf(addrs[0].Address))
		for _, a := range addrs[1:] {
			if !strings.EqualFold(domainOf(a.Address), d) {
				return "", "the From field names addresses in several domains; DMARC cannot pick one"
			}
		}
		return strings.TrimSuffix(d, "."), ""
	}
	// Not RFC 5322 syntax; take the last @domain, as most receivers do.
	ms := reAtDomain.FindAllStringSubmatch(v, -1)
	if len(ms) == 0 {
		return "", "the From field has no address Sealtrace can read"
	}
	return strings.ToLower(strings.TrimSuffix(ms[len(ms)-1][1], ".")), "the From field is not valid RFC 5322 syntax; its domain was guessed"
}

var wordDecoder = new(mime.WordDecoder)

func decodeHeader(s string) string {
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		return d
	}
	return s
}
