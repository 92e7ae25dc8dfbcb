package mailbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCache(t *testing.T) {
	c := &Cache{Dir: t.TempDir(), MaxBytes: 10_000}
	msg := []byte(strings.Repeat("x", 1000))
	for uid := uint32(1); uid <= 5; uid++ {
		if err := c.Put("alice@imap.example:993", "INBOX", 7, uid, msg); err != nil {
			t.Fatal(err)
		}
	}
	if raw, ok := c.Get("alice@imap.example:993", "INBOX", 7, 3); !ok || len(raw) != 1000 {
		t.Error("a cached message is missing")
	}
	if _, ok := c.Get("alice@imap.example:993", "INBOX", 8, 3); ok {
		t.Error("another UIDVALIDITY found the message")
	}
	if v, uids := c.Folder("alice@imap.example:993", "INBOX"); v != 7 || len(uids) != 5 || uids[0] != 1 || uids[4] != 5 {
		t.Errorf("folder: %d %v", v, uids)
	}
	// Bounded: 20 more messages keep it under MaxBytes, the oldest go first.
	for uid := uint32(6); uid <= 25; uid++ {
		c.Put("alice@imap.example:993", "INBOX", 7, uid, msg)
	}
	if c.measure() > c.MaxBytes {
		t.Errorf("the cache holds %d bytes, more than %d", c.measure(), c.MaxBytes)
	}
	if _, ok := c.Get("alice@imap.example:993", "INBOX", 7, 1); ok {
		t.Error("the oldest message was not evicted")
	}
	if _, ok := c.Get("alice@imap.example:993", "INBOX", 7, 25); !ok {
		t.Error("the newest message was evicted")
	}
	// A new UIDVALIDITY invalidates the folder's old entries.
	c.Put("alice@imap.example:993", "INBOX", 9, 1, msg)
	if v, uids := c.Folder("alice@imap.example:993", "INBOX"); v != 9 || len(uids) != 1 {
		t.Errorf("after a new UIDVALIDITY: %d %v", v, uids)
	}
	// Files are private; names carry no account or folder in clear.
	filepath.Walk(c.Dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && info.Mode().Perm() != 0o600 {
			t.Errorf("%s is %v", p, info.Mode())
		}
		if strings.Contains(p, "alice") || strings.Contains(p, "INBOX") {
			t.Errorf("%s names the account or folder", p)
		}
		return nil
	})
}
