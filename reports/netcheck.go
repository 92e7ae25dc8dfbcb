package reports

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/sealtrace/sealtrace/resolver"
)

// Network checks for the Reports view: what a report's numbers are read
// beside. Each asks the network, so each takes a context, is bounded in
// time and size, and says a temporary failure (temperror, indeterminate)
// apart from a definite answer: a timeout proves nothing.
//
//   - ReverseDNS: forward-confirmed reverse DNS of a report's source IP
//     (the PTR names, then their A or AAAA records back to the IP), through
//     Sealtrace's own resolver.
//   - MTASTS: the domain's MTA-STS policy (RFC 8461): the _mta-sts TXT
//     record, then the policy over HTTPS from mta-sts.DOMAIN, with no
//     redirects, a verified certificate and a 64 KiB cap.
//   - DANE: the MX hosts' TLSA records (RFC 7672) under _25._tcp.HOST,
//     validated by Sealtrace's DNSSEC validator, in words.

// NetChecker does the checks.
type NetChecker struct {
	// Resolver answers the PTR, A, AAAA and TXT questions (the engine's).
	Resolver resolver.Resolver
	// Validator validates the MX and TLSA answers (pipeline's
	// Config.Validator); nil: DANE is not checked.
	Validator *resolver.Validator
	// HTTP fetches MTA-STS policies; nil: PolicyClient(nil, nil).
	HTTP *http.Client
}

// Outcomes of ReverseDNS.
const (
	RDNSConfirmed = "confirmed" // a PTR name resolves back to the IP
	RDNSMismatch  = "mismatch"  // PTR names, none of which leads back
	RDNSNone      = "none"      // no PTR record
	RDNSTempError = "temperror" // a question could not be answered: try again
	RDNSError     = "error"     // not an IP address
)

// maxPTRNames bounds the PTR names followed (as RFC 7208 5.5 bounds the
// names an SPF ptr check follows).
const maxPTRNames = 10

// ReverseDNS is the forward-confirmed reverse DNS of one IP.
type ReverseDNS struct {
	IP string `json:"ip"`
	// Name is the first PTR name that leads back to the IP, else the first
	// PTR name; empty when there is none.
	Name      string   `json:"name,omitempty"`
	Names     []string `json:"names"` // the PTR names, as published
	Confirmed bool     `json:"confirmed"`
	Status    string   `json:"status"`
	Reason    string   `json:"reason,omitempty"`
}

// temporary says whether an answer (or its error) is a temporary failure:
// no answer, or one other than NOERROR or NXDOMAIN.
func temporary(a *resolver.Answer, err error) (bool, string) {
	if err != nil {
		return true, err.Error()
	}
	if a.Rcode != dns.RcodeSuccess && a.Rcode != dns.RcodeNameError {
		return true, "the server answered " + resolver.RcodeName(a.Rcode)
	}
	return false, ""
}

// ReverseDNS looks up ip's PTR names and confirms them forward: a name
// counts only when its own A (IPv4) or AAAA (IPv6) records include ip, as
// anyone who controls the reverse zone of an address can name it anything.
func (c *NetChecker) ReverseDNS(ctx context.Context, ip string) ReverseDNS {
	out := ReverseDNS{IP: ip, Names: []string{}}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		out.Status, out.Reason = RDNSError, "not an IP address"
		return out
	}
	addr = addr.Unmap()
	out.IP = addr.String()
	rev, err := dns.ReverseAddr(addr.String())
	if err != nil {
		out.Status, out.Reason = RDNSError, err.Error()
		return out
	}
	a, err := c.Resolver.Query(ctx, rev, dns.TypePTR)
	if tmp, why := temporary(a, err); tmp {
		out.Status, out.Reason = RDNSTempError, "PTR "+rev+": "+why
		return out
	}
	for _, rr := range a.Records {
		if p, ok := rr.(*dns.PTR); ok && len(out.Names) < maxPTRNames {
			out.Names = append(out.Names, strings.TrimSuffix(p.Ptr, "."))
		}
	}
	if len(out.Names) == 0 {
		out.Status, out.Reason = RDNSNone, "no PTR record for "+out.IP
		return out
	}
	out.Name = out.Names[0]
	qtype := dns.TypeA
	if addr.Is6() {
		qtype = dns.TypeAAAA
	}
	var failed []string
	for _, name := range out.Names {
		fa, err := c.Resolver.Query(ctx, name, qtype)
		if tmp, why := temporary(fa, err); tmp {
			failed = append(failed, name+": "+why)
			continue
		}
		for _, rr := range fa.Records {
			var got net.IP
			switch r := rr.(type) {
			case *dns.A:
				got = r.A
			case *dns.AAAA:
				got = r.AAAA
			}
			if back, ok := netip.AddrFromSlice(got); ok && back.Unmap() == addr {
				out.Name, out.Confirmed, out.Status = name, true, RDNSConfirmed
				return out
			}
		}
	}
	if len(failed) > 0 {
		// One of the names that could not be asked might have led back.
		out.Status, out.Reason = RDNSTempError, "could not confirm "+strings.Join(failed, "; ")
		return out
	}
	out.Status = RDNSMismatch
	out.Reason = fmt.Sprintf("none of the PTR names (%s) has %s among its %s records", strings.Join(out.Names, ", "), out.IP, resolver.TypeName(qtype))
	return out
}

// MTA-STS (RFC 8461).

// Outcomes of MTASTS.
const (
	STSFound     = "policy"    // a record and a valid policy
	STSNone      = "none"      // no (single, valid) record: the domain does not use MTA-STS (RFC 8461 3.1)
	STSTempError = "temperror" // the TXT question, or the policy fetch, failed for now
	STSError     = "error"     // a record, but the policy cannot be had or is invalid
)

// MaxPolicyBytes bounds a policy body (RFC 8461 3.3: 64 KiB).
const MaxPolicyBytes = 64 << 10

// PolicyTimeout bounds one policy fetch, connection and body included.
const PolicyTimeout = 20 * time.Second

// MTASTS is a domain's MTA-STS record and policy.
type MTASTS struct {
	Domain string     `json:"domain"`
	Record string     `json:"record,omitempty"` // the TXT record, as published
	ID     string     `json:"id,omitempty"`
	Status string     `json:"status"`
	Reason string     `json:"reason,omitempty"`
	Policy *STSPolicy `json:"policy,omitempty"`
}

// STSPolicy is a parsed policy (RFC 8461 3.2).
type STSPolicy struct {
	Version string   `json:"version"`
	Mode    string   `json:"mode"` // enforce, testing, none
	MX      []string `json:"mx"`   // patterns: a name or *.name
	MaxAge  int64    `json:"max_age"`
}

// stsID is the id tag's value: 1 to 32 letters and digits (RFC 8461 3.1).
var stsID = regexp.MustCompile(`^[A-Za-z0-9]{1,32}$`)

// parseSTSRecord reads "v=STSv1; id=...;" (RFC 8461 3.1): tags separated
// by ";", v first; other tags are ignored.
func parseSTSRecord(txt string) (id string, err error) {
	fields := strings.Split(txt, ";")
	for i, f := range fields {
		k, v, ok := strings.Cut(strings.TrimSpace(f), "=")
		if !ok {
			if strings.TrimSpace(f) == "" && i == len(fields)-1 {
				continue // the optional trailing ";"
			}
			return "", fmt.Errorf("%q is not a tag=value pair", f)
		}
		switch {
		case i == 0 && (k != "v" || v != "STSv1"):
			return "", errors.New("the record does not start with v=STSv1")
		case k == "id":
			if !stsID.MatchString(v) {
				return "", fmt.Errorf("id %q is not 1 to 32 letters and digits", v)
			}
			id = v
		}
	}
	if id == "" {
		return "", errors.New("the record has no id")
	}
	return id, nil
}

// ParseSTSPolicy reads a policy body (RFC 8461 3.2): "key: value" lines
// ending in LF or CRLF; version STSv1, mode enforce, testing or none,
// max_age from 0 to 31557600, and one mx line per pattern (at least one
// unless the mode is none). Unknown keys are ignored; of a repeated key
// other than mx the first counts.
func ParseSTSPolicy(body []byte) (*STSPolicy, error) {
	p := &STSPolicy{MX: []string{}, MaxAge: -1}
	for i, line := range strings.Split(string(body), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("line %d is not key: value", i+1)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "version":
			if p.Version == "" {
				p.Version = v
			}
		case "mode":
			if p.Mode == "" {
				p.Mode = v
			}
		case "max_age":
			if p.MaxAge < 0 {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil || n < 0 || n > 31557600 || len(v) > 10 {
					return nil, fmt.Errorf("max_age %q is not 0 to 31557600 seconds", v)
				}
				p.MaxAge = n
			}
		case "mx":
			if len(p.MX) >= 100 {
				return nil, errors.New("more than 100 mx patterns")
			}
			if _, ok := dns.IsDomainName(strings.TrimPrefix(v, "*.")); !ok || v == "" {
				return nil, fmt.Errorf("mx %q is not a host name pattern", v)
			}
			p.MX = append(p.MX, strings.ToLower(v))
		}
	}
	switch {
	case p.Version != "STSv1":
		return nil, fmt.Errorf("version %q, not STSv1", p.Version)
	case p.Mode != "enforce" && p.Mode != "testing" && p.Mode != "none":
		return nil, fmt.Errorf("mode %q is not enforce, testing or none", p.Mode)
	case p.MaxAge < 0:
		return nil, errors.New("no max_age")
	case len(p.MX) == 0 && p.Mode != "none":
		return nil, errors.New("no mx line")
	}
	return p, nil
}

// PolicyClient is the HTTP client MTA-STS policies are fetched with: TLS
// verified against roots (the system's when nil) for the name asked, no
// redirects (RFC 8461 3.3: a sender MUST NOT follow them), no proxy from
// the environment, PolicyTimeout for everything. dial, when set, replaces
// the dialer (tests send mta-sts.example to a loopback server with it).
func PolicyClient(dial func(ctx context.Context, network, addr string) (net.Conn, error), roots *x509.CertPool) *http.Client {
	if dial == nil {
		dial = (&net.Dialer{Timeout: 10 * time.Second}).DialContext
	}
	return &http.Client{
		Timeout: PolicyTimeout,
		Transport: &http.Transport{
			DialContext:            dial,
			TLSClientConfig:        &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:    10 * time.Second,
			ResponseHeaderTimeout:  10 * time.Second,
			MaxResponseHeaderBytes: 16 << 10,
			DisableKeepAlives:      true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// MTASTS reads the domain's MTA-STS record through the resolver and, when
// there is one, fetches and parses its policy.
func (c *NetChecker) MTASTS(ctx context.Context, domain string) MTASTS {
	domain = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(domain)), ".")
	out := MTASTS{Domain: domain}
	if _, err := resolver.Fqdn(domain); err != nil || domain == "" {
		out.Status, out.Reason = STSError, "not a domain name"
		return out
	}
	// RFC 8461 3.1: the TXT records of _mta-sts.DOMAIN that start with
	// "v=STSv1"; exactly one, valid, or the domain has no policy.
	a, err := c.Resolver.Query(ctx, "_mta-sts."+domain, dns.TypeTXT)
	if tmp, why := temporary(a, err); tmp {
		out.Status, out.Reason = STSTempError, "TXT _mta-sts."+domain+": "+why
		return out
	}
	var recs []string
	for _, t := range a.TXT() {
		if strings.HasPrefix(t, "v=STSv1") {
			recs = append(recs, t)
		}
	}
	switch len(recs) {
	case 0:
		out.Status, out.Reason = STSNone, "no v=STSv1 TXT record at _mta-sts."+domain
		return out
	case 1:
	default:
		out.Status, out.Reason = STSNone, fmt.Sprintf("%d v=STSv1 TXT records at _mta-sts.%s: senders must take it as no policy (RFC 8461 3.1)", len(recs), domain)
		return out
	}
	out.Record = recs[0]
	if out.ID, err = parseSTSRecord(recs[0]); err != nil {
		out.Status, out.Reason = STSNone, "the TXT record is invalid, so senders see no policy: "+err.Error()
		return out
	}
	hc := c.HTTP
	if hc == nil {
		hc = PolicyClient(nil, nil)
	}
	body, tmp, err := fetchPolicy(ctx, hc, "https://mta-sts."+domain+"/.well-known/mta-sts.txt")
	if err != nil {
		out.Status, out.Reason = STSError, err.Error()
		if tmp {
			out.Status = STSTempError
		}
		return out
	}
	if out.Policy, err = ParseSTSPolicy(body); err != nil {
		out.Status, out.Reason = STSError, "the policy is invalid: "+err.Error()
		return out
	}
	out.Status = STSFound
	return out
}

// fetchPolicy GETs the policy (RFC 8461 3.3): status 200, text/plain, at
// most MaxPolicyBytes. tmp says whether trying later may help (the
// connection, a timeout, a 5xx), as against a definite refusal (a bad
// certificate, a redirect, a 404, a wrong type, too large).
func fetchPolicy(ctx context.Context, hc *http.Client, url string) (body []byte, tmp bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, false, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		var certErr *tls.CertificateVerificationError
		var unknown x509.UnknownAuthorityError
		var host x509.HostnameError
		var inval x509.CertificateInvalidError
		if errors.As(err, &certErr) || errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &inval) {
			return nil, false, fmt.Errorf("the certificate of %s does not verify: %v", req.URL.Host, err)
		}
		return nil, true, fmt.Errorf("fetching %s: %v", url, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return nil, false, fmt.Errorf("%s redirects (HTTP %d to %q); a policy must not (RFC 8461 3.3)", url, resp.StatusCode, resp.Header.Get("Location"))
	case resp.StatusCode >= 500:
		return nil, true, fmt.Errorf("%s: HTTP %d", url, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, false, fmt.Errorf("%s: HTTP %d", url, resp.StatusCode)
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "text/plain" {
		return nil, false, fmt.Errorf("%s is served as %q, not text/plain (RFC 8461 3.2)", url, resp.Header.Get("Content-Type"))
	}
	body, err = io.ReadAll(io.LimitReader(resp.Body, MaxPolicyBytes+1))
	if err != nil {
		return nil, true, fmt.Errorf("reading %s: %v", url, err)
	}
	if len(body) > MaxPolicyBytes {
		return nil, false, fmt.Errorf("%s is larger than %d KiB (RFC 8461 3.3)", url, MaxPolicyBytes>>10)
	}
	return body, false, nil
}

// DANE for SMTP (RFC 7672).

// DANE is the TLSA status of a domain's MX hosts.
type DANE struct {
	Domain string `json:"domain"`
	// MXStatus is the DNSSEC status of the MX answer (secure, insecure,
	// bogus, indeterminate).
	MXStatus string   `json:"mx_status"`
	Words    string   `json:"words"`
	Hosts    []DANEMX `json:"hosts"`
}

// DANEMX is one MX host's TLSA answer.
type DANEMX struct {
	Host   string   `json:"host"`
	Pref   uint16   `json:"preference"`
	QName  string   `json:"qname"`  // _25._tcp.HOST.
	Status string   `json:"status"` // secure, insecure, bogus, indeterminate
	TLSA   []string `json:"tlsa"`   // "usage selector type data", as published
	Words  string   `json:"words"`
}

// maxMXHosts bounds the MX hosts looked at.
const maxMXHosts = 10

// DANE asks for the domain's MX hosts and their TLSA records, both
// validated by the Validator. A TLSA answer counts only when it is secure
// (RFC 7672 2.2); an insecure MX answer still lets senders use its hosts'
// secure TLSA records (RFC 7672 2.2.1).
func (c *NetChecker) DANE(ctx context.Context, domain string) DANE {
	domain = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(domain)), ".")
	out := DANE{Domain: domain, Hosts: []DANEMX{}}
	if c.Validator == nil {
		out.MXStatus, out.Words = resolver.Indeterminate, "DANE was not checked: no DNSSEC validator is configured."
		return out
	}
	mx, err := c.Validator.Lookup(ctx, domain, dns.TypeMX)
	if err != nil {
		out.MXStatus, out.Words = resolver.Indeterminate, "Could not ask for the MX records of "+domain+" ("+err.Error()+"): a network failure, not a failed validation; try again."
		return out
	}
	out.MXStatus = mx.Status
	switch mx.Status {
	case resolver.Bogus:
		out.Words = "The MX records of " + domain + " fail DNSSEC validation (" + mx.Reason + "): validating senders will not deliver mail to this domain until it is fixed."
		return out
	case resolver.Indeterminate:
		out.Words = "Could not check the MX records of " + domain + " (" + mx.Reason + "): a network or server failure, not a failed validation; try again."
		return out
	}
	var hosts []*dns.MX
	for _, rr := range mx.Records {
		if m, ok := rr.(*dns.MX); ok {
			hosts = append(hosts, m)
		}
	}
	sort.SliceStable(hosts, func(i, j int) bool { return hosts[i].Preference < hosts[j].Preference })
	if len(hosts) == 1 && hosts[0].Mx == "." {
		out.Words = domain + " accepts no mail (null MX, RFC 7505)."
		return out
	}
	if len(hosts) == 0 {
		out.Words = domain + " has no MX records; senders would use its address records, and DANE is not checked for them here."
		return out
	}
	if len(hosts) > maxMXHosts {
		hosts = hosts[:maxMXHosts]
	}
	secure := 0
	for _, m := range hosts {
		h := c.tlsa(ctx, strings.TrimSuffix(strings.ToLower(m.Mx), "."))
		h.Pref = m.Preference
		if h.Status == resolver.Secure && len(h.TLSA) > 0 {
			secure++
		}
		out.Hosts = append(out.Hosts, h)
	}
	switch {
	case secure == len(out.Hosts) && mx.Status == resolver.Secure:
		out.Words = "Every MX host of " + domain + " publishes DNSSEC-signed TLSA records, and the MX records are signed: senders that support DANE require TLS with a matching certificate."
	case secure == len(out.Hosts):
		out.Words = "Every MX host of " + domain + " publishes DNSSEC-signed TLSA records, but the MX records themselves are not signed: senders may still use DANE with these hosts (RFC 7672 2.2.1), though whoever can change the MX answer can send mail elsewhere."
	case secure > 0:
		out.Words = fmt.Sprintf("%d of the %d MX hosts of %s are protected by DANE; mail to the others is not.", secure, len(out.Hosts), domain)
	default:
		out.Words = "No MX host of " + domain + " is protected by DANE."
	}
	return out
}

// tlsa looks up and describes the TLSA records of one MX host (RFC 7672
// 2.2: port 25, TCP).
func (c *NetChecker) tlsa(ctx context.Context, host string) DANEMX {
	h := DANEMX{Host: host, QName: "_25._tcp." + host + ".", TLSA: []string{}}
	v, err := c.Validator.Lookup(ctx, h.QName, dns.TypeTLSA)
	if err != nil {
		h.Status = resolver.Indeterminate
		h.Words = "Could not ask for " + h.QName + " (" + err.Error() + "): a network failure, not a failed validation; try again. Senders that support DANE delay mail to this host while they cannot tell."
		return h
	}
	h.Status = v.Status
	for _, rr := range v.Records {
		if t, ok := rr.(*dns.TLSA); ok {
			h.TLSA = append(h.TLSA, fmt.Sprintf("%d %d %d %s", t.Usage, t.Selector, t.MatchingType, strings.ToLower(t.Certificate)))
		}
	}
	switch {
	case v.Status == resolver.Bogus:
		h.Words = "The TLSA answer for " + host + " fails DNSSEC validation (" + v.Reason + "): senders that support DANE will not deliver to this host (RFC 7672 2.2)."
	case v.Status == resolver.Indeterminate:
		h.Words = "Could not check the TLSA records of " + host + " (" + v.Reason + "): a network or server failure, not a failed validation; try again. Senders that support DANE delay mail to this host while they cannot tell."
	case v.Status == resolver.Insecure && len(h.TLSA) > 0:
		h.Words = "TLSA records are published for " + host + ", but its zone is not DNSSEC-signed, so senders ignore them (RFC 7672 2.2): no DANE."
	case v.Status == resolver.Insecure:
		h.Words = host + " is in a zone that is not DNSSEC-signed: no DANE."
	case len(h.TLSA) == 0:
		h.Words = host + " publishes no TLSA record (proven by DNSSEC): no DANE; senders use TLS if offered, without checking the certificate against DNS."
	default:
		h.Words = host + " publishes DNSSEC-signed TLSA records: senders that support DANE require TLS with a certificate that matches them (RFC 7672 2.2)."
	}
	return h
}
