package mailbox

import (
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
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

// A SEARCH answer of a few bytes cannot make the client hold billions of
// UIDs: ranges are counted before they are expanded.
func TestSearchAnswerBounded(t *testing.T) {
	huge := &imap.SearchData{All: imap.UIDSet{{Start: 1, Stop: 4000000000}}}
	if _, err := sortedUIDs(huge); !errors.Is(err, ErrTooManyUIDs) {
		t.Errorf("1:4000000000: %v, want ErrTooManyUIDs", err)
	}
	open := &imap.SearchData{All: imap.UIDSet{{Start: 1, Stop: 0}}} // 1:*
	if _, err := uidCount(open); !errors.Is(err, ErrTooManyUIDs) {
		t.Errorf("1:*: %v", err)
	}
	ok := &imap.SearchData{All: imap.UIDSet{{Start: 3, Stop: 5}, {Start: 9, Stop: 9}}}
	if uids, err := sortedUIDs(ok); err != nil || len(uids) != 4 {
		t.Errorf("3:5,9: %v %v", uids, err)
	}
}
