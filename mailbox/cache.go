package mailbox

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Cache keeps raw messages fetched over IMAP on disk, in the user's cache
// folder, keyed by account, folder, UIDVALIDITY and UID (RFC 3501 2.3.1.1:
// the pair names one message for good), bounded in bytes. Reopening a folder
// takes its messages from here, and a folder can be read offline. A new
// UIDVALIDITY drops the folder's older entries. Files are 0600.
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
	name := c.file(account, folder, validity, uid)
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, name); err != nil {
		return err
	}
	if !c.ready {
		c.size, c.ready = c.measure(), true
	} else {
		c.size += int64(len(raw))
	}
	if c.MaxBytes > 0 && c.size > c.MaxBytes {
		c.evict()
	}
	return nil
}

// Folder returns the cached UIDVALIDITY of a folder and its UIDs, in order
// (for reading it offline).
func (c *Cache) Folder(account, folder string) (uint32, []uint32) {
	if c == nil {
		return 0, nil
	}
	entries, err := os.ReadDir(c.folderDir(account, folder))
	if err != nil || len(entries) == 0 {
		return 0, nil
	}
	v, err := strconv.ParseUint(entries[0].Name(), 10, 32)
	if err != nil {
		return 0, nil
	}
	files, _ := os.ReadDir(filepath.Join(c.folderDir(account, folder), entries[0].Name()))
	var uids []uint32
	for _, f := range files {
		if u, err := strconv.ParseUint(strings.TrimSuffix(f.Name(), ".eml"), 10, 32); err == nil && strings.HasSuffix(f.Name(), ".eml") {
			uids = append(uids, uint32(u))
		}
	}
	sort.Slice(uids, func(i, j int) bool { return uids[i] < uids[j] })
	return uint32(v), uids
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
