package reports

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/sealtrace/sealtrace/internal/testpeers/dnstest"
	"github.com/sealtrace/sealtrace/resolver"
)

// The network checks against real servers on loopback: a DNS server
// answering from zones (and one that fails on purpose), an HTTPS server
// with a certificate made here for the policy, and zones signed by BIND's
// tools served by NSD for DANE.

func serverFor(t *testing.T, addr string) *resolver.Server {
	t.Helper()
	s, err := resolver.NewServer(addr)
	if err != nil {
		t.Fatal(err)
	}
	s.Timeout = 2 * time.Second
	return s
}

func TestReverseDNS(t *testing.T) {
	z := dnstest.Zones(t,
		`$TTL 300`,
		`10.2.0.192.in-addr.arpa. IN PTR mail.example.com.`,
		`mail.example.com. IN A 192.0.2.10`,
		`11.2.0.192.in-addr.arpa. IN PTR liar.example.com.`,
		`liar.example.com. IN A 198.51.100.1`,
		`12.2.0.192.in-addr.arpa. IN PTR gone.example.com.`,
		`13.2.0.192.in-addr.arpa. IN PTR a.example.com.`,
		`13.2.0.192.in-addr.arpa. IN PTR b.example.com.`,
		`a.example.com. IN A 198.51.100.2`,
		`b.example.com. IN A 192.0.2.13`,
		`5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. IN PTR v6.example.com.`,
		`v6.example.com. IN AAAA 2001:db8::25`,
		`v6.example.com. IN A 192.0.2.25`,
	)
	srv := dnstest.Start(t, z)
	c := &NetChecker{Resolver: serverFor(t, srv.Addr)}
	ctx := context.Background()
	for _, tc := range []struct {
		ip, status, name string
	}{
		{"192.0.2.10", RDNSConfirmed, "mail.example.com"},
		{"::ffff:192.0.2.10", RDNSConfirmed, "mail.example.com"}, // an IPv4-mapped address is the IPv4 one
		{"192.0.2.11", RDNSMismatch, "liar.example.com"},
		{"192.0.2.12", RDNSMismatch, "gone.example.com"},
		{"192.0.2.13", RDNSConfirmed, "b.example.com"}, // the second name confirms
		{"2001:db8::25", RDNSConfirmed, "v6.example.com"},
		{"192.0.2.99", RDNSNone, ""},
		{"not an ip", RDNSError, ""},
	} {
		got := c.ReverseDNS(ctx, tc.ip)
		if got.Status != tc.status || got.Name != tc.name || got.Confirmed != (tc.status == RDNSConfirmed) {
			t.Errorf("%s: %+v, want %s %q", tc.ip, got, tc.status, tc.name)
		}
	}

	// A server that fails: the PTR question itself, or only the forward
	// one. Both are temperror, never "none" or "mismatch".
	var failA atomic.Bool
	broken := dnstest.StartFunc(t, func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		q := req.Question[0]
		switch {
		case q.Qtype == dns.TypePTR && !failA.Load():
			m.Rcode = dns.RcodeServerFailure
		case q.Qtype == dns.TypePTR:
			rr, _ := dns.NewRR(q.Name + " 300 IN PTR mail.example.com.")
			m.Answer = append(m.Answer, rr)
		default:
			m.Rcode = dns.RcodeServerFailure
		}
		w.WriteMsg(m)
	})
	c = &NetChecker{Resolver: serverFor(t, broken.Addr)}
	if got := c.ReverseDNS(ctx, "192.0.2.10"); got.Status != RDNSTempError || !strings.Contains(got.Reason, "SERVFAIL") {
		t.Errorf("PTR SERVFAIL: %+v", got)
	}
	failA.Store(true)
	if got := c.ReverseDNS(ctx, "192.0.2.10"); got.Status != RDNSTempError || got.Name != "mail.example.com" || got.Confirmed {
		t.Errorf("A SERVFAIL: %+v", got)
	}
	// Nothing listens: temperror too.
	l, _ := net.ListenPacket("udp", "127.0.0.1:0")
	dead := l.LocalAddr().String()
	l.Close()
	s := serverFor(t, dead)
	s.Timeout = 300 * time.Millisecond
	c = &NetChecker{Resolver: s}
	if got := c.ReverseDNS(ctx, "192.0.2.10"); got.Status != RDNSTempError {
		t.Errorf("no server: %+v", got)
	}
}

// policyServer is an HTTPS server on loopback with a certificate for
// names, from a CA made here; the client dials it whatever host it asks.
type policyServer struct {
	srv    *httptest.Server
	roots  *x509.CertPool
	client *http.Client
	hits   atomic.Int32
}

func startPolicyServer(t *testing.T, names []string, h http.HandlerFunc) *policyServer {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	p := &policyServer{roots: x509.NewCertPool()}
	p.roots.AddCert(caCert)
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.hits.Add(1)
		h(w, r)
	}))
	p.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	p.srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	p.srv.StartTLS()
	t.Cleanup(p.srv.Close)
	addr := p.srv.Listener.Addr().String()
	p.client = PolicyClient(func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}, p.roots)
	return p
}

const goodPolicy = "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.backup.example.com\r\nmax_age: 604800\r\n"

func TestMTASTS(t *testing.T) {
	z := dnstest.Zones(t,
		`$TTL 300`,
		`_mta-sts.example.com. IN TXT "v=STSv1; id=20261129T01;"`,
		`_mta-sts.example.com. IN TXT "some other record"`,
		`_mta-sts.two.example. IN TXT "v=STSv1; id=a"`,
		`_mta-sts.two.example. IN TXT "v=STSv1; id=b"`,
		`_mta-sts.badid.example. IN TXT "v=STSv1; id=not-alnum!"`,
		`_mta-sts.redirect.example. IN TXT "v=STSv1; id=1"`,
		`_mta-sts.large.example. IN TXT "v=STSv1; id=1"`,
		`_mta-sts.html.example. IN TXT "v=STSv1; id=1"`,
		`_mta-sts.missing.example. IN TXT "v=STSv1; id=1"`,
		`_mta-sts.invalid.example. IN TXT "v=STSv1; id=1"`,
		`_mta-sts.down.example. IN TXT "v=STSv1; id=1"`,
		`_mta-sts.othercert.example. IN TXT "v=STSv1; id=1"`,
	)
	dnsSrv := dnstest.Start(t, z)
	names := []string{"mta-sts.example.com", "mta-sts.redirect.example", "mta-sts.large.example", "mta-sts.html.example",
		"mta-sts.missing.example", "mta-sts.invalid.example", "mta-sts.down.example"}
	p := startPolicyServer(t, names, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/mta-sts.txt" {
			http.NotFound(w, r)
			return
		}
		switch r.Host {
		case "mta-sts.example.com":
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write([]byte(goodPolicy))
		case "mta-sts.redirect.example":
			http.Redirect(w, r, "https://mta-sts.example.com/.well-known/mta-sts.txt", http.StatusFound)
		case "mta-sts.large.example":
			w.Header().Set("Content-Type", "text/plain")
			w.Write([]byte(goodPolicy))
			big := []byte(strings.Repeat("x: y\n", 1000))
			for range 1000 { // 5 MB, well past the cap
				if _, err := w.Write(big); err != nil {
					return
				}
			}
		case "mta-sts.html.example":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(goodPolicy))
		case "mta-sts.invalid.example":
			w.Header().Set("Content-Type", "text/plain")
			w.Write([]byte("version: STSv1\nmode: enforce\nmax_age: 86400\n")) // no mx
		case "mta-sts.down.example":
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			http.NotFound(w, r)
		}
	})
	c := &NetChecker{Resolver: serverFor(t, dnsSrv.Addr), HTTP: p.client}
	ctx := context.Background()

	got := c.MTASTS(ctx, "Example.COM.")
	if got.Status != STSFound || got.ID != "20261129T01" || got.Policy == nil || got.Policy.Mode != "enforce" ||
		got.Policy.MaxAge != 604800 || strings.Join(got.Policy.MX, ",") != "mx1.example.com,*.backup.example.com" {
		t.Errorf("example.com: %+v %+v", got, got.Policy)
	}
	for _, tc := range []struct {
		domain, status, reason string
	}{
		{"nopolicy.example", STSNone, "no v=STSv1 TXT record"},
		{"two.example", STSNone, "2 v=STSv1 TXT records"},
		{"badid.example", STSNone, "not 1 to 32 letters and digits"},
		{"redirect.example", STSError, "redirects"},
		{"large.example", STSError, "larger than 64 KiB"},
		{"html.example", STSError, "not text/plain"},
		{"missing.example", STSError, "HTTP 404"},
		{"invalid.example", STSError, "no mx line"},
		{"down.example", STSTempError, "HTTP 503"},
		{"othercert.example", STSError, "does not verify"}, // the server's certificate does not name it
	} {
		got := c.MTASTS(ctx, tc.domain)
		if got.Status != tc.status || !strings.Contains(got.Reason, tc.reason) || got.Policy != nil {
			t.Errorf("%s: %s (%s), want %s (%s)", tc.domain, got.Status, got.Reason, tc.status, tc.reason)
		}
	}
	// One request per domain with a record and a certificate that names
	// it (seven): the redirect was not followed, and othercert.example's
	// request never left the TLS handshake.
	if n := p.hits.Load(); n != 7 {
		t.Errorf("%d requests reached the server, want 7", n)
	}

	// The DNS fails: temperror, and no fetch.
	broken := dnstest.StartFunc(t, func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeServerFailure)
		w.WriteMsg(m)
	})
	before := p.hits.Load()
	c = &NetChecker{Resolver: serverFor(t, broken.Addr), HTTP: p.client}
	if got := c.MTASTS(ctx, "example.com"); got.Status != STSTempError || p.hits.Load() != before {
		t.Errorf("SERVFAIL: %+v", got)
	}
	// Nothing listens for HTTPS: temperror.
	c = &NetChecker{Resolver: serverFor(t, dnsSrv.Addr), HTTP: PolicyClient(func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, "127.0.0.1:1")
	}, p.roots)}
	if got := c.MTASTS(ctx, "example.com"); got.Status != STSTempError {
		t.Errorf("connection refused: %+v", got)
	}
}

func TestParseSTSPolicy(t *testing.T) {
	for _, tc := range []struct {
		in, err string
	}{
		{goodPolicy, ""},
		{"version: STSv1\nmode: none\nmax_age: 0\n", ""},
		{"version: STSv1\nmode: testing\nmx: a.example\nmax_age: 86400\nextension: ignored\n", ""},
		{"version: STSv2\nmode: enforce\nmx: a\nmax_age: 1\n", "not STSv1"},
		{"version: STSv1\nmode: strict\nmx: a\nmax_age: 1\n", "mode"},
		{"version: STSv1\nmode: enforce\nmx: a\nmax_age: 31557601\n", "max_age"},
		{"version: STSv1\nmode: enforce\nmx: a\nmax_age: -1\n", "max_age"},
		{"version: STSv1\nmode: enforce\nmx: a\n", "no max_age"},
		{"version: STSv1\nmode: enforce\nmx: bad..name\nmax_age: 1\n", "not a host name"},
		{"version STSv1\n", "not key: value"},
	} {
		_, err := ParseSTSPolicy([]byte(tc.in))
		if (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%q: %v, want %q", tc.in, err, tc.err)
		}
	}
}

func FuzzParseSTSPolicy(f *testing.F) {
	f.Add([]byte(goodPolicy))
	f.Add([]byte("version: STSv1\nmode: none\nmax_age: 0\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseSTSPolicy(b)
		if err == nil && (p.Version != "STSv1" || p.MaxAge < 0 || p.MaxAge > 31557600 || (p.Mode != "none" && len(p.MX) == 0)) {
			t.Fatalf("accepted %+v", p)
		}
	})
}

// DANE: zones signed with BIND's tools, served by NSD, validated from the
// test's trust anchor. secure.test. has four MX hosts: one with signed
// TLSA records, one proven to have none, one in an unsigned zone (TLSA
// there but unusable), one whose TLSA signature is tampered with; the MX
// of insecure.test. are unsigned but point to a host with signed TLSA.
func TestDANE(t *testing.T) {
	const tlsa = "3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	z := dnstest.StartSignedZonesWith(t, map[string]string{
		"secure.test.": "secure.test. IN MX 10 mx.secure.test.\nsecure.test. IN MX 20 mx.nsec3.test.\nsecure.test. IN MX 30 mx.insecure.test.\nsecure.test. IN MX 40 mx.bogus.test.\n" +
			"mx.secure.test. IN A 127.0.0.1\n_25._tcp.mx.secure.test. IN TLSA " + tlsa + "\n" +
			"only.secure.test. IN MX 10 mx.secure.test.\n",
		"nsec3.test.":    "mx.nsec3.test. IN A 127.0.0.1\n",
		"insecure.test.": "insecure.test. IN MX 10 mx.secure.test.\nmx.insecure.test. IN A 127.0.0.1\n_25._tcp.mx.insecure.test. IN TLSA " + tlsa + "\n",
		"bogus.test.":    "mx.bogus.test. IN A 127.0.0.1\n_25._tcp.mx.bogus.test. IN TLSA " + tlsa + "\n",
	})
	anchors, err := resolver.LoadAnchorsFile(z.Anchor)
	if err != nil {
		t.Fatal(err)
	}
	v := &resolver.Validator{Server: serverFor(t, z.Addr), Anchors: anchors}
	c := &NetChecker{Validator: v}
	ctx := context.Background()

	got := c.DANE(ctx, "secure.test")
	if got.MXStatus != resolver.Secure || len(got.Hosts) != 4 {
		t.Fatalf("secure.test: %+v", got)
	}
	want := []struct {
		host, status string
		records      int
		words        string
	}{
		{"mx.secure.test", resolver.Secure, 1, "publishes DNSSEC-signed TLSA records"},
		{"mx.nsec3.test", resolver.Secure, 0, "no TLSA record (proven by DNSSEC)"},
		{"mx.insecure.test", resolver.Insecure, 1, "senders ignore them"},
		{"mx.bogus.test", resolver.Bogus, 0, "fails DNSSEC validation"},
	}
	for i, w := range want {
		h := got.Hosts[i]
		if h.Host != w.host || h.Status != w.status || (w.status != resolver.Bogus && len(h.TLSA) != w.records) || !strings.Contains(h.Words, w.words) {
			t.Errorf("host %d: %+v, want %s %s %d records, %q", i, h, w.host, w.status, w.records, w.words)
		}
	}
	if got.Hosts[0].TLSA[0] != tlsa || got.Hosts[0].QName != "_25._tcp.mx.secure.test." || got.Hosts[0].Pref != 10 {
		t.Errorf("the secure host: %+v", got.Hosts[0])
	}
	if !strings.Contains(got.Words, "1 of the 4 MX hosts") {
		t.Errorf("words: %s", got.Words)
	}
	if got := c.DANE(ctx, "only.secure.test"); got.MXStatus != resolver.Secure || !strings.Contains(got.Words, "Every MX host") || strings.Contains(got.Words, "not signed") {
		t.Errorf("only.secure.test: %+v", got)
	}
	// Unsigned MX, signed TLSA: usable (RFC 7672 2.2.1), and said.
	if got := c.DANE(ctx, "insecure.test"); got.MXStatus != resolver.Insecure || len(got.Hosts) != 1 || got.Hosts[0].Status != resolver.Secure ||
		!strings.Contains(got.Words, "MX records themselves are not signed") {
		t.Errorf("insecure.test: %+v", got)
	}
	// A server that fails: indeterminate, said as a failure to check.
	broken := dnstest.StartFunc(t, func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeServerFailure)
		w.WriteMsg(m)
	})
	c = &NetChecker{Validator: &resolver.Validator{Server: serverFor(t, broken.Addr), Anchors: anchors}}
	if got := c.DANE(ctx, "secure.test"); got.MXStatus != resolver.Indeterminate || !strings.Contains(got.Words, "not a failed validation") {
		t.Errorf("SERVFAIL: %+v", got)
	}
	// No validator: said, not guessed.
	if got := (&NetChecker{}).DANE(ctx, "secure.test"); got.MXStatus != resolver.Indeterminate || !strings.Contains(got.Words, "not checked") {
		t.Errorf("no validator: %+v", got)
	}
}
