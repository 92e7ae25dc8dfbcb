package resolver

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/miekg/dns"
)

// SourceInfo says where a resolver's answers come from, for the report: a
// support engineer reading "NXDOMAIN" must know whether the system's
// resolver, a named server, offline zone files or answers recorded earlier
// said it.
type SourceInfo struct {
	Kind   string `json:"kind"`             // SourceSystem, SourceServer, SourceZones, SourceRecorded, SourceOther
	Detail string `json:"detail,omitempty"` // the servers asked (HOST:PORT), the zone files, or what recorded the answers
}

// The kinds of DNS source.
const (
	SourceSystem   = "system"   // the servers the system's resolver asks
	SourceServer   = "server"   // a server named in the settings
	SourceZones    = "zones"    // offline RFC 1035 master files
	SourceRecorded = "recorded" // answers recorded earlier (a cached report, an evidence bundle)
	SourceOther    = "other"    // a resolver that does not say
)

// Describer is a Resolver that says where its answers come from.
type Describer interface {
	DNSSource() SourceInfo
}

// Describe returns where r's answers come from; SourceOther when r does not
// say.
func Describe(r Resolver) SourceInfo {
	if d, ok := r.(Describer); ok {
		return d.DNSSource()
	}
	return SourceInfo{Kind: SourceOther}
}

// String says the source in words ("the system resolver (127.0.0.53:53)").
func (s SourceInfo) String() string {
	var w string
	switch s.Kind {
	case SourceSystem:
		w = "the system resolver"
	case SourceServer:
		w = "the DNS server"
	case SourceZones:
		w = "offline zone files"
	case SourceRecorded:
		w = "answers recorded earlier"
	case "":
		return "unknown"
	default:
		w = "a DNS source the caller gave"
	}
	if s.Detail != "" {
		w += " (" + s.Detail + ")"
	}
	return w
}

// DNSSource implements Describer.
func (s *Server) DNSSource() SourceInfo {
	kind := SourceServer
	if s.System {
		kind = SourceSystem
	}
	return SourceInfo{Kind: kind, Detail: strings.Join(s.Addrs, ", ")}
}

// maxNamedFiles bounds the zone files a SourceInfo names.
const maxNamedFiles = 8

// DNSSource implements Describer.
func (z *Zones) DNSSource() SourceInfo {
	names := z.files
	more := ""
	if len(names) > maxNamedFiles {
		more = fmt.Sprintf(" and %d more", len(names)-maxNamedFiles)
		names = names[:maxNamedFiles]
	}
	return SourceInfo{Kind: SourceZones, Detail: strings.Join(names, ", ") + more}
}

// DNSSource implements Describer: the recorder's source.
func (r *Recorder) DNSSource() SourceInfo { return Describe(r.src) }

// Named returns a resolver that answers as r does and describes itself as
// info (the demo's zone, an evidence bundle's recorded answers).
func Named(r Resolver, info SourceInfo) Resolver { return named{r, info} }

type named struct {
	Resolver
	info SourceInfo
}

func (n named) DNSSource() SourceInfo { return n.info }

// What an answer came to, for people and programs: Evidence.Outcome. A
// transport failure is no rcode, and the checks treat the cases apart: only
// NXDOMAIN and an empty answer say that a record does not exist; SERVFAIL,
// a timeout and an unreachable server are temporary (temperror, RFC 7208
// 2.6.6, RFC 6376 6.1.2), never a failure of the message.
const (
	OutcomeAnswer    = "answer"    // NOERROR with records of the asked type
	OutcomeNoData    = "nodata"    // NOERROR, no record of that type (RFC 2308 2.2)
	OutcomeNXDomain  = "nxdomain"  // the name does not exist (RFC 2308 2.1)
	OutcomeServFail  = "servfail"  // the server could not answer (often a DNSSEC or upstream failure)
	OutcomeRefused   = "refused"   // the server refuses to answer this client
	OutcomeRcode     = "rcode"     // another error code, named in Rcode
	OutcomeTimeout   = "timeout"   // no answer in time
	OutcomeOffline   = "offline"   // the server could not be reached at all (no network, nothing listening)
	OutcomeMalformed = "malformed" // the answer was not valid DNS
	OutcomeBadName   = "bad_name"  // the question's name is not a domain name: never asked
	OutcomeCancelled = "cancelled" // the inspection was stopped before the answer came
)

// OutcomeWords says an outcome in a few plain words.
func OutcomeWords(outcome string) string {
	switch outcome {
	case OutcomeAnswer:
		return "answered"
	case OutcomeNoData:
		return "no such record (the name exists)"
	case OutcomeNXDomain:
		return "no such name (NXDOMAIN)"
	case OutcomeServFail:
		return "the server failed (SERVFAIL)"
	case OutcomeRefused:
		return "the server refused (REFUSED)"
	case OutcomeTimeout:
		return "no answer in time"
	case OutcomeOffline:
		return "could not reach DNS"
	case OutcomeMalformed:
		return "a broken answer"
	case OutcomeBadName:
		return "not a domain name"
	case OutcomeCancelled:
		return "stopped before an answer"
	}
	return "the server answered an error"
}

// Temporary tells whether an outcome may change if asked again: the
// checks make it temperror, not fail.
func Temporary(outcome string) bool {
	switch outcome {
	case OutcomeAnswer, OutcomeNoData, OutcomeNXDomain, OutcomeBadName:
		return false
	}
	return true
}

// outcomeOf classifies one answer or error.
func outcomeOf(qtype uint16, a *Answer, err error) string {
	if err != nil {
		switch {
		case errors.Is(err, ErrBadName):
			return OutcomeBadName
		case errors.Is(err, ErrTimeout), errors.Is(err, context.DeadlineExceeded):
			return OutcomeTimeout
		case errors.Is(err, context.Canceled):
			return OutcomeCancelled
		case errors.Is(err, ErrTransport):
			return OutcomeOffline
		case errors.Is(err, ErrMalformed):
			return OutcomeMalformed
		}
		return OutcomeOffline
	}
	switch a.Rcode {
	case dns.RcodeSuccess:
		for _, rr := range a.Records {
			if rr.Header().Rrtype == qtype {
				return OutcomeAnswer
			}
		}
		return OutcomeNoData
	case dns.RcodeNameError:
		return OutcomeNXDomain
	case dns.RcodeServerFailure:
		return OutcomeServFail
	case dns.RcodeRefused:
		return OutcomeRefused
	}
	return OutcomeRcode
}
