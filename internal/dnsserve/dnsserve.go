// Package dnsserve runs a DNS server on loopback that answers from
// resolver.Zones over UDP and TCP (one port), so that the code under test and
// peers such as dkimpy talk DNS on the wire. The demo generator (assets/gen)
// and the test fixtures in internal/testpeers use it; it does not import
// testing.
package dnsserve

import (
	"context"
	"net"

	"github.com/miekg/dns"
	"github.com/sealtrace/sealtrace/resolver"
)

// Server is a running loopback DNS server.
type Server struct {
	Addr   string // 127.0.0.1:port, the same port for UDP and TCP
	Zones  *resolver.Zones
	Handle func(w dns.ResponseWriter, req *dns.Msg) // when set, answers instead of Zones
}

// Serve starts a server answering from zones on 127.0.0.1 (UDP and TCP on
// one port) and returns it with the function that stops it.
func Serve(zones *resolver.Zones) (*Server, func(), error) {
	return Start(&Server{Zones: zones})
}

// Start starts s (its Handle or its Zones) and returns it with the function
// that stops it.
func Start(s *Server) (*Server, func(), error) {
	var pc net.PacketConn
	var ln net.Listener
	var err error
	for range 20 { // the UDP port may be taken for TCP: try another
		pc, err = net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		ln, err = net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			break
		}
		pc.Close()
	}
	if err != nil {
		return nil, nil, err
	}
	s.Addr = pc.LocalAddr().String()
	h := dns.HandlerFunc(s.serve)
	udp := &dns.Server{PacketConn: pc, Handler: h}
	tcp := &dns.Server{Listener: ln, Handler: h}
	go func() { _ = udp.ActivateAndServe() }()
	go func() { _ = tcp.ActivateAndServe() }()
	stop := func() {
		_ = udp.Shutdown()
		_ = tcp.Shutdown()
	}
	return s, stop, nil
}

func (s *Server) serve(w dns.ResponseWriter, req *dns.Msg) {
	if s.Handle != nil {
		s.Handle(w, req)
		return
	}
	resp := new(dns.Msg)
	resp.SetReply(req)
	resp.Authoritative = true
	if len(req.Question) != 1 {
		resp.Rcode = dns.RcodeFormatError
		_ = w.WriteMsg(resp)
		return
	}
	q := req.Question[0]
	a, err := s.Zones.Query(context.Background(), q.Name, q.Qtype)
	if err != nil {
		resp.Rcode = dns.RcodeServerFailure
	} else {
		resp.Rcode = a.Rcode
		resp.Answer = a.Records
	}
	if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
		size := 512
		if o := req.IsEdns0(); o != nil {
			size = int(o.UDPSize())
		}
		resp.Truncate(size)
	}
	_ = w.WriteMsg(resp)
}
