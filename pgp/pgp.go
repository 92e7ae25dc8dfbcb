// Package pgp verifies and decrypts OpenPGP mail (RFC 9580 packets through
// github.com/ProtonMail/go-crypto): PGP/MIME encrypted and signed messages
// (RFC 3156: multipart/encrypted, multipart/signed, and the two nested), and
// inline PGP (a clear-signed or armored encrypted text body), such as a
// social network's encrypted notifications.
//
// The decrypted content is returned apart from the message (Result.Plaintext)
// and never merged with its unencrypted parts (EFAIL). Decompression,
// packet sizes and MIME nesting are bounded.
package pgp

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/sealtrace/sealtrace/internal/lineend"
)

// Signature words of the report.
const (
	SigGood       = "good"
	SigBad        = "bad"
	SigUnknownKey = "unknown_key"
	SigNone       = "none"
)

// Result words: what the OpenPGP section says about the message as the
// reader sees it (RFC 8601 words, as the other checks).
//   - pass: a good signature, by a key from the user's keyring, covering
//     the whole body shown;
//   - neutral: a good signature that covers only part of what is shown, or
//     whose key came in the message itself (Autocrypt: the key proves only
//     that the same key keeps signing); a signer not in the keyring; a
//     message that could not be decrypted;
//   - fail: a signature that does not verify;
//   - none: OpenPGP content without a signature (encrypted only).
const (
	ResultPass    = "pass"
	ResultNeutral = "neutral"
	ResultFail    = "fail"
	ResultNone    = "none"
)

// Kinds of OpenPGP content.
const (
	KindMIMEEncrypted = "pgp/mime encrypted"
	KindMIMESigned    = "pgp/mime signed"
	KindInlineSigned  = "inline signed"
	KindInlineEncrypt = "inline encrypted"
)

// MaxPlaintext bounds what a decryption may produce (a compressed packet
// can expand a thousandfold).
const MaxPlaintext = 64 << 20

// Errors.
var (
	ErrNoKey           = errors.New("pgp: no private key for any recipient")
	ErrWrongPassphrase = errors.New("pgp: wrong passphrase")
	ErrNoPassphrase    = errors.New("pgp: the private key is locked and no passphrase was given")
	ErrTooLarge        = errors.New("pgp: the decrypted content is larger than the limit")
)

// PassphraseError is a wrong or missing passphrase, naming the keys it was
// for: a user with several keys learns which one to unlock, and a wrong
// passphrase is never mistaken for a missing key. errors.Is(err,
// ErrWrongPassphrase) (or ErrNoPassphrase) holds.
type PassphraseError struct {
	Err  error    // ErrWrongPassphrase or ErrNoPassphrase
	Keys []string // "Alice <alice@example.com> (key 0123456789ABCDEF)"
}

func (e *PassphraseError) Error() string {
	if len(e.Keys) == 0 {
		return e.Err.Error()
	}
	if errors.Is(e.Err, ErrNoPassphrase) {
		return "pgp: the private key of " + strings.Join(e.Keys, ", ") + " is locked and no passphrase was given"
	}
	return e.Err.Error() + " for " + strings.Join(e.Keys, ", ")
}

func (e *PassphraseError) Unwrap() error { return e.Err }

func wrongPassphraseFor(ks []openpgp.Key) error {
	return &PassphraseError{Err: ErrWrongPassphrase, Keys: keyNames(ks)}
}

// keyNames names keys by their primary user id and key id, each once.
func keyNames(ks []openpgp.Key) []string {
	var out []string
	seen := map[uint64]bool{}
	for _, k := range ks {
		if k.PublicKey == nil || seen[k.PublicKey.KeyId] {
			continue
		}
		seen[k.PublicKey.KeyId] = true
		out = append(out, keyName(k.Entity, k.PublicKey.KeyId))
	}
	return out
}

// keyName is "user id (key KEYID)", or the key id alone. The user id comes
// from a key file and is shown as text only.
func keyName(e *openpgp.Entity, id uint64) string {
	name := fmt.Sprintf("key %016X", id)
	if e != nil {
		if pi := e.PrimaryIdentity(); pi != nil && pi.Name != "" {
			return pi.Name + " (" + name + ")"
		}
	}
	return name
}

// Keyring holds the keys used to decrypt and verify. Each use parses them
// afresh from their bytes, so a private key unlocked for one message is
// never left unlocked in memory for the next (and a wrong passphrase is
// always a wrong passphrase).
type Keyring struct {
	entities openpgp.EntityList
	blocks   [][]byte // the keys as read: armored blocks, or one binary keyring
	armored  bool
}

// fresh parses the keys again.
func (k *Keyring) fresh() openpgp.EntityList {
	var out openpgp.EntityList
	for _, b := range k.blocks {
		var el openpgp.EntityList
		if k.armored {
			el, _ = openpgp.ReadArmoredKeyRing(bytes.NewReader(b))
		} else {
			el, _ = openpgp.ReadKeyRing(bytes.NewReader(b))
		}
		out = append(out, el...)
	}
	return out
}

// ReadKeyring reads armored or binary keys.
func ReadKeyring(r io.Reader) (*Keyring, error) {
	data, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return nil, err
	}
	if !bytes.Contains(data, []byte("-----BEGIN PGP")) {
		el, err := openpgp.ReadKeyRing(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("pgp: reading keys: %w", err)
		}
		return &Keyring{entities: el, blocks: [][]byte{data}}, nil
	}
	// Several armored blocks, one after another (an exported secret key and
	// someone's public key in one file).
	k := &Keyring{armored: true}
	blocks := bytes.Split(data, []byte("-----BEGIN PGP"))
	for _, b := range blocks[1:] {
		block := append([]byte("-----BEGIN PGP"), b...)
		el, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(block))
		if err != nil {
			return nil, fmt.Errorf("pgp: reading keys: %w", err)
		}
		k.entities = append(k.entities, el...)
		k.blocks = append(k.blocks, block)
	}
	return k, nil
}

// LoadKeyring reads the keys of each file.
func LoadKeyring(paths ...string) (*Keyring, error) {
	k := &Keyring{armored: true}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("pgp: %w", err)
		}
		kr, err := ReadKeyring(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if !kr.armored {
			return nil, fmt.Errorf("pgp: %s: give keys in armored form (gpg --armor --export) when there are several files", p)
		}
		k.entities = append(k.entities, kr.entities...)
		k.blocks = append(k.blocks, kr.blocks...)
	}
	return k, nil
}

// Len is the number of keys (entities).
func (k *Keyring) Len() int {
	if k == nil {
		return 0
	}
	return len(k.entities)
}

// Options are what decryption and verification need.
type Options struct {
	Keyring    *Keyring
	extra      openpgp.EntityList // keys the message itself carries (Autocrypt)
	Passphrase []byte             // unlocks private keys; kept by the caller, never stored here
	Now        time.Time          // for key expiry; zero means now
}

// Result is what Process found. It is the report's pgp section, plus the
// decrypted content, which is shown on its own.
type Result struct {
	Kind              string `json:"kind"`
	Result            string `json:"result"` // pass, neutral, fail, none (see ResultPass)
	Encrypted         bool   `json:"encrypted"`
	Decrypted         bool   `json:"decrypted"`
	Signature         string `json:"signature"`
	SignerFingerprint string `json:"signer_fingerprint,omitempty"`
	SignerKeyID       string `json:"signer_key_id,omitempty"`
	SignerUserID      string `json:"signer_user_id,omitempty"`
	// KeySource says where the signer's key came from: "keyring", or
	// "autocrypt" (the message's own Autocrypt header: trust on first use).
	KeySource string `json:"key_source,omitempty"`
	// SignerKeyExpires is when the signer's key expires (RFC 3339), empty
	// when it does not.
	SignerKeyExpires string   `json:"signer_key_expires,omitempty"`
	PlaintextSHA256  string   `json:"plaintext_sha256,omitempty"`
	EncryptedTo      []string `json:"encrypted_to,omitempty"`
	Error            string   `json:"error,omitempty"`
	// Plaintext is the decrypted literal data (for PGP/MIME, a whole MIME
	// entity). It is not part of the report.
	Plaintext []byte `json:"-"`
	// UnsignedParts names what the reader sees beside the signed content
	// that no signature covers: the other parts of an enclosing multipart
	// ("part 2 of multipart/mixed: text/html"), text around an inline
	// signed block. Empty when the signature covers the whole body.
	UnsignedParts []string `json:"-"`
}

// Process looks for OpenPGP content in a message and decrypts and verifies
// it. It returns nil when there is none.
func Process(raw []byte, opts Options) *Result {
	if !bytes.Contains(raw, []byte("-----BEGIN PGP")) && !bytes.Contains(raw, []byte("application/pgp")) {
		return nil // the common case, found with two fast scans
	}
	raw = lineend.ToCRLF(raw)
	top, err := parseEntity(raw)
	if err != nil {
		return nil
	}
	ac, _ := autocryptKeys(top)
	opts.extra = ac
	r := processEntity(top, opts, 0)
	if r == nil {
		return nil
	}
	if r.Signature == SigGood {
		r.KeySource = "keyring"
		if inList(ac, r.SignerFingerprint) && (opts.Keyring == nil || !inList(opts.Keyring.entities, r.SignerFingerprint)) {
			r.KeySource = "autocrypt"
		}
	}
	r.Result = verdict(r)
	return r
}

// verdict is the Result word (see ResultPass): pass needs all three of a
// good signature, a key the user holds, and nothing shown unsigned.
func verdict(r *Result) string {
	switch r.Signature {
	case SigBad:
		return ResultFail
	case SigGood:
		if r.KeySource != "keyring" || len(r.UnsignedParts) > 0 {
			return ResultNeutral
		}
		return ResultPass
	case SigUnknownKey:
		return ResultNeutral
	}
	if r.Encrypted && !r.Decrypted {
		return ResultNeutral // whether it is signed cannot be known
	}
	return ResultNone
}

// describePart names a part for the reader: its place, its type and its
// file name when it has one.
func describePart(i int, parent string, e *entity) string {
	t, _ := e.mediaType()
	if t == "" {
		t = "text/plain"
	}
	s := fmt.Sprintf("part %d of %s: %s", i+1, parent, t)
	_, dp, _ := mime.ParseMediaType(e.header.Get("Content-Disposition"))
	_, cp, _ := mime.ParseMediaType(e.header.Get("Content-Type"))
	if name := dp["filename"]; name != "" {
		s += fmt.Sprintf(" %q", name)
	} else if name := cp["name"]; name != "" {
		s += fmt.Sprintf(" %q", name)
	}
	return s
}

// outsideArmor names the text of a body outside its OpenPGP block (from
// begin to the matching end line): text the reader sees that the signature
// or encryption does not cover.
func outsideArmor(body []byte, begin, end string) []string {
	i := bytes.Index(body, []byte(begin))
	if i < 0 {
		return nil
	}
	var out []string
	if len(bytes.TrimSpace(body[:i])) > 0 {
		out = append(out, "the text before the OpenPGP block")
	}
	if j := bytes.Index(body[i:], []byte(end)); j >= 0 {
		// Whatever follows the armor's end marker, on its own line or on
		// the marker's line itself, is not signed.
		rest := body[i+j+len(end):]
		if len(bytes.TrimSpace(rest)) > 0 {
			out = append(out, "the text after the OpenPGP block")
		}
	}
	return out
}

func processEntity(e *entity, opts Options, depth int) *Result {
	if depth > maxDepth {
		return &Result{Signature: SigNone, Error: "MIME nesting deeper than " + fmt.Sprint(maxDepth)}
	}
	t, params := e.mediaType()
	switch {
	case t == "multipart/encrypted" && strings.EqualFold(params["protocol"], "application/pgp-encrypted"):
		return mimeEncrypted(e, params["boundary"], opts, depth)
	case t == "multipart/signed" && strings.EqualFold(params["protocol"], "application/pgp-signature"):
		return mimeSigned(e, params["boundary"], opts)
	case strings.HasPrefix(t, "multipart/"):
		parts, err := splitMultipart(e.body, params["boundary"])
		if err != nil {
			return nil
		}
		for i, p := range parts {
			pe, err := parseEntity(p)
			if err != nil {
				continue
			}
			if r := processEntity(pe, opts, depth+1); r != nil {
				// What the signature covers is this part; the reader
				// sees its siblings too.
				for j, q := range parts {
					if j == i {
						continue
					}
					qe, err := parseEntity(q)
					if err != nil || len(bytes.TrimSpace(qe.body)) == 0 {
						continue
					}
					r.UnsignedParts = append(r.UnsignedParts, describePart(j, t, qe))
				}
				return r
			}
		}
		return nil
	case t == "text/plain" || t == "application/pgp":
		body := decodeTransfer(e)
		r := inline(body, opts)
		if r != nil {
			switch r.Kind {
			case KindInlineSigned:
				r.UnsignedParts = outsideArmor(body, "-----BEGIN PGP SIGNED MESSAGE-----", "-----END PGP SIGNATURE-----")
			case KindInlineEncrypt:
				r.UnsignedParts = outsideArmor(body, "-----BEGIN PGP MESSAGE-----", "-----END PGP MESSAGE-----")
			}
		}
		return r
	}
	return nil
}

// mimeEncrypted decrypts an RFC 3156 4 message: the second part holds the
// armored OpenPGP message; its plaintext is a MIME entity that may itself be
// signed (sign-then-encrypt, RFC 3156 6.1).
func mimeEncrypted(e *entity, boundary string, opts Options, depth int) *Result {
	r := &Result{Kind: KindMIMEEncrypted, Encrypted: true, Signature: SigNone}
	parts, err := splitMultipart(e.body, boundary)
	if err != nil || len(parts) < 2 {
		r.Error = "multipart/encrypted without its two parts"
		if err != nil {
			r.Error += ": " + err.Error()
		}
		return r
	}
	pe, err := parseEntity(parts[1])
	if err != nil {
		r.Error = err.Error()
		return r
	}
	decrypt(decodeTransfer(pe), opts, r)
	if r.Decrypted {
		if inner, err := parseEntity(lineend.ToCRLF(r.Plaintext)); err == nil {
			if t, params := inner.mediaType(); t == "multipart/signed" && r.Signature == SigNone && depth < maxDepth {
				s := mimeSigned(inner, params["boundary"], opts)
				r.Signature, r.SignerFingerprint, r.SignerKeyID, r.SignerUserID = s.Signature, s.SignerFingerprint, s.SignerKeyID, s.SignerUserID
				if s.Error != "" && r.Error == "" {
					r.Error = s.Error
				}
			}
		}
	}
	return r
}

// mimeSigned verifies an RFC 3156 5 message over the exact bytes of its
// first part.
func mimeSigned(e *entity, boundary string, opts Options) *Result {
	r := &Result{Kind: KindMIMESigned, Signature: SigNone}
	parts, err := splitMultipart(e.body, boundary)
	if err != nil || len(parts) < 2 {
		r.Error = "multipart/signed without its two parts"
		return r
	}
	sigEntity, err := parseEntity(parts[1])
	if err != nil {
		r.Error = err.Error()
		return r
	}
	sigBytes := decodeTransfer(sigEntity)
	var sigReader io.Reader = bytes.NewReader(sigBytes)
	if bytes.Contains(sigBytes, []byte("-----BEGIN PGP SIGNATURE-----")) {
		block, err := armor.Decode(bytes.NewReader(sigBytes))
		if err != nil {
			r.Signature, r.Error = SigBad, "the signature part is not valid armor: "+err.Error()
			return r
		}
		sigReader = block.Body
	}
	sigData, _ := io.ReadAll(io.LimitReader(sigReader, 1<<20))
	sig, signer, err := openpgp.VerifyDetachedSignature(keys(opts), bytes.NewReader(parts[0]), bytes.NewReader(sigData), config(opts))
	if sig == nil {
		sig = readSignaturePacket(sigData) // to name an unknown signer
	}
	r.Plaintext = parts[0]
	sum := sha256.Sum256(parts[0])
	r.PlaintextSHA256 = hex.EncodeToString(sum[:])
	setSignature(r, sig, signer, err)
	// RFC 3156 5 allows exactly two parts; a reader may be shown any
	// further one, which nobody signed.
	for j, q := range parts[2:] {
		if qe, err := parseEntity(q); err == nil && len(bytes.TrimSpace(qe.body)) > 0 {
			r.UnsignedParts = append(r.UnsignedParts, describePart(j+2, "multipart/signed", qe))
		} else if err != nil {
			r.UnsignedParts = append(r.UnsignedParts, fmt.Sprintf("part %d of multipart/signed (unreadable)", j+3))
		}
	}
	return r
}

// inline handles a text body with an armored message or a clear signature.
func inline(body []byte, opts Options) *Result {
	switch {
	case bytes.Contains(body, []byte("-----BEGIN PGP SIGNED MESSAGE-----")):
		r := &Result{Kind: KindInlineSigned, Signature: SigNone}
		block, _ := clearsign.Decode(body[bytes.Index(body, []byte("-----BEGIN PGP SIGNED MESSAGE-----")):])
		if block == nil {
			r.Signature, r.Error = SigBad, "the clear-signed block is malformed"
			return r
		}
		r.Plaintext = block.Plaintext
		sum := sha256.Sum256(clearText(body[bytes.Index(body, []byte("-----BEGIN PGP SIGNED MESSAGE-----")):]))
		r.PlaintextSHA256 = hex.EncodeToString(sum[:])
		signer, err := block.VerifySignature(keys(opts), config(opts))
		var sig *packet.Signature
		if again, _ := clearsign.Decode(body[bytes.Index(body, []byte("-----BEGIN PGP SIGNED MESSAGE-----")):]); again != nil {
			sig = firstSignature(again) // a fresh copy: verifying consumed the first
		}
		setSignature(r, sig, signer, err)
		return r
	case bytes.Contains(body, []byte("-----BEGIN PGP MESSAGE-----")):
		r := &Result{Kind: KindInlineEncrypt, Signature: SigNone}
		decrypt(body[bytes.Index(body, []byte("-----BEGIN PGP MESSAGE-----")):], opts, r)
		return r
	}
	return nil
}

// clearText returns the text of a clear-signed block as gpg --decrypt
// outputs it for the message in its canonical CRLF form (RFC 9580 7): each
// line of the cleartext dash-unescaped ("- " removed, 7.2), without its
// trailing spaces and tabs (7.1), and ended by CRLF, the last line too. A
// message stored with LF line ends gives the same text. block starts at the
// "-----BEGIN PGP SIGNED MESSAGE-----" line, which clearsign.Decode has
// accepted.
func clearText(block []byte) []byte {
	var out bytes.Buffer
	inHeader, first := true, true
	for len(block) > 0 {
		line := block
		if i := bytes.IndexByte(block, '\n'); i >= 0 {
			line, block = block[:i], block[i+1:]
		} else {
			block = nil
		}
		line = bytes.TrimRight(line, "\r")
		switch {
		case first:
			first = false // the BEGIN line
		case inHeader:
			// Armor headers (Hash:) up to the first empty line (7.1).
			inHeader = len(bytes.TrimRight(line, " \t")) > 0
		case bytes.Equal(bytes.TrimRight(line, " \t"), []byte("-----BEGIN PGP SIGNATURE-----")):
			return out.Bytes()
		default:
			line = bytes.TrimPrefix(line, []byte("- "))
			out.Write(bytes.TrimRight(line, " \t"))
			out.WriteString("\r\n")
		}
	}
	return out.Bytes()
}

func firstSignature(b *clearsign.Block) *packet.Signature {
	if b.ArmoredSignature == nil {
		return nil
	}
	data, _ := io.ReadAll(io.LimitReader(b.ArmoredSignature.Body, 1<<20))
	return readSignaturePacket(data)
}

// readSignaturePacket reads the first signature packet of data.
func readSignaturePacket(data []byte) *packet.Signature {
	p, err := packet.Read(bytes.NewReader(data))
	if err != nil {
		return nil
	}
	s, _ := p.(*packet.Signature)
	return s
}

// decrypt reads an (armored or binary) OpenPGP message, checking the
// signature inside it.
func decrypt(data []byte, opts Options, r *Result) {
	var in io.Reader = bytes.NewReader(data)
	if bytes.Contains(data, []byte("-----BEGIN PGP MESSAGE-----")) {
		block, err := armor.Decode(bytes.NewReader(data[bytes.Index(data, []byte("-----BEGIN PGP MESSAGE-----")):]))
		if err != nil {
			r.Error = "the encrypted part is not valid armor: " + err.Error()
			return
		}
		in = block.Body
	}
	tries := 0
	var lastErr error
	prompt := func(ks []openpgp.Key, symmetric bool) ([]byte, error) {
		tries++
		if tries > 1 { // go-crypto asks again forever on a wrong passphrase
			if lastErr == nil {
				lastErr = wrongPassphraseFor(ks)
			}
			return nil, lastErr
		}
		if len(opts.Passphrase) == 0 {
			lastErr = &PassphraseError{Err: ErrNoPassphrase, Keys: keyNames(ks)}
			return nil, lastErr
		}
		for _, k := range ks {
			if k.PrivateKey != nil && k.PrivateKey.Encrypted {
				if err := k.PrivateKey.Decrypt(opts.Passphrase); err == nil {
					return nil, nil
				}
			}
		}
		if symmetric {
			return opts.Passphrase, nil
		}
		lastErr = wrongPassphraseFor(ks)
		return nil, lastErr
	}
	ring := keys(opts)
	md, err := openpgp.ReadMessage(in, ring, prompt, config(opts))
	if err != nil {
		r.EncryptedTo = recipients(data)
		r.Error = describe(err)
		if errors.Is(err, pgperrors.ErrKeyIncorrect) {
			if pub := publicOnly(ring, r.EncryptedTo); len(pub) > 0 {
				// The recipient is known, but only by the public key:
				// importing the secret key (not a passphrase) helps.
				r.Error = "pgp: only the public key of " + strings.Join(pub, ", ") +
					" is in your keyring; decrypting needs its secret key"
			} else if len(r.EncryptedTo) > 0 {
				r.Error += " (encrypted to " + strings.Join(r.EncryptedTo, ", ") + ")"
			}
		}
		return
	}
	for _, id := range md.EncryptedToKeyIds {
		r.EncryptedTo = append(r.EncryptedTo, fmt.Sprintf("%016X", id))
	}
	r.Encrypted = md.IsEncrypted || r.Encrypted
	plain, err := io.ReadAll(io.LimitReader(md.UnverifiedBody, MaxPlaintext+1))
	if err != nil {
		r.Error = describe(err)
		return
	}
	if len(plain) > MaxPlaintext {
		r.Error = fmt.Sprintf("%v (%d MiB)", ErrTooLarge, MaxPlaintext>>20)
		return
	}
	r.Decrypted = md.IsEncrypted
	r.Plaintext = plain
	sum := sha256.Sum256(plain)
	r.PlaintextSHA256 = hex.EncodeToString(sum[:])
	if !md.IsSigned {
		return
	}
	var signer *openpgp.Entity
	if md.SignedBy != nil {
		signer = md.SignedBy.Entity
	}
	sigErr := md.SignatureError
	if md.SignedBy == nil {
		sigErr = pgperrors.ErrUnknownIssuer
	}
	sig := md.Signature
	if sig == nil {
		// A signer whose key is not in the keyring: go-crypto keeps the
		// signature packet unverified. Its Issuer Fingerprint subpacket
		// (RFC 9580 5.2.3.35) still names the signer, as gpg reports it.
		for _, u := range md.UnverifiedSignatures {
			if u.IssuerKeyId != nil && *u.IssuerKeyId == md.SignedByKeyId {
				sig = u
				break
			}
		}
	}
	setSignature(r, sig, signer, sigErr)
	if r.SignerKeyID == "" && md.SignedByKeyId != 0 {
		r.SignerKeyID = fmt.Sprintf("%016X", md.SignedByKeyId)
	}
}

// recipients lists the key ids a message is encrypted to, read from its
// public-key encrypted session key packets (for the error when none is ours).
// publicOnly names the recipients (key ids as recipients gives them) whose
// public key, and no secret key, the keyring holds.
func publicOnly(ring openpgp.EntityList, ids []string) []string {
	var out []string
	for _, hexID := range ids {
		id, err := strconv.ParseUint(hexID, 16, 64)
		if err != nil || id == 0 {
			continue
		}
		ks := ring.KeysById(id)
		if len(ks) == 0 {
			continue
		}
		secret := false
		for _, k := range ks {
			secret = secret || k.PrivateKey != nil
		}
		if !secret {
			out = append(out, keyName(ks[0].Entity, id))
		}
	}
	return out
}

func recipients(data []byte) []string {
	var in io.Reader = bytes.NewReader(data)
	if i := bytes.Index(data, []byte("-----BEGIN PGP MESSAGE-----")); i >= 0 {
		block, err := armor.Decode(bytes.NewReader(data[i:]))
		if err != nil {
			return nil
		}
		in = block.Body
	}
	var ids []string
	pr := packet.NewReader(in)
	for len(ids) < 64 {
		p, err := pr.Next()
		if err != nil {
			break
		}
		ek, ok := p.(*packet.EncryptedKey)
		if !ok {
			break
		}
		ids = append(ids, fmt.Sprintf("%016X", ek.KeyId))
	}
	return ids
}

// setSignature fills the signature fields from a verification.
func setSignature(r *Result, sig *packet.Signature, signer *openpgp.Entity, err error) {
	switch {
	case err == nil:
		r.Signature = SigGood
	case errors.Is(err, pgperrors.ErrUnknownIssuer):
		r.Signature = SigUnknownKey
	default:
		r.Signature = SigBad
		if r.Error == "" {
			r.Error = "bad signature: " + err.Error()
		}
	}
	if sig != nil {
		if sig.IssuerFingerprint != nil {
			r.SignerFingerprint = strings.ToUpper(hex.EncodeToString(sig.IssuerFingerprint))
		}
		if sig.IssuerKeyId != nil {
			r.SignerKeyID = fmt.Sprintf("%016X", *sig.IssuerKeyId)
		}
	}
	if signer != nil && signer.PrimaryKey != nil {
		r.SignerFingerprint = strings.ToUpper(hex.EncodeToString(signer.PrimaryKey.Fingerprint))
		if id := signer.PrimaryIdentity(); id != nil {
			r.SignerUserID = id.Name
			if sig := id.SelfSignature; sig != nil && sig.KeyLifetimeSecs != nil && *sig.KeyLifetimeSecs > 0 {
				r.SignerKeyExpires = signer.PrimaryKey.CreationTime.Add(time.Duration(*sig.KeyLifetimeSecs) * time.Second).UTC().Format(time.RFC3339)
			}
		}
	}
}

// describe turns go-crypto's errors into what a user can act on.
func describe(err error) string {
	switch {
	case errors.Is(err, ErrWrongPassphrase), errors.Is(err, ErrNoPassphrase):
		return err.Error()
	case errors.Is(err, pgperrors.ErrKeyIncorrect):
		return ErrNoKey.Error()
	}
	var se pgperrors.StructuralError
	if errors.As(err, &se) {
		return "corrupt OpenPGP data: " + err.Error()
	}
	var ue pgperrors.UnsupportedError
	if errors.As(err, &ue) {
		return "unsupported OpenPGP feature: " + err.Error()
	}
	return err.Error()
}

func keys(o Options) openpgp.EntityList {
	var el openpgp.EntityList
	if o.Keyring != nil {
		el = o.Keyring.fresh()
	}
	return append(el, o.extra...)
}

func config(o Options) *packet.Config {
	c := &packet.Config{}
	if !o.Now.IsZero() {
		now := o.Now
		c.Time = func() time.Time { return now }
	}
	return c
}

// decodeTransfer returns an entity's body with its transfer encoding undone
// (quoted-printable and base64; 7bit, 8bit and binary as they are).
func decodeTransfer(e *entity) []byte {
	switch strings.ToLower(strings.TrimSpace(e.header.Get("Content-Transfer-Encoding"))) {
	case "base64":
		return decodeBase64(e.body)
	case "quoted-printable":
		return decodeQP(e.body)
	}
	return e.body
}
