package inspect

import (
	"context"
	"strings"
	"testing"
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
