package inspect

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/sealtrace/sealtrace/resolver"
)

// Tests of issue 9's "bounded work" and "results that mean what they say":
// deterministic reports, the signature cap, the header index, the message
// deadline, DMARC temperror and d=/s= syntax.

// multiSigned returns plainMsg (with a Received field, so that SPF asks DNS
// too) signed by n domains d0.example … and the zone that publishes their
// keys, SPF and DMARC records.
func multiSigned(t testing.TB, n int) (string, *resolver.Zones) {
	t.Helper()
	z := resolver.NewZones()
	msg := "Received: from mail.example.com (mail.example.com [192.0.2.10]) by mx.receiver.test; Mon, 23 Nov 2026 10:00:05 +0000\r\n" + plainMsg
	for i := range n {
		d := fmt.Sprintf("d%d.example", i)
		var out bytes.Buffer
		if err := dkim.Sign(&out, strings.NewReader(msg), &dkim.SignOptions{Domain: d, Selector: "s1", Signer: testRSA}); err != nil {
			t.Fatal(err)
		}
		msg = out.String()
		z.Add(resolver.TXT("s1._domainkey."+d, rsaRecord(""), 300))
		z.Add(resolver.TXT("_dmarc."+d, "v=DMARC1; p=none", 300))
	}
	z.Add(resolver.TXT("example.com", "v=spf1 a mx include:spf.example.net ip4:192.0.2.0/24 -all", 300))
	z.Add(resolver.TXT("spf.example.net", "v=spf1 ip4:198.51.100.0/24 -all", 300))
	z.Add(resolver.TXT("_dmarc.example.com", "v=DMARC1; p=reject", 300))
	return msg, z
}

// The JSON report is the same bytes for the same message and evaluation
// time, although SPF, DKIM and ARC ask DNS concurrently (issue 9).
func TestReportJSONDeterministic(t *testing.T) {
	msg, z := multiSigned(t, 6)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	var first []byte
	for i := range 50 {
		rep, err := Inspect(context.Background(), []byte(msg), Options{Resolver: z, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = b
			if len(rep.DNS) < 8 {
				t.Fatalf("only %d DNS questions; the test needs several concurrent checks", len(rep.DNS))
			}
			continue
		}
		if !bytes.Equal(b, first) {
			t.Fatalf("run %d gave a different JSON report than run 0:\n%s\n---\n%s", i, first, b)
		}
	}
}
