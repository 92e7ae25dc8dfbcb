package mailbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
)

// SRVResolver is the part of a resolver SuggestIMAP needs (*net.Resolver and
// resolver.Recorder have it); mailbox depends on no other Sealtrace package.
type SRVResolver interface {
	LookupSRV(ctx context.Context, service, proto, name string) (string, []*net.SRV, error)
}

// Suggestion is a server setting found in DNS.
type Suggestion struct {
	Server   string // host:port
	Security Security
	Record   string // the SRV record it came from
	// OutsideDomain is set when the server is not the user's domain or a
	// name under it. RFC 6186 section 6: without DNSSEC an attacker can
	// change the SRV answer and send the client, and the password, to a
	// server of his own; a target inside the domain is what the user would
	// have typed anyway. Warning says it in the user's words.
	OutsideDomain bool
	Warning       string
}

// outsideWarning is shown next to a server outside the user's domain.
const outsideWarning = "outside your domain: check before trusting it"

// SuggestIMAP looks up the RFC 6186 SRV records of the address's domain:
// _imaps._tcp (implicit TLS) first, then _imap._tcp (STARTTLS), each by
// priority and weight. A target of "." means the service is not offered.
func SuggestIMAP(ctx context.Context, r SRVResolver, email string) ([]Suggestion, error) {
	at := strings.LastIndexByte(email, '@')
	if at < 0 || at == len(email)-1 {
		return nil, fmt.Errorf("mailbox: %q is not an email address", email)
	}
	domain := strings.TrimSuffix(strings.ToLower(email[at+1:]), ".")
	var out []Suggestion
	for _, svc := range []struct {
		name string
		sec  Security
	}{{"imaps", ImplicitTLS}, {"imap", StartTLS}} {
		_, srvs, err := r.LookupSRV(ctx, svc.name, "tcp", domain)
		var dnsErr *net.DNSError
		if err != nil && !(errors.As(err, &dnsErr) && dnsErr.IsNotFound) {
			return out, err
		}
		sort.SliceStable(srvs, func(i, j int) bool {
			if srvs[i].Priority != srvs[j].Priority {
				return srvs[i].Priority < srvs[j].Priority
			}
			return srvs[i].Weight > srvs[j].Weight
		})
		for _, s := range srvs {
			if s.Target == "." || s.Target == "" {
				continue // "." means the service is not offered (RFC 2782)
			}
			host := strings.ToLower(strings.TrimSuffix(s.Target, "."))
			sg := Suggestion{
				Server:   net.JoinHostPort(host, strconv.Itoa(int(s.Port))),
				Security: svc.sec,
				Record:   fmt.Sprintf("_%s._tcp.%s SRV %d %d %d %s", svc.name, domain, s.Priority, s.Weight, s.Port, s.Target),
			}
			// RFC 6186 6: the target must be the domain or under it (a
			// label boundary: notexample.com is not under example.com).
			if host != domain && !strings.HasSuffix(host, "."+domain) {
				sg.OutsideDomain = true
				sg.Warning = host + " is " + outsideWarning
			}
			out = append(out, sg)
		}
	}
	return out, nil
}
