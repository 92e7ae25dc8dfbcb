package inspect

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sealtrace/sealtrace/resolver"
)

// A sender writes Received and Authentication-Results fields of its own below
// the receiver's: they must not choose the IP address SPF checks, nor be
// trusted as the receiver's claims.
func TestForgedFieldsBelowTheReceiver(t *testing.T) {
	z := resolver.NewZones()
	z.Add(resolver.TXT("bank.example", "v=spf1 ip4:192.0.2.10 -all", 300))
	z.Add(resolver.TXT("_dmarc.bank.example", "v=DMARC1; p=reject", 300))
	tail := "From: CEO <ceo@bank.example>\r\nSubject: wire transfer\r\nMessage-ID: <a@b>\r\n\r\npay now\r\n"
	for name, head := range map[string]string{
		// The receiver's edge relays to its filter host over a private
		// address; a forged older field names the filter host.
		"forged hop into the authserv-id's host": "Return-Path: <ceo@bank.example>\r\n" +
			"Authentication-Results: mail.receiver.example; spf=fail smtp.mailfrom=bank.example\r\n" +
			"Received: from mx.receiver.example (mx.receiver.example [10.0.0.5]) by mail.receiver.example (Postfix) with ESMTP id A1; Mon, 2 Mar 2026 10:00:02 +0000\r\n" +
			"Received: from evil.attacker.example (evil.attacker.example [203.0.113.66]) by mx.receiver.example (Postfix) with ESMTP id B2; Mon, 2 Mar 2026 10:00:01 +0000\r\n" +
			"Received: from out.bank.example (out.bank.example [192.0.2.10]) by mail.receiver.example (Postfix) with ESMTP id C3; Mon, 2 Mar 2026 10:00:00 +0000\r\n",
		// The receiver added no Authentication-Results; the sender's sits
		// below the receiver's Received field.
		"forged Authentication-Results below the receiver": "Return-Path: <ceo@bank.example>\r\n" +
			"Received: from evil.attacker.example (evil.attacker.example [203.0.113.66]) by mx.receiver.example (Postfix) with ESMTP id B2; Mon, 2 Mar 2026 10:00:01 +0000\r\n" +
			"Authentication-Results: relay.bank.example; spf=pass smtp.mailfrom=bank.example\r\n" +
			"Received: from out.bank.example (out.bank.example [192.0.2.10]) by relay.bank.example (Postfix) with ESMTP id C3; Mon, 2 Mar 2026 10:00:00 +0000\r\n",
		"the same with a HELO in the sender's domain and no reverse name": "Return-Path: <ceo@bank.example>\r\n" +
			"Received: from relay.bank.example (unknown [203.0.113.66]) by mx.receiver.example (Postfix) with ESMTP id B2; Mon, 2 Mar 2026 10:00:01 +0000\r\n" +
			"Authentication-Results: relay.bank.example; spf=pass smtp.mailfrom=bank.example\r\n" +
			"Received: from out.bank.example (out.bank.example [192.0.2.10]) by relay.bank.example (Postfix) with ESMTP id C3; Mon, 2 Mar 2026 10:00:00 +0000\r\n",
	} {
		now := time.Date(2026, 3, 2, 11, 0, 0, 0, time.UTC)
		rep, err := Inspect(context.Background(), []byte(head+tail), Options{Resolver: z, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		if rep.SPF.IP != "203.0.113.66" || rep.SPF.Result != Fail || rep.DMARC.Result == Pass {
			t.Errorf("%s: SPF %s for %s, DMARC %s; want SPF fail for 203.0.113.66 and no DMARC pass", name, rep.SPF.Result, rep.SPF.IP, rep.DMARC.Result)
		}
		for _, c := range rep.Claims {
			if c.Trusted && strings.Contains(c.AuthservID, "bank.example") {
				t.Errorf("%s: the sender's own Authentication-Results is trusted: %+v", name, c)
			}
		}
	}
}

// An address in the client's HELO name is never the connecting address,
// however the name is written.
func TestHELOAddressIsNotTheClient(t *testing.T) {
	for _, v := range []string{
		"from x(192.0.2.10) (unknown [203.0.113.66]) by mx.receiver.example (Postfix) with ESMTP id B2; Mon, 2 Mar 2026 10:00:01 +0000",
		"from x([192.0.2.10]) (unknown [203.0.113.66]) by mx.receiver.example (Postfix) with ESMTP id B2; Mon, 2 Mar 2026 10:00:01 +0000",
		"from (x@192.0.2.10) (unknown [203.0.113.66]) by mx.receiver.example (Postfix) with ESMTP id B2; Mon, 2 Mar 2026 10:00:01 +0000",
	} {
		if h := parseReceived(v); h.IP != "203.0.113.66" {
			t.Errorf("%s\n  IP %q, want 203.0.113.66", v, h.IP)
		}
	}
}
