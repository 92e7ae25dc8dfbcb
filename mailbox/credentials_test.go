package mailbox

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/zalando/go-keyring"
)

func roundTrip(t *testing.T, c Credentials) {
	t.Helper()
	if _, err := c.Get("alice@imap.example.com"); !errors.Is(err, ErrNoPassword) {
		t.Errorf("%s: empty store: %v", c.Where(), err)
	}
	if err := c.Set("alice@imap.example.com", "s3cret-Pa55"); err != nil {
		t.Fatal(err)
	}
	if p, err := c.Get("alice@imap.example.com"); err != nil || p != "s3cret-Pa55" {
		t.Errorf("%s: got %q %v", c.Where(), p, err)
	}
	if err := c.Delete("alice@imap.example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get("alice@imap.example.com"); !errors.Is(err, ErrNoPassword) {
		t.Errorf("%s: after delete: %v", c.Where(), err)
	}
}

func TestCredentials(t *testing.T) {
	keyring.MockInit() // the OS keyring's API, in memory
	roundTrip(t, OSKeyring{})
	roundTrip(t, &Memory{})
	path := filepath.Join(t.TempDir(), "passwords.json")
	f := &EncryptedFile{Path: path, Passphrase: []byte("correct horse")}
	roundTrip(t, f)
	if err := f.Set("bob@imap.example.com", "another-S3cret"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if bytes.Contains(data, []byte("another-S3cret")) || bytes.Contains(data, []byte("bob@imap.example.com")) {
		t.Error("the password file holds the password or the account in plaintext")
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("the password file is readable by others: %v", info.Mode())
	}
	wrong := &EncryptedFile{Path: path, Passphrase: []byte("wrong horse")}
	if _, err := wrong.Get("bob@imap.example.com"); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("wrong passphrase: %v", err)
	}
	data[len(data)-5] ^= 1
	os.WriteFile(path, data, 0o600)
	if _, err := f.Get("bob@imap.example.com"); err == nil {
		t.Error("a changed file still opened")
	}
}
