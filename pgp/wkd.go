package pgp

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/sealtrace/sealtrace/trace"

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
	Email          string       `json:"email"`
	Method         string       `json:"method,omitempty"` // advanced or direct
	URL            string       `json:"url,omitempty"`
	Status         string       `json:"status"`
	KeyFingerprint string       `json:"key_fingerprint,omitempty"`
	KeyUserIDs     []string     `json:"key_user_ids,omitempty"`
	Error          string       `json:"error,omitempty"`
	Steps          []trace.Step `json:"steps"`
	Key            []byte       `json:"-"`
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

// Limits of one lookup: an answer is one key (a few KiB; 256 KiB leaves
// room for many subkeys and signatures), and the whole lookup, both
// methods, ends after wkdTimeout whatever the caller's client allows.
const maxWKDBytes = 256 << 10

var wkdTimeout = 20 * time.Second

// hostName tells whether domain is a DNS host name that WKD may connect
// to: dot-separated labels of letters, digits and inner hyphens (RFC 1123
// 2.1), at least two of them, the last not all digits. This refuses what a
// message could use to make the app connect elsewhere: an IP address, a
// port ("x@127.0.0.1:8080"), a path, user info, brackets, spaces.
func hostName(domain string) bool {
	domain = strings.TrimSuffix(domain, ".")
	if len(domain) == 0 || len(domain) > 253 {
		return false
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range []byte(l) {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	last := labels[len(labels)-1]
	return strings.Trim(last, "0123456789") != ""
}

// WKDURLs returns the advanced and the direct URL for email.
func WKDURLs(email string) (advanced, direct string, err error) {
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 {
		return "", "", fmt.Errorf("pgp: %q is not an email address", email)
	}
	local, domain := email[:at], strings.TrimSuffix(strings.ToLower(email[at+1:]), ".")
	if strings.ContainsRune(local, '@') || !hostName(domain) {
		return "", "", fmt.Errorf("pgp: %q is not an email address with a host name as its domain: no WKD lookup", email)
	}
	sum := sha1.Sum([]byte(strings.ToLower(local)))
	hash := zBase32(sum[:])
	q := "?l=" + url.QueryEscape(local)
	advanced = "https://openpgpkey." + domain + "/.well-known/openpgpkey/" + domain + "/hu/" + hash + q
	direct = "https://" + domain + "/.well-known/openpgpkey/hu/" + hash + q
	return advanced, direct, nil
}

// webWords says why a web request failed in words a user acts on, not in
// Go's error text ("Get \"https://…\": dial tcp: lookup …").
func webWords(err error) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var opErr *net.OpError
	switch {
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return "the host " + strings.TrimSuffix(dnsErr.Name, ".") + " does not exist in DNS"
	case errors.As(err, &dnsErr) && dnsErr.IsTimeout:
		return "could not reach DNS to find the host " + strings.TrimSuffix(dnsErr.Name, ".")
	case errors.As(err, &dnsErr):
		return "could not look up the host " + strings.TrimSuffix(dnsErr.Name, ".") + " (DNS failed)"
	case errors.As(err, &certErr):
		return "the server's certificate is not trusted"
	case errors.Is(err, context.DeadlineExceeded), os.IsTimeout(err):
		return "the server did not answer in time"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "the server refused the connection"
	case errors.As(err, &opErr):
		return "could not connect to the server"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// Not one of the above: the innermost cause, without the layers
		// of "Get \"https://…\": dial tcp …" around it.
		inner := error(ue)
		for next := errors.Unwrap(inner); next != nil; next = errors.Unwrap(inner) {
			inner = next
		}
		return "the request failed: " + inner.Error()
	}
	return err.Error() // Sealtrace's own words (a deadline, a size limit)
}

// WKDLookup fetches the key of email: the advanced method, and the direct
// one when the advanced host does not exist (the draft's order).
func WKDLookup(ctx context.Context, client *http.Client, email string) *WKDResult {
	r := &WKDResult{Email: email, Status: WKDError, Steps: []trace.Step{}}
	advanced, direct, err := WKDURLs(email)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	ctx, cancel := context.WithTimeout(ctx, wkdTimeout)
	defer cancel()
	client = noRedirects(client)
	for _, try := range []struct{ method, url string }{{"advanced", advanced}, {"direct", direct}} {
		r.Method, r.URL = try.method, try.url
		body, status, err := fetch(ctx, client, try.url)
		if ctx.Err() == context.DeadlineExceeded {
			err = fmt.Errorf("the server did not answer within %v", wkdTimeout)
		}
		if err != nil {
			// Words for the user; Go's error text, for an expert, in Detail.
			r.Steps = append(r.Steps, trace.Step{Check: "wkd", What: fmt.Sprintf("The %s method asked %s and got no answer: %s.", try.method, try.url, webWords(err)),
				Kind: trace.KindTempError, Result: trace.TempError, Detail: err.Error(), RFC: wkdSpec})
			var dnsErr *net.DNSError
			if try.method == "advanced" && errors.As(err, &dnsErr) {
				continue // no openpgpkey subdomain: the direct method applies
			}
			r.Error = webWords(err)
			return r
		}
		res := trace.Fail
		switch status {
		case http.StatusOK:
			res = trace.Pass
		case http.StatusNotFound:
			res = trace.None
		}
		r.Steps = append(r.Steps, trace.Step{Check: "wkd", What: fmt.Sprintf("The %s method asked %s, which answered HTTP %d.", try.method, try.url, status), Result: res, RFC: wkdSpec})
		if status == http.StatusNotFound {
			r.Status = WKDAbsent
			return r
		}
		if status >= 300 && status < 400 {
			// Not followed: the key must come from the address's own
			// domain, over HTTPS, not from wherever the server points.
			r.Error = fmt.Sprintf("HTTP %d: a redirect, not followed", status)
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
		// The key checked is the one that carries the address; the others
		// an answer may hold are neither reported nor kept for import.
		chosen := el[0]
		r.Status = WKDMismatch
		for _, e := range el {
			if hasAddress(e, email) {
				chosen, r.Status = e, WKDFound
				break
			}
		}
		r.KeyFingerprint = fmt.Sprintf("%X", chosen.PrimaryKey.Fingerprint)
		for _, id := range chosen.Identities {
			r.KeyUserIDs = append(r.KeyUserIDs, id.Name)
		}
		if r.Status == WKDFound {
			var one bytes.Buffer
			if err := chosen.Serialize(&one); err != nil {
				r.Status, r.Error = WKDError, "the key cannot be kept: "+err.Error()
				return r
			}
			r.Key = one.Bytes()
		}
		return r
	}
	return r
}

// hasAddress tells whether one of e's user ids is the address.
func hasAddress(e *openpgp.Entity, email string) bool {
	for _, id := range e.Identities {
		if id.UserId != nil && strings.EqualFold(id.UserId.Email, email) {
			return true
		}
	}
	return false
}

// noRedirects returns a copy of client that does not follow redirects.
func noRedirects(client *http.Client) *http.Client {
	if client == nil {
		client = http.DefaultClient
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
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
	if resp.ContentLength > maxWKDBytes {
		return nil, resp.StatusCode, fmt.Errorf("the answer is larger than %d KiB (%d bytes announced)", maxWKDBytes>>10, resp.ContentLength)
	}
	// Counted on what arrives, not on what the server announced.
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxWKDBytes+1))
	if err == nil && len(body) > maxWKDBytes {
		return nil, resp.StatusCode, fmt.Errorf("the answer is larger than %d KiB", maxWKDBytes>>10)
	}
	return body, resp.StatusCode, err
}

// wkdSpec is where the Web Key Directory is specified (an Internet-Draft,
// section 3.1: the advanced and direct methods).
const wkdSpec = "draft-koch-openpgp-webkey-service 3.1"
