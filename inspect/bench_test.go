package inspect

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
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

// manyLengths returns a message with a 10 MB body and n DKIM signatures of
// example.com, each with its own l= (relaxed/relaxed, rsa-sha256, valid),
// and the zone with the key.
func manyLengths(tb testing.TB, n int) ([]byte, *resolver.Zones) {
	var body strings.Builder
	for body.Len() < 10<<20 {
		body.WriteString("the quarterly  numbers are attached\tand the meeting moved to thursday \r\n")
	}
	head := "Received: from mail.example.com (mail.example.com [192.0.2.10]) by mx; Mon, 23 Nov 2026 10:00:00 +0000\r\n" +
		"From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: numbers\r\nDate: Mon, 23 Nov 2026 09:59:00 +0000\r\n"
	canon := canonBody([]byte(body.String()), true)
	// The body hash of each prefix, in one pass (a hash's Sum does not
	// change its state).
	lengths := make([]int, n)
	for i := range lengths {
		lengths[i] = len(canon) - (n-1-i)*997 - 1
	}
	h := sha256.New()
	done := 0
	var sigs []string
	for _, l := range lengths {
		h.Write(canon[done:l])
		done = l
		field := fmt.Sprintf("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=s1; h=from:to:subject:date; l=%d; bh=%s; b=AAAA\r\n",
			l, base64.StdEncoding.EncodeToString(h.Sum(nil)))
		m, err := Parse([]byte(field + head + "\r\n"))
		if err != nil {
			tb.Fatal(err)
		}
		sig, perr := parseSigCommon(m.Fields[0], true)
		if perr != nil {
			tb.Fatal(perr)
		}
		sum := sha256.Sum256(signedHeaders(indexFields(m), sig, true))
		b, err := rsa.SignPKCS1v15(rand.Reader, testRSA, crypto.SHA256, sum[:])
		if err != nil {
			tb.Fatal(err)
		}
		sigs = append(sigs, strings.Replace(field, "b=AAAA\r\n", "b="+base64.StdEncoding.EncodeToString(b)+"\r\n", 1))
	}
	slices.Reverse(sigs) // the longest l= on top
	z := resolver.NewZones()
	z.Add(resolver.TXT("s1._domainkey.example.com", rsaRecord(""), 300))
	z.Add(resolver.TXT("example.com.", "v=spf1 ip4:192.0.2.0/24 -all", 300))
	z.Add(resolver.TXT("_dmarc.example.com.", "v=DMARC1; p=reject", 300))
	return []byte(strings.Join(sigs, "") + head + "\r\n" + body.String()), z
}

// BenchmarkManyLengths: 300 signatures with distinct l= over a 10 MB body
// must cost no more than a few times one signature (issue 9): compare
// sigs=300 with sigs=1.
func BenchmarkManyLengths(b *testing.B) {
	for _, n := range []int{1, 300} {
		raw, z := manyLengths(b, n)
		now := time.Now()
		b.Run(fmt.Sprintf("sigs=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				rep, err := Inspect(context.Background(), raw, Options{Resolver: z, Now: func() time.Time { return now }})
				if err != nil || rep.DKIM[0].Result != Pass || rep.DKIM[min(n, DefaultMaxDKIMSignatures)-1].Result != Pass {
					b.Fatalf("%v %s %s", err, rep.DKIM[0].Result, rep.DKIM[0].Reason)
				}
			}
		})
	}
}
