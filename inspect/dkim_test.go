package inspect

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/miekg/dns"
	"github.com/sealtrace/sealtrace/resolver"
)

// DKIM edge cases. Signatures come from go-msgauth's signer (another
// implementation than the verifier under test); malformed ones are written
// by hand, since they must fail before any crypto.

var (
	testRSA   *rsa.PrivateKey
	testEdPub ed25519.PublicKey
	testEd    ed25519.PrivateKey
)

func init() {
	var err error
	if testRSA, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if testEdPub, testEd, err = ed25519.GenerateKey(rand.Reader); err != nil {
		panic(err)
	}
}

const plainMsg = "From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: hi\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nHello.\r\n"

func sign(t *testing.T, msg string, opts *dkim.SignOptions) string {
	t.Helper()
	if opts.Domain == "" {
		opts.Domain = "example.com"
	}
	if opts.Selector == "" {
		opts.Selector = "s1"
	}
	if opts.Signer == nil {
		opts.Signer = testRSA
	}
	var out bytes.Buffer
	if err := dkim.Sign(&out, strings.NewReader(msg), opts); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func rsaRecord(extra string) string {
	pub, _ := x509.MarshalPKIXPublicKey(&testRSA.PublicKey)
	return "v=DKIM1; " + extra + "p=" + base64.StdEncoding.EncodeToString(pub)
}

// faultyZones answers SERVFAIL, or times out, for chosen names.
type faultyZones struct {
	*resolver.Zones
	servfail, timeout map[string]bool
}

func (f faultyZones) Query(ctx context.Context, name string, qtype uint16) (*resolver.Answer, error) {
	fq := dns.CanonicalName(name)
	if f.timeout[fq] {
		return nil, resolver.ErrTimeout
	}
	if f.servfail[fq] {
		return &resolver.Answer{Name: fq, Type: qtype, Rcode: dns.RcodeServerFailure}, nil
	}
	return f.Zones.Query(ctx, name, qtype)
}

func verifyWith(t *testing.T, msg string, records map[string]string, now time.Time) []DKIMResult {
	t.Helper()
	z := resolver.NewZones()
	for name, v := range records {
		z.Add(resolver.TXT(dns.Fqdn(name), v, 300))
	}
	src := faultyZones{Zones: z,
		servfail: map[string]bool{"s1._domainkey.servfail.example.": true},
		timeout:  map[string]bool{"s1._domainkey.slow.example.": true}}
	m, err := Parse([]byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	return verifyDKIM(context.Background(), m, newBodyHashes(m.Body), resolver.NewRecorder(src, nil), now, 0)
}

func TestDKIMEdgeCases(t *testing.T) {
	now := time.Now()
	good := rsaRecord("")
	edRec := "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(testEdPub)
	signed := sign(t, plainMsg, &dkim.SignOptions{HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed})
	expired := sign(t, plainMsg, &dkim.SignOptions{Expiration: now.Add(-time.Hour)})
	future := sign(t, plainMsg, &dkim.SignOptions{Expiration: now.Add(time.Hour)})
	edSigned := sign(t, plainMsg, &dkim.SignOptions{Signer: testEd})
	onDomain := func(d string) string { return sign(t, plainMsg, &dkim.SignOptions{Domain: d}) }
	crafted := func(tags string) string {
		return "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s1; c=relaxed/relaxed; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; " + tags + " b=AAAA\r\n" + plainMsg
	}
	for _, c := range []struct {
		name    string
		msg     string
		records map[string]string
		result  string
		reason  string
	}{
		{"rsa pass", signed, map[string]string{"s1._domainkey.example.com": good}, Pass, ""},
		{"ed25519 pass", edSigned, map[string]string{"s1._domainkey.example.com": edRec}, Pass, ""},
		{"no key", signed, nil, PermError, "no key"},
		{"revoked key", signed, map[string]string{"s1._domainkey.example.com": "v=DKIM1; p="}, PermError, "revoked"},
		{"key type mismatch", signed, map[string]string{"s1._domainkey.example.com": edRec}, PermError, "the key is ed25519"},
		{"key h= excludes sha256", signed, map[string]string{"s1._domainkey.example.com": rsaRecord("h=sha1; ")}, PermError, "h=sha1"},
		{"key s= not email", signed, map[string]string{"s1._domainkey.example.com": rsaRecord("s=tlsrpt; ")}, PermError, "s=tlsrpt"},
		{"key t=y", signed, map[string]string{"s1._domainkey.example.com": rsaRecord("t=y; ")}, Pass, ""},
		{"key not base64", signed, map[string]string{"s1._domainkey.example.com": "v=DKIM1; p=!!!notbase64"}, PermError, "not valid base64"},
		{"key garbage DER", signed, map[string]string{"s1._domainkey.example.com": "v=DKIM1; p=AAAAAAAA"}, PermError, "not an RSA public key"},
		{"key v=DKIM2", signed, map[string]string{"s1._domainkey.example.com": "v=DKIM2; p=AAAA"}, PermError, "not DKIM1"},
		{"expired x=", expired, map[string]string{"s1._domainkey.example.com": good}, PermError, "expired"}, // not evaluated (was fail: issue 10)
		{"x= in the future", future, map[string]string{"s1._domainkey.example.com": good}, Pass, ""},
		{"SERVFAIL", onDomain("servfail.example"), nil, TempError, "SERVFAIL"},
		{"timeout", onDomain("slow.example"), nil, TempError, "could not be fetched"},
		{"h= without From", crafted("h=to:subject;"), map[string]string{"s1._domainkey.example.com": good}, PermError, "does not include From"},
		{"i= outside d=", crafted("h=from; i=a@evil.example;"), map[string]string{"s1._domainkey.example.com": good}, PermError, "not within the signing domain"},
		{"unknown algorithm", strings.Replace(crafted("h=from;"), "rsa-sha256", "rsa-md5", 1), nil, PermError, "rsa-md5"},
		{"l= longer than body", crafted("h=from; l=99999;"), map[string]string{"s1._domainkey.example.com": good}, Fail, "longer than"}, // invalid (was permerror: issue 10)
		{"version 2", strings.Replace(crafted("h=from;"), "v=1", "v=2", 1), nil, PermError, "v=2"},
		{"duplicate tag", crafted("h=from; d=other.example;"), nil, PermError, "twice"},
		{"signature changed", strings.Replace(signed, "Subject: hi", "Subject: HI", 1), map[string]string{"s1._domainkey.example.com": good}, Fail, "signature mismatch"},
		{"body changed", strings.Replace(signed, "Hello.", "Hello!", 1), map[string]string{"s1._domainkey.example.com": good}, Fail, "body hash mismatch"},
	} {
		res := verifyWith(t, c.msg, c.records, now)
		if len(res) != 1 {
			t.Errorf("%s: %d results", c.name, len(res))
			continue
		}
		r := res[0]
		if r.Result != c.result || !strings.Contains(r.Reason, c.reason) {
			t.Errorf("%s: %s (%s), want %s (%s)", c.name, r.Result, r.Reason, c.result, c.reason)
		}
		if len(r.Steps) == 0 || r.Steps[len(r.Steps)-1].What == "" {
			t.Errorf("%s: no steps", c.name)
		}
		if c.name == "key t=y" && !r.Testing {
			t.Errorf("%s: testing flag not set", c.name)
		}
	}
}

// rsa-sha1 is verified, and reported as "policy" (RFC 8301).
func TestDKIMRSASHA1IsPolicy(t *testing.T) {
	m, _ := Parse([]byte(plainMsg))
	body := canonBody(m.Body, true)
	bh := crypto.SHA1.New()
	bh.Write(body)
	hdr := "DKIM-Signature: v=1; a=rsa-sha1; d=example.com; s=s1; c=relaxed/relaxed; h=from:subject; bh=" +
		base64.StdEncoding.EncodeToString(bh.Sum(nil)) + "; b=\r\n"
	// Sign what the verifier will hash: the From and Subject fields, then
	// the signature field with an empty b=.
	full, _ := Parse([]byte(hdr + plainMsg))
	data := signedHeaders(indexFields(full), &signature{field: full.Fields[0], h: []string{"from", "subject"}}, true)
	sum := crypto.SHA1.New()
	sum.Write(data)
	b, err := rsa.SignPKCS1v15(rand.Reader, testRSA, crypto.SHA1, sum.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	msg := strings.Replace(hdr, "b=\r\n", "b="+base64.StdEncoding.EncodeToString(b)+"\r\n", 1) + plainMsg
	res := verifyWith(t, msg, map[string]string{"s1._domainkey.example.com": rsaRecord("")}, time.Now())
	if res[0].Result != Policy || !strings.Contains(res[0].Reason, "rsa-sha1") {
		t.Errorf("%s (%s), want policy", res[0].Result, res[0].Reason)
	}
}
