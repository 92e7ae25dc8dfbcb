package pgp

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestClearSignedPlaintextLikeGnuPG: plaintext_sha256 of an inline
// clear-signed message is the SHA-256 of what gpg --decrypt outputs for the
// message's CRLF form: dash-escaped lines unescaped, trailing whitespace
// dropped (RFC 9580 7.1), every line ended by CRLF, the last one too. The
// same message stored with LF line ends (an mbox) gives the same sum.
func TestClearSignedPlaintextLikeGnuPG(t *testing.T) {
	g := newGnuPG(t)
	fb := g.genKey("Facebook <security@facebookmail.com>", "")
	kr, err := ReadKeyring(bytes.NewReader(g.run(nil, "--armor", "--export", fb)))
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{
		"Your code is 123456.\n",
		"- a line that starts with a dash\n-----\nFrom the bank  \t\ntrailing blanks\n\n\n",
		"no final line end",
		"\n",
	} {
		armored := g.run([]byte(text), "--clearsign", "-u", fb)
		crlf := bytes.ReplaceAll(armored, []byte("\n"), []byte("\r\n"))
		want := sha256.Sum256(g.run(crlf, "--decrypt"))
		for _, form := range []struct {
			name string
			msg  []byte
		}{
			{"CRLF", append([]byte("From: security@facebookmail.com\r\nSubject: inline\r\n\r\n"), crlf...)},
			{"LF", append([]byte("From: security@facebookmail.com\nSubject: inline\n\n"), armored...)},
		} {
			r := Process(form.msg, Options{Keyring: kr})
			if r == nil || r.Kind != KindInlineSigned || r.Signature != SigGood {
				t.Fatalf("%q (%s): %+v", text, form.name, r)
			}
			if r.PlaintextSHA256 != hex.EncodeToString(want[:]) {
				t.Errorf("%q (%s): plaintext_sha256 %s, gpg --decrypt gives %s", text, form.name, r.PlaintextSHA256, hex.EncodeToString(want[:]))
			}
		}
	}
}

// TestUnknownKeyIssuerFingerprint: a signature by a key Sealtrace does not
// have still names its signer by fingerprint when the signature carries an
// Issuer Fingerprint subpacket (RFC 9580 5.2.3.35), as gpg does: gpg's
// ERRSIG status line (NO_PUBKEY) ends with the same fingerprint.
func TestUnknownKeyIssuerFingerprint(t *testing.T) {
	g := newGnuPG(t)
	mallory := g.genKey("Mallory <mallory@evil.example>", "")
	first := []byte("Content-Type: text/plain; charset=utf-8\r\n\r\nYour code is 123456.\r\n")
	detached := g.run(first, "--armor", "--detach-sign", "-u", mallory)
	clear := g.run([]byte("hi\n"), "--clearsign", "-u", mallory)
	inlineSigned := g.run([]byte("hi\n"), "--armor", "--sign", "-u", mallory)

	// What gpg says with an empty keyring of its own.
	empty := newGnuPG(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "m"), first, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "m.asc"), detached, 0o600); err != nil {
		t.Fatal(err)
	}
	status, _ := exec.Command(empty.bin, "--homedir", empty.home, "--batch", "--status-fd", "1", "--verify", filepath.Join(dir, "m.asc"), filepath.Join(dir, "m")).Output()
	var gpgFpr string
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[1] == "ERRSIG" {
			gpgFpr = f[len(f)-1]
		}
	}
	if !strings.EqualFold(gpgFpr, mallory) {
		t.Fatalf("gpg's ERRSIG names %q, not %s:\n%s", gpgFpr, mallory, status)
	}

	for _, c := range []struct {
		name string
		msg  []byte
	}{
		{"PGP/MIME signed", mimeSignedMessage(first, detached)},
		{"inline clear-signed", append([]byte("Subject: inline\r\n\r\n"), clear...)},
		{"inline signed", append([]byte("Subject: inline\r\n\r\n"), inlineSigned...)},
	} {
		r := Process(c.msg, Options{})
		if r == nil {
			t.Fatalf("%s: no OpenPGP content", c.name)
		}
		if r.Signature != SigUnknownKey || r.SignerFingerprint != strings.ToUpper(gpgFpr) || !strings.HasSuffix(r.SignerFingerprint, r.SignerKeyID) {
			t.Errorf("%s: signature %q fingerprint %q key id %q (error %q), want unknown_key %s", c.name, r.Signature, r.SignerFingerprint, r.SignerKeyID, r.Error, strings.ToUpper(gpgFpr))
		}
	}
}
