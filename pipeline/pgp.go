package pipeline

// The OpenPGP section of a report: package pgp's result joined to the
// inspect.Report with steps in plain words, and the signer checked against
// the message's DKIM. inspect and pgp stay independent of each other; the
// pipeline joins them.

import (
	"fmt"
	"net/mail"
	"strings"

	"github.com/sealtrace/sealtrace/inspect"
	"github.com/sealtrace/sealtrace/pgp"
	"github.com/sealtrace/sealtrace/trace"
)

// attachPGP looks for OpenPGP content in raw, sets rep.PGP when there is some,
// and returns pgp's result (with the decrypted content, which the report
// does not carry).
func attachPGP(rep *inspect.Report, raw []byte, opts pgp.Options) *pgp.Result {
	r := pgp.Process(raw, opts)
	if r == nil {
		return nil
	}
	sec := &inspect.PGPReport{Kind: r.Kind, Result: r.Result, Encrypted: r.Encrypted, Decrypted: r.Decrypted, Signature: r.Signature,
		SignerFingerprint: r.SignerFingerprint, SignerKeyID: r.SignerKeyID, SignerUserID: r.SignerUserID, KeySource: r.KeySource, SignerKeyExpires: r.SignerKeyExpires,
		PlaintextSHA256: r.PlaintextSHA256, EncryptedTo: r.EncryptedTo, Error: r.Error, Steps: []inspect.Step{}}
	step := func(what, result, detail string) {
		sec.Steps = append(sec.Steps, inspect.Step{Check: "pgp", What: what, Result: result, Detail: detail, RFC: "RFC 3156"})
	}
	switch {
	case r.Encrypted && r.Decrypted:
		step("The message is encrypted (OpenPGP); it was decrypted with your key. Its content is shown on its own, never mixed with the unencrypted parts.", inspect.Pass,
			"SHA-256 of the decrypted content: "+r.PlaintextSHA256)
	case r.Encrypted:
		step("The message is encrypted (OpenPGP) and could not be decrypted: "+r.Error+".", inspect.Fail, "encrypted to key ids: "+strings.Join(r.EncryptedTo, ", "))
	}
	switch {
	case r.Signature == pgp.SigGood && r.KeySource == "autocrypt":
		step(fmt.Sprintf("The OpenPGP signature is good, made by %s (key %s), but the key came with the message itself (Autocrypt header): it shows the same key keeps signing, not who owns it.", orUnknown(r.SignerUserID), r.SignerFingerprint), inspect.Neutral, "")
	case r.Signature == pgp.SigGood:
		step(fmt.Sprintf("The OpenPGP signature is good: made by %s (key %s), a key in your keyring.", orUnknown(r.SignerUserID), r.SignerFingerprint), inspect.Pass, "")
	case r.Signature == pgp.SigBad:
		step("The OpenPGP signature does not match: the content changed after signing, or the signature is forged. "+r.Error, inspect.Fail, "")
	case r.Signature == pgp.SigUnknownKey:
		step("The content is signed by key "+r.SignerKeyID+", which is not in your keyring: the signature cannot be checked.", inspect.Neutral, "")
	default:
		if !r.Encrypted || r.Decrypted {
			sec.Steps = append(sec.Steps, trace.Info("pgp", "The content is not signed with OpenPGP.", "", "RFC 3156"))
		}
	}
	if r.Signature != pgp.SigNone && r.Signature != "" && len(r.UnsignedParts) > 0 {
		step("The signature covers only part of what the message shows; not signed: "+strings.Join(r.UnsignedParts, "; ")+". Whoever sent the message could have changed or added these.", inspect.Neutral, "")
	}
	if r.Signature == pgp.SigGood {
		// Facts about the key: information, no result word.
		if r.SignerKeyExpires != "" {
			sec.Steps = append(sec.Steps, trace.Info("pgp", "The signer's key is valid until "+r.SignerKeyExpires+".", "", "RFC 4880 5.2.3.6"))
		} else {
			sec.Steps = append(sec.Steps, trace.Info("pgp", "The signer's key does not expire.", "", "RFC 4880 5.2.3.6"))
		}
		crossCheck(rep, r, step)
	}
	rep.PGP = sec
	return r
}

// crossCheck compares the signer's user id domain with the domains whose
// DKIM signature passed: a notification signed by Facebook's key should
// also carry a passing DKIM signature of Facebook's mail domain.
func crossCheck(rep *inspect.Report, r *pgp.Result, step func(what, result, detail string)) {
	addr, err := mail.ParseAddress(r.SignerUserID)
	if err != nil {
		return
	}
	signerDomain := strings.ToLower(addr.Address[strings.LastIndexByte(addr.Address, '@')+1:])
	var passed []string
	for _, d := range rep.DKIM {
		if d.Result == inspect.Pass {
			passed = append(passed, d.Domain)
			if d.Domain == signerDomain || strings.HasSuffix(signerDomain, "."+d.Domain) || strings.HasSuffix(d.Domain, "."+signerDomain) {
				step(fmt.Sprintf("The signer's address is in %s, and DKIM passed for %s: the two agree.", signerDomain, d.Domain), inspect.Pass, "")
				return
			}
		}
	}
	step(fmt.Sprintf("The signer's address is in %s, but no DKIM signature of that domain passed (passed: %s): check who really sent this.", signerDomain, orUnknown(strings.Join(passed, ", "))), inspect.Neutral, "")
}

func orUnknown(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
