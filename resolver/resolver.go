// Package resolver is Sealtrace's DNS layer: where answers come from (the
// system's resolver, a given server, offline RFC 1035 zone files) and what
// is kept of them (every query and answer, recorded as evidence for the
// report, and cached for the length of one inspection).
//
// Every source implements Resolver: one question in, one Answer out. A
// transport failure (timeout, refused connection) is an error; a DNS-level
// failure (NXDOMAIN, SERVFAIL) is an Answer with that Rcode, because the
// checks above treat them differently (RFC 7208 2.6.6 and 2.6.7, RFC 6376
// 6.1.2).
//
// # DNSSEC validation
//
// Validator checks answers itself, from configured trust anchors (RFC
// 4033-4035, RFC 5155). A hostile server or anyone on the path may send any
// genuinely signed record it has seen, in any answer; these rules keep that
// from turning into "secure":
//
// The chain of trust is walked from the anchor down to the name asked, one
// label at a time (a DS question for each), never to the zone that the
// answer's signatures name: the server chooses those. The answer is then
// checked with the keys of the zone the walk found to hold the name.
//
// Every step of the walk needs a proof. A DS answer without DS records must
// prove that the name exists and is no zone cut, that it does not exist, or
// that it is an unsigned delegation: the parent's NSEC or NSEC3 record at
// the cut with the NS bit set and the DS and SOA bits clear, or an NSEC3
// opt-out record covering the next closer name (RFC 4035 5.2, RFC 5155
// 8.6). Anything else is bogus, so a false denial of a signed child's DS
// cannot make the child "insecure".
//
// A record at a delegation (NS without SOA) or a DNAME denies nothing below
// its owner (RFC 6840 4.1): it covers no name inside the child and is no
// closest encloser. The parent's record at a cut says nothing of the
// child's data, and the child's apex record nothing of its DS set.
//
// An NSEC3 record covers a hash strictly: owner < hash < next, the last
// record wrapping around to the first. The owner's own hash is a name that
// exists (miekg/dns's NSEC3.Cover counts it as covered and is not used).
//
// An answer expanded from a wildcard (its RRSIG counts fewer labels than its
// owner has) is secure only with the NSEC or NSEC3 proof that the name
// itself does not exist (RFC 4035 5.3.4, RFC 5155 8.8); the same holds for
// a CNAME met on the walk, which would otherwise hide a zone cut.
//
// NSEC3 records with more than MaxNSEC3Iterations (100) iterations make the
// zone insecure: their signatures are checked, the names are not hashed
// (RFC 9276 3.2). The signatures tried per RRset and the NSEC/NSEC3 records
// read per answer are bounded too.
//
// Bogus means a proof failed. A timeout, a transport failure or SERVFAIL
// while fetching a DS or DNSKEY set, or SERVFAIL for the answer, is
// Indeterminate, with the failure in Validated.Err: nothing was checked,
// and asking again may work (a transport failure of the question itself is
// Lookup's error).
package resolver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Resolver answers one DNS question.
type Resolver interface {
	Query(ctx context.Context, name string, qtype uint16) (*Answer, error)
}

// Answer is what a source said for one question.
type Answer struct {
	Name          string   // the question's name, fully qualified, lower case
	Type          uint16   // the question's type
	Rcode         int      // dns.RcodeSuccess, dns.RcodeNameError, ...
	Records       []dns.RR // the answer section (only records of the asked name and type, or CNAMEs leading there)
	Authenticated bool     // the source vouches for the answer with DNSSEC (the AD bit from a server)
}

// Limits on what one answer may hold, so that a hostile server cannot make an
// inspection use unbounded memory (DNS itself caps a message at 64 KiB).
const (
	MaxRecords  = 256
	MaxTXTBytes = 16 * 1024 // joined TXT strings of one record
)

// Errors.
var (
	ErrTimeout   = errors.New("resolver: timed out")
	ErrTransport = errors.New("resolver: could not reach the DNS server")
	ErrBadName   = errors.New("resolver: not a valid domain name")
	ErrMalformed = errors.New("resolver: malformed answer")
)

// DefaultTimeout bounds one question to a server (all tries included).
const DefaultTimeout = 5 * time.Second

// Fqdn returns name fully qualified and lower case, or an error when it is
// not a valid domain name.
func Fqdn(name string) (string, error) {
	n := strings.ToLower(dns.Fqdn(strings.TrimSpace(name)))
	if n == "." && strings.TrimSpace(name) != "." {
		return "", fmt.Errorf("%w: %q", ErrBadName, name)
	}
	if _, ok := dns.IsDomainName(n); !ok {
		return "", fmt.Errorf("%w: %q", ErrBadName, name)
	}
	return n, nil
}

// TXT returns the TXT strings of the answer, each record's strings joined
// (RFC 7208 3.3, RFC 6376 3.6.2.2), bounded by MaxTXTBytes.
func (a *Answer) TXT() []string {
	var out []string
	for _, rr := range a.Records {
		t, ok := rr.(*dns.TXT)
		if !ok {
			continue
		}
		s := strings.Join(t.Txt, "")
		if len(s) > MaxTXTBytes {
			s = s[:MaxTXTBytes]
		}
		out = append(out, s)
	}
	return out
}

// RcodeName is the mnemonic of an rcode ("NOERROR", "NXDOMAIN").
func RcodeName(rcode int) string {
	if s, ok := dns.RcodeToString[rcode]; ok {
		return s
	}
	return fmt.Sprintf("RCODE%d", rcode)
}

// TypeName is the mnemonic of a type ("TXT").
func TypeName(t uint16) string { return dns.TypeToString[t] }

// rdata renders a record's data the way a person reads it in a zone file.
func rdata(rr dns.RR) string {
	switch v := rr.(type) {
	case *dns.TXT:
		return strings.Join(v.Txt, "")
	case *dns.A:
		return v.A.String()
	case *dns.AAAA:
		return v.AAAA.String()
	case *dns.MX:
		return fmt.Sprintf("%d %s", v.Preference, v.Mx)
	case *dns.PTR:
		return v.Ptr
	case *dns.CNAME:
		return "CNAME " + v.Target
	}
	s := rr.String()
	h := rr.Header().String()
	return strings.TrimSpace(strings.TrimPrefix(s, h))
}

// trim applies the answer limits and keeps only records that answer the
// question (a hostile server may stuff the answer section).
func trim(a *Answer) {
	var kept []dns.RR
	for _, rr := range a.Records {
		h := rr.Header()
		if h.Rrtype != a.Type && h.Rrtype != dns.TypeCNAME {
			continue
		}
		kept = append(kept, rr)
		if len(kept) == MaxRecords {
			break
		}
	}
	a.Records = kept
}

// TXT returns a TXT record of name holding value, cut into the 255-byte
// strings DNS stores (RFC 1035 3.3.14).
func TXT(name, value string, ttl uint32) *dns.TXT {
	var parts []string
	for len(value) > 255 {
		parts = append(parts, value[:255])
		value = value[255:]
	}
	return &dns.TXT{Hdr: dns.RR_Header{Name: dns.Fqdn(name), Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: ttl}, Txt: append(parts, value)}
}
