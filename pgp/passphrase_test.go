package pgp

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// A wrong passphrase is told apart from a missing key, and names the key it
// failed to unlock (the user may hold several): with GnuPG-made keys and
// messages. A keyring with only the recipient's public key says so, rather
// than "no private key for any recipient".
func TestWrongPassphraseNamesTheKey(t *testing.T) {
	g := newGnuPG(t)
	alice := g.genKey("Alice <alice@example.com>", "alice-pass")
	bob := g.genKey("Bob <bob@example.net>", "bob-pass")
	var ring bytes.Buffer
	ring.Write(g.run(nil, "--passphrase", "alice-pass", "--armor", "--export-secret-keys", alice))
	ring.Write(g.run(nil, "--armor", "--export", bob)) // Bob's public key only
	kr, err := ReadKeyring(&ring)
	if err != nil {
		t.Fatal(err)
	}
	toAlice := mimeEncryptedMessage(g.run([]byte(innerEntity), "--armor", "--encrypt", "-r", alice))
	toBob := mimeEncryptedMessage(g.run([]byte(innerEntity), "--armor", "--encrypt", "-r", bob))
	aliceSub := g.encryptionSubkeyID(alice)

	r := Process(toAlice, Options{Keyring: kr, Passphrase: []byte("not alice's")})
	for _, want := range []string{"wrong passphrase for", "Alice <alice@example.com>", aliceSub} {
		if !strings.Contains(r.Error, want) {
			t.Errorf("wrong passphrase: %q does not say %q", r.Error, want)
		}
	}
	if strings.Contains(r.Error, "no private key") {
		t.Errorf("wrong passphrase reported as a missing key: %q", r.Error)
	}
	r = Process(toAlice, Options{Keyring: kr})
	if !strings.Contains(r.Error, "locked") || !strings.Contains(r.Error, "Alice <alice@example.com>") {
		t.Errorf("no passphrase: %q", r.Error)
	}
	r = Process(toBob, Options{Keyring: kr, Passphrase: []byte("alice-pass")})
	if !strings.Contains(r.Error, "Bob <bob@example.net>") || !strings.Contains(r.Error, "public key") || strings.Contains(r.Error, "passphrase") {
		t.Errorf("only Bob's public key held: %q", r.Error)
	}
	// The errors keep their identity for callers.
	var pe *PassphraseError
	if err := wrongPassphraseFor(nil); !errors.Is(err, ErrWrongPassphrase) || !errors.As(err, &pe) {
		t.Errorf("%v is not ErrWrongPassphrase", err)
	}
}

// encryptionSubkeyID is the key id (16 hex digits, upper case) of the
// key's encryption subkey, as gpg lists it.
func (g *gnupg) encryptionSubkeyID(fpr string) string {
	g.t.Helper()
	for _, line := range strings.Split(string(g.run(nil, "--with-colons", "--list-keys", fpr)), "\n") {
		f := strings.Split(line, ":")
		if len(f) > 11 && f[0] == "sub" && strings.Contains(f[11], "e") {
			return strings.ToUpper(f[4])
		}
	}
	g.t.Fatalf("no encryption subkey for %s", fpr)
	return ""
}
