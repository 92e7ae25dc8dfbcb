package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/sealtrace/sealtrace/inspect"
	"github.com/sealtrace/sealtrace/mailbox"
	"github.com/sealtrace/sealtrace/pipeline"
)

// Reading an IMAP folder, read-only (EXAMINE, BODY.PEEK), with the on-disk
// cache: every message inspected is kept there with its report (which
// carries the DNS answers it was based on) and a row in the folder's index.
// Reopening shows the index at once, before the server is asked anything;
// then only what is new on the server is fetched and inspected, and what
// the server no longer has is removed. Offline, the folder is what was
// inspected last time, each verdict as it was then.

// defaultMaxBody is the size above which a message is fetched as headers
// only in the background (SPF, DMARC and the path work on them); it is
// fetched whole when chosen.
const defaultMaxBody = 25 << 20

// folderRead is what entries of one folder share to reach their message
// and report.
type folderRead struct {
	acct     mailbox.Account
	folder   string
	validity uint32
	cache    *mailbox.Cache
	eng      *pipeline.Engine
	life     context.Context // the window's: closing it ends inspections of chosen messages
	// cacheFailed says, once, that the cache cannot be written: the folder
	// still works, only reopening will fetch again.
	cacheFailed func(error)
}

// kept reports a failed cache write (through cacheFailed).
func (r *folderRead) kept(err error) {
	if err != nil && r.cacheFailed != nil {
		r.cacheFailed(err)
	}
}

func (r *folderRead) key() string { return r.acct.Key() }

// raw is the whole message: from the cache, or fetched now (and cached).
func (r *folderRead) raw(uid uint32) ([]byte, error) {
	if raw, ok := r.cache.Get(r.key(), r.folder, r.validity, uid); ok {
		return raw, nil
	}
	raw, err := mailbox.FetchOne(r.lifetime(), r.acct, r.folder, r.validity, uid)
	if err != nil {
		return nil, err
	}
	r.kept(r.cache.Put(r.key(), r.folder, r.validity, uid, raw))
	return raw, nil
}

// inspect inspects a message again (its cached report is gone, or only its
// header had been fetched).
func (r *folderRead) inspect(e *entry, raw []byte) (*inspect.Report, []byte) {
	ctx, cancel := context.WithTimeout(r.lifetime(), inspectTimeout)
	defer cancel()
	res := r.eng.Inspect(ctx, raw, fmt.Sprintf("%s#%d", e.source, e.index))
	return res.Report, res.Plaintext
}

// lifetime is the window's: closing it ends what a chosen message started.
func (r *folderRead) lifetime() context.Context {
	if r.life == nil {
		return context.Background()
	}
	return r.life
}

// inspectTimeout bounds one message inspected again when it is chosen.
const inspectTimeout = 2 * time.Minute

// indexRow is what the folder's index keeps of a message: its row.
type indexRow struct {
	Date      time.Time `json:"date"`
	From      string    `json:"from"`
	Subject   string    `json:"subject"`
	Note      string    `json:"note,omitempty"`
	Partial   bool      `json:"partial,omitempty"`
	Size      int64     `json:"size,omitempty"`
	Sum       summary   `json:"sum"`
	Inspected time.Time `json:"inspected"`
}

// row is the index row of an entry (its fields other than the report and
// completion never change once made).
func row(e *entry, partial bool, rep *inspect.Report, at time.Time) indexRow {
	return indexRow{Date: e.date, From: e.from, Subject: e.subject, Note: e.note, Partial: partial, Size: e.size, Sum: *summarize(rep), Inspected: at}
}

// save keeps a message's report and row in the cache. The decrypted
// OpenPGP content is never written: it is not in the report.
func (r *folderRead) save(uid uint32, row indexRow, rep *inspect.Report) error {
	rec, err := r.saveReport(uid, row, rep)
	if err != nil {
		return err
	}
	return r.cache.AppendIndex(r.key(), r.folder, r.validity, []mailbox.IndexRecord{rec})
}

// saveReport writes the report and returns the index record to append
// (the caller may gather several: the index is one file).
func (r *folderRead) saveReport(uid uint32, row indexRow, rep *inspect.Report) (mailbox.IndexRecord, error) {
	if r.cache == nil {
		return mailbox.IndexRecord{}, nil
	}
	b, err := json.Marshal(rep)
	if err != nil {
		return mailbox.IndexRecord{}, err
	}
	if err := r.cache.PutReport(r.key(), r.folder, r.validity, uid, b); err != nil {
		return mailbox.IndexRecord{}, err
	}
	rb, err := json.Marshal(row)
	return mailbox.IndexRecord{UID: uid, Data: rb}, err
}

// setIMAP gives an entry its ways to reach its message: the cache or the
// server (raw, when there is no cache, is all there is), and for a message
// fetched as headers only, a way to fetch it whole and inspect it again.
func (r *folderRead) setIMAP(e *entry, raw []byte) {
	uid := e.uid
	e.load = func() ([]byte, error) { return r.raw(uid) }
	if r.cache == nil && !e.partial && raw != nil {
		e.load = func() ([]byte, error) { return raw, nil }
	}
	if e.partial {
		e.complete = func() (*inspect.Report, []byte, error) {
			if e.size > mailbox.MaxMessageBytes {
				return nil, nil, fmt.Errorf("%w: %d MB, over the limit of %d MB; checked from its header only", mailbox.ErrTooLarge, e.size>>20, mailbox.MaxMessageBytes>>20)
			}
			raw, err := r.raw(uid)
			if err != nil {
				return nil, nil, err
			}
			rep, plain := r.inspect(e, raw)
			r.kept(r.save(uid, row(e, false, rep, time.Now()), rep))
			return rep, plain, nil
		}
	}
}

// cachedEntries makes the rows of a folder's index, their reports left on
// disk until chosen.
func (r *folderRead) cachedEntries(name string, recs []mailbox.IndexRecord) []*entry {
	out := make([]*entry, 0, len(recs))
	for _, rec := range recs {
		var x indexRow
		if json.Unmarshal(rec.Data, &x) != nil {
			continue // a damaged record: the message is fetched again
		}
		sum := x.Sum
		e := &entry{source: name, index: len(out) + 1, date: x.Date, from: x.From, subject: x.Subject, note: x.Note,
			sum: &sum, uid: rec.UID, partial: x.Partial, inspected: x.Inspected, size: x.Size}
		r.setIMAP(e, nil)
		e.loadReport = func() (*inspect.Report, []byte, error) {
			if b, ok := r.cache.Report(r.key(), r.folder, r.validity, e.uid); ok {
				var rep inspect.Report
				if err := json.Unmarshal(b, &rep); err == nil {
					return &rep, nil, nil
				}
			}
			raw, err := r.raw(e.uid) // the report was evicted or damaged: inspect again
			if err != nil {
				return nil, nil, err
			}
			rep, plain := r.inspect(e, raw)
			return rep, plain, nil
		}
		out = append(out, e)
	}
	return out
}

// loadIMAP shows a folder: the cache's index at once, then what the server
// has that the index does not.
func (l *loader) loadIMAP(ctx context.Context, a mailbox.Account, folder string) {
	start := time.Now()
	name := folderSource(a.Key(), folder)
	var once sync.Once
	r := &folderRead{acct: a, folder: folder, cache: l.cache, eng: l.engine(), life: l.life, cacheFailed: func(err error) {
		once.Do(func() {
			l.onError(fmt.Errorf("%s: the message cache cannot be written (%w); reopening will fetch again", name, err))
		})
	}}
	validity, recs := l.cache.Index(r.key(), folder)
	r.validity = validity
	known := r.cachedEntries(name, recs)
	if len(known) > 0 {
		l.onEntries(known)
	}
	f, err := (*mailbox.Fetcher)(nil), l.noServer
	if err == nil {
		f, err = mailbox.Examine(ctx, a, folder)
	}
	if err != nil {
		if len(known) > 0 {
			l.state(0, true)
			l.onError(fmt.Errorf("%s: %w; showing the %d messages as they were inspected before (offline)", name, err, len(known)))
			l.onDone(len(known), time.Since(start))
			return
		}
		l.onError(fmt.Errorf("%s: %w", name, err))
		return
	}
	defer f.Close()
	defer context.AfterFunc(ctx, f.Abort)() // Cancel also ends a command waiting on the server
	if f.UIDValidity() != validity && len(known) > 0 {
		// The folder was recreated: its UIDs name other messages now.
		l.remove(known)
		known = nil
	}
	r.validity = f.UIDValidity()
	uids, unread, err := f.UIDs()
	if err != nil {
		l.onError(fmt.Errorf("%s: %w", name, err))
		return
	}
	l.state(unread, false)
	onServer := make(map[uint32]bool, len(uids))
	for _, u := range uids {
		onServer[u] = true
	}
	have := make(map[uint32]bool, len(known))
	var gone []*entry
	var goneUIDs []uint32
	for _, e := range known {
		if onServer[e.uid] {
			have[e.uid] = true
		} else {
			gone, goneUIDs = append(gone, e), append(goneUIDs, e.uid)
		}
	}
	if len(gone) > 0 {
		l.remove(gone)
		r.kept(l.cache.Forget(r.key(), folder, r.validity, goneUIDs))
	}
	var fresh []uint32
	for _, u := range uids {
		if !have[u] {
			fresh = append(fresh, u)
		}
	}
	if l.onFolderOpen != nil && f.UIDNext() != 0 {
		l.onFolderOpen(r, f.UIDNext())
	}
	l.fetchNew(ctx, f, r, name, fresh, len(known))
}

func (l *loader) state(unread int, offline bool) {
	if l.onState != nil {
		l.onState(unread, offline)
	}
}

func (l *loader) remove(es []*entry) {
	if l.onRemove != nil {
		l.onRemove(es)
	}
}

// fetchNew lists, fetches and inspects the given messages (pipeline.Folder:
// list data in pages of 500, whole messages 50 per command, those over the
// size cap as headers only), each written to the cache with its report by a
// goroutine of its own, so that the disk does not slow the folder down.
func (l *loader) fetchNew(ctx context.Context, f *mailbox.Fetcher, r *folderRead, name string, uids []uint32, before int) {
	type put struct {
		uid uint32
		raw []byte
		row indexRow
		rep *inspect.Report
	}
	puts := make(chan put, 256)
	written := make(chan struct{})
	go func() {
		defer close(written)
		// Index records are appended together when nothing else waits.
		var recs []mailbox.IndexRecord
		flush := func() {
			if len(recs) > 0 {
				r.kept(l.cache.AppendIndex(r.key(), r.folder, r.validity, recs))
				recs = recs[:0]
			}
		}
		for p := range puts {
			if p.rep != nil {
				rec, err := r.saveReport(p.uid, p.row, p.rep)
				r.kept(err)
				if err == nil {
					recs = append(recs, rec)
				}
			} else {
				r.kept(l.cache.Put(r.key(), r.folder, r.validity, p.uid, p.raw))
			}
			if len(puts) == 0 || len(recs) >= 500 {
				flush()
			}
		}
		flush()
	}()
	defer func() { close(puts); <-written }()
	maxBody := l.maxBody
	if maxBody == 0 {
		maxBody = defaultMaxBody
	}
	folder := &pipeline.Folder{Fetcher: f, UIDs: uids, Name: name, HeadersOver: maxBody}
	var inspected func(*entry, *inspect.Report)
	if l.cache != nil {
		folder.Cached = func(uid uint32) ([]byte, bool) { return l.cache.Get(r.key(), r.folder, r.validity, uid) }
		folder.Fetched = func(uid uint32, raw []byte) { puts <- put{uid: uid, raw: raw} }
		inspected = func(e *entry, rep *inspect.Report) {
			puts <- put{uid: e.uid, rep: rep, row: row(e, e.partial, rep, time.Now())}
		}
	}
	fctx, stop := context.WithCancel(ctx)
	src := folder.Source(fctx)
	defer folder.Wait() // the fetching has ended before puts is closed
	defer stop()        // run stopped early: let the fetching end
	l.firstIndex = before
	l.run(ctx, name, src, r, inspected)
}
