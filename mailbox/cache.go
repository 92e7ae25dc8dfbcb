package mailbox

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
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
// entries. Files are 0600 and folders 0700, names are hashes. On Windows the
// mode bits do nothing (Go maps them to the read-only attribute only): there
// the files are protected by the folder they are in, the user's cache folder
// (os.UserCacheDir: %LocalAppData%) inside the user's profile, whose ACL
// gives access to the user, SYSTEM and the Administrators only.
//
// Each folder (per UIDVALIDITY) is three append-only logs: messages,
// reports and index, each a run of records (UID, length, bytes); a later
// record of a UID replaces an earlier one. One file per message would cost
// a file creation per message, which is most of the time of writing a
// 10,000-message folder. A record cut short by a crash ends its log: the
// log is cut back to the last whole record. When the cache grows past
// MaxBytes, the folders written least recently go first.
type Cache struct {
	Dir      string
	MaxBytes int64

	mu    sync.Mutex
	size  int64
	ready bool            // size measured
	logs  map[string]*log // by path
}

// ErrCacheFull is returned when one folder alone would pass MaxBytes.
var ErrCacheFull = errors.New("mailbox: the cache is full")

// The logs of a folder.
const (
	logMessages = "messages"
	logReports  = "reports"
	logIndex    = "index"
)

// maxIndexRecord bounds one index record: a longer length means a damaged
// file. Messages and reports are bounded by MaxMessageBytes.
const maxIndexRecord = 1 << 20

// log is one append-only file and where each UID's last record is.
type log struct {
	f    *os.File // open for appending once written to
	locs map[uint32]span
	end  int64
}

type span struct{ off, n int64 }

func hashName(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

func (c *Cache) folderDir(account, folder string) string {
	return filepath.Join(c.Dir, hashName(account), hashName(folder))
}

func (c *Cache) vdir(account, folder string, validity uint32) string {
	return filepath.Join(c.folderDir(account, folder), strconv.FormatUint(uint64(validity), 10))
}

// Put stores a message.
func (c *Cache) Put(account, folder string, validity, uid uint32, raw []byte) error {
	return c.append(account, folder, validity, logMessages, []IndexRecord{{uid, raw}})
}

// Get returns a cached message.
func (c *Cache) Get(account, folder string, validity, uid uint32) ([]byte, bool) {
	return c.read(account, folder, validity, logMessages, uid)
}

// PutReport stores what was concluded about a message (the caller's bytes:
// the app keeps the report JSON, with the DNS answers it was based on).
func (c *Cache) PutReport(account, folder string, validity, uid uint32, data []byte) error {
	return c.append(account, folder, validity, logReports, []IndexRecord{{uid, data}})
}

// Report returns what PutReport stored.
func (c *Cache) Report(account, folder string, validity, uid uint32) ([]byte, bool) {
	return c.read(account, folder, validity, logReports, uid)
}

// IndexRecord is one message's record in a folder's index: what the caller
// needs to show the folder without reading every message or report (list
// data, verdict words). Empty Data forgets the message.
type IndexRecord struct {
	UID  uint32
	Data []byte
}

// AppendIndex adds records to the folder's index.
func (c *Cache) AppendIndex(account, folder string, validity uint32, recs []IndexRecord) error {
	for _, r := range recs {
		if len(r.Data) > maxIndexRecord {
			return fmt.Errorf("mailbox: index record of UID %d is %d bytes", r.UID, len(r.Data))
		}
	}
	return c.append(account, folder, validity, logIndex, recs)
}

// Index returns the folder's UIDVALIDITY and its index, one record per
// UID (the last written), in UID order.
func (c *Cache) Index(account, folder string) (uint32, []IndexRecord) {
	if c == nil {
		return 0, nil
	}
	v := c.validity(account, folder)
	if v == 0 {
		return 0, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := os.ReadFile(filepath.Join(c.vdir(account, folder, v), logIndex))
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

// Forget removes messages that are no longer on the server: their records
// are replaced by empty ones (the space returns when the folder is dropped).
func (c *Cache) Forget(account, folder string, validity uint32, uids []uint32) error {
	if c == nil || len(uids) == 0 {
		return nil
	}
	recs := make([]IndexRecord, len(uids))
	for i, uid := range uids {
		recs[i] = IndexRecord{UID: uid}
	}
	for _, name := range []string{logMessages, logReports, logIndex} {
		if err := c.append(account, folder, validity, name, recs); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the logs open for appending.
func (c *Cache) Close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for p, l := range c.logs {
		if l.f != nil {
			l.f.Close()
		}
		delete(c.logs, p)
	}
	return nil
}

// open returns the log at path, reading where its records are the first
// time, and cutting a damaged end (c.mu held).
func (c *Cache) open(path string, limit int64) (*log, error) {
	if l, ok := c.logs[path]; ok {
		return l, nil
	}
	l := &log{locs: map[uint32]span{}}
	f, err := os.Open(path)
	if err == nil {
		info, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, err
		}
		size := info.Size()
		var hdr [8]byte
		for l.end+8 <= size {
			if _, err := f.ReadAt(hdr[:], l.end); err != nil {
				break
			}
			uid, n := binary.BigEndian.Uint32(hdr[:]), int64(binary.BigEndian.Uint32(hdr[4:]))
			if n > limit || l.end+8+n > size {
				break // damaged, or cut short by a crash
			}
			if n == 0 {
				delete(l.locs, uid)
			} else {
				l.locs[uid] = span{l.end + 8, n}
			}
			l.end += 8 + n
		}
		f.Close()
		if size != l.end {
			if err := os.Truncate(path, l.end); err != nil {
				return nil, err
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if c.logs == nil {
		c.logs = map[string]*log{}
	}
	c.logs[path] = l
	return l, nil
}

func limitOf(name string) int64 {
	if name == logIndex {
		return maxIndexRecord
	}
	return MaxMessageBytes
}

func (c *Cache) read(account, folder string, validity uint32, name string, uid uint32) ([]byte, bool) {
	if c == nil {
		return nil, false
	}
	path := filepath.Join(c.vdir(account, folder, validity), name)
	c.mu.Lock()
	l, err := c.open(path, limitOf(name))
	var s span
	ok := false
	if err == nil {
		s, ok = l.locs[uid]
	}
	c.mu.Unlock()
	if !ok {
		return nil, false
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	b := make([]byte, s.n)
	if _, err := f.ReadAt(b, s.off); err != nil && !errors.Is(err, io.EOF) {
		return nil, false
	}
	return b, true
}

// append writes records to one log of a folder, dropping the folder's
// entries of other UIDVALIDITY values first, and other folders when over
// MaxBytes.
func (c *Cache) append(account, folder string, validity uint32, name string, recs []IndexRecord) error {
	if c == nil || len(recs) == 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	vdir := c.vdir(account, folder, validity)
	path := filepath.Join(vdir, name)
	l, ok := c.logs[path]
	if !ok || l.f == nil {
		fdir := filepath.Dir(vdir)
		if entries, err := os.ReadDir(fdir); err == nil {
			for _, e := range entries {
				if e.Name() != filepath.Base(vdir) {
					c.remove(filepath.Join(fdir, e.Name())) // stale UIDVALIDITY
					c.ready = false                         // measured again below
				}
			}
		}
		if err := os.MkdirAll(vdir, 0o700); err != nil {
			return err
		}
		var err error
		if l, err = c.open(path, limitOf(name)); err != nil {
			return err
		}
		if l.f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err != nil {
			return err
		}
	}
	var buf []byte
	for _, r := range recs {
		buf = binary.BigEndian.AppendUint32(buf, r.UID)
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(r.Data)))
		buf = append(buf, r.Data...)
	}
	if !c.ready {
		c.size, c.ready = c.measure(), true
	}
	if c.MaxBytes > 0 && c.size+int64(len(buf)) > c.MaxBytes {
		c.evict(filepath.Dir(vdir), int64(len(buf)))
		if c.size+int64(len(buf)) > c.MaxBytes {
			return ErrCacheFull
		}
	}
	if _, err := l.f.Write(buf); err != nil {
		return err
	}
	off := l.end
	for _, r := range recs {
		if len(r.Data) == 0 {
			delete(l.locs, r.UID)
		} else {
			l.locs[r.UID] = span{off + 8, int64(len(r.Data))}
		}
		off += 8 + int64(len(r.Data))
	}
	l.end = off
	c.size += int64(len(buf))
	return nil
}

// remove deletes a directory of the cache and forgets its open logs
// (c.mu held; the caller keeps c.size right).
func (c *Cache) remove(dir string) {
	for p, l := range c.logs {
		if rel, err := filepath.Rel(dir, p); err == nil && filepath.IsLocal(rel) {
			if l.f != nil {
				l.f.Close()
			}
			delete(c.logs, p)
		}
	}
	os.RemoveAll(dir)
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

// evict removes whole folders, those written least recently first, but
// not keep (the folder being written), until need more bytes fit within
// three quarters of MaxBytes (c.mu held).
func (c *Cache) evict(keep string, need int64) {
	type folder struct {
		dir  string
		size int64
		mod  int64
	}
	byDir := map[string]*folder{}
	filepath.Walk(c.Dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		// account/folder/validity/log: the folder is three levels up.
		dir := filepath.Dir(filepath.Dir(p))
		f := byDir[dir]
		if f == nil {
			f = &folder{dir: dir}
			byDir[dir] = f
		}
		f.size += info.Size()
		f.mod = max(f.mod, info.ModTime().UnixNano())
		return nil
	})
	var list []*folder
	for _, f := range byDir {
		if f.dir != keep {
			list = append(list, f)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].mod < list[j].mod })
	for _, f := range list {
		if c.size+need <= c.MaxBytes*3/4 {
			break
		}
		c.remove(f.dir)
		c.size -= f.size
	}
}
