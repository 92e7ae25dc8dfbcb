package mailbox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCache(t *testing.T) {
	c := &Cache{Dir: t.TempDir(), MaxBytes: 10_000}
	defer c.Close()
	const acct = "alice@imap.example:993"
	msg := []byte(strings.Repeat("x", 1000))
	for uid := uint32(1); uid <= 5; uid++ {
		if err := c.Put(acct, "INBOX", 7, uid, msg); err != nil {
			t.Fatal(err)
		}
	}
	if raw, ok := c.Get(acct, "INBOX", 7, 3); !ok || len(raw) != 1000 {
		t.Error("a cached message is missing")
	}
	if _, ok := c.Get(acct, "INBOX", 8, 3); ok {
		t.Error("another UIDVALIDITY found the message")
	}
	if v := c.validity(acct, "INBOX"); v != 7 {
		t.Errorf("UIDVALIDITY %d", v)
	}
	// Another cache on the same folder (the app started again) finds them.
	again := &Cache{Dir: c.Dir, MaxBytes: 10_000}
	if raw, ok := again.Get(acct, "INBOX", 7, 5); !ok || len(raw) != 1000 {
		t.Error("a new Cache does not find the message")
	}
	// Bounded: a second folder pushes the first, least recently written, out.
	time.Sleep(10 * time.Millisecond) // distinct modification times
	for uid := uint32(1); uid <= 5; uid++ {
		if err := c.Put(acct, "Archive", 3, uid, msg); err != nil {
			t.Fatal(err)
		}
	}
	if c.measure() > c.MaxBytes {
		t.Errorf("the cache holds %d bytes, more than %d", c.measure(), c.MaxBytes)
	}
	if _, ok := c.Get(acct, "INBOX", 7, 1); ok {
		t.Error("the older folder was not evicted")
	}
	if _, ok := c.Get(acct, "Archive", 3, 5); !ok {
		t.Error("the newest folder was evicted")
	}
	// One folder alone cannot pass the bound.
	var err error
	for uid := uint32(6); uid <= 20 && err == nil; uid++ {
		err = c.Put(acct, "Archive", 3, uid, msg)
	}
	if !errors.Is(err, ErrCacheFull) || c.measure() > c.MaxBytes {
		t.Errorf("a folder over the bound: %v, %d bytes", err, c.measure())
	}
	// A new UIDVALIDITY invalidates the folder's old entries.
	c.Put(acct, "INBOX", 9, 1, msg)
	c.Put(acct, "INBOX", 10, 1, msg)
	if v := c.validity(acct, "INBOX"); v != 10 {
		t.Errorf("after a new UIDVALIDITY: %d", v)
	}
	if _, ok := c.Get(acct, "INBOX", 9, 1); ok {
		t.Error("a message of the old UIDVALIDITY is still there")
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

// The folder index: records come back one per UID (the last written), in
// UID order; Forget removes a message's files and record; a damaged end is
// ignored, the records before it kept; a new UIDVALIDITY starts afresh.
func TestCacheIndex(t *testing.T) {
	c := &Cache{Dir: t.TempDir(), MaxBytes: 1 << 20}
	defer c.Close()
	const acct, folder = "alice@imap.example:993", "INBOX"
	if err := c.AppendIndex(acct, folder, 7, []IndexRecord{{3, []byte("three")}, {1, []byte("one")}}); err != nil {
		t.Fatal(err)
	}
	c.AppendIndex(acct, folder, 7, []IndexRecord{{2, []byte("two")}, {3, []byte("THREE")}})
	c.PutReport(acct, folder, 7, 2, []byte(`{"r":2}`))
	c.Put(acct, folder, 7, 2, []byte("raw"))
	v, recs := c.Index(acct, folder)
	if got := fmt.Sprint(v, recs); got != "7 [{1 [111 110 101]} {2 [116 119 111]} {3 [84 72 82 69 69]}]" {
		t.Errorf("index: %s", got)
	}
	if b, ok := c.Report(acct, folder, 7, 2); !ok || string(b) != `{"r":2}` {
		t.Errorf("report: %q %v", b, ok)
	}
	if err := c.Forget(acct, folder, 7, []uint32{2}); err != nil {
		t.Fatal(err)
	}
	_, recs = c.Index(acct, folder)
	if len(recs) != 2 || recs[0].UID != 1 || recs[1].UID != 3 {
		t.Errorf("after Forget: %v", recs)
	}
	if _, ok := c.Get(acct, folder, 7, 2); ok {
		t.Error("the forgotten message is still cached")
	}
	if _, ok := c.Report(acct, folder, 7, 2); ok {
		t.Error("the forgotten report is still cached")
	}
	// A write cut short: a record that claims more bytes than follow. The
	// records before it stay; the log is cut back and written on.
	c.Close()
	for _, name := range []string{"index", "messages"} {
		f, _ := os.OpenFile(filepath.Join(c.folderDir(acct, folder), "7", name), os.O_WRONLY|os.O_APPEND, 0)
		f.Write([]byte{0, 0, 0, 9, 0, 0, 1, 0, 'x'})
		f.Close()
	}
	if _, recs = c.Index(acct, folder); len(recs) != 2 {
		t.Errorf("damaged end: %v", recs)
	}
	c.Put(acct, folder, 7, 4, []byte("four"))
	if b, ok := c.Get(acct, folder, 7, 4); !ok || string(b) != "four" {
		t.Errorf("written after a damaged end: %q %v", b, ok)
	}
	if _, ok := c.Get(acct, folder, 7, 9); ok {
		t.Error("the damaged record was read")
	}
	c.AppendIndex(acct, folder, 8, []IndexRecord{{1, []byte("new")}})
	if v, recs = c.Index(acct, folder); v != 8 || len(recs) != 1 || string(recs[0].Data) != "new" {
		t.Errorf("new UIDVALIDITY: %d %v", v, recs)
	}
}

// FuzzIndex: any bytes parse without panic into at most one record per UID,
// each within the bounds, and records written parse back.
func FuzzIndex(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 2, 'h', 'i'})
	f.Add([]byte{0, 0, 0, 1, 255, 255, 255, 255})
	f.Fuzz(func(t *testing.T, b []byte) {
		recs := parseIndex(b)
		seen := map[uint32]bool{}
		for _, r := range recs {
			if seen[r.UID] || len(r.Data) == 0 || len(r.Data) > maxIndexRecord {
				t.Fatalf("record %d: %d bytes, seen %v", r.UID, len(r.Data), seen[r.UID])
			}
			seen[r.UID] = true
		}
		var again []byte
		for _, r := range recs {
			again = binary.BigEndian.AppendUint32(again, r.UID)
			again = binary.BigEndian.AppendUint32(again, uint32(len(r.Data)))
			again = append(again, r.Data...)
		}
		if got := parseIndex(again); fmt.Sprint(got) != fmt.Sprint(recs) {
			t.Fatalf("written again: %v, was %v", got, recs)
		}
	})
}
