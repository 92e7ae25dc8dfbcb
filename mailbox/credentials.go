package mailbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/zalando/go-keyring"
	"golang.org/x/crypto/argon2"
)

// Credentials keep account passwords: in the OS keyring (Secret Service,
// Keychain, Credential Manager) when one is reachable; otherwise for this
// session only, or, when the user opts in, in a file encrypted with a
// passphrase (Argon2id, AES-256-GCM). Never in plaintext, never logged.
type Credentials interface {
	Get(account string) (string, error)
	Set(account, password string) error
	Delete(account string) error
	Where() string // said to the user
}

// ErrNoPassword is returned when no password is kept for an account.
var ErrNoPassword = errors.New("mailbox: no password kept for this account")

const keyringService = "sealtrace"

// OSKeyring is the system's keyring.
type OSKeyring struct{}

// Get implements Credentials.
func (OSKeyring) Get(account string) (string, error) {
	p, err := keyring.Get(keyringService, account)
	if errors.Is(err, keyring.ErrNotFound) {
		return "", ErrNoPassword
	}
	return p, err
}

// Set implements Credentials.
func (OSKeyring) Set(account, password string) error {
	return keyring.Set(keyringService, account, password)
}

// Delete implements Credentials.
func (OSKeyring) Delete(account string) error { return keyring.Delete(keyringService, account) }

// Where implements Credentials.
func (OSKeyring) Where() string { return "the system keyring" }

// KeyringReachable tells whether the OS keyring answers (it does not where
// there is no Secret Service, such as a server without a desktop session).
func KeyringReachable() bool {
	_, err := keyring.Get(keyringService, "sealtrace-probe")
	return err == nil || errors.Is(err, keyring.ErrNotFound)
}

// Memory keeps passwords for this session only.
type Memory struct {
	mu sync.Mutex
	m  map[string]string
}

// Get implements Credentials.
func (s *Memory) Get(account string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.m[account]
	if !ok {
		return "", ErrNoPassword
	}
	return p, nil
}

// Set implements Credentials.
func (s *Memory) Set(account, password string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]string{}
	}
	s.m[account] = password
	return nil
}

// Delete implements Credentials.
func (s *Memory) Delete(account string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, account)
	return nil
}

// Where implements Credentials.
func (s *Memory) Where() string { return "memory, for this session only" }

// EncryptedFile keeps passwords in a file encrypted with a key derived from
// a passphrase (Argon2id: 3 passes, 64 MiB; AES-256-GCM, a new salt and
// nonce at every write).
type EncryptedFile struct {
	Path       string
	Passphrase []byte
	mu         sync.Mutex
}

// ErrWrongPassphrase is returned when the file does not decrypt.
var ErrWrongPassphrase = errors.New("mailbox: the passphrase does not open the password file (or the file was changed)")

type sealedFile struct {
	Version    int    `json:"v"`
	Salt       []byte `json:"salt"`
	Nonce      []byte `json:"nonce"`
	Ciphertext []byte `json:"ciphertext"`
}

func (f *EncryptedFile) load() (map[string]string, error) {
	data, err := os.ReadFile(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	s, err := parseSealed(data)
	if err != nil {
		return nil, fmt.Errorf("mailbox: %s is not a Sealtrace password file (%v): restore it from a backup or delete it and enter the passwords again", f.Path, err)
	}
	aead, err := f.aead(s.Salt)
	if err != nil {
		return nil, err
	}
	return openSealed(s, aead)
}

// Sizes of the password file's fields: a 16-byte salt, GCM's 12-byte nonce
// and at least its 16-byte tag.
const (
	saltSize  = 16
	nonceSize = 12
	tagSize   = 16
)

// parseSealed reads the file's JSON and checks every length before any of
// it reaches the cipher: AES-GCM panics on a nonce of the wrong size, and a
// damaged file must be an error, not a crash at start.
func parseSealed(data []byte) (sealedFile, error) {
	var s sealedFile
	if err := json.Unmarshal(data, &s); err != nil {
		return s, errors.New("damaged or cut short")
	}
	switch {
	case s.Version != 1:
		return s, fmt.Errorf("unknown version %d", s.Version)
	case len(s.Salt) != saltSize:
		return s, fmt.Errorf("salt of %d bytes", len(s.Salt))
	case len(s.Nonce) != nonceSize:
		return s, fmt.Errorf("nonce of %d bytes", len(s.Nonce))
	case len(s.Ciphertext) < tagSize:
		return s, fmt.Errorf("ciphertext of %d bytes", len(s.Ciphertext))
	}
	return s, nil
}

// openSealed decrypts a checked file.
func openSealed(s sealedFile, aead cipher.AEAD) (map[string]string, error) {
	if len(s.Nonce) != aead.NonceSize() {
		return nil, fmt.Errorf("mailbox: the password file's nonce is %d bytes", len(s.Nonce))
	}
	plain, err := aead.Open(nil, s.Nonce, s.Ciphertext, []byte("sealtrace-credentials-v1"))
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	m := map[string]string{}
	if err := json.Unmarshal(plain, &m); err != nil || m == nil {
		return nil, ErrWrongPassphrase
	}
	return m, nil
}

func (f *EncryptedFile) save(m map[string]string) error {
	plain, _ := json.Marshal(m)
	s := sealedFile{Version: 1, Salt: make([]byte, saltSize)}
	if _, err := rand.Read(s.Salt); err != nil {
		return err
	}
	aead, err := f.aead(s.Salt)
	if err != nil {
		return err
	}
	s.Nonce = make([]byte, aead.NonceSize())
	if _, err := rand.Read(s.Nonce); err != nil {
		return err
	}
	s.Ciphertext = aead.Seal(nil, s.Nonce, plain, []byte("sealtrace-credentials-v1"))
	data, _ := json.Marshal(s)
	// 0700/0600 keep other users out on Unix. On Windows Go ignores the
	// mode bits (it sets only the read-only attribute): the file is kept
	// from others by the ACL of the folder it is in, the app's storage in
	// the user's profile (%AppData%), which only the user, SYSTEM and the
	// Administrators can read; its content is sealed with the passphrase
	// in any case.
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o700); err != nil {
		return err
	}
	tmp := f.Path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, f.Path)
}

func (f *EncryptedFile) aead(salt []byte) (cipher.AEAD, error) {
	if len(f.Passphrase) == 0 {
		return nil, errors.New("mailbox: an encrypted password file needs a passphrase")
	}
	key := argon2.IDKey(f.Passphrase, salt, 3, 64*1024, 2, 32)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Get implements Credentials.
func (f *EncryptedFile) Get(account string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.load()
	if err != nil {
		return "", err
	}
	p, ok := m[account]
	if !ok {
		return "", ErrNoPassword
	}
	return p, nil
}

// Set implements Credentials.
func (f *EncryptedFile) Set(account, password string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.load()
	if err != nil {
		return err
	}
	m[account] = password
	return f.save(m)
}

// Delete implements Credentials.
func (f *EncryptedFile) Delete(account string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.load()
	if err != nil {
		return err
	}
	delete(m, account)
	return f.save(m)
}

// All returns every password the file keeps (one key derivation for all).
func (f *EncryptedFile) All() (map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.load()
}

// Where implements Credentials.
func (f *EncryptedFile) Where() string { return "a passphrase-encrypted file (" + f.Path + ")" }
