package resolver_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/sealtrace/sealtrace/internal/testpeers/dnstest"
	"github.com/sealtrace/sealtrace/resolver"
)

const zoneText = `$ORIGIN example.com.
$TTL 300
@        IN SOA ns.example.com. hostmaster.example.com. 1 3600 600 86400 300
@        IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
@        IN MX  10 mx.example.com.
mx       IN A   192.0.2.25
www      IN CNAME mx.example.com.
*.wild   IN TXT "wildcard"
sel._domainkey IN TXT "v=DKIM1; k=rsa; p=AAAA"
`

func loadZone(t *testing.T) *resolver.Zones { return dnstest.Zones(t, zoneText) }

func TestZones(t *testing.T) {
	z := loadZone(t)
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		qtype   uint16
		rcode   int
		answers int
	}{
		{"example.com", dns.TypeTXT, dns.RcodeSuccess, 1},
		{"EXAMPLE.com.", dns.TypeMX, dns.RcodeSuccess, 1},
		{"example.com", dns.TypeAAAA, dns.RcodeSuccess, 0},           // NODATA
		{"_domainkey.example.com", dns.TypeTXT, dns.RcodeSuccess, 0}, // empty non-terminal
		{"nope.example.com", dns.TypeTXT, dns.RcodeNameError, 0},     // inside the zone, absent
		{"example.org", dns.TypeTXT, dns.RcodeNameError, 0},          // no zone covers it
		{"www.example.com", dns.TypeA, dns.RcodeSuccess, 2},          // CNAME + A
		{"a.wild.example.com", dns.TypeTXT, dns.RcodeSuccess, 1},     // wildcard
		{"sel._domainkey.example.com", dns.TypeTXT, dns.RcodeSuccess, 1},
	} {
		a, err := z.Query(ctx, c.name, c.qtype)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if a.Rcode != c.rcode || len(a.Records) != c.answers {
			t.Errorf("%s %s: rcode %s with %d answers, want %s with %d", c.name, dns.TypeToString[c.qtype], resolver.RcodeName(a.Rcode), len(a.Records), resolver.RcodeName(c.rcode), c.answers)
		}
	}
	if _, err := z.Query(ctx, "bad..name", dns.TypeTXT); !errors.Is(err, resolver.ErrBadName) {
		t.Errorf("bad name: %v", err)
	}
}

func TestZoneFileErrors(t *testing.T) {
	for _, text := range []string{
		"example.com. IN TXT \"unterminated\n",
		"example.com. IN BOGUS 1\n",
		"$INCLUDE /etc/passwd\n",
		"",
	} {
		if err := resolver.NewZones().Load(strings.NewReader(text), "", "bad.zone"); err == nil {
			t.Errorf("%q: no error", text)
		}
	}
}

// TestServerOverTheWire talks to a real DNS server on loopback, including
// an answer too large for UDP that must be fetched again over TCP.
func TestServerOverTheWire(t *testing.T) {
	z := loadZone(t)
	big := strings.Repeat("x", 250)
	var strs []string
	for range 20 { // about 5 KB: truncated over UDP (1232), complete over TCP
		strs = append(strs, big)
	}
	z.Add(&dns.TXT{Hdr: dns.RR_Header{Name: "big.example.com.", Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: strs})
	srv := dnstest.Start(t, z)
	s, err := resolver.NewServer(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := s.Query(ctx, "example.com", dns.TypeTXT)
	if err != nil || a.Rcode != dns.RcodeSuccess || len(a.TXT()) != 1 || !strings.HasPrefix(a.TXT()[0], "v=spf1") {
		t.Fatalf("TXT: %+v %v", a, err)
	}
	a, err = s.Query(ctx, "big.example.com", dns.TypeTXT)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.TXT(); len(got) != 1 || len(got[0]) != 5000 {
		t.Errorf("big TXT over TCP: %d records, %d bytes", len(got), len(strings.Join(got, "")))
	}
	a, err = s.Query(ctx, "nope.example.com", dns.TypeTXT)
	if err != nil || a.Rcode != dns.RcodeNameError {
		t.Errorf("NXDOMAIN: %+v %v", a, err)
	}
}

// A server that never answers costs a bounded time and gives ErrTimeout.
func TestServerTimeout(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	s := &resolver.Server{Addrs: []string{pc.LocalAddr().String()}, Timeout: 300 * time.Millisecond}
	_, err = s.Query(context.Background(), "example.com", dns.TypeTXT)
	if !errors.Is(err, resolver.ErrTimeout) {
		t.Errorf("error %v, want ErrTimeout", err)
	}
}

// A hostile server stuffs 64 KB of records, many of them off-question:
// the answer keeps only what was asked, at most MaxRecords of it.
func TestServerHostileAnswer(t *testing.T) {
	srv := dnstest.StartFunc(t, func(w dns.ResponseWriter, req *dns.Msg) {
		resp := new(dns.Msg)
		resp.SetReply(req)
		q := req.Question[0]
		if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
			resp.Truncated = true // come back over TCP for the 60 KB
			_ = w.WriteMsg(resp)
			return
		}
		for i := 0; resp.Len() < 60000; i++ {
			resp.Answer = append(resp.Answer,
				&dns.TXT{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET}, Txt: []string{strings.Repeat("y", 200)}},
				&dns.A{Hdr: dns.RR_Header{Name: "elsewhere.test.", Rrtype: dns.TypeA, Class: dns.ClassINET}, A: net.IPv4(192, 0, 2, byte(i))})
		}
		_ = w.WriteMsg(resp)
	})
	s, _ := resolver.NewServer(srv.Addr)
	a, err := s.Query(context.Background(), "x.example", dns.TypeTXT)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Records) > resolver.MaxRecords {
		t.Errorf("%d records kept, more than %d", len(a.Records), resolver.MaxRecords)
	}
	for _, rr := range a.Records {
		if rr.Header().Rrtype != dns.TypeTXT {
			t.Fatalf("an off-question %s record was kept", dns.TypeToString[rr.Header().Rrtype])
		}
	}
}

type countingSource struct {
	z *resolver.Zones
	n atomic.Int32
}

func (c *countingSource) Query(ctx context.Context, name string, qtype uint16) (*resolver.Answer, error) {
	c.n.Add(1)
	time.Sleep(10 * time.Millisecond) // let concurrent askers pile up
	return c.z.Query(ctx, name, qtype)
}

func TestRecorderAsksOnceAndRecords(t *testing.T) {
	src := &countingSource{z: loadZone(t)}
	when := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	rec := resolver.NewRecorder(src, func() time.Time { return when })
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := rec.LookupTXT(context.Background(), "Example.COM."); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := src.n.Load(); n != 1 {
		t.Errorf("the source was asked %d times, want once", n)
	}
	if _, err := rec.LookupTXT(context.Background(), "nope.example.com"); err == nil {
		t.Error("NXDOMAIN gave no error")
	} else if de, ok := err.(*net.DNSError); !ok || !de.IsNotFound {
		t.Errorf("NXDOMAIN error %#v, want a not-found *net.DNSError", err)
	}
	ev := rec.Evidence()
	if len(ev) != 2 {
		t.Fatalf("%d evidence entries, want 2", len(ev))
	}
	if ev[0].Name != "example.com." || ev[0].Type != "TXT" || ev[0].Rcode != "NOERROR" || ev[0].TTL != 300 || !ev[0].Time.Equal(when) ||
		len(ev[0].Answers) != 1 || ev[0].Answers[0] != "v=spf1 ip4:192.0.2.0/24 -all" {
		t.Errorf("evidence %+v", ev[0])
	}
	if ev[1].Rcode != "NXDOMAIN" || len(ev[1].Answers) != 0 {
		t.Errorf("evidence %+v", ev[1])
	}
}

func TestSystemConfig(t *testing.T) {
	if _, err := resolver.NewServer("not a host:port:at all"); err == nil {
		t.Error("a bad --dns-server was accepted")
	}
	s, err := resolver.NewServer("127.0.0.1")
	if err != nil || s.Addrs[0] != "127.0.0.1:53" {
		t.Errorf("default port: %v %v", s, err)
	}
}

// A zone file of many unrelated names (no SOA, no $ORIGIN) loads and answers:
// finding the zone of a name walks its labels, it does not scan the zones.
func TestManyOrigins(t *testing.T) {
	var b strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&b, "d%d.example%d. 60 IN TXT \"n%d\"\n", i, i, i)
	}
	z := resolver.NewZones()
	if err := z.Load(strings.NewReader(b.String()), "", "many.zone"); err != nil {
		t.Fatal(err)
	}
	a, err := z.Query(context.Background(), "d19999.example19999", dns.TypeTXT)
	if err != nil || len(a.TXT()) != 1 || a.TXT()[0] != "n19999" {
		t.Fatalf("%+v %v", a, err)
	}
	a, _ = z.Query(context.Background(), "x.d5.example5", dns.TypeTXT)
	if a.Rcode != dns.RcodeNameError {
		t.Errorf("inside a zone, absent: %s", resolver.RcodeName(a.Rcode))
	}
}
