// Package inspect turns one RFC 5322 message into an authentication report:
// the Received path, SPF (RFC 7208), DKIM (RFC 6376, RFC 8463 Ed25519,
// RFC 8301 algorithm rules), DMARC (RFC 9989, with the RFC 7489
// organizational domain beside it), ARC (RFC 8617), and what the receiving
// servers claimed in Authentication-Results (RFC 8601). Every check records
// its steps in plain words, with the DNS answers it used.
//
// DKIM and ARC are verified here rather than with go-msgauth's dkim package:
// that package gives no selector, key record, body-hash or canonicalized
// header detail (the steps a trainer shows), refuses every signature with
// l= before any crypto, and cannot report rsa-sha1 as "policy". ARC needs
// the same canonicalization and key handling, so both share sig.go and
// canon.go. SPF uses blitiri.com.ar/go/spf through a recording resolver.
package inspect

import (
	"context"
	"errors"
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
	// IP, HELO and MailFrom override the SPF inputs derived from the message.
	IP, HELO, MailFrom string
	// TrustedAuthservIDs are the receivers whose Authentication-Results are
	// believed; empty means the topmost field's authserv-id.
	TrustedAuthservIDs []string
	// Source names the message in the report (a file name and index).
	Source string
}

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
	rec := resolver.NewRecorder(opts.Resolver, now)
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
		rep.Warnings = append(rep.Warnings, "the message has headers only (no body): DKIM and ARC body hashes cannot match, so their failures here say nothing about the original message")
	}
	rep.Hops = parseHops(m)

	// SPF, DKIM and ARC are independent; DMARC needs SPF and DKIM.
	bodies := newBodyHashes(m.Body)
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); rep.SPF = checkSPF(ctx, m, rep.Hops, opts, rec) }()
	go func() { defer wg.Done(); rep.DKIM = verifyDKIM(ctx, m, bodies, rec, evalTime) }()
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

	var warns []string
	rep.Claims, warns = readClaims(m, opts.TrustedAuthservIDs)
	rep.Warnings = append(rep.Warnings, warns...)
	if rep.Claims == nil {
		rep.Claims = []Claim{}
	}
	compareClaims(rep)
	rep.DNS = rec.Evidence()
	return rep, nil
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
