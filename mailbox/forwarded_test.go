package mailbox

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// A message as a receiver stored it: header fields with a signature, a body
// whose exact bytes matter (DKIM's body hash), a line that looks like a
// boundary of another multipart.
const suspect = "Received: from mail.example.net (mail.example.net [192.0.2.7])\r\n\tby mx.example.org with ESMTPS id 4Xy; Mon, 2 Jun 2025 10:00:00 +0000\r\n" +
	"DKIM-Signature: v=1; a=rsa-sha256; d=example.net; s=s1; h=from:subject; bh=AAAA; b=BBBB\r\n" +
	"From: \"Bank\" <alerts@example.net>\r\nSubject: Verify your account\r\n" +
	"Content-Type: multipart/alternative; boundary=\"inner-b\"\r\n\r\n" +
	"--inner-b\r\nContent-Type: text/plain\r\n\r\nClick here.  \r\n\r\n--inner-b--\r\n"

func TestAttachedMessages(t *testing.T) {
	two := strings.Replace(suspect, "Verify your account", "Second one", 1)
	b64 := base64.StdEncoding.EncodeToString([]byte(suspect))
	var wrapped strings.Builder
	for i := 0; i < len(b64); i += 76 {
		wrapped.WriteString(b64[i:min(i+76, len(b64))] + "\r\n")
	}
	for _, c := range []struct {
		name, msg string
		want      []string
	}{
		{"Thunderbird: forward as attachment", "From: user@example.org\r\nSubject: Fwd: Verify your account\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: multipart/mixed; boundary=\"------------abc123\"\r\n\r\nThis is a multi-part message in MIME format.\r\n" +
			"--------------abc123\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nPlease look at this.\r\n\r\n" +
			"--------------abc123\r\nContent-Type: message/rfc822; name=\"Verify your account.eml\"\r\nContent-Disposition: attachment; filename=\"Verify your account.eml\"\r\n\r\n" +
			suspect + "\r\n--------------abc123--\r\n", []string{suspect}},
		{"Outlook: inside multipart/mixed with an alternative body, two messages", "From: user@example.org\r\nContent-Type: multipart/mixed;\r\n\tboundary=\"_004_outer_\"\r\n\r\n" +
			"--_004_outer_\r\nContent-Type: multipart/alternative; boundary=\"_000_alt_\"\r\n\r\n--_000_alt_\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--_000_alt_\r\nContent-Type: text/html\r\n\r\n<p>see attached</p>\r\n--_000_alt_--\r\n\r\n" +
			"--_004_outer_\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n" + suspect + "\r\n" +
			"--_004_outer_\r\nContent-Type: Message/RFC822\r\n\r\n" + two + "\r\n--_004_outer_--\r\n", []string{suspect, two}},
		{"base64-encoded (against RFC 2046, written anyway)", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
			wrapped.String() + "--b--\r\n", []string{suspect}},
		{"stored with LF line ends, no close delimiter", strings.ReplaceAll("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n"+suspect, "\r\n", "\n"),
			[]string{strings.ReplaceAll(suspect, "\r\n", "\n")}},
		{"the whole entity is message/rfc822", "Content-Type: message/rfc822\r\n\r\n" + suspect, []string{suspect}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := AttachedMessages([]byte(c.msg))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("%d messages, want %d", len(got), len(c.want))
			}
			for i := range got {
				if !bytes.Equal(got[i], []byte(c.want[i])) {
					t.Errorf("message %d is not the attached bytes:\n%q\nwant\n%q", i, got[i], c.want[i])
				}
			}
		})
	}
	if _, err := AttachedMessages([]byte(suspect)); !errors.Is(err, ErrNoAttachedMessage) {
		t.Errorf("a message with nothing attached: %v", err)
	}
	// Nesting beyond the bound is an error, not a stack overflow.
	deep := ""
	for i := 0; i < maxMIMEDepth+5; i++ {
		b := "b" + strings.Repeat("x", i)
		deep += "Content-Type: multipart/mixed; boundary=" + b + "\r\n\r\n--" + b + "\r\n"
	}
	if _, err := AttachedMessages([]byte(deep)); err == nil || errors.Is(err, ErrNoAttachedMessage) {
		t.Errorf("deep nesting: %v", err)
	}
}

func FuzzAttachedMessages(f *testing.F) {
	f.Add([]byte("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n" + suspect + "\r\n--b--\r\n"))
	f.Add([]byte("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nA=3Db\r\n"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := AttachedMessages(raw)
		if err == nil && len(got) == 0 {
			t.Fatal("no error and no message")
		}
		if len(got) > maxAttachedCount {
			t.Fatalf("%d messages", len(got))
		}
		total := 0
		for _, m := range got {
			total += len(m)
		}
		// Decoding only shrinks (base64, quoted-printable); identity
		// parts are sub-slices. Nested messages are not returned twice.
		if total > len(raw) {
			t.Fatalf("%d bytes of messages out of %d", total, len(raw))
		}
	})
}
