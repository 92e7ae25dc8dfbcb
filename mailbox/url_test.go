package mailbox

import (
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	for _, c := range []struct {
		raw       string
		plaintext bool
		server    string
		sec       Security
		folder    string
		err       string
	}{
		{raw: "imaps://alice@mail.example.org/Reports", server: "mail.example.org:993", sec: ImplicitTLS, folder: "Reports"},
		{raw: "imap://alice@mail.example.org", server: "mail.example.org:143", sec: StartTLS, folder: "INBOX"},
		{raw: "imap://alice@127.0.0.1:1143/INBOX", plaintext: true, server: "127.0.0.1:1143", sec: Plaintext, folder: "INBOX"},
		{raw: "imap://alice@mail.example.org/INBOX", plaintext: true, err: "loopback"},
		{raw: "imaps://alice:secret@mail.example.org/INBOX", err: "password"},
		{raw: "pop3://alice@mail.example.org/", err: "scheme"},
		{raw: "imaps://mail.example.org/INBOX", err: "is not"},
	} {
		a, folder, err := ParseURL(c.raw, c.plaintext)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want one about %q", c.raw, err, c.err)
			}
			continue
		}
		if err != nil || a.Server != c.server || a.Security != c.sec || folder != c.folder || a.Username != "alice" {
			t.Errorf("%s: %+v %q %v", c.raw, a, folder, err)
		}
	}
}
