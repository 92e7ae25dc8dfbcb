package resolver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// ErrNotInEvidence is the error of a Replay asked a question that was never
// recorded. It is a temporary failure (temperror), never a "does not
// exist": the evidence does not say what DNS would have answered, and a
// replay never asks the network.
var ErrNotInEvidence = errors.New("resolver: not in the evidence (the question was not asked when it was recorded)")

// RcodeNotInEvidence is the rcode a Recorder writes in the evidence for a
// question a Replay could not answer.
const RcodeNotInEvidence = "NOT-IN-EVIDENCE"

// RcodeTimeout is the rcode of evidence whose question got no answer at all
// (a timeout or a transport failure; Error says which).
const RcodeTimeout = "TIMEOUT"

// Limits on what a Replay accepts, so that hostile evidence (a bundle from
// anyone) cannot make a replay use unbounded memory.
const (
	MaxEvidence      = 4096     // questions in one piece of evidence
	MaxEvidenceBytes = 16 << 20 // all answers' text together
)

// FetchTimer is a source that knows when each of its answers was fetched (a
// Replay). A Recorder over one stamps the evidence with that time instead of
// its clock's, so that a replay's evidence is the recorded evidence.
type FetchTimer interface {
	FetchedAt(name string, qtype uint16) (time.Time, bool)
}

// Replay answers only from recorded evidence: the answers, rcodes and
// failures as they were recorded, with their DNSSEC status. A question that
// was not recorded is ErrNotInEvidence. It never asks the network.
type Replay struct {
	m map[qkey]replayed
	// Source is the source the answers were recorded from, as the
	// original report named it (DNSSource).
	Source SourceInfo
}

type replayed struct {
	ev  Evidence
	ans *Answer // nil when the question got no answer (ev.Error)
}

// NewReplay checks evidence and makes a Replay of it. Every answer must
// read back as the record it was recorded from (RFC 1035 presentation
// format, as Evidence writes it); a question may appear once.
func NewReplay(evidence []Evidence) (*Replay, error) {
	if len(evidence) > MaxEvidence {
		return nil, fmt.Errorf("resolver: evidence: %d questions, more than %d", len(evidence), MaxEvidence)
	}
	r := &Replay{m: make(map[qkey]replayed, len(evidence))}
	total := 0
	for i, ev := range evidence {
		fail := func(format string, a ...any) error {
			return fmt.Errorf("resolver: evidence %d (%.80q %.16q): %s", i+1, ev.Name, ev.Type, fmt.Sprintf(format, a...))
		}
		fq, err := Fqdn(ev.Name)
		if err != nil || fq != ev.Name {
			return nil, fail("not a fully qualified lower-case domain name")
		}
		qtype, ok := dns.StringToType[ev.Type]
		if !ok {
			return nil, fail("unknown record type")
		}
		k := qkey{fq, qtype}
		if _, dup := r.m[k]; dup {
			return nil, fail("the question appears twice")
		}
		if len(ev.Answers) > MaxRecords {
			return nil, fail("%d answers, more than %d", len(ev.Answers), MaxRecords)
		}
		for _, s := range ev.Answers {
			total += len(s)
		}
		total += len(ev.Error)
		if total > MaxEvidenceBytes {
			return nil, fmt.Errorf("resolver: evidence: answers over %d MiB", MaxEvidenceBytes>>20)
		}
		rp := replayed{ev: ev}
		if ev.Error != "" || ev.Rcode == RcodeTimeout || ev.Rcode == RcodeNotInEvidence {
			if ev.Error == "" || len(ev.Answers) > 0 {
				return nil, fail("a failed question has an error and no answers")
			}
			r.m[k] = rp
			continue
		}
		rcode, err := parseRcode(ev.Rcode)
		if err != nil {
			return nil, fail("%v", err)
		}
		a := &Answer{Name: fq, Type: qtype, Rcode: rcode, Authenticated: ev.Authenticated}
		for _, s := range ev.Answers {
			rr, err := parseRdata(fq, qtype, ev.TTL, s)
			if err != nil {
				return nil, fail("answer %.80q: %v", s, err)
			}
			a.Records = append(a.Records, rr)
		}
		if rcode != dns.RcodeSuccess && len(a.Records) > 0 {
			return nil, fail("%s with answers", ev.Rcode)
		}
		rp.ans = a
		r.m[k] = rp
	}
	return r, nil
}

// Query implements Resolver from the evidence alone.
func (r *Replay) Query(ctx context.Context, name string, qtype uint16) (*Answer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fq, err := Fqdn(name)
	if err != nil {
		return nil, err
	}
	rp, ok := r.m[qkey{fq, qtype}]
	if !ok {
		return nil, fmt.Errorf("%w: %s %s", ErrNotInEvidence, fq, TypeName(qtype))
	}
	if rp.ans == nil {
		if rp.ev.Rcode == RcodeNotInEvidence {
			return nil, fmt.Errorf("%w: %s %s", ErrNotInEvidence, fq, TypeName(qtype))
		}
		return nil, replayedError(rp.ev.Error)
	}
	a := *rp.ans
	a.Records = append([]dns.RR(nil), rp.ans.Records...)
	return &a, nil
}

// FetchedAt implements FetchTimer: when the answer was recorded.
func (r *Replay) FetchedAt(name string, qtype uint16) (time.Time, bool) {
	rp, ok := r.m[qkey{name, qtype}]
	if !ok || rp.ev.Rcode == RcodeNotInEvidence {
		return time.Time{}, false
	}
	return rp.ev.Time, true
}

// replayedError is a recorded transport failure, with its recorded text (so
// that the replayed report says what the recorded one said).
type replayedError string

func (e replayedError) Error() string { return string(e) }

func parseRcode(s string) (int, error) {
	if rc, ok := dns.StringToRcode[s]; ok {
		return rc, nil
	}
	if n, ok := strings.CutPrefix(s, "RCODE"); ok {
		if rc, err := strconv.Atoi(n); err == nil && rc >= 0 && rc < 4096 {
			return rc, nil
		}
	}
	return 0, fmt.Errorf("unknown rcode %.16q", s)
}

// parseRdata reads one answer as Evidence wrote it (rdata) back into a
// record of the question's name, and checks that it renders the same.
func parseRdata(name string, qtype uint16, ttl uint32, s string) (dns.RR, error) {
	hdr := func(t uint16) dns.RR_Header {
		return dns.RR_Header{Name: name, Rrtype: t, Class: dns.ClassINET, Ttl: ttl}
	}
	var rr dns.RR
	switch {
	case strings.HasPrefix(s, "CNAME "):
		// A CNAME met on the way to the answer (rdata marks it).
		target, err := Fqdn(strings.TrimPrefix(s, "CNAME "))
		if err != nil {
			return nil, err
		}
		rr = &dns.CNAME{Hdr: hdr(dns.TypeCNAME), Target: target}
	case qtype == dns.TypeTXT:
		if len(s) > MaxTXTBytes*4 {
			return nil, errors.New("TXT record too long")
		}
		t := TXT(name, s, ttl)
		t.Hdr = hdr(dns.TypeTXT)
		rr = t
	case qtype == dns.TypeA:
		ip := net.ParseIP(s)
		if ip == nil || ip.To4() == nil {
			return nil, errors.New("not an IPv4 address")
		}
		rr = &dns.A{Hdr: hdr(dns.TypeA), A: ip.To4()}
	case qtype == dns.TypeAAAA:
		ip := net.ParseIP(s)
		if ip == nil {
			return nil, errors.New("not an IPv6 address")
		}
		rr = &dns.AAAA{Hdr: hdr(dns.TypeAAAA), AAAA: ip.To16()}
	case qtype == dns.TypePTR:
		target, err := Fqdn(s)
		if err != nil {
			return nil, err
		}
		rr = &dns.PTR{Hdr: hdr(dns.TypePTR), Ptr: target}
	default:
		if len(s) > 64<<10 || strings.ContainsAny(s, "\n\r;()") {
			return nil, errors.New("not one record in presentation format")
		}
		var err error
		rr, err = dns.NewRR(fmt.Sprintf("%s %d IN %s %s", name, ttl, TypeName(qtype), s))
		if err != nil {
			return nil, err
		}
		if rr == nil || rr.Header().Rrtype != qtype {
			return nil, errors.New("not a record of the question's type")
		}
	}
	if got := rdata(rr); got != s && qtype != dns.TypeTXT {
		return nil, fmt.Errorf("reads back as %.80q", got)
	}
	return rr, nil
}

// DNSSource implements Describer. A replay answers with what the original
// source said, so it describes itself as that source (Source, set from the
// bundle's report) to reproduce the report; without one it says its answers
// were recorded earlier.
func (r *Replay) DNSSource() SourceInfo {
	if r.Source.Kind == "" {
		return SourceInfo{Kind: SourceRecorded}
	}
	return r.Source
}
