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

// entry is one message in the list. The raw message is not kept for files
// or cached IMAP folders: load reads it again (from its span, from the
// cache, or from the server), so a 10,000-message folder costs its reports,
// not its messages.
type entry struct {
	source  string
	index   int
	date    time.Time
	from    string
	subject string
	note    string          // the demo's teaching note
	sum     *summary        // the list's verdict words; nil while inspecting
	report  *inspect.Report // nil while inspecting, or until read from the cache
	plain   []byte          // decrypted OpenPGP content, shown on its own; never cached
	load    func() ([]byte, error)
	// IMAP only.
	uid        uint32
	loadReport func() (*inspect.Report, []byte, error) // the report as cached, read when the message is chosen
	partial    bool                                    // only the header was fetched (over the size cap)
	complete   func() (*inspect.Report, []byte, error) // fetches it whole and inspects it again
	inspected  time.Time                               // when the cached report was made
	size       int64                                   // RFC822.SIZE
}

// summary is what the list shows of a report (and what a folder's cache
// index keeps of it): the badge words and what the filters ask.
type summary struct {
	SPF        string `json:"spf"`
	DKIM       string `json:"dkim"`
	DMARC      string `json:"dmarc"`
	ARC        string `json:"arc"`
	PGP        string `json:"pgp,omitempty"`
	Signatures int    `json:"dkim_signatures,omitempty"`
	ARCSets    int    `json:"arc_sets,omitempty"`
	Error      string `json:"error,omitempty"`
	FromDomain string `json:"from_domain,omitempty"`
}

func summarize(r *inspect.Report) *summary {
	return &summary{SPF: r.SPF.Result, DKIM: dkimSummary(r.DKIM), DMARC: r.DMARC.Result, ARC: r.ARC.Result, PGP: pgpBadge(r.PGP),
		Signatures: len(r.DKIM), ARCSets: r.ARC.Instances, Error: r.Error, FromDomain: r.FromDomain}
}

// setReport records an inspection's result (UI goroutine).
func (e *entry) setReport(r *inspect.Report, plain []byte) {
	e.report, e.plain, e.sum = r, plain, summarize(r)
}

// badge is the result word shown for a check in the list.
func (e *entry) badge(check string) string {
	s := e.sum
	if s == nil {
		return "…"
	}
	switch check {
	case "SPF":
		return s.SPF
	case "DKIM":
		return s.DKIM
	case "DMARC":
		return s.DMARC
	case "ARC":
		return s.ARC
	case "PGP":
		return s.PGP
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
	onFolderOpen func(r *folderRead, uidNext uint32)
	cache        *mailbox.Cache   // IMAP messages on disk; nil: none
	onEntries    func([]*entry)   // new rows, in file order
	onReports    func([]reported) // finished inspections
	onError      func(error)
	onDone       func(n int, took time.Duration)
	// IMAP: rows the server no longer has (or a recreated folder), the
	// folder's state, and each inspection as it ends (worker goroutines).
	onRemove    func([]*entry)
	onState     func(unread int, offline bool)
	onInspected func(*entry, *inspect.Report)
	maxBody     int64 // IMAP: bigger messages are fetched as headers only until chosen
	firstIndex  int   // the index of the first row run adds, less one
	noServer    error // IMAP: why the server is not asked (the cache alone is read)
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

// run reads messages (from r, or the given raw ones), shows rows at once in
// batches, and inspects with one worker per core.
// item is one message a source yields: its bytes, how to read it again, or
// why it could not be read.
type item struct {
	raw  []byte
	load func() ([]byte, error)
	err  error
	// IMAP: the message's UID, whether raw is only its header, and how to
	// fetch it whole when chosen.
	uid     uint32
	partial bool
	size    int64
	imap    *folderRead
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
				if l.onInspected != nil && ctx.Err() == nil {
					l.onInspected(j.e, rep)
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
	n := l.firstIndex
	add := func(it item) bool {
		n++
		e := &entry{source: source, index: n, load: it.load, uid: it.uid, partial: it.partial, size: it.size}
		raw := it.raw
		if it.imap != nil {
			it.imap.setIMAP(e, raw)
		}
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
		if !add(it) {
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
