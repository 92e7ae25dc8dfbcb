package mailbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
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

// A damaged or truncated password file is a clear error, never a panic: a
// nonce of the wrong length made AES-GCM panic at start.
func TestCredentialsDamagedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "passwords.json")
	f := &EncryptedFile{Path: path, Passphrase: []byte("correct horse")}
	if err := f.Set("bob@imap.example.com", "another-S3cret"); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(path)
	var s sealedFile
	if err := json.Unmarshal(good, &s); err != nil {
		t.Fatal(err)
	}
	variant := func(change func(*sealedFile)) []byte {
		c := s
		change(&c)
		b, _ := json.Marshal(c)
		return b
	}
	cases := map[string][]byte{
		"empty":             {},
		"truncated":         good[:len(good)/2],
		"short nonce":       variant(func(c *sealedFile) { c.Nonce = c.Nonce[:4] }),
		"long nonce":        variant(func(c *sealedFile) { c.Nonce = append(c.Nonce, 1, 2, 3) }),
		"no nonce":          variant(func(c *sealedFile) { c.Nonce = nil }),
		"no salt":           variant(func(c *sealedFile) { c.Salt = nil }),
		"short ciphertext":  variant(func(c *sealedFile) { c.Ciphertext = c.Ciphertext[:3] }),
		"null":              []byte("null"),
		"version 2":         variant(func(c *sealedFile) { c.Version = 2 }),
		"ciphertext string": []byte(`{"v":1,"salt":"AAAAAAAAAAAAAAAAAAAAAA==","nonce":"AAAAAAAAAAAAAAAA","ciphertext":7}`),
	}
	for name, data := range cases {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%s: panic: %v", name, p)
				}
			}()
			_, err := f.Get("bob@imap.example.com")
			if err == nil || !strings.Contains(err.Error(), "password file") {
				t.Errorf("%s: %v, want an error naming the password file", name, err)
			}
		}()
	}
}

// FuzzPasswordFile: any bytes as the password file give an error or a map,
// never a panic (the key is derived once: Argon2id would make each run slow).
func FuzzPasswordFile(f *testing.F) {
	f.Add([]byte(`{"v":1,"salt":"AAAAAAAAAAAAAAAAAAAAAA==","nonce":"AAAAAAAAAAAAAAAA","ciphertext":"AAAAAAAAAAAAAAAAAAAAAA=="}`))
	f.Add([]byte(`{"v":1,"salt":"AA==","nonce":"AAAA","ciphertext":""}`))
	f.Add([]byte(`{"v":1`))
	f.Add([]byte(`null`))
	ef := &EncryptedFile{Passphrase: []byte("correct horse")}
	aead, err := ef.aead(make([]byte, saltSize))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := parseSealed(data)
		if err != nil {
			return
		}
		if _, err := openSealed(s, aead); err == nil {
			t.Fatalf("opened without the right key: %q", data)
		}
	})
}
