package pgp

import (
	"bytes"
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
)

// Web Key Directory (draft-koch-openpgp-webkey-service): a domain serves
// its users' keys over HTTPS at a path made from the hashed local part.

// WKD statuses.
const (
	WKDFound    = "found"
	WKDAbsent   = "absent"
	WKDMismatch = "mismatch" // a key was served, but it does not carry the address
	WKDError    = "error"
)

// WKDResult is one WKD lookup.
type WKDResult struct {
	Email          string   `json:"email"`
	Method         string   `json:"method,omitempty"` // advanced or direct
	URL            string   `json:"url,omitempty"`
	Status         string   `json:"status"`
	KeyFingerprint string   `json:"key_fingerprint,omitempty"`
	KeyUserIDs     []string `json:"key_user_ids,omitempty"`
	Error          string   `json:"error,omitempty"`
	Steps          []string `json:"steps"`
	Key            []byte   `json:"-"`
}

const zbase32 = "ybndrfg8ejkmcpqxot1uwisza345h769"

// zBase32 encodes b in z-base-32 (used for the WKD hash, 160 bits).
func zBase32(b []byte) string {
	var out strings.Builder
	var buf, bits uint
	for _, c := range b {
		buf = buf<<8 | uint(c)
		bits += 8
		for bits >= 5 {
			out.WriteByte(zbase32[(buf>>(bits-5))&31])
			bits -= 5
		}
	}
	if bits > 0 {
		out.WriteByte(zbase32[(buf<<(5-bits))&31])
	}
	return out.String()
}

// WKDURLs returns the advanced and the direct URL for email.
func WKDURLs(email string) (advanced, direct string, err error) {
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 {
		return "", "", fmt.Errorf("pgp: %q is not an email address", email)
	}
	local, domain := email[:at], strings.ToLower(email[at+1:])
	sum := sha1.Sum([]byte(strings.ToLower(local)))
	hash := zBase32(sum[:])
	q := "?l=" + url.QueryEscape(local)
	advanced = "https://openpgpkey." + domain + "/.well-known/openpgpkey/" + domain + "/hu/" + hash + q
	direct = "https://" + domain + "/.well-known/openpgpkey/hu/" + hash + q
	return advanced, direct, nil
}

// WKDLookup fetches the key of email: the advanced method, and the direct
// one when the advanced host does not exist (the draft's order).
func WKDLookup(ctx context.Context, client *http.Client, email string) *WKDResult {
	r := &WKDResult{Email: email, Status: WKDError, Steps: []string{}}
	advanced, direct, err := WKDURLs(email)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	for _, try := range []struct{ method, url string }{{"advanced", advanced}, {"direct", direct}} {
		r.Method, r.URL = try.method, try.url
		body, status, err := fetch(ctx, client, try.url)
		if err != nil {
			r.Steps = append(r.Steps, fmt.Sprintf("%s method: %s: %v", try.method, try.url, err))
			var dnsErr *net.DNSError
			if try.method == "advanced" && errors.As(err, &dnsErr) {
				continue // no openpgpkey subdomain: the direct method applies
			}
			r.Error = err.Error()
			return r
		}
		r.Steps = append(r.Steps, fmt.Sprintf("%s method: %s answered HTTP %d", try.method, try.url, status))
		if status == http.StatusNotFound {
			r.Status = WKDAbsent
			return r
		}
		if status != http.StatusOK {
			r.Error = fmt.Sprintf("HTTP %d", status)
			return r
		}
		el, err := openpgp.ReadKeyRing(bytes.NewReader(body))
		if err != nil || len(el) == 0 {
			r.Error = "the server did not send a binary OpenPGP key"
			return r
		}
		r.Key = body
		r.KeyFingerprint = fmt.Sprintf("%X", el[0].PrimaryKey.Fingerprint)
		r.Status = WKDMismatch
		for _, id := range el[0].Identities {
			r.KeyUserIDs = append(r.KeyUserIDs, id.Name)
			if id.UserId != nil && strings.EqualFold(id.UserId.Email, email) {
				r.Status = WKDFound
			}
		}
		return r
	}
	return r
}

func fetch(ctx context.Context, client *http.Client, u string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return body, resp.StatusCode, err
}
