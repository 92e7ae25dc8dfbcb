package resolver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Server asks one or more recursive DNS servers over UDP, falling back to
// TCP when an answer is truncated (RFC 7766 5).
type Server struct {
	Addrs   []string      // host:port, tried in order
	Timeout time.Duration // per question, all tries; DefaultTimeout when zero
	// DNSSECOK sets the DO bit so that the server reports whether it validated
	// the answer (the AD bit, RFC 4035 3.2.3).
	DNSSECOK bool
	// System says that Addrs are the system's servers (NewSystem), for
	// DNSSource.
	System bool
}

// NewServer returns a source that asks the server at addr (host:port; the
// port defaults to 53).
func NewServer(addr string) (*Server, error) {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, "53")
	}
	host, port, err := net.SplitHostPort(addr)
	_, isName := dns.IsDomainName(host)
	if err != nil || host == "" || port == "" || strings.ContainsAny(host, " \t") || (net.ParseIP(host) == nil && !isName) {
		return nil, fmt.Errorf("resolver: %q is not HOST:PORT", addr)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return nil, fmt.Errorf("resolver: %q has no valid port", addr)
	}
	return &Server{Addrs: []string{addr}, DNSSECOK: true}, nil
}

// NewSystemFrom reads the servers of the resolv.conf file at path (for
// tests, and for a system that keeps it elsewhere).
func NewSystemFrom(path string) (*Server, error) { return newSystemFrom(path) }

// newSystemFrom reads the servers of a resolv.conf file (NewSystem outside
// Windows).
func newSystemFrom(path string) (*Server, error) {
	cfg, err := dns.ClientConfigFromFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("resolver: no system resolver configured (%s is missing); use --dns-server or --dns-zone", path)
		}
		return nil, fmt.Errorf("resolver: reading %s: %w", path, err)
	}
	s := &Server{DNSSECOK: true, System: true}
	for _, h := range cfg.Servers {
		s.Addrs = append(s.Addrs, net.JoinHostPort(h, cfg.Port))
	}
	if len(s.Addrs) == 0 {
		return nil, fmt.Errorf("resolver: %s names no nameserver", path)
	}
	return s, nil
}

// Query implements Resolver.
func (s *Server) Query(ctx context.Context, name string, qtype uint16) (*Answer, error) {
	resp, err := s.Exchange(ctx, name, qtype, false)
	if err != nil {
		return nil, err
	}
	fq, _ := Fqdn(name)
	a := &Answer{Name: fq, Type: qtype, Rcode: resp.Rcode, Records: resp.Answer, Authenticated: resp.AuthenticatedData}
	trim(a)
	return a, nil
}

// Exchange asks one question and returns the whole response. With cd
// (checking disabled) a validating server passes on what it would reject,
// so that Sealtrace can validate it itself (RFC 4035 3.2.2).
func (s *Server) Exchange(ctx context.Context, name string, qtype uint16, cd bool) (*dns.Msg, error) {
	fq, err := Fqdn(name)
	if err != nil {
		return nil, err
	}
	timeout := s.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	m := new(dns.Msg)
	m.SetQuestion(fq, qtype)
	m.RecursionDesired = true
	m.SetEdns0(1232, s.DNSSECOK || cd)
	m.AuthenticatedData = true // ask for the AD bit even without DO (RFC 6840 5.7)
	m.CheckingDisabled = cd

	var lastErr error
	for _, addr := range s.Addrs {
		resp, err := exchange(ctx, m, addr)
		if err != nil {
			lastErr = err
			if ctx.Err() != nil {
				break
			}
			continue
		}
		if resp.Id != m.Id || len(resp.Question) != 1 || !equalFold(resp.Question[0].Name, fq) || resp.Question[0].Qtype != qtype {
			lastErr = fmt.Errorf("%w: %s answered a different question", ErrTransport, addr)
			continue
		}
		return resp, nil
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return nil, fmt.Errorf("%w: no answer for %s %s within %s", ErrTimeout, fq, TypeName(qtype), timeout)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return nil, lastErr
}

func exchange(ctx context.Context, m *dns.Msg, addr string) (*dns.Msg, error) {
	c := &dns.Client{Net: "udp", UDPSize: 1232}
	resp, _, err := c.ExchangeContext(ctx, m, addr)
	if err == nil && resp.Truncated {
		c = &dns.Client{Net: "tcp"}
		resp, _, err = c.ExchangeContext(ctx, m, addr)
	}
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, fmt.Errorf("%w: %s did not answer: %v", ErrTimeout, addr, err)
		}
		if errors.As(err, new(*net.OpError)) {
			return nil, fmt.Errorf("%w %s: %v", ErrTransport, addr, err)
		}
		return nil, fmt.Errorf("%w: %s sent an answer that is not valid DNS: %v", ErrMalformed, addr, err)
	}
	return resp, nil
}

func equalFold(a, b string) bool {
	return dns.CanonicalName(a) == dns.CanonicalName(b)
}
