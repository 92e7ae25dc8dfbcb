package pipeline

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/sealtrace/sealtrace/inspect"
	"github.com/sealtrace/sealtrace/internal/testpeers/dnstest"
	"github.com/sealtrace/sealtrace/resolver"
)

// signedOriginal is a message signed by sender.example (Ed25519), and the
// zone that publishes its key, SPF and DMARC records.
func signedOriginal(t *testing.T) (string, *resolver.Zones) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	msg := "Received: from out.sender.example (out.sender.example [192.0.2.10]) by mx.sender.example (Postfix) with ESMTPS id 4XyZ1a2b3C; Mon, 23 Nov 2026 10:00:05 +0000\r\n" +
		"From: Alice <alice@sender.example>\r\nTo: nobody@example.org\r\nSubject: Quarterly figures\r\n" +
		"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <q3.figures@sender.example>\r\n\r\nThe figures are attached.\r\n"
	var out bytes.Buffer
	if err := dkim.Sign(&out, strings.NewReader(msg), &dkim.SignOptions{Domain: "sender.example", Selector: "s1", Signer: priv}); err != nil {
		t.Fatal(err)
	}
	z := resolver.NewZones()
	z.Add(resolver.TXT("s1._domainkey.sender.example", "v=DKIM1; k=ed25519; p="+base64.StdEncoding.EncodeToString(pub), 300))
	z.Add(resolver.TXT("sender.example", "v=spf1 ip4:192.0.2.0/24 -all", 300))
	z.Add(resolver.TXT("_dmarc.sender.example", "v=DMARC1; p=reject", 300))
	return out.String(), z
}

// postfixDSN is a bounce as Postfix writes it: a notice, the delivery
// status, and the returned message (whole, or its header with RET=HDRS).
func postfixDSN(original string, headersOnly bool) string {
	returned := "Content-Description: Undelivered Message\r\nContent-Type: message/rfc822\r\n\r\n" + original
	if headersOnly {
		returned = "Content-Description: Undelivered Message Headers\r\nContent-Type: text/rfc822-headers\r\n\r\n" + original[:strings.Index(original, "\r\n\r\n")+2]
	}
	return "Return-Path: <>\r\n" +
		"Received: by mx.sender.example (Postfix) id 4XyZ9q8r7S; Mon, 23 Nov 2026 10:00:09 +0000 (UTC)\r\n" +
		"Date: Mon, 23 Nov 2026 10:00:09 +0000 (UTC)\r\n" +
		"From: MAILER-DAEMON@mx.sender.example (Mail Delivery System)\r\n" +
		"Subject: Undelivered Mail Returned to Sender\r\n" +
		"To: alice@sender.example\r\n" +
		"Auto-Submitted: auto-replied\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"4XyZ9q8r7S.1763892009/mx.sender.example\"\r\n" +
		"Message-Id: <20261123100009.4XyZ9q8r7S@mx.sender.example>\r\n\r\n" +
		"This is a MIME-encapsulated message.\r\n\r\n" +
		"--4XyZ9q8r7S.1763892009/mx.sender.example\r\n" +
		"Content-Description: Notification\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" +
		"This is the mail system at host mx.sender.example.\r\n\r\nI'm sorry to have to inform you that your message could not\r\nbe delivered to one or more recipients.\r\n\r\n" +
		"<nobody@example.org>: host mx.example.org[198.51.100.25] said: 550 5.1.1\r\n    <nobody@example.org>: Recipient address rejected: User unknown\r\n\r\n" +
		"--4XyZ9q8r7S.1763892009/mx.sender.example\r\n" +
		"Content-Description: Delivery report\r\nContent-Type: message/delivery-status\r\n\r\n" +
		"Reporting-MTA: dns; mx.sender.example\r\nX-Postfix-Queue-ID: 4XyZ1a2b3C\r\nX-Postfix-Sender: rfc822; alice@sender.example\r\n" +
		"Arrival-Date: Mon, 23 Nov 2026 10:00:05 +0000 (UTC)\r\n\r\n" +
		"Final-Recipient: rfc822; nobody@example.org\r\nOriginal-Recipient: rfc822;nobody@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n" +
		"Remote-MTA: dns; mx.example.org\r\nDiagnostic-Code: smtp; 550 5.1.1 <nobody@example.org>: Recipient address\r\n    rejected: User unknown\r\n\r\n" +
		"--4XyZ9q8r7S.1763892009/mx.sender.example\r\n" + returned + "\r\n" +
		"--4XyZ9q8r7S.1763892009/mx.sender.example--\r\n"
}

// exchangeDSN is a non-delivery report as Exchange Online writes it: the
// notice as text and HTML, the delivery status, the original's header.
func exchangeDSN(original string) string {
	return "From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@sender.example>\r\n" +
		"To: <alice@sender.example>\r\nDate: Mon, 23 Nov 2026 10:00:10 +0000\r\n" +
		"Subject: Undeliverable: Quarterly figures\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"bd3a1b4c-5d6e-4f70-8192-a3b4c5d6e7f8\"\r\n" +
		"MIME-Version: 1.0\r\nMessage-ID: <c1d2e3f4-aaaa-bbbb-cccc-000011112222@AM0PR01MB1234.eurprd01.prod.exchangelabs.com>\r\n" +
		"X-MS-Exchange-Message-Is-Ndr:\r\nAuto-Submitted: auto-replied\r\n\r\n" +
		"--bd3a1b4c-5d6e-4f70-8192-a3b4c5d6e7f8\r\n" +
		"Content-Type: multipart/alternative; differences=Content-Type;\r\n\tboundary=\"a1a1a1a1-b2b2-c3c3-d4d4-e5e5e5e5e5e5\"\r\n\r\n" +
		"--a1a1a1a1-b2b2-c3c3-d4d4-e5e5e5e5e5e5\r\nContent-Type: text/plain; charset=\"us-ascii\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"Your message to nobody@example.org couldn't be delivered.\r\nnobody wasn't found at example.org.\r\n\r\n" +
		"--a1a1a1a1-b2b2-c3c3-d4d4-e5e5e5e5e5e5\r\nContent-Type: text/html; charset=\"us-ascii\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"<html><body><p>Your message to nobody@example.org couldn't be delivered.</p></body></html>\r\n\r\n" +
		"--a1a1a1a1-b2b2-c3c3-d4d4-e5e5e5e5e5e5--\r\n\r\n" +
		"--bd3a1b4c-5d6e-4f70-8192-a3b4c5d6e7f8\r\nContent-Type: message/delivery-status\r\n\r\n" +
		"Reporting-MTA: dns;AM0PR01MB1234.eurprd01.prod.exchangelabs.com\r\nReceived-From-MTA: dns;out.sender.example\r\n" +
		"Arrival-Date: Mon, 23 Nov 2026 10:00:05 +0000\r\n\r\n" +
		"Original-Recipient: rfc822;nobody@example.org\r\nFinal-Recipient: rfc822;nobody@example.org\r\nAction: failed\r\nStatus: 5.1.10\r\n" +
		"Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup\r\n\r\n" +
		"--bd3a1b4c-5d6e-4f70-8192-a3b4c5d6e7f8\r\nContent-Type: text/rfc822-headers\r\n\r\n" +
		original[:strings.Index(original, "\r\n\r\n")+4] + // Exchange ends the header with its empty line
		"\r\n--bd3a1b4c-5d6e-4f70-8192-a3b4c5d6e7f8--\r\n"
}

// A bounce is recognised and the message it returns is inspected as its
// own message, against a real DNS server on loopback: whole, its DKIM
// signature verifies (the bytes are the original's); header only, the
// report says that it has the header only and DKIM is not failed for the
// missing body.
func TestBounceReturnedMessageInspected(t *testing.T) {
	original, z := signedOriginal(t)
	srv := dnstest.Start(t, z)
	eng, err := New(Config{DNS: DNSServer, DNSServer: srv.Addr, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, dsn, status, mta, returned, dkim string
	}{
		{"postfix, whole message", postfixDSN(original, false), "5.1.1", "mx.sender.example", "message", inspect.Pass},
		{"postfix, RET=HDRS", postfixDSN(original, true), "5.1.1", "mx.sender.example", "headers", inspect.Neutral},
		{"exchange, headers", exchangeDSN(original), "5.1.10", "AM0PR01MB1234.eurprd01.prod.exchangelabs.com", "headers", inspect.Neutral},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []Result
			if err := eng.Run(context.Background(), Bytes("bounce", []byte(c.dsn)), func(r Result) bool { got = append(got, r); return true }); err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 {
				t.Fatalf("%d results, want the bounce and the returned message", len(got))
			}
			outer, inner := got[0].Report, got[1].Report
			b := outer.Bounce
			if b == nil {
				t.Fatalf("the bounce is not recognised: %+v", outer.Warnings)
			}
			if b.ReportingMTA != c.mta || b.Returned != c.returned || len(b.Recipients) != 1 {
				t.Fatalf("bounce %+v", b)
			}
			r := b.Recipients[0]
			if r.FinalRecipient != "nobody@example.org" || r.Action != "failed" || r.Status != c.status || !strings.Contains(r.DiagnosticCode, "550 5.1.") {
				t.Errorf("recipient %+v", r)
			}
			if !strings.Contains(strings.Join(outer.Warnings, "\n"), "bounce") {
				t.Errorf("the bounce's report does not say it is one: %q", outer.Warnings)
			}
			if inner.Source != "bounce#1/returned" || !got[1].Item.Returned {
				t.Errorf("returned message named %q", inner.Source)
			}
			if inner.MessageID != "<q3.figures@sender.example>" {
				t.Errorf("returned message's Message-ID %q", inner.MessageID)
			}
			if len(inner.DKIM) != 1 || inner.DKIM[0].Result != c.dkim || inner.DKIM[0].Domain != "sender.example" {
				t.Errorf("returned message's DKIM %+v", inner.DKIM)
			}
			if inner.SPF.IP != "192.0.2.10" {
				t.Errorf("returned message's SPF IP %q, want the original's sending hop", inner.SPF.IP)
			}
			if inner.DNSSource.Kind != resolver.SourceServer {
				t.Errorf("dns source %+v", inner.DNSSource)
			}
		})
	}
}

// A hostile bounce: one returning a bounce returning a bounce… yields the
// outer and one returned message, not the whole chain; one with a
// delivery-status part of thousands of recipients keeps a bounded number;
// deep MIME nesting is an error, not a crash.
func TestBounceHostile(t *testing.T) {
	original, _ := signedOriginal(t)
	nested := original
	for range 30 {
		nested = postfixDSN(nested, false)
	}
	n := 0
	err := offline(t, 2).Run(context.Background(), Bytes("nested", []byte(nested)), func(r Result) bool {
		n++
		if n == 1 && r.Report.Bounce == nil {
			t.Errorf("the outer bounce is not recognised")
		}
		return true
	})
	if err != nil || n != 2 {
		t.Errorf("nested bounces: %d results (%v), want 2", n, err)
	}

	var groups strings.Builder
	for i := range 50000 {
		fmt.Fprintf(&groups, "Final-Recipient: rfc822; u%d@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; %s\r\n\r\n", i, strings.Repeat("x", 200))
	}
	huge := strings.Replace(postfixDSN(original, true), "Final-Recipient: rfc822; nobody@example.org\r\n", groups.String()+"Final-Recipient: rfc822; nobody@example.org\r\n", 1)
	var got []Result
	offline(t, 2).Run(context.Background(), Bytes("huge", []byte(huge)), func(r Result) bool { got = append(got, r); return true })
	if len(got) != 2 || got[0].Report.Bounce == nil {
		t.Fatalf("huge bounce: %d results", len(got))
	}
	if k := len(got[0].Report.Bounce.Recipients); k == 0 || k > 100 {
		t.Errorf("huge bounce keeps %d recipients", k)
	}
	if w := strings.Join(got[0].Report.Warnings, "\n"); len(w) > 4000 {
		t.Errorf("the bounce's warning is %d bytes", len(w))
	}

	deep := "Content-Type: multipart/report; report-type=delivery-status; boundary=b0\r\n\r\n"
	for i := range 5000 {
		deep += fmt.Sprintf("--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i, i+1)
	}
	got = nil
	offline(t, 1).Run(context.Background(), Bytes("deep", []byte("From: a@example.com\r\n"+deep)), func(r Result) bool { got = append(got, r); return true })
	if len(got) != 1 {
		t.Errorf("deep nesting: %d results", len(got))
	}
}
