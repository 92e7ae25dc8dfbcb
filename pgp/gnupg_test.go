package pgp

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Interop with GnuPG: keys and messages are made at test time by gpg in a
// throwaway GNUPGHOME; Sealtrace decrypts and verifies them.

type gnupg struct {
	t    testing.TB
	home string
	bin  string
}

func newGnuPG(t testing.TB) *gnupg {
	t.Helper()
	bin, err := exec.LookPath("gpg")
	if err != nil {
		t.Fatalf("gpg is not installed (make test installs gnupg): %v", err)
	}
	home, err := os.MkdirTemp("", "gpg") // short: gpg-agent's socket path is limited
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(home, 0o700); err != nil {
		t.Fatal(err)
	}
	g := &gnupg{t: t, home: home, bin: bin}
	t.Cleanup(func() {
		_ = exec.Command("gpgconf", "--homedir", home, "--kill", "all").Run()
		os.RemoveAll(home)
	})
	return g
}

// run runs gpg with stdin and returns stdout.
func (g *gnupg) run(stdin []byte, args ...string) []byte {
	g.t.Helper()
	cmd := exec.Command(g.bin, append([]string{"--homedir", g.home, "--batch", "--yes", "--no-tty", "--pinentry-mode", "loopback", "--trust-model", "always"}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		g.t.Fatalf("gpg %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// genKey makes an Ed25519/Curve25519 key (gpg's future-default) and
// returns its fingerprint.
func (g *gnupg) genKey(uid, pass string) string {
	g.t.Helper()
	args := []string{"--passphrase", pass, "--quick-gen-key", uid, "future-default", "default", "0"}
	g.run(nil, args...)
	out := g.run(nil, "--with-colons", "--list-keys", uid)
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "fpr:") {
			return strings.Split(line, ":")[9]
		}
	}
	g.t.Fatalf("no fingerprint for %s", uid)
	return ""
}

const innerEntity = "Content-Type: multipart/alternative; boundary=\"inner\"\r\n\r\n" +
	"--inner\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSomeone logged in to your account from a new device.\r\n" +
	"--inner\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Someone logged in to your account from a new device.</p>\r\n" +
	"--inner--\r\n"

func mimeEncryptedMessage(armored []byte) []byte {
	return []byte("From: Facebook <security@facebookmail.com>\r\nTo: alice@example.com\r\nSubject: Login alert\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"enc\"\r\n\r\n" +
		"--enc\r\nContent-Type: application/pgp-encrypted\r\nContent-Description: PGP/MIME version identification\r\n\r\nVersion: 1\r\n\r\n" +
		"--enc\r\nContent-Type: application/octet-stream; name=\"encrypted.asc\"\r\nContent-Disposition: inline; filename=\"encrypted.asc\"\r\n\r\n" +
		strings.ReplaceAll(string(armored), "\n", "\r\n") + "\r\n--enc--\r\n")
}

func mimeSignedMessage(first, armoredSig []byte) []byte {
	return []byte("From: Facebook <security@facebookmail.com>\r\nSubject: signed\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/signed; micalg=pgp-sha256; protocol=\"application/pgp-signature\"; boundary=\"sig\"\r\n\r\n" +
		"--sig\r\n" + string(first) + "\r\n--sig\r\nContent-Type: application/pgp-signature; name=\"signature.asc\"\r\n\r\n" +
		strings.ReplaceAll(string(armoredSig), "\n", "\r\n") + "\r\n--sig--\r\n")
}

func TestGnuPGInterop(t *testing.T) {
	g := newGnuPG(t)
	alice := g.genKey("Alice <alice@example.com>", "alice-pass")
	fb := g.genKey("Facebook <security@facebookmail.com>", "")
	mallory := g.genKey("Mallory <mallory@evil.example>", "")
	g.genKey("Bob <bob@example.net>", "")

	// Sealtrace's keyring: Alice's secret key (locked) and Facebook's public key.
	var ring bytes.Buffer
	ring.Write(g.run(nil, "--passphrase", "alice-pass", "--armor", "--export-secret-keys", alice))
	ring.Write(g.run(nil, "--armor", "--export", fb))
	kr, err := ReadKeyring(&ring)
	if err != nil {
		t.Fatal(err)
	}
	if kr.Len() != 2 {
		t.Fatalf("%d keys in the keyring", kr.Len())
	}
	opts := Options{Keyring: kr, Passphrase: []byte("alice-pass")}

	// A Facebook-style notification: encrypted to Alice, signed by Facebook.
	encSigned := g.run([]byte(innerEntity), "--armor", "--encrypt", "--sign", "-r", alice, "-u", fb)
	fbMsg := mimeEncryptedMessage(encSigned)
	innerSum := sha256.Sum256([]byte(innerEntity))

	// PGP/MIME signed: the signature covers the first part's exact bytes.
	first := []byte("Content-Type: text/plain; charset=utf-8\r\n\r\nYour code is 123456.\r\n")
	detached := g.run(first, "--armor", "--detach-sign", "-u", fb, "--digest-algo", "SHA256")
	signedMsg := mimeSignedMessage(first, detached)
	tampered := bytes.Replace(signedMsg, []byte("123456"), []byte("654321"), 1)
	byMallory := mimeSignedMessage(first, g.run(first, "--armor", "--detach-sign", "-u", mallory))

	// Encrypted to Bob only; inline forms; sign-then-encrypt nested.
	toBob := mimeEncryptedMessage(g.run([]byte(innerEntity), "--armor", "--encrypt", "-r", "bob@example.net"))
	clearSigned := append([]byte("From: security@facebookmail.com\r\nSubject: inline\r\n\r\n"),
		bytes.ReplaceAll(g.run([]byte("Your code is 123456.\n"), "--clearsign", "-u", fb), []byte("\n"), []byte("\r\n"))...)
	inlineEnc := append([]byte("From: security@facebookmail.com\r\nSubject: inline\r\n\r\n"),
		bytes.ReplaceAll(g.run([]byte("secret text\n"), "--armor", "--encrypt", "--sign", "-r", alice, "-u", fb), []byte("\n"), []byte("\r\n"))...)
	nestedInner := mimeSignedMessage(first, detached)
	nested := mimeEncryptedMessage(g.run(nestedInner, "--armor", "--encrypt", "-r", alice))

	fbFpr := strings.ToUpper(fb)
	for _, c := range []struct {
		name      string
		msg       []byte
		opts      Options
		kind      string
		decrypted bool
		sig       string
		signer    string
		errHas    string
		sum       string
	}{
		{"facebook-style", fbMsg, opts, KindMIMEEncrypted, true, SigGood, fbFpr, "", hex.EncodeToString(innerSum[:])},
		{"pgp/mime signed", signedMsg, opts, KindMIMESigned, false, SigGood, fbFpr, "", ""},
		{"tampered", tampered, opts, KindMIMESigned, false, SigBad, "", "bad signature", ""},
		{"unknown signer", byMallory, opts, KindMIMESigned, false, SigUnknownKey, "", "", ""},
		{"encrypted to someone else", toBob, opts, KindMIMEEncrypted, false, SigNone, "", "no private key for any recipient", ""},
		{"wrong passphrase", fbMsg, Options{Keyring: kr, Passphrase: []byte("nope")}, KindMIMEEncrypted, false, SigNone, "", "wrong passphrase", ""},
		{"no passphrase", fbMsg, Options{Keyring: kr}, KindMIMEEncrypted, false, SigNone, "", "no passphrase", ""},
		{"inline clear-signed", clearSigned, opts, KindInlineSigned, false, SigGood, fbFpr, "", ""},
		{"inline encrypted", inlineEnc, opts, KindInlineEncrypt, true, SigGood, fbFpr, "", ""},
		{"signed then encrypted", nested, opts, KindMIMEEncrypted, true, SigGood, fbFpr, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := Process(c.msg, c.opts)
			if r == nil {
				t.Fatal("no OpenPGP content found")
			}
			if r.Kind != c.kind || r.Decrypted != c.decrypted || r.Signature != c.sig {
				t.Errorf("kind %q decrypted %v signature %q (error %q), want %q %v %q", r.Kind, r.Decrypted, r.Signature, r.Error, c.kind, c.decrypted, c.sig)
			}
			if c.signer != "" && r.SignerFingerprint != c.signer {
				t.Errorf("signer %s, want %s", r.SignerFingerprint, c.signer)
			}
			if c.errHas != "" && !strings.Contains(r.Error, c.errHas) {
				t.Errorf("error %q, want it to say %q", r.Error, c.errHas)
			}
			if c.errHas == "" && r.Error != "" {
				t.Errorf("unexpected error %q", r.Error)
			}
			if c.sum != "" && r.PlaintextSHA256 != c.sum {
				t.Errorf("plaintext sha256 %s, want %s", r.PlaintextSHA256, c.sum)
			}
		})
	}
	// A key made to expire says so.
	g.run(nil, "--passphrase", "", "--quick-gen-key", "Dave <dave@example.com>", "future-default", "default", "2035-01-01")
	daveRing, _ := ReadKeyring(bytes.NewReader(g.run(nil, "--armor", "--export", "dave@example.com")))
	daveSigned := mimeSignedMessage(first, g.run(first, "--armor", "--detach-sign", "-u", "dave@example.com"))
	if r := Process(daveSigned, Options{Keyring: daveRing}); r.Signature != SigGood || !strings.HasPrefix(r.SignerKeyExpires, "2035-01-01") {
		t.Errorf("expiring key: %q expires %q", r.Signature, r.SignerKeyExpires)
	}
	// The unknown signer is named by key id, so a user can look the key up.
	if r := Process(byMallory, opts); r.SignerKeyID == "" || !strings.HasSuffix(strings.ToUpper(mallory), r.SignerKeyID) {
		t.Errorf("unknown signer key id %q, want the end of %s", r.SignerKeyID, mallory)
	}
	clearByMallory := append([]byte("Subject: inline\r\n\r\n"), g.run([]byte("hi\n"), "--clearsign", "-u", mallory)...)
	if r := Process(clearByMallory, opts); r.Signature != SigUnknownKey || !strings.HasSuffix(strings.ToUpper(mallory), r.SignerKeyID) {
		t.Errorf("inline, unknown signer: %q key id %q", r.Signature, r.SignerKeyID)
	}
	// gpg itself decrypts the notification to the same plaintext.
	plain := g.run(fbMsgPart(t, fbMsg), "--passphrase", "alice-pass", "--decrypt")
	if got := Process(fbMsg, opts); !bytes.Equal(got.Plaintext, plain) {
		t.Errorf("Sealtrace's plaintext differs from gpg --decrypt's")
	}
}

// fbMsgPart returns the armored message of a multipart/encrypted message.
func fbMsgPart(t testing.TB, msg []byte) []byte {
	i := bytes.Index(msg, []byte("-----BEGIN PGP MESSAGE-----"))
	j := bytes.Index(msg, []byte("-----END PGP MESSAGE-----"))
	if i < 0 || j < 0 {
		t.Fatal("no armored message")
	}
	return msg[i : j+len("-----END PGP MESSAGE-----")]
}

// A key in the message's Autocrypt header verifies its signature when the
// keyring does not know the signer; the result says where the key came from.
func TestAutocryptKeySource(t *testing.T) {
	g := newGnuPG(t)
	carol := g.genKey("Carol <carol@example.org>", "")
	keydata := g.run(nil, "--export", carol) // binary, as Autocrypt wants
	first := []byte("Content-Type: text/plain\r\n\r\nhello\r\n")
	sig := g.run(first, "--armor", "--detach-sign", "-u", carol)
	body := mimeSignedMessage(first, sig)
	header := func(addr string) []byte {
		return []byte("Autocrypt: addr=" + addr + "; prefer-encrypt=mutual; keydata=" + base64.StdEncoding.EncodeToString(keydata) + "\r\n")
	}
	withFrom := func(from string, b []byte) []byte {
		return bytes.Replace(b, []byte("From: Facebook <security@facebookmail.com>"), []byte("From: "+from), 1)
	}
	// From carol, with her Autocrypt header: good, from autocrypt.
	msg := append(header("carol@example.org"), withFrom("Carol <carol@example.org>", body)...)
	if r := Process(msg, Options{}); r.Signature != SigGood || r.KeySource != "autocrypt" {
		t.Errorf("autocrypt: %q source %q (%s)", r.Signature, r.KeySource, r.Error)
	}
	// An Autocrypt header for another address than From is ignored.
	msg = append(header("carol@example.org"), withFrom("Mallory <mallory@evil.example>", body)...)
	if r := Process(msg, Options{}); r.Signature != SigUnknownKey {
		t.Errorf("mismatched addr: %q", r.Signature)
	}
	// Without the header: unknown key.
	if r := Process(withFrom("Carol <carol@example.org>", body), Options{}); r.Signature != SigUnknownKey {
		t.Errorf("no header: %q", r.Signature)
	}
}

// Files inside the decrypted entity are listed with their names and bytes.
func TestAttachmentsInsideEncryption(t *testing.T) {
	g := newGnuPG(t)
	alice := g.genKey("Alice <alice@example.com>", "")
	var ring bytes.Buffer
	ring.Write(g.run(nil, "--passphrase", "", "--armor", "--export-secret-keys", alice))
	kr, err := ReadKeyring(&ring)
	if err != nil {
		t.Fatal(err)
	}
	inner := "Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nSee the invoice.\r\n" +
		"--m\r\nContent-Type: application/pdf; name=\"invoice.pdf\"\r\nContent-Disposition: attachment; filename=\"invoice.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString([]byte("%PDF-1.4 fake")) + "\r\n--m--\r\n"
	msg := mimeEncryptedMessage(g.run([]byte(inner), "--armor", "--encrypt", "-r", alice))
	r := Process(msg, Options{Keyring: kr})
	if r == nil || !r.Decrypted {
		t.Fatalf("%+v", r)
	}
	atts := Attachments(r.Plaintext)
	if len(atts) != 1 || atts[0].Name != "invoice.pdf" || string(atts[0].Data) != "%PDF-1.4 fake" || atts[0].Type != "application/pdf" {
		t.Errorf("attachments: %+v", atts)
	}
}

// The result word says what the signature means for the message as the
// reader sees it: pass only for a good signature by a keyring key over the
// whole body; a signature over one part of a multipart/mixed is neutral
// and names the unsigned parts; a key from the message's own Autocrypt
// header is neutral; a tampered message fails; encrypted only is none.
func TestResultCoversWhatTheReaderSees(t *testing.T) {
	g := newGnuPG(t)
	fb := g.genKey("Facebook <security@facebookmail.com>", "")
	carol := g.genKey("Carol <carol@example.org>", "")
	alice := g.genKey("Alice <alice@example.com>", "")
	kr, err := ReadKeyring(bytes.NewReader(append(g.run(nil, "--armor", "--export", fb),
		g.run(nil, "--passphrase", "", "--armor", "--export-secret-keys", alice)...)))
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Keyring: kr}
	first := []byte("Content-Type: text/plain; charset=utf-8\r\n\r\nYour code is 123456.\r\n")
	sig := g.run(first, "--armor", "--detach-sign", "-u", fb, "--digest-algo", "SHA256")
	whole := mimeSignedMessage(first, sig)

	// The signed entity as one part of a multipart/mixed, beside an HTML
	// part and an attachment that nobody signed.
	signedPart := whole[bytes.Index(whole, []byte("Content-Type: multipart/signed")):]
	mixed := []byte("From: Facebook <security@facebookmail.com>\r\nSubject: mixed\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n" +
		"--mix\r\n" + string(signedPart) + "\r\n" +
		"--mix\r\nContent-Type: text/html\r\n\r\n<p>Your code is 999999. Call +1 555 0100.</p>\r\n" +
		"--mix\r\nContent-Type: application/pdf; name=\"invoice.pdf\"\r\nContent-Disposition: attachment; filename=\"invoice.pdf\"\r\n\r\n%PDF-1.4\r\n" +
		"--mix--\r\n")

	// Inline clear-signed text with unsigned text added after the block.
	clear := bytes.ReplaceAll(g.run([]byte("Your code is 123456.\n"), "--clearsign", "-u", fb), []byte("\n"), []byte("\r\n"))
	clearAdded := append(append([]byte("From: security@facebookmail.com\r\nSubject: inline\r\n\r\n"), clear...), []byte("\r\nP.S. Your code changed to 999999.\r\n")...)
	clearOnly := append([]byte("From: security@facebookmail.com\r\nSubject: inline\r\n\r\n"), clear...)

	// Carol's key only in the message's Autocrypt header.
	carolSig := g.run(first, "--armor", "--detach-sign", "-u", carol)
	autocrypt := append([]byte("Autocrypt: addr=carol@example.org; keydata="+base64.StdEncoding.EncodeToString(g.run(nil, "--export", carol))+"\r\n"),
		bytes.Replace(mimeSignedMessage(first, carolSig), []byte("From: Facebook <security@facebookmail.com>"), []byte("From: Carol <carol@example.org>"), 1)...)

	tampered := bytes.Replace(whole, []byte("123456"), []byte("654321"), 1)
	encOnly := mimeEncryptedMessage(g.run([]byte(innerEntity), "--armor", "--encrypt", "-r", alice))

	for _, c := range []struct {
		name     string
		msg      []byte
		result   string
		unsigned []string // each must be named
	}{
		{"signed whole body", whole, ResultPass, nil},
		{"clear-signed whole body", clearOnly, ResultPass, nil},
		{"one part of multipart/mixed", mixed, ResultNeutral, []string{"part 2 of multipart/mixed: text/html", `part 3 of multipart/mixed: application/pdf "invoice.pdf"`}},
		{"text after the clear-signed block", clearAdded, ResultNeutral, []string{"the text after the OpenPGP block"}},
		{"autocrypt key only", autocrypt, ResultNeutral, nil},
		{"tampered", tampered, ResultFail, nil},
		{"encrypted, not signed", encOnly, ResultNone, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := Process(c.msg, opts)
			if r == nil {
				t.Fatal("no OpenPGP content found")
			}
			if r.Result != c.result {
				t.Errorf("result %q (signature %q, key source %q, unsigned %q, error %q), want %q", r.Result, r.Signature, r.KeySource, r.UnsignedParts, r.Error, c.result)
			}
			if strings.Join(r.UnsignedParts, "|") != strings.Join(c.unsigned, "|") {
				t.Errorf("unsigned parts %q, want %q", r.UnsignedParts, c.unsigned)
			}
			if c.name == "autocrypt key only" && (r.Signature != SigGood || r.KeySource != "autocrypt") {
				t.Errorf("autocrypt: signature %q from %q", r.Signature, r.KeySource)
			}
		})
	}
}
