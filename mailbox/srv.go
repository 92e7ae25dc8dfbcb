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
}

// SuggestIMAP looks up the RFC 6186 SRV records of the address's domain:
// _imaps._tcp (implicit TLS) first, then _imap._tcp (STARTTLS), each by
// priority and weight. A target of "." means the service is not offered.
func SuggestIMAP(ctx context.Context, r SRVResolver, email string) ([]Suggestion, error) {
	at := strings.LastIndexByte(email, '@')
	if at < 0 || at == len(email)-1 {
		return nil, fmt.Errorf("mailbox: %q is not an email address", email)
	}
	domain := email[at+1:]
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
			out = append(out, Suggestion{
				Server:   net.JoinHostPort(strings.TrimSuffix(s.Target, "."), strconv.Itoa(int(s.Port))),
				Security: svc.sec,
				Record:   fmt.Sprintf("_%s._tcp.%s SRV %d %d %d %s", svc.name, domain, s.Priority, s.Weight, s.Port, s.Target),
			})
		}
	}
	return out, nil
}
