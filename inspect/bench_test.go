package inspect

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/sealtrace/sealtrace/resolver"
)

// BenchmarkInspect100KB inspects one 100 KB message with an RSA-2048
// relaxed/relaxed signature against an offline zone: the engine's cost per
// message, without I/O. (make bench compares the CLI with dkimpy.)
func BenchmarkInspect100KB(b *testing.B) {
	var body strings.Builder
	for body.Len() < 100*1024 {
		body.WriteString("the quarterly  numbers are attached\tand the meeting moved to thursday \r\n")
	}
	msg := "Return-Path: <alice@example.com>\r\nReceived: from mail.example.com (mail.example.com [192.0.2.10]) by mx; Mon, 23 Nov 2026 10:00:00 +0000\r\n" +
		"From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: numbers\r\nDate: Mon, 23 Nov 2026 09:59:00 +0000\r\n\r\n" + body.String()
	var signed strings.Builder
	if err := dkim.Sign(&signed, strings.NewReader(msg), &dkim.SignOptions{Domain: "example.com", Selector: "s1", Signer: testRSA,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed}); err != nil {
		b.Fatal(err)
	}
	z := resolver.NewZones()
	z.Add(resolver.TXT("s1._domainkey.example.com", rsaRecord(""), 300))
	z.Add(resolver.TXT("example.com.", "v=spf1 ip4:192.0.2.0/24 -all", 300))
	z.Add(resolver.TXT("_dmarc.example.com.", "v=DMARC1; p=reject", 300))
	raw := []byte(signed.String())
	now := time.Now()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		rep, err := Inspect(context.Background(), raw, Options{Resolver: z, Now: func() time.Time { return now }})
		if err != nil || rep.DKIM[0].Result != Pass {
			b.Fatalf("%v %+v", err, rep.DKIM)
		}
	}
}
