// Package dane finds OpenPGP keys through DNS (RFC 7929 OPENPGPKEY records)
// and says how far the answer can be trusted, with DNSSEC validation done by
// Sealtrace itself (resolver.Validator), not by the resolver it asks.
//
// RFC 7929 publishes the key of alice@example.com at
// HASH._openpgpkey.example.com, where HASH is the hex of the first 28 octets
// of the SHA-256 of the local part "alice" (section 3): the local part is
// hashed as written, and, since many senders lower-case it, the lower-case
// form is tried next. The record is the key itself, binary.
//
// A key from DNS is only as good as the proof that the answer came from the
// domain's owner: DNSSEC. The statuses say what was proven:
//
//   - secure: the answer is signed and the chain of trust from the root
//     anchors holds; the key is the domain's.
//   - insecure: the domain is provably unsigned; the key could have been
//     put there by anyone on the path.
//   - bogus: a proof failed (a bad or expired signature, a false denial); the
//     answer must not be used.
//   - absent_secure / absent_insecure: no key, proven or not.
//   - error: the question or a step of the chain could not be had (a
//     timeout, SERVFAIL); nothing was proven either way and asking again may
//     work.
//
// A key found is compared with the address: a step says so when none of its
// user ids names it. Only that one key (the record's first) is ever offered
// for import.
package dane

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/miekg/dns"

	"github.com/sealtrace/sealtrace/resolver"
	"github.com/sealtrace/sealtrace/trace"
)

// Statuses of a lookup.
const (
	StatusSecure         = "secure"          // a key, DNSSEC-validated
	StatusInsecure       = "insecure"        // a key, but no chain of trust
	StatusBogus          = "bogus"           // validation failed: do not use
	StatusAbsentSecure   = "absent_secure"   // no key, and that is proven
	StatusAbsentInsecure = "absent_insecure" // no key, not proven
	StatusError          = "error"           // the lookup could not be done or checked (network, server): retry
)

// Step is one thing the lookup did: the one step type of every check
// (package trace). Its Check is "dane" for the lookup and "dnssec" for each
// link of the chain of trust.
type Step = trace.Step

// Result is the lookup of one address, as sealtrace-cli dane prints it.
type Result struct {
	Email          string   `json:"email"`
	QName          string   `json:"qname"`
	QNameLower     string   `json:"qname_lowercase,omitempty"` // when the local part has upper case
	Status         string   `json:"status"`
	KeyFingerprint string   `json:"key_fingerprint,omitempty"`
	KeyUserIDs     []string `json:"key_user_ids,omitempty"`
	Reason         string   `json:"reason,omitempty"`
	Steps          []Step   `json:"steps"`
	Key            []byte   `json:"-"` // the OpenPGP key as published
}

// ErrBadAddress is returned for an address without a local part or domain.
var ErrBadAddress = errors.New("dane: not an email address")

// OwnerName returns the RFC 7929 3 owner name for email: the SHA-256 of the
// local part (as written, UTF-8), cut to 28 octets, in hex, then
// "._openpgpkey." and the domain. lower is the same for the lower-cased
// local part when that differs (RFC 7929 3 leaves case to the domain).
func OwnerName(email string) (exact, lower string, err error) {
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 {
		return "", "", fmt.Errorf("%w: %q", ErrBadAddress, email)
	}
	local, domain := email[:at], strings.TrimSuffix(email[at+1:], ".")
	if _, ok := dns.IsDomainName(domain); !ok {
		return "", "", fmt.Errorf("%w: %q has no valid domain", ErrBadAddress, email)
	}
	name := func(l string) string {
		sum := sha256.Sum256([]byte(l))
		return hex.EncodeToString(sum[:28]) + "._openpgpkey." + strings.ToLower(domain) + "."
	}
	exact = name(local)
	if l := strings.ToLower(local); l != local {
		lower = name(l)
	}
	return exact, lower, nil
}

// lookupWords says why a lookup could not be done: "could not reach DNS"
// when no server answered (an offline machine), which is neither a failed
// proof (bogus) nor an absent record.
func lookupWords(err error) string {
	if errors.Is(err, resolver.ErrTransport) || errors.Is(err, context.DeadlineExceeded) {
		return "could not reach DNS"
	}
	return err.Error()
}

// Lookup finds the key of email through v: the exact local part first, then
// the lower-case one.
func Lookup(ctx context.Context, v *resolver.Validator, email string) *Result {
	r := &Result{Email: email, Steps: []Step{}}
	exact, lower, err := OwnerName(email)
	if err != nil {
		r.Status, r.Reason = StatusError, err.Error()
		return r
	}
	r.QName, r.QNameLower = exact, lower
	r.Steps = append(r.Steps, trace.Info("dane", "The key of "+email+" would be published at "+exact+" (SHA-256 of the local part, cut to 28 octets).", "", "RFC 7929 3"))
	names := []string{exact}
	if lower != "" {
		names = append(names, lower)
	}
	for i, name := range names {
		ans, err := v.Lookup(ctx, name, dns.TypeOPENPGPKEY)
		if err != nil {
			r.Status, r.Reason = StatusError, lookupWords(err)
			r.Steps = append(r.Steps, Step{Check: "dane", What: "Asking for " + name + " failed: " + lookupWords(err) + ".", Kind: trace.KindTempError, Result: StatusError, Detail: err.Error()})
			return r
		}
		for _, l := range ans.Chain {
			res := "pass"
			switch {
			case !l.OK && ans.Status == resolver.Indeterminate:
				res = StatusError // a fetch that failed, not a proof
			case !l.OK:
				res = "fail"
			}
			r.Steps = append(r.Steps, Step{Check: "dnssec", What: "[" + l.Zone + "] " + l.What, Result: res, RFC: "RFC 4035 5"})
		}
		switch {
		case ans.Status == resolver.Indeterminate:
			// A timeout or SERVFAIL on the way proves nothing: the key is
			// neither trusted nor condemned, and asking again may work.
			r.Status, r.Reason = StatusError, ans.Reason
			r.Steps = append(r.Steps, Step{Check: "dane", What: "Could not check the DNSSEC chain of trust (" + ans.Reason + "). This is a network or server failure, not a failed validation: try again later.", Result: StatusError, RFC: "RFC 4033 5"})
			return r
		case ans.Status == resolver.Bogus:
			r.Status, r.Reason = StatusBogus, ans.Reason
			r.Steps = append(r.Steps, Step{Check: "dane", What: "DNSSEC validation failed: " + ans.Reason + ". The answer must not be used.", Result: "fail", RFC: "RFC 4035 5.5"})
			return r
		case ans.Status != resolver.Secure && ans.Status != resolver.Insecure:
			r.Status, r.Reason = StatusError, "unknown validation status "+ans.Status
			return r
		case ans.Denied:
			if i < len(names)-1 {
				r.Steps = append(r.Steps, Step{Check: "dane", What: "No OPENPGPKEY record at " + name + "; trying the lower-case local part.", Result: "none", RFC: "RFC 7929 3"})
				continue
			}
			r.Status = StatusAbsentInsecure
			if ans.Status == resolver.Secure {
				r.Status = StatusAbsentSecure
			}
			r.Steps = append(r.Steps, Step{Check: "dane", What: "No OPENPGPKEY record for " + email + " (" + r.Status + ").", Result: "none", RFC: "RFC 7929 4"})
			return r
		}
		for _, rr := range ans.Records {
			k, ok := rr.(*dns.OPENPGPKEY)
			if !ok {
				continue
			}
			key, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(k.PublicKey), ""))
			if err != nil {
				r.Status, r.Reason = StatusError, err.Error()
				return r
			}
			r.Key = key
			el, err := openpgp.ReadKeyRing(bytes.NewReader(key))
			if err != nil || len(el) == 0 {
				r.Status, r.Reason = StatusError, "the published key is not an OpenPGP key"
				return r
			}
			r.KeyFingerprint = strings.ToUpper(hex.EncodeToString(el[0].PrimaryKey.Fingerprint))
			for _, id := range el[0].Identities {
				r.KeyUserIDs = append(r.KeyUserIDs, id.Name)
			}
			break
		}
		r.Status = StatusInsecure
		if ans.Status == resolver.Secure {
			r.Status = StatusSecure
		}
		r.Steps = append(r.Steps, Step{Check: "dane", What: fmt.Sprintf("Found the key %s (%s).", r.KeyFingerprint, r.Status), Result: "pass", RFC: "RFC 7929 2"})
		if !namesAddress(r.KeyUserIDs, email) {
			// The record's owner name binds the key to the address, but a
			// key whose user ids name someone else is worth a second look.
			r.Steps = append(r.Steps, Step{Check: "dane", What: "None of the key's user ids names " + email + ": the domain published it for this address, but the key says it belongs to " + strings.Join(r.KeyUserIDs, ", ") + ".", Result: "neutral", RFC: "RFC 7929 5"})
		}
		return r
	}
	return r
}

// namesAddress says whether a user id ("Name <addr>" or a bare address)
// names email, compared without regard to case.
func namesAddress(ids []string, email string) bool {
	for _, id := range ids {
		if a, err := mail.ParseAddress(id); err == nil && strings.EqualFold(a.Address, email) {
			return true
		}
		if strings.EqualFold(strings.TrimSpace(id), email) {
			return true
		}
	}
	return false
}
