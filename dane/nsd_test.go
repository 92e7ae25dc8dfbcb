package dane

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealtrace/sealtrace/internal/testpeers/dnstest"
	"github.com/sealtrace/sealtrace/resolver"
)

// The DANE integration test: zones signed at test time by BIND's
// dnssec-signzone (NSEC and NSEC3, a tampered signature, expired
// signatures, an unsigned delegation), served by a real NSD on loopback,
// validated by Sealtrace from a trust anchor made for the test's "test."
// zone (internal/dnstest.StartSignedZones).

func validatorFor(t testing.TB, z *dnstest.SignedZones, anchorFile string) *resolver.Validator {
	t.Helper()
	anchors, err := resolver.LoadAnchorsFile(anchorFile)
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := resolver.NewServer(z.Addr)
	return &resolver.Validator{Server: srv, Anchors: anchors}
}

func TestDANEAgainstNSD(t *testing.T) {
	z := dnstest.StartSignedZones(t)
	v := validatorFor(t, z, z.Anchor)
	ctx := context.Background()
	for _, c := range []struct {
		email, status, reason string
	}{
		{"alice@secure.test", StatusSecure, ""},
		{"nobody@secure.test", StatusAbsentSecure, ""},
		{"alice@nsec3.test", StatusSecure, ""},
		{"nobody@nsec3.test", StatusAbsentSecure, ""},
		{"alice@insecure.test", StatusInsecure, ""},
		{"nobody@insecure.test", StatusAbsentInsecure, ""},
		{"alice@bogus.test", StatusBogus, "bad signature"},
		{"alice@nowhere.test", StatusAbsentSecure, ""}, // NXDOMAIN in test., proven by NSEC
	} {
		r := Lookup(ctx, v, c.email)
		if r.Status != c.status || !strings.Contains(r.Reason, c.reason) {
			t.Errorf("%s: %s (%s), want %s (%s)", c.email, r.Status, r.Reason, c.status, c.reason)
			for _, s := range r.Steps {
				t.Logf("  %s: %s", s.Result, s.What)
			}
		}
		if (c.status == StatusSecure || c.status == StatusInsecure) && r.KeyFingerprint != z.KeyFpr {
			t.Errorf("%s: key %s, want %s", c.email, r.KeyFingerprint, z.KeyFpr)
		}
		// BIND's delv, validating the same answers itself, agrees.
		if d := delvStatus(t, z, c.email); d != r.Status {
			t.Errorf("%s: Sealtrace %s, delv %s", c.email, r.Status, d)
		}
	}
	// Two days later, expired.test.'s one-hour signatures have expired while
	// the others (30 days) still hold.
	later := validatorFor(t, z, z.Anchor)
	later.Now = func() time.Time { return time.Now().Add(48 * time.Hour) }
	if r := Lookup(ctx, later, "alice@expired.test"); r.Status != StatusBogus || !strings.Contains(r.Reason, "expired") {
		t.Errorf("expired: %s (%s)", r.Status, r.Reason)
	}
	if r := Lookup(ctx, later, "alice@secure.test"); r.Status != StatusSecure {
		t.Errorf("secure.test two days later: %s (%s)", r.Status, r.Reason)
	}
	// A wrong anchor: the DNSKEY set of test. matches nothing.
	wrong := filepath.Join(z.Dir, "wrong.ds")
	os.WriteFile(wrong, []byte("test. IN DS 12345 13 2 "+strings.Repeat("AB", 32)+"\n"), 0o644)
	if r := Lookup(ctx, validatorFor(t, z, wrong), "alice@secure.test"); r.Status != StatusBogus {
		t.Errorf("wrong anchor: %s (%s)", r.Status, r.Reason)
	}
}

// delvStatus asks BIND's delv for an address's record, with the test's
// anchor, and names its verdict with this package's words.
func delvStatus(t *testing.T, z *dnstest.SignedZones, email string) string {
	t.Helper()
	delv, err := exec.LookPath("delv")
	if err != nil {
		t.Fatalf("delv is not installed (make test installs bind9-dnsutils): %v", err)
	}
	ds, err := os.ReadFile(z.Anchor)
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(ds)) // test. IN DS tag alg digest-type digest...
	conf := filepath.Join(z.Dir, "delv.conf")
	anchor := fmt.Sprintf("trust-anchors {\n  test. static-ds %s %s %s \"%s\";\n};\n", f[3], f[4], f[5], strings.Join(f[6:], ""))
	if err := os.WriteFile(conf, []byte(anchor), 0o644); err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(z.Addr, ":")
	q, _, _ := OwnerName(email)
	out, _ := exec.Command(delv, "@"+host, "-p", port, "-a", conf, "+root=test.", q, "OPENPGPKEY").CombinedOutput()
	text := string(out)
	switch {
	case strings.Contains(text, "; negative response, fully validated"):
		return StatusAbsentSecure
	case strings.Contains(text, "; negative response, unsigned answer"):
		return StatusAbsentInsecure
	case strings.Contains(text, "; fully validated"):
		return StatusSecure
	case strings.Contains(text, "; unsigned answer"):
		return StatusInsecure
	case strings.Contains(text, "resolution failed"):
		return StatusBogus
	}
	return "unknown: " + text
}
