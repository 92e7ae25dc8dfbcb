package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/sealtrace/sealtrace/assets"
	"github.com/sealtrace/sealtrace/inspect"
	"github.com/sealtrace/sealtrace/internal/pgpreport"
	"github.com/sealtrace/sealtrace/mailbox"
	"github.com/sealtrace/sealtrace/pgp"
	"github.com/sealtrace/sealtrace/resolver"
)

// entry is one message in the list. The raw message is not kept for files:
// load reads it again from its span, so a 10,000-message mbox costs its
// reports, not its messages.
type entry struct {
	source  string
	index   int
	date    time.Time
	from    string
	subject string
	note    string // the demo's teaching note
	report  *inspect.Report
	plain   []byte // decrypted OpenPGP content, shown on its own
	load    func() ([]byte, error)
}

// badge is the result word shown for a check in the list.
func (e *entry) badge(check string) string {
	if e.report == nil {
		return "…"
	}
	r := e.report
	switch check {
	case "SPF":
		return r.SPF.Result
	case "DKIM":
		return dkimSummary(r.DKIM)
	case "DMARC":
		return r.DMARC.Result
	case "ARC":
		return r.ARC.Result
	case "PGP":
		return pgpBadge(r.PGP)
	}
	return ""
}

// pgpBadge is the list's word for the OpenPGP content: empty when there is
// none, "locked" when it could not be decrypted, else the signature word.
func pgpBadge(p *inspect.PGPReport) string {
	switch {
	case p == nil:
		return ""
	case p.Encrypted && !p.Decrypted:
		return "locked"
	case p.Signature == "none":
		return "decrypted"
	}
	return p.Signature
}

// pgpColourWord maps the PGP badge to a result colour.
func pgpColourWord(badge string) string {
	switch badge {
	case "good", "decrypted":
		return inspect.Pass
	case "bad":
		return inspect.Fail
	case "locked", "unknown_key":
		return inspect.Neutral
	}
	return inspect.None
}

// dkimSummary is one word for all signatures: pass when one passes (that is
// what DMARC can use), else the first signature's result.
func dkimSummary(ds []inspect.DKIMResult) string {
	if len(ds) == 0 {
		return inspect.None
	}
	for _, d := range ds {
		if d.Result == inspect.Pass {
			return inspect.Pass
		}
	}
	return ds[0].Result
}

// quickHeader reads date, from, subject and the demo note from the header
// section only, for the list row before the inspection is done.
func quickHeader(raw []byte) (date time.Time, from, subject, note string) {
	end := bytes.Index(raw, []byte("\r\n\r\n"))
	if end < 0 {
		end = len(raw)
	}
	msg, err := mail.ReadMessage(io.MultiReader(bytes.NewReader(raw[:end]), strings.NewReader("\r\n\r\n")))
	if err != nil {
		return time.Time{}, "", "", ""
	}
	date, _ = msg.Header.Date()
	dec := new(mime.WordDecoder)
	from, _ = dec.DecodeHeader(msg.Header.Get("From"))
	subject, _ = dec.DecodeHeader(msg.Header.Get("Subject"))
	note = msg.Header.Get("X-Sealtrace-Note")
	return date, from, subject, note
}

// loader reads a source and inspects its messages off the UI goroutine.
// Rows and reports go back through one goroutine, in batches, so the UI's
// callbacks (wrapped in fyne.Do) never run concurrently with each other.
type loader struct {
	opts inspect.Options
	pgp  pgp.Options
	// onFolderOpen, when set, learns the UIDNEXT of an IMAP folder as it is
	// opened: what arrives from then on comes through IDLE (UI.watch).
	onFolderOpen func(uidNext uint32)
	cache        *mailbox.Cache   // IMAP messages on disk; nil: none
	onEntries    func([]*entry)   // new rows, in file order
	onReports    func([]reported) // finished inspections
	onError      func(error)
	onDone       func(n int, took time.Duration)
}

type reported struct {
	e     *entry
	r     *inspect.Report
	plain []byte
}

// loadDemo loads the embedded demo mailbox with its own zone and time.
func (l *loader) loadDemo(ctx context.Context) {
	z, err := assets.DemoResolver()
	if err != nil {
		l.onError(err)
		return
	}
	opts := l.opts
	opts.Resolver = z
	opts.Now = func() time.Time { return assets.DemoNow }
	if kr, err := pgp.ReadKeyring(bytes.NewReader(assets.DemoKeys)); err == nil {
		l.pgp = pgp.Options{Keyring: kr, Passphrase: []byte(assets.DemoPassphrase)}
	}
	r := mailbox.NewMboxReader(bytes.NewReader(assets.DemoMbox))
	l.run(ctx, "Demo mailbox", fromMbox(r, func(start, end int64) func() ([]byte, error) {
		return func() ([]byte, error) { return mailbox.Unquote(assets.DemoMbox[start:end]), nil }
	}), opts)
}

// loadFile loads an .eml or mbox file.
func (l *loader) loadFile(ctx context.Context, path string) {
	f, err := os.Open(path)
	if err != nil {
		l.onError(err)
		return
	}
	defer f.Close()
	head := make([]byte, 5)
	n, _ := io.ReadFull(f, head)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		l.onError(err)
		return
	}
	name := baseName(path)
	if !mailbox.IsMbox(head[:n]) {
		raw, err := io.ReadAll(io.LimitReader(f, mailbox.MaxMessageBytes+1))
		if err == nil && len(raw) > mailbox.MaxMessageBytes {
			err = mailbox.ErrTooLarge
		}
		if err != nil {
			l.onError(fmt.Errorf("%s: %w", name, err))
			return
		}
		l.loadBytes(ctx, name, raw)
		return
	}
	l.run(ctx, name, fromMbox(mailbox.NewMboxReader(f), func(start, end int64) func() ([]byte, error) {
		return func() ([]byte, error) {
			g, err := os.Open(path)
			if err != nil {
				return nil, err
			}
			defer g.Close()
			buf := make([]byte, end-start)
			if _, err := g.ReadAt(buf, start); err != nil && !errors.Is(err, io.EOF) {
				return nil, err
			}
			return mailbox.Unquote(buf), nil
		}
	}), l.opts)
}

// loadBytes loads one message held in memory (a dropped .eml, pasted headers).
func (l *loader) loadBytes(ctx context.Context, name string, raw []byte) {
	l.run(ctx, name, fromBytes(raw), l.opts)
}

// maxIMAPMessage is the size above which a message is not fetched whole
// (its headers still are: SPF, DMARC and the path work on them).
const maxIMAPMessage = 25 << 20

// loadIMAP inspects a folder read-only (EXAMINE, BODY.PEEK). Messages stay
// in memory for this session; an on-disk cache is not there yet.
func (l *loader) loadIMAP(ctx context.Context, a mailbox.Account, folder string) {
	name := a.Username + "@" + a.Server + ": " + folder
	key := a.Username + "@" + a.Server
	f, err := mailbox.Examine(a, folder)
	if err != nil {
		if validity, uids := l.cache.Folder(key, folder); len(uids) > 0 && !errors.Is(err, mailbox.ErrLogin) {
			// Offline: the folder as it was last read.
			l.onError(fmt.Errorf("%s: %w; showing the %d messages of the cache (offline)", name, err, len(uids)))
			i := 0
			l.run(ctx, name+" (offline)", func() (item, bool) {
				for ; i < len(uids); i++ {
					if raw, ok := l.cache.Get(key, folder, validity, uids[i]); ok {
						i++
						return item{raw: raw, load: func() ([]byte, error) { return raw, nil }}, true
					}
				}
				return item{}, false
			}, l.opts)
			return
		}
		l.onError(fmt.Errorf("%s: %w", name, err))
		return
	}
	defer f.Close()
	defer context.AfterFunc(ctx, f.Abort)() // Cancel also ends a command waiting on the server
	// Messages are written to the cache by a goroutine of their own, so
	// that the disk does not slow the folder down.
	type put struct {
		uid uint32
		raw []byte
	}
	puts := make(chan put, 256)
	written := make(chan struct{})
	go func() {
		defer close(written)
		reported := false
		for p := range puts {
			if err := l.cache.Put(key, folder, f.UIDValidity(), p.uid, p.raw); err != nil && !reported {
				reported = true // once: the folder still loads, only without the cache
				l.onError(fmt.Errorf("%s: the message cache cannot be written (%w); reopening will fetch again", name, err))
			}
		}
	}()
	defer func() { close(puts); <-written }()
	if l.onFolderOpen != nil && f.UIDNext() != 0 {
		l.onFolderOpen(f.UIDNext())
	}
	// List data page by page (UID ranges of 500), so the first rows show
	// before a large folder is listed; whole messages in batches of 50 per
	// command, those over the size cap as headers only.
	const page, batch = 500, 50
	var pending []mailbox.MessageInfo
	nextUID := uint32(1)
	var got map[uint32][]byte
	inBatch := 0
	l.run(ctx, name, func() (item, bool) {
		for len(pending) == 0 {
			last := f.UIDNext() - 1
			if f.UIDNext() == 0 { // not reported: everything in one listing
				if nextUID > 1 {
					return item{}, false
				}
				last = 0
			} else if nextUID > last {
				return item{}, false
			}
			to := last
			if last != 0 {
				to = min(nextUID+page-1, last)
			}
			list, err := f.Page(nextUID, to)
			if err != nil {
				return item{err: err}, true
			}
			nextUID += page
			pending, inBatch = list, 0
		}
		if inBatch == 0 {
			got = map[uint32][]byte{}
			var uids []uint32
			for _, mi := range pending[:min(batch, len(pending))] {
				if raw, ok := l.cache.Get(key, folder, f.UIDValidity(), mi.UID); ok {
					got[mi.UID] = raw
				} else if mi.Size <= maxIMAPMessage {
					uids = append(uids, mi.UID)
				}
			}
			if len(uids) > 0 {
				fetched, err := f.Messages(uids) // reconnects and resumes after a drop
				if err != nil {
					return item{err: err}, true
				}
				for uid, raw := range fetched {
					got[uid] = raw
					if l.cache != nil {
						puts <- put{uid, raw}
					}
				}
			}
		}
		mi := pending[0]
		pending = pending[1:]
		inBatch = (inBatch + 1) % batch
		raw, ok := got[mi.UID]
		if !ok {
			raw = mi.Header
		}
		return item{raw: raw, load: func() ([]byte, error) { return raw, nil }}, true
	}, l.opts)
}

// run reads messages (from r, or the given raw ones), shows rows at once in
// batches, and inspects with one worker per core.
// item is one message a source yields: its bytes, how to read it again, or
// why it could not be read.
type item struct {
	raw  []byte
	load func() ([]byte, error)
	err  error
}

// fromMbox yields the messages of an mbox; spanLoader makes the function
// that reads one again from its byte span.
func fromMbox(r *mailbox.MboxReader, spanLoader func(int64, int64) func() ([]byte, error)) func() (item, bool) {
	return func() (item, bool) {
		raw, _, err := r.Next()
		if errors.Is(err, io.EOF) {
			return item{}, false
		}
		if err != nil {
			return item{err: err}, true
		}
		s, e := r.Span()
		return item{raw: raw, load: spanLoader(s, e)}, true
	}
}

// fromBytes yields messages held in memory.
func fromBytes(raws ...[]byte) func() (item, bool) {
	i := 0
	return func() (item, bool) {
		if i == len(raws) {
			return item{}, false
		}
		raw := raws[i]
		i++
		return item{raw: raw, load: func() ([]byte, error) { return raw, nil }}, true
	}
}

func (l *loader) run(ctx context.Context, source string, next func() (item, bool), opts inspect.Options) {
	start := time.Now()
	type job struct {
		e   *entry
		raw []byte
	}
	jobs := make(chan job, runtime.GOMAXPROCS(0)*2)
	events := make(chan any, 256) // []*entry or reported
	forwarded := make(chan struct{})
	go l.forward(events, forwarded)

	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				o := opts
				o.Source = fmt.Sprintf("%s#%d", j.e.source, j.e.index)
				rep, err := inspect.Inspect(ctx, j.raw, o)
				var plain []byte
				if err == nil {
					if res := pgpreport.Attach(rep, j.raw, l.pgp); res != nil {
						plain = res.Plaintext
					}
				}
				events <- reported{j.e, rep, plain}
			}
		}()
	}
	var batch []*entry
	lastFlush := time.Now()
	flush := func() {
		if len(batch) > 0 {
			events <- batch
			batch = nil
		}
		lastFlush = time.Now()
	}
	n := 0
	add := func(raw []byte, loadFn func() ([]byte, error)) bool {
		n++
		e := &entry{source: source, index: n, load: loadFn}
		e.date, e.from, e.subject, e.note = quickHeader(raw)
		batch = append(batch, e)
		// The first rows show at once; after that, in batches.
		if n <= 50 || len(batch) >= 500 || time.Since(lastFlush) > 100*time.Millisecond {
			flush()
		}
		select {
		case jobs <- job{e, raw}:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for ctx.Err() == nil {
		it, ok := next()
		if !ok {
			break
		}
		if errors.Is(it.err, mailbox.ErrTooLarge) {
			n++
			e := &entry{source: source, index: n, subject: "(not read: too large)", load: func() ([]byte, error) { return nil, it.err }}
			batch = append(batch, e)
			flush()
			events <- reported{e, &inspect.Report{Source: fmt.Sprintf("%s#%d", source, n), Error: it.err.Error()}, nil}
			continue
		}
		if it.err != nil {
			l.onError(fmt.Errorf("%s: %w", source, it.err))
			break
		}
		if !add(it.raw, it.load) {
			break
		}
	}
	flush()
	close(jobs)
	wg.Wait()
	close(events)
	<-forwarded
	l.onDone(n, time.Since(start))
}

// forward hands events to the UI in order, reports in batches of up to
// 100 ms, so that a 10,000-message mbox costs a few hundred UI updates.
func (l *loader) forward(events <-chan any, done chan<- struct{}) {
	defer close(done)
	var reps []reported
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	flush := func() {
		if len(reps) > 0 {
			l.onReports(reps)
			reps = nil
		}
	}
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				flush()
				return
			}
			switch v := ev.(type) {
			case []*entry:
				flush() // a report never arrives before its row
				l.onEntries(v)
			case reported:
				reps = append(reps, v)
			}
		case <-tick.C:
			flush()
		}
	}
}

func baseName(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[i+1:]
	}
	return path
}

// newResolver builds the DNS source the settings ask for.
func newResolver(mode, server string, zoneFiles []string) (resolver.Resolver, error) {
	switch mode {
	case dnsServer:
		return resolver.NewServer(server)
	case dnsZones:
		z := resolver.NewZones()
		for _, f := range zoneFiles {
			if err := z.LoadFile(f); err != nil {
				return nil, err
			}
		}
		return z, nil
	}
	return resolver.NewSystem()
}

const (
	dnsSystem = "System resolver"
	dnsServer = "A DNS server"
	dnsZones  = "Offline zone files"
)
