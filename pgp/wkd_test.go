package pgp

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
)

// The WKD draft's own example.
func TestWKDURLs(t *testing.T) {
	adv, direct, err := WKDURLs("Joe.Doe@Example.ORG")
	if err != nil {
		t.Fatal(err)
	}
	if adv != "https://openpgpkey.example.org/.well-known/openpgpkey/example.org/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe" {
		t.Errorf("advanced: %s", adv)
	}
	if direct != "https://example.org/.well-known/openpgpkey/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe" {
		t.Errorf("direct: %s", direct)
	}
}

// WKD over HTTPS against a server on loopback with a test certificate for
// openpgpkey.example.org; every connection goes to that server.
func TestWKDLookup(t *testing.T) {
	ent, err := openpgp.NewEntity("Joe", "", "joe.doe@example.org", nil)
	if err != nil {
		t.Fatal(err)
	}
	var key bytes.Buffer
	ent.Serialize(&key)
	other, _ := openpgp.NewEntity("Eve", "", "eve@example.org", nil)
	var otherKey bytes.Buffer
	other.Serialize(&otherKey)

	adv, _, _ := WKDURLs("joe.doe@example.org")
	advMismatch, _, _ := WKDURLs("eve-claims@example.org")
	mux := http.NewServeMux()
	path := func(u string) string {
		p := strings.TrimPrefix(u, "https://openpgpkey.example.org")
		return p[:strings.IndexByte(p, '?')]
	}
	mux.HandleFunc(path(adv), func(w http.ResponseWriter, r *http.Request) { w.Write(key.Bytes()) })
	mux.HandleFunc(path(advMismatch), func(w http.ResponseWriter, r *http.Request) { w.Write(otherKey.Bytes()) })
	srv := httptest.NewUnstartedServer(mux)
	cert, pool := testCert(t, "openpgpkey.example.org", "example.org")
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	defer srv.Close()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
		},
	}}
	ctx := context.Background()
	r := WKDLookup(ctx, client, "joe.doe@example.org")
	if r.Status != WKDFound || r.Method != "advanced" || r.KeyFingerprint != strings.ToUpper(bytesHex(ent.PrimaryKey.Fingerprint)) {
		t.Errorf("found: %+v", r)
	}
	if r := WKDLookup(ctx, client, "nobody@example.org"); r.Status != WKDAbsent {
		t.Errorf("absent: %+v", r)
	}
	if r := WKDLookup(ctx, client, "eve-claims@example.org"); r.Status != WKDMismatch {
		t.Errorf("mismatch: %+v", r)
	}
	// A certificate that does not name the host: an error, nothing accepted.
	untrusting := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: x509.NewCertPool()},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
		},
	}}
	if r := WKDLookup(ctx, untrusting, "joe.doe@example.org"); r.Status != WKDError || !strings.Contains(r.Error, "certificate") {
		t.Errorf("untrusted certificate: status %s error %q", r.Status, r.Error)
	}
}

func bytesHex(b []byte) string {
	const h = "0123456789abcdef"
	out := make([]byte, 0, len(b)*2)
	for _, c := range b {
		out = append(out, h[c>>4], h[c&15])
	}
	return string(out)
}

// testCert makes a self-signed certificate for names.
func testCert(t *testing.T, names ...string) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}, pool
}

// wkdServer serves handlers over HTTPS on loopback for openpgpkey.example.org
// and example.org, and counts connections and requests; the client sends
// every connection there, whatever the host.
type wkdServer struct {
	srv      *httptest.Server
	client   *http.Client
	mu       sync.Mutex
	conns    int
	requests []string
	release  chan struct{}
}

func startWKD(t *testing.T, handle func(w http.ResponseWriter, r *http.Request)) *wkdServer {
	t.Helper()
	s := &wkdServer{release: make(chan struct{})}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, r.Host+r.URL.Path)
		s.mu.Unlock()
		handle(w, r)
	}))
	s.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.mu.Lock()
			s.conns++
			s.mu.Unlock()
		}
	}
	cert, pool := testCert(t, "openpgpkey.example.org", "example.org", "keys.attacker.example")
	s.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	s.srv.StartTLS()
	t.Cleanup(func() { close(s.release); s.srv.Close() })
	s.client = &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, s.srv.Listener.Addr().String())
		},
	}}
	return s
}

func (s *wkdServer) counts() (int, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns, append([]string(nil), s.requests...)
}

// An address whose domain is not a host name (an IP address and port, a
// path, a user-info trick) makes no request at all: WKD must not become a
// way for a message to make the app connect to any address and port.
func TestWKDDomainNotAHostName(t *testing.T) {
	var hits atomic.Int32
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			hits.Add(1)
			c.Close()
		}
	}()
	addr := ln.Addr().String()
	client := &http.Client{}
	for _, email := range []string{
		"x@" + addr,
		"x@127.0.0.1",
		"x@[127.0.0.1]",
		"x@localhost",
		"x@example.org:" + addr[strings.LastIndexByte(addr, ':')+1:],
		"x@example.org/../" + addr,
		"x@a@" + addr,
		"x@exa mple.org",
		"x@-example.org",
		"x@example..org",
		"x@",
	} {
		r := WKDLookup(context.Background(), client, email)
		if r.Status != WKDError || !strings.Contains(r.Error, "not") {
			t.Errorf("%s: %+v", email, r)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d connections to the loopback listener", n)
	}
	if _, _, err := WKDURLs("Joe.Doe@Example.ORG."); err != nil {
		t.Errorf("a trailing dot is a host name: %v", err)
	}
}

// A redirect is not followed (not to another host, not to plain http):
// the key must come from the address's own domain.
func TestWKDNoRedirect(t *testing.T) {
	s := startWKD(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/.well-known/"):
			if r.Host == "openpgpkey.example.org" {
				http.Redirect(w, r, "https://keys.attacker.example/key", http.StatusFound)
			} else {
				http.Redirect(w, r, "http://example.org/key", http.StatusMovedPermanently)
			}
		default:
			w.Write([]byte("not a key"))
		}
	})
	r := WKDLookup(context.Background(), s.client, "joe.doe@example.org")
	if r.Status != WKDError || !strings.Contains(r.Error, "redirect") {
		t.Errorf("%+v", r)
	}
	_, reqs := s.counts()
	for _, q := range reqs {
		if !strings.HasPrefix(q, "openpgpkey.example.org/.well-known/") && !strings.HasPrefix(q, "example.org/.well-known/") {
			t.Errorf("followed a redirect: %s", q)
		}
	}
}

// A body over the size limit is an error, not a key made from its start.
func TestWKDSizeLimit(t *testing.T) {
	ent, _ := openpgp.NewEntity("Joe", "", "joe.doe@example.org", nil)
	var key bytes.Buffer
	ent.Serialize(&key)
	s := startWKD(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write(key.Bytes())
		w.Write(make([]byte, 3<<20)) // then 3 MiB more
	})
	r := WKDLookup(context.Background(), s.client, "joe.doe@example.org")
	if r.Status != WKDError || !strings.Contains(r.Error, "larger than") || r.Key != nil {
		t.Errorf("status %s, error %q, %d key bytes", r.Status, r.Error, len(r.Key))
	}
}

// A server that never answers: the lookup ends with a timeout of its own,
// even with a client that has none.
func TestWKDTimeout(t *testing.T) {
	old := wkdTimeout
	wkdTimeout = 300 * time.Millisecond
	defer func() { wkdTimeout = old }()
	var s *wkdServer
	s = startWKD(t, func(w http.ResponseWriter, r *http.Request) { <-s.release })
	r := WKDLookup(context.Background(), s.client, "joe.doe@example.org")
	if r.Status != WKDError || !strings.Contains(r.Error, "did not answer") {
		t.Errorf("%+v", r)
	}
}

// The server sends two keys: Eve's first, then Joe's. Only Joe's key, the
// one that carries the address, is the result, and only it can be imported.
func TestWKDOnlyTheCheckedKey(t *testing.T) {
	joe, _ := openpgp.NewEntity("Joe", "", "joe.doe@example.org", nil)
	eve, _ := openpgp.NewEntity("Eve", "", "eve@attacker.example", nil)
	var both bytes.Buffer
	eve.Serialize(&both)
	joe.Serialize(&both)
	s := startWKD(t, func(w http.ResponseWriter, r *http.Request) { w.Write(both.Bytes()) })
	r := WKDLookup(context.Background(), s.client, "joe.doe@example.org")
	joeFpr := strings.ToUpper(bytesHex(joe.PrimaryKey.Fingerprint))
	if r.Status != WKDFound || r.KeyFingerprint != joeFpr {
		t.Fatalf("%+v", r)
	}
	el, err := openpgp.ReadKeyRing(bytes.NewReader(r.Key))
	if err != nil || len(el) != 1 || strings.ToUpper(bytesHex(el[0].PrimaryKey.Fingerprint)) != joeFpr {
		t.Errorf("the result's key: %d entities, %v", len(el), err)
	}
	// ArmorKey (what the app imports) keeps only the named key, from the
	// whole answer as DANE hands it over.
	a, err := ArmorKey(both.Bytes(), joeFpr)
	if err != nil {
		t.Fatal(err)
	}
	el, err = openpgp.ReadArmoredKeyRing(bytes.NewReader(a))
	if err != nil || len(el) != 1 || strings.ToUpper(bytesHex(el[0].PrimaryKey.Fingerprint)) != joeFpr {
		t.Errorf("armored: %d entities, %v", len(el), err)
	}
	if _, err := ArmorKey(both.Bytes(), "0123456789ABCDEF0123456789ABCDEF01234567"); err == nil {
		t.Error("a fingerprint not in the answer was armored")
	}
}
