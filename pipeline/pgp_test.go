package pipeline

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/sealtrace/sealtrace/inspect"
	"github.com/sealtrace/sealtrace/pgp"
)

// The report's pgp section carries the result word, and a neutral result
// has a step that says why: the parts nobody signed, or where the key came
// from. (The messages are signed here with go-crypto; package pgp's own
// tests use GnuPG.)
func TestAttachResultAndSteps(t *testing.T) {
	signer, err := openpgp.NewEntity("Dan", "", "dan@example.org", nil)
	if err != nil {
		t.Fatal(err)
	}
	first := "Content-Type: text/plain\r\n\r\nPay invoice 42.\r\n"
	var sig bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&sig, signer, strings.NewReader(first), nil); err != nil {
		t.Fatal(err)
	}
	signed := "Content-Type: multipart/signed; micalg=pgp-sha256; protocol=\"application/pgp-signature\"; boundary=\"s\"\r\n\r\n" +
		"--s\r\n" + first + "\r\n--s\r\nContent-Type: application/pgp-signature\r\n\r\n" + strings.ReplaceAll(sig.String(), "\n", "\r\n") + "\r\n--s--\r\n"
	whole := "From: Dan <dan@example.org>\r\nSubject: s\r\nMIME-Version: 1.0\r\n" + signed
	mixed := "From: Dan <dan@example.org>\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\n" +
		"--m\r\n" + signed + "\r\n--m\r\nContent-Type: text/html\r\n\r\n<p>Pay to account 666.</p>\r\n--m--\r\n"
	// RFC 3156 allows two parts; a third one is what a reader may see.
	third := strings.Replace(whole, "\r\n--s--\r\n", "\r\n--s\r\nContent-Type: text/plain\r\n\r\nATTACKER: pay to IBAN XX00 EVIL\r\n--s--\r\n", 1)
	var clear bytes.Buffer
	cw, err := clearsign.Encode(&clear, signer.PrivateKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	cw.Write([]byte("Pay invoice 42.\n"))
	cw.Close()
	onEndLine := "From: Dan <dan@example.org>\r\nSubject: s\r\n\r\n" +
		strings.Replace(clear.String(), "-----END PGP SIGNATURE-----", "-----END PGP SIGNATURE----- ATTACKER: pay IBAN XX00 EVIL", 1)
	var pub bytes.Buffer
	signer.Serialize(&pub)
	autocrypt := "Autocrypt: addr=dan@example.org; keydata=" + base64.StdEncoding.EncodeToString(pub.Bytes()) + "\r\n" + whole
	kr, err := pgp.ReadKeyring(bytes.NewReader(pub.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, msg string
		opts      pgp.Options
		result    string
		stepHas   string
	}{
		{"whole body, keyring", whole, pgp.Options{Keyring: kr}, "pass", "a key in your keyring"},
		{"one part of two", mixed, pgp.Options{Keyring: kr}, "neutral", "not signed: part 2 of multipart/mixed: text/html"},
		{"autocrypt", autocrypt, pgp.Options{}, "neutral", "came with the message itself (Autocrypt header)"},
		{"tampered", strings.Replace(whole, "42", "43", 1), pgp.Options{Keyring: kr}, "fail", "does not match"},
		{"a third part in multipart/signed", third, pgp.Options{Keyring: kr}, "neutral", "not signed: part 3 of multipart/signed: text/plain"},
		{"text on the armor's end line", onEndLine, pgp.Options{Keyring: kr}, "neutral", "the text after the OpenPGP block"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var rep inspect.Report
			attachPGP(&rep, []byte(c.msg), c.opts)
			if rep.PGP == nil {
				t.Fatal("no pgp section")
			}
			b, _ := json.Marshal(rep.PGP)
			var m map[string]any
			json.Unmarshal(b, &m)
			if m["result"] != c.result {
				t.Errorf("JSON result %v, want %s", m["result"], c.result)
			}
			found := false
			for _, s := range rep.PGP.Steps {
				if strings.Contains(s.What, c.stepHas) {
					found = true
				}
			}
			if !found {
				t.Errorf("no step says %q: %+v", c.stepHas, rep.PGP.Steps)
			}
		})
	}
}

// Nothing of the decrypted content reaches the report: a malformed MIME
// header inside it is reported without its text (the report is cached and
// exported; the plaintext never is).
func TestDecryptedTextNotInError(t *testing.T) {
	reader, err := openpgp.NewEntity("You", "", "you@example.org", nil)
	if err != nil {
		t.Fatal(err)
	}
	inner := "Content-Type: multipart/signed; boundary=\"s\"; protocol=\"application/pgp-signature\"\r\n\r\n--s\r\nContent-Type: text/plain\r\n\r\nhello\r\n" +
		"--s\r\nSECRET-PIN-4711 the launch code is 0000\r\n\r\nx\r\n--s--\r\n"
	var enc bytes.Buffer
	aw, _ := armor.Encode(&enc, "PGP MESSAGE", nil)
	w, err := openpgp.Encrypt(aw, []*openpgp.Entity{reader}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(inner))
	w.Close()
	aw.Close()
	msg := "From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"e\"\r\n\r\n" +
		"--e\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n--e\r\nContent-Type: application/octet-stream\r\n\r\n" + enc.String() + "\r\n--e--\r\n"
	var priv bytes.Buffer
	reader.SerializePrivate(&priv, nil)
	kr, err := pgp.ReadKeyring(bytes.NewReader(priv.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var rep inspect.Report
	attachPGP(&rep, []byte(msg), pgp.Options{Keyring: kr})
	b, _ := json.Marshal(rep)
	if rep.PGP == nil || !rep.PGP.Decrypted {
		t.Fatalf("not decrypted: %s", b)
	}
	if strings.Contains(string(b), "SECRET") || strings.Contains(string(b), "launch code") {
		t.Errorf("decrypted text in the report: %s", b)
	}
}
