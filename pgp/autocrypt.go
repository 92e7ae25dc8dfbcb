package pgp

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/mail"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
)

// Autocrypt (autocrypt.org, Level 1): a sender may attach its public key to
// every message in an Autocrypt header. Such a key proves only that the same
// key keeps signing (trust on first use), not who owns it; Sealtrace uses it
// to check a signature whose key is not in the keyring, and says so.

// autocryptKeys returns the keys of the message's Autocrypt header when its
// addr= is the From address (Autocrypt 2.1: otherwise it must be ignored).
func autocryptKeys(top *entity) (openpgp.EntityList, string) {
	from, err := mail.ParseAddress(top.header.Get("From"))
	if err != nil {
		return nil, ""
	}
	for _, v := range top.header.Values("Autocrypt") {
		attrs := map[string]string{}
		for _, part := range strings.Split(v, ";") {
			k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			if ok {
				attrs[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(val)
			}
		}
		if !strings.EqualFold(attrs["addr"], from.Address) || attrs["keydata"] == "" {
			continue
		}
		data, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(attrs["keydata"]), ""))
		if err != nil {
			continue
		}
		el, err := openpgp.ReadKeyRing(bytes.NewReader(data))
		if err != nil || len(el) == 0 {
			continue
		}
		return el, from.Address
	}
	return nil, ""
}

// inList tells whether an entity with fingerprint fpr (upper-case hex) is in el.
func inList(el openpgp.EntityList, fpr string) bool {
	for _, e := range el {
		if e.PrimaryKey != nil && strings.EqualFold(fmt.Sprintf("%X", e.PrimaryKey.Fingerprint), fpr) {
			return true
		}
	}
	return false
}
