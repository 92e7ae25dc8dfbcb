package resolver

import (
	"cmp"
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Evidence is one question and what was answered, as the report shows it.
type Evidence struct {
	Name          string    `json:"name"`
	Type          string    `json:"type"`
	Rcode         string    `json:"rcode"`
	Answers       []string  `json:"answers"`
	TTL           uint32    `json:"ttl"`
	Authenticated bool      `json:"authenticated"`
	Time          time.Time `json:"time"`
	Error         string    `json:"error,omitempty"`
	// Outcome is what the question came to (OutcomeAnswer, OutcomeNXDomain,
	// OutcomeTimeout, OutcomeOffline…): NXDOMAIN, SERVFAIL, a timeout and an
	// unreachable server told apart, which Rcode alone does not.
	Outcome string `json:"outcome"`
}

// Recorder wraps a source for one inspection: each distinct question is
// asked once (concurrent askers wait for the first), and every question is
// recorded as Evidence, one entry per question.
type Recorder struct {
	src Resolver
	now func() time.Time

	mu       sync.Mutex
	cache    map[qkey]*flight
	evidence []Evidence
}

type qkey struct {
	name  string
	qtype uint16
}

type flight struct {
	done chan struct{}
	ans  *Answer
	err  error
	ev   Evidence
}

// NewRecorder returns a Recorder over src. now stamps the evidence; nil means
// time.Now.
func NewRecorder(src Resolver, now func() time.Time) *Recorder {
	if now == nil {
		now = time.Now
	}
	return &Recorder{src: src, now: now, cache: map[qkey]*flight{}}
}

// Query implements Resolver, through the cache.
func (r *Recorder) Query(ctx context.Context, name string, qtype uint16) (*Answer, error) {
	a, _, err := r.QueryEvidence(ctx, name, qtype)
	return a, err
}

// QueryEvidence is Query that also returns the evidence of the question, for
// a check's steps.
func (r *Recorder) QueryEvidence(ctx context.Context, name string, qtype uint16) (*Answer, Evidence, error) {
	fq, err := Fqdn(name)
	if err != nil {
		ev := Evidence{Name: name, Type: TypeName(qtype), Rcode: "FORMERR", Time: r.now(), Error: err.Error(), Outcome: OutcomeBadName}
		return nil, ev, err
	}
	k := qkey{fq, qtype}
	r.mu.Lock()
	f, ok := r.cache[k]
	if ok {
		r.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, Evidence{Name: fq, Type: TypeName(qtype), Rcode: "TIMEOUT", Time: r.now(), Error: ctx.Err().Error(), Outcome: outcomeOf(qtype, nil, ctx.Err())}, ctx.Err()
		}
		return f.ans, f.ev, f.err
	}
	f = &flight{done: make(chan struct{})}
	r.cache[k] = f
	r.mu.Unlock()

	f.ans, f.err = r.src.Query(ctx, fq, qtype)
	t := r.now()
	if ft, ok := r.src.(FetchTimer); ok {
		if at, ok := ft.FetchedAt(fq, qtype); ok {
			t = at // a replay: the evidence keeps the time it was recorded
		}
	}
	f.ev = evidenceOf(fq, qtype, f.ans, f.err, t)
	r.mu.Lock()
	r.evidence = append(r.evidence, f.ev)
	r.mu.Unlock()
	close(f.done)
	return f.ans, f.ev, f.err
}

// Evidence returns every question asked so far, one entry per question,
// sorted by name, type and answers. The order in which they were asked is
// not kept: the checks ask concurrently, so it changes from run to run, and
// a report must be the same bytes for the same message and evaluation time.
func (r *Recorder) Evidence() []Evidence {
	r.mu.Lock()
	out := append([]Evidence(nil), r.evidence...)
	r.mu.Unlock()
	slices.SortStableFunc(out, compareEvidence)
	return slices.CompactFunc(out, func(a, b Evidence) bool { return a.Name == b.Name && a.Type == b.Type })
}

func compareEvidence(a, b Evidence) int {
	return cmp.Or(
		strings.Compare(a.Name, b.Name),
		strings.Compare(a.Type, b.Type),
		slices.Compare(a.Answers, b.Answers),
		strings.Compare(a.Rcode, b.Rcode),
	)
}

func evidenceOf(name string, qtype uint16, a *Answer, err error, t time.Time) Evidence {
	ev := Evidence{Name: name, Type: TypeName(qtype), Time: t.UTC(), Answers: []string{}, Outcome: outcomeOf(qtype, a, err)}
	if err != nil {
		ev.Rcode = RcodeTimeout
		if errors.Is(err, ErrNotInEvidence) {
			ev.Rcode = RcodeNotInEvidence
		}
		ev.Error = err.Error()
		return ev
	}
	ev.Rcode = RcodeName(a.Rcode)
	ev.Authenticated = a.Authenticated
	for i, rr := range a.Records {
		ev.Answers = append(ev.Answers, rdata(rr))
		if i == 0 || rr.Header().Ttl < ev.TTL {
			ev.TTL = rr.Header().Ttl
		}
	}
	return ev
}

// The net-style lookups below make a Recorder usable where a *net.Resolver
// is expected (blitiri.com.ar/go/spf): NXDOMAIN and an empty answer are a
// *net.DNSError with IsNotFound, as the standard library reports them;
// SERVFAIL and transport failures are temporary.

// LookupTXT returns the joined strings of each TXT record of name.
func (r *Recorder) LookupTXT(ctx context.Context, name string) ([]string, error) {
	a, err := r.netQuery(ctx, name, dns.TypeTXT)
	if err != nil {
		return nil, err
	}
	return a.TXT(), nil
}

// LookupMX returns the MX records of name.
func (r *Recorder) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	a, err := r.netQuery(ctx, name, dns.TypeMX)
	if err != nil {
		return nil, err
	}
	var out []*net.MX
	for _, rr := range a.Records {
		if mx, ok := rr.(*dns.MX); ok {
			out = append(out, &net.MX{Host: mx.Mx, Pref: mx.Preference})
		}
	}
	return out, nil
}

// LookupIPAddr returns the A and AAAA addresses of host.
func (r *Recorder) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	var out []net.IPAddr
	var firstErr error
	for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
		a, err := r.netQuery(ctx, host, t)
		if err != nil {
			if firstErr == nil || !isNotFound(err) {
				firstErr = err
			}
			continue
		}
		for _, rr := range a.Records {
			switch v := rr.(type) {
			case *dns.A:
				out = append(out, net.IPAddr{IP: v.A})
			case *dns.AAAA:
				out = append(out, net.IPAddr{IP: v.AAAA})
			}
		}
	}
	if len(out) == 0 {
		return nil, firstErr
	}
	return out, nil
}

// LookupSRV returns the SRV records of _service._proto.name, as
// net.Resolver does (cname is the name asked).
func (r *Recorder) LookupSRV(ctx context.Context, service, proto, name string) (string, []*net.SRV, error) {
	q := "_" + service + "._" + proto + "." + name
	a, err := r.netQuery(ctx, q, dns.TypeSRV)
	if err != nil {
		return "", nil, err
	}
	var out []*net.SRV
	for _, rr := range a.Records {
		if s, ok := rr.(*dns.SRV); ok {
			out = append(out, &net.SRV{Target: s.Target, Port: s.Port, Priority: s.Priority, Weight: s.Weight})
		}
	}
	return dns.Fqdn(q), out, nil
}

// LookupAddr returns the PTR names of an address.
func (r *Recorder) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	rev, err := dns.ReverseAddr(addr)
	if err != nil {
		return nil, &net.DNSError{Err: err.Error(), Name: addr}
	}
	a, err := r.netQuery(ctx, rev, dns.TypePTR)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rr := range a.Records {
		if p, ok := rr.(*dns.PTR); ok {
			out = append(out, p.Ptr)
		}
	}
	return out, nil
}

func (r *Recorder) netQuery(ctx context.Context, name string, qtype uint16) (*Answer, error) {
	a, err := r.Query(ctx, name, qtype)
	if err != nil {
		return nil, &net.DNSError{Err: err.Error(), Name: name, IsTimeout: true, IsTemporary: true}
	}
	switch a.Rcode {
	case dns.RcodeSuccess:
		n := 0
		for _, rr := range a.Records {
			if rr.Header().Rrtype == qtype {
				n++
			}
		}
		if n == 0 {
			return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
		}
		return a, nil
	case dns.RcodeNameError:
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	default:
		return nil, &net.DNSError{Err: "server answered " + RcodeName(a.Rcode), Name: name, IsTemporary: true}
	}
}

func isNotFound(err error) bool {
	de, ok := err.(*net.DNSError)
	return ok && de.IsNotFound
}
