package pgp

import (
	"bytes"
	"testing"
)

// FuzzSplitMultipart checks the PGP/MIME splitter on hostile bodies: parts
// are always slices of the body, never more than the limit.
func FuzzSplitMultipart(f *testing.F) {
	f.Add([]byte("--b\r\nA: 1\r\n\r\nx\r\n--b\r\ny\r\n--b--\r\n"), "b")
	f.Add([]byte("preamble\r\n--b \t\r\n\r\n--b--"), "b")
	f.Add([]byte("--b"), "b")
	f.Fuzz(func(t *testing.T, body []byte, boundary string) {
		parts, err := splitMultipart(body, boundary)
		if err != nil {
			return
		}
		if len(parts) > maxParts+1 {
			t.Fatalf("%d parts", len(parts))
		}
		for _, p := range parts {
			if !bytes.Contains(body, p) {
				t.Fatal("a part is not a piece of the body")
			}
		}
	})
}

// FuzzProcess runs the whole OpenPGP detection on arbitrary messages.
func FuzzProcess(f *testing.F) {
	f.Add([]byte("Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=e\r\n\r\n--e\r\n\r\nVersion: 1\r\n--e\r\n\r\n-----BEGIN PGP MESSAGE-----\r\n\r\nhQ==\r\n-----END PGP MESSAGE-----\r\n--e--\r\n"))
	f.Add([]byte("Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; boundary=s\r\n\r\n--s\r\n\r\nhi\r\n--s\r\n\r\n-----BEGIN PGP SIGNATURE-----\r\n\r\niQ==\r\n-----END PGP SIGNATURE-----\r\n--s--\r\n"))
	f.Add([]byte("Subject: x\r\n\r\n-----BEGIN PGP SIGNED MESSAGE-----\r\nHash: SHA256\r\n\r\nhi\r\n-----BEGIN PGP SIGNATURE-----\r\n\r\niQ==\r\n-----END PGP SIGNATURE-----\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		r := Process(raw, Options{Passphrase: []byte("x")})
		if r == nil {
			return
		}
		switch r.Signature {
		case SigGood, SigBad, SigUnknownKey, SigNone:
		default:
			t.Fatalf("signature %q", r.Signature)
		}
		if r.Signature == SigGood {
			t.Fatal("a good signature without any key")
		}
	})
}
