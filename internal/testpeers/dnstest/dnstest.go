// Package dnstest starts a real DNS server on loopback for tests (see
// internal/dnsserve) and stops it when the test ends.
package dnstest

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/sealtrace/sealtrace/internal/dnsserve"
	"github.com/sealtrace/sealtrace/resolver"
)

// Server is a running loopback DNS server.
type Server = dnsserve.Server

// Start starts a server answering from zones; it stops when the test ends.
func Start(t testing.TB, zones *resolver.Zones) *Server {
	t.Helper()
	return start(t, &Server{Zones: zones})
}

// StartFunc starts a server that answers with h (for hostile or broken
// answers); it stops when the test ends.
func StartFunc(t testing.TB, h func(w dns.ResponseWriter, req *dns.Msg)) *Server {
	t.Helper()
	return start(t, &Server{Handle: h})
}

func start(t testing.TB, s *Server) *Server {
	t.Helper()
	s, stop, err := dnsserve.Start(s)
	if err != nil {
		t.Fatalf("dnstest: %v", err)
	}
	t.Cleanup(stop)
	return s
}

// Zones loads master-file lines into an offline resolver, failing the test
// on a syntax error.
func Zones(t testing.TB, lines ...string) *resolver.Zones {
	t.Helper()
	z := resolver.NewZones()
	if err := z.Load(strings.NewReader(strings.Join(lines, "\n")+"\n"), "", "test.zone"); err != nil {
		t.Fatalf("dnstest: %v", err)
	}
	return z
}
