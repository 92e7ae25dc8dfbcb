package pgp

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
)

// KeyInfo describes one key of a keyring for a person.
type KeyInfo struct {
	Fingerprint string
	UserIDs     []string
	Secret      bool      // the private key is there (still locked as imported)
	Expires     time.Time // zero: does not expire
}

// Keys lists the keyring's keys.
func (k *Keyring) Keys() []KeyInfo {
	if k == nil {
		return nil
	}
	var out []KeyInfo
	for _, e := range k.entities {
		ki := KeyInfo{Fingerprint: fmt.Sprintf("%X", e.PrimaryKey.Fingerprint), Secret: e.PrivateKey != nil}
		for _, id := range e.Identities {
			ki.UserIDs = append(ki.UserIDs, id.Name)
			if sig := id.SelfSignature; sig != nil && sig.KeyLifetimeSecs != nil && *sig.KeyLifetimeSecs > 0 {
				ki.Expires = e.PrimaryKey.CreationTime.Add(time.Duration(*sig.KeyLifetimeSecs) * time.Second)
			}
		}
		out = append(out, ki)
	}
	return out
}

// PublicArmored returns the public half of every key, armored.
func (k *Keyring) PublicArmored() ([]byte, error) {
	var b bytes.Buffer
	w, err := armor.Encode(&b, openpgp.PublicKeyType, nil)
	if err != nil {
		return nil, err
	}
	for _, e := range k.entities {
		if err := e.Serialize(w); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// ArmorKey armors the public key with the given fingerprint (hex, any
// case) out of binary key data as DANE and WKD serve it. Only that key is
// kept: an answer may hold other keys, which were not checked against the
// address and must not be imported with it.
func ArmorKey(binary []byte, fingerprint string) ([]byte, error) {
	el, err := openpgp.ReadKeyRing(bytes.NewReader(binary))
	if err != nil {
		return nil, fmt.Errorf("pgp: not an OpenPGP key: %w", err)
	}
	var one *openpgp.Entity
	for _, e := range el {
		if strings.EqualFold(fmt.Sprintf("%X", e.PrimaryKey.Fingerprint), fingerprint) {
			one = e
			break
		}
	}
	if one == nil {
		return nil, fmt.Errorf("pgp: the answer holds no key with fingerprint %s", fingerprint)
	}
	var b bytes.Buffer
	w, err := armor.Encode(&b, openpgp.PublicKeyType, nil)
	if err != nil {
		return nil, err
	}
	if err := one.Serialize(w); err != nil { // the public part only
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
