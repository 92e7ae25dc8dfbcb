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
