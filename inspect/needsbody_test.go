package inspect

import (
	"context"
	"strings"
	"testing"

	"github.com/sealtrace/sealtrace/resolver"
)

// Pasted headers say which checks needed the body: each DKIM signature's
// body hash, and OpenPGP (named as such when the Content-Type says the
// message is PGP/MIME). A whole message lists nothing.
func TestHeadersOnlyNeedsBody(t *testing.T) {
	msg, z := multiSigned(t, 2)
	rep, err := Inspect(context.Background(), []byte(msg), Options{Resolver: z})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.NeedsBody) != 0 {
		t.Errorf("a whole message needs its body? %+v", rep.NeedsBody)
	}
	head := msg[:strings.Index(msg, "\r\n\r\n")+2]
	pgpHead := head + "Content-Type: multipart/signed; micalg=pgp-sha256; protocol=\"application/pgp-signature\"; boundary=x\r\n"
	rep, err = Inspect(context.Background(), []byte(pgpHead), Options{Resolver: z})
	if err != nil {
		t.Fatal(err)
	}
	var dkim, pgp []string
	for _, n := range rep.NeedsBody {
		switch n.Check {
		case "dkim":
			dkim = append(dkim, n.What)
		case "pgp":
			pgp = append(pgp, n.What)
		}
	}
	if len(dkim) != 2 || !strings.Contains(dkim[0], "d=d1.example") || !strings.Contains(dkim[0], "bh=") {
		t.Errorf("DKIM needs: %q", dkim)
	}
	if len(pgp) != 1 || !strings.Contains(pgp[0], "RFC 3156") {
		t.Errorf("PGP needs: %q", pgp)
	}
	if txt := rep.Text(false); !strings.Contains(txt, "needs the body: DKIM d=d1.example") {
		t.Errorf("text:\n%s", txt)
	}
	if md := rep.Markdown(); !strings.Contains(md, "Needs the body: OpenPGP") {
		t.Errorf("markdown:\n%s", md)
	}
	plainHead := head
	rep, _ = Inspect(context.Background(), []byte(plainHead), Options{Resolver: z})
	if n := rep.NeedsBody[len(rep.NeedsBody)-1]; n.Check != "pgp" || strings.Contains(n.What, "RFC 3156") {
		t.Errorf("plain headers' PGP need: %+v", n)
	}
}

// The "id" clause of a Received field is the receiving server's queue id,
// which a support engineer greps the server's logs for.
func TestReceivedQueueID(t *testing.T) {
	for _, c := range []struct{ v, id string }{
		{"from out.sender.example (out.sender.example [192.0.2.10]) by mx.example.org (Postfix) with ESMTPS id 4XyZ1a2b3C for <bob@example.org>; Mon, 23 Nov 2026 10:00:05 +0000", "4XyZ1a2b3C"},
		{"from [192.0.2.1] (helo=x) by mail.example.net with esmtpsa (Exim 4.96) id 1tAbCd-000XyZ-2Q; Mon, 23 Nov 2026 10:00:05 +0000", "1tAbCd-000XyZ-2Q"},
		{"from AM0PR01MB1234.eurprd01.prod.exchangelabs.com (2603:10a6::1) by AM0PR01MB5678.eurprd01.prod.exchangelabs.com with HTTPS id 15.20.8158.12; Mon, 23 Nov 2026 10:00:05 +0000", "15.20.8158.12"},
		{"by mx.example.org with LMTP id <abc@x>; Mon, 23 Nov 2026 10:00:05 +0000", "abc@x"},
		{"from a by b; Mon, 23 Nov 2026 10:00:05 +0000", ""},
	} {
		if got := parseReceived(c.v).ID; got != c.id {
			t.Errorf("%s: id %q, want %q", c.v, got, c.id)
		}
	}
}

// A header-only message that is a slice of a larger buffer (a bounce's
// returned header) is read without writing past its end: the bytes after
// it belong to the caller (they were the bounce itself, inspected at the
// same time by another worker).
func TestHeadersOnlyDoesNotWritePastSlice(t *testing.T) {
	buf := []byte("From: a@example.com\r\nSubject: x" + "--REST OF THE BOUNCE")
	n := len("From: a@example.com\r\nSubject: x")
	z := resolver.NewZones()
	if _, err := Inspect(context.Background(), buf[:n], Options{Resolver: z}); err != nil {
		t.Fatal(err)
	}
	if got := string(buf[n:]); got != "--REST OF THE BOUNCE" {
		t.Errorf("the caller's bytes after the message became %q", got)
	}
}
