package mailbox

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
)

// Cache keeps what was read over IMAP on disk, in the user's cache folder:
// raw messages, the caller's report of each, and a per-folder index of
// small records (the rows of the list), keyed by account, folder,
// UIDVALIDITY and UID (RFC 3501 2.3.1.1: the pair names one message for
// good), bounded in bytes. Reopening a folder starts from its index, and a
// folder can be read offline. A new UIDVALIDITY drops the folder's older
// entries. Files are 0600, names are hashes.
type Cache struct {
	Dir      string
	MaxBytes int64

	mu    sync.Mutex
	size  int64 // -1 until measured
	ready bool
}

func hashName(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

func (c *Cache) folderDir(account, folder string) string {
	return filepath.Join(c.Dir, hashName(account), hashName(folder))
}

func (c *Cache) file(account, folder string, validity, uid uint32) string {
	return filepath.Join(c.folderDir(account, folder), strconv.FormatUint(uint64(validity), 10), strconv.FormatUint(uint64(uid), 10)+".eml")
}

// Get returns a cached message.
func (c *Cache) Get(account, folder string, validity, uid uint32) ([]byte, bool) {
	if c == nil {
		return nil, false
	}
	raw, err := os.ReadFile(c.file(account, folder, validity, uid))
	return raw, err == nil
}

// Put stores a message, dropping entries of other UIDVALIDITY values of the
// folder, and the oldest entries when over MaxBytes.
func (c *Cache) Put(account, folder string, validity, uid uint32, raw []byte) error {
	return c.write(account, folder, validity, strconv.FormatUint(uint64(uid), 10)+".eml", raw, false)
}

// PutReport stores what was concluded about a message (the caller's bytes:
// the app keeps the report JSON, with the DNS answers it was based on).
func (c *Cache) PutReport(account, folder string, validity, uid uint32, data []byte) error {
	return c.write(account, folder, validity, strconv.FormatUint(uint64(uid), 10)+".json", data, false)
}

// Report returns what PutReport stored.
func (c *Cache) Report(account, folder string, validity, uid uint32) ([]byte, bool) {
	if c == nil {
		return nil, false
	}
	b, err := os.ReadFile(filepath.Join(c.folderDir(account, folder), strconv.FormatUint(uint64(validity), 10), strconv.FormatUint(uint64(uid), 10)+".json"))
	return b, err == nil
}

func (c *Cache) write(account, folder string, validity uint32, name string, data []byte, appendTo bool) error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	fdir := c.folderDir(account, folder)
	vdir := filepath.Join(fdir, strconv.FormatUint(uint64(validity), 10))
	if entries, err := os.ReadDir(fdir); err == nil {
		for _, e := range entries {
			if e.Name() != filepath.Base(vdir) {
				os.RemoveAll(filepath.Join(fdir, e.Name())) // stale UIDVALIDITY
				c.ready = false
			}
		}
	}
	if err := os.MkdirAll(vdir, 0o700); err != nil {
		return err
	}
	path := filepath.Join(vdir, name)
	if appendTo {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return err
		}
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	} else {
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, data, 0o600); err != nil {
			return err
		}
		if err := os.Rename(tmp, path); err != nil {
			return err
		}
	}
	if !c.ready {
		c.size, c.ready = c.measure(), true
	} else {
		c.size += int64(len(data))
	}
	if c.MaxBytes > 0 && c.size > c.MaxBytes {
		c.evict()
	}
	return nil
}

// IndexRecord is one message's record in a folder's index: what the caller
// needs to show the folder without reading every message or report (list
// data, verdict words). Empty Data forgets the message.
type IndexRecord struct {
	UID  uint32
	Data []byte
}

// maxIndexRecord bounds one record: a longer length means a damaged file.
const maxIndexRecord = 1 << 20

// AppendIndex adds records to the folder's index (one file, appended to:
// UID, length, data; a later record of a UID replaces an earlier one).
func (c *Cache) AppendIndex(account, folder string, validity uint32, recs []IndexRecord) error {
	var buf []byte
	for _, r := range recs {
		if len(r.Data) > maxIndexRecord {
			return fmt.Errorf("mailbox: index record of UID %d is %d bytes", r.UID, len(r.Data))
		}
		buf = binary.BigEndian.AppendUint32(buf, r.UID)
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(r.Data)))
		buf = append(buf, r.Data...)
	}
	return c.write(account, folder, validity, "index", buf, true)
}

// Index returns the folder's UIDVALIDITY and its index, one record per
// UID (the last written), in UID order. A damaged end (a write cut short)
// is ignored: the records before it are kept.
func (c *Cache) Index(account, folder string) (uint32, []IndexRecord) {
	if c == nil {
		return 0, nil
	}
	v := c.validity(account, folder)
	if v == 0 {
		return 0, nil
	}
	b, err := os.ReadFile(filepath.Join(c.folderDir(account, folder), strconv.FormatUint(uint64(v), 10), "index"))
	if err != nil {
		return v, nil
	}
	return v, parseIndex(b)
}

func parseIndex(b []byte) []IndexRecord {
	last := map[uint32][]byte{}
	for len(b) >= 8 {
		uid, n := binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:])
		if n > maxIndexRecord || int(n) > len(b)-8 {
			break
		}
		last[uid] = b[8 : 8+n : 8+n]
		b = b[8+n:]
	}
	out := make([]IndexRecord, 0, len(last))
	for uid, d := range last {
		if len(d) > 0 {
			out = append(out, IndexRecord{uid, d})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UID < out[j].UID })
	return out
}

// Forget removes messages that are no longer on the server: their files,
// and their index records.
func (c *Cache) Forget(account, folder string, validity uint32, uids []uint32) error {
	if c == nil || len(uids) == 0 {
		return nil
	}
	recs := make([]IndexRecord, len(uids))
	vdir := filepath.Join(c.folderDir(account, folder), strconv.FormatUint(uint64(validity), 10))
	c.mu.Lock()
	for i, uid := range uids {
		recs[i] = IndexRecord{UID: uid}
		for _, ext := range []string{".eml", ".json"} {
			os.Remove(filepath.Join(vdir, strconv.FormatUint(uint64(uid), 10)+ext))
		}
	}
	c.ready = false
	c.mu.Unlock()
	return c.AppendIndex(account, folder, validity, recs)
}

// validity is the UIDVALIDITY the folder's entries are kept under (the
// newest, should a crash have left two).
func (c *Cache) validity(account, folder string) uint32 {
	entries, err := os.ReadDir(c.folderDir(account, folder))
	if err != nil {
		return 0
	}
	var best uint32
	var bestMod int64
	for _, e := range entries {
		v, err := strconv.ParseUint(e.Name(), 10, 32)
		info, ierr := e.Info()
		if err != nil || ierr != nil || !e.IsDir() {
			continue
		}
		if m := info.ModTime().UnixNano(); best == 0 || m > bestMod {
			best, bestMod = uint32(v), m
		}
	}
	return best
}

func (c *Cache) measure() int64 {
	var n int64
	filepath.Walk(c.Dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n += info.Size()
		}
		return nil
	})
	return n
}

// evict removes the least recently written messages until the cache holds
// at most three quarters of MaxBytes.
func (c *Cache) evict() {
	type f struct {
		path string
		size int64
		mod  int64
	}
	var files []f
	filepath.Walk(c.Dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			files = append(files, f{p, info.Size(), info.ModTime().UnixNano()})
		}
		return nil
	})
	sort.Slice(files, func(i, j int) bool { return files[i].mod < files[j].mod })
	for _, x := range files {
		if c.size <= c.MaxBytes*3/4 {
			break
		}
		if os.Remove(x.path) == nil {
			c.size -= x.size
		}
	}
}
