package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"strings"
	"time"

	"github.com/sealtrace/sealtrace/inspect"
	"github.com/sealtrace/sealtrace/mailbox"
	"github.com/sealtrace/sealtrace/pipeline"
)

// entry is one message in the list. The raw message is not kept for files
// or cached IMAP folders: load reads it again (from its span, from the
// cache, or from the server), so a 10,000-message folder costs its reports,
// not its messages.
type entry struct {
	source   string
	index    int
	date     time.Time
	from     string
	subject  string
	note     string          // the demo's teaching note
	attached bool            // forwarded as an attachment inside the message before it
	sum      *summary        // the list's verdict words; nil while inspecting
	report   *inspect.Report // nil while inspecting, or until read from the cache
	plain    []byte          // decrypted OpenPGP content, shown on its own; never cached
	load     func() ([]byte, error)
	// IMAP only.
	uid        uint32
	loadReport func() (*inspect.Report, []byte, error) // the report as cached, read when the message is chosen
	partial    bool                                    // only the header was fetched (over the size cap)
	complete   func() (*inspect.Report, []byte, error) // fetches it whole and inspects it again
	inspected  time.Time                               // when the cached report was made
	size       int64                                   // RFC822.SIZE
	// Evidence (ui/evidence.go): set when the report was replayed from a
	// bundle; the configuration it was inspected with (for what-if).
	replay *pipeline.ReplayInfo
	cfg    *pipeline.Config
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
// none, "locked" when it could not be decrypted, "decrypted" when it was and
// nothing is signed, else the report's pgp.result (pass only for a good
// signature by a key of the user's over everything shown).
func pgpBadge(p *inspect.PGPReport) string {
	switch {
	case p == nil:
		return ""
	case p.Encrypted && !p.Decrypted:
		return "locked"
	case p.Signature == "none" && p.Decrypted:
		return "decrypted"
	case p.Result == "":
		return p.Signature // a report cached before pgp.result existed
	}
	return p.Result
}

// pgpColourWord maps the PGP badge to a result colour: green only for pass.
func pgpColourWord(badge string) string {
	switch badge {
	case inspect.Pass, "good":
		return inspect.Pass
	case inspect.Fail, "bad":
		return inspect.Fail
	case inspect.Neutral, "locked", "unknown_key":
		return inspect.Neutral
	}
	return inspect.None
}

// dkimSummary is one word for all signatures: pass when one passes (that is
// what DMARC can use), else the first signature's result.
// A pass that rests only on signatures whose l= leaves body bytes unsigned
// is "risky" (amber): the text a reader sees may not be what was signed.
func dkimSummary(ds []inspect.DKIMResult) string {
	if len(ds) == 0 {
		return inspect.None
	}
	risky := false
	for _, d := range ds {
		if d.Result == inspect.Pass {
			if d.UnsignedBytes == 0 {
				return inspect.Pass
			}
			risky = true
		}
	}
	if risky {
		return dkimRisky
	}
	return ds[0].Result
}

// dkimRisky is the DKIM badge of a pass by a signature with unsigned bytes.
const dkimRisky = "risky"

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

// loader reads a source and inspects its messages off the UI goroutine,
// through the pipeline the CLI uses too. Rows and reports go back through
// one goroutine, in batches, so that a 10,000-message mbox costs a few
// hundred UI updates.
type loader struct {
	eng *pipeline.Engine
	// makeEngine builds eng from the settings when a load needs it (the
	// demo brings its own).
	makeEngine func() *pipeline.Engine
	life       context.Context // the window's lifetime (messages chosen later are inspected within it)
	// onFolderOpen, when set, learns the UIDNEXT of an IMAP folder as it is
	// opened: what arrives from then on comes through IDLE (UI.watch).
	onFolderOpen func(r *folderRead, uidNext uint32)
	cache        *mailbox.Cache   // IMAP messages on disk; nil: none
	onEntries    func([]*entry)   // new rows, in file order
	onReports    func([]reported) // finished inspections
	onError      func(error)
	onDone       func(n int, took time.Duration)
	// IMAP: rows the server no longer has (or a recreated folder), and the
	// folder's state.
	onRemove   func([]*entry)
	onState    func(unread int, offline bool)
	maxBody    int64 // IMAP: bigger messages are fetched as headers only until chosen
	firstIndex int   // the index of the first row run adds, less one
	noServer   error // IMAP: why the server is not asked (the cache alone is read)
}

type reported struct {
	e      *entry
	r      *inspect.Report
	plain  []byte
	replay *pipeline.ReplayInfo
	cfg    *pipeline.Config
}

// engine is the load's pipeline, built from the settings on first use.
func (l *loader) engine() *pipeline.Engine {
	if l.eng == nil && l.makeEngine != nil {
		l.eng = l.makeEngine()
	}
	return l.eng
}

// loadDemo loads the embedded demo mailbox with its own zone, time and keys.
func (l *loader) loadDemo(ctx context.Context, cfg pipeline.Config) {
	src, cfg, err := pipeline.Demo(cfg)
	if err == nil {
		l.eng, err = pipeline.New(cfg)
	}
	if err != nil {
		l.onError(err)
		return
	}
	l.run(ctx, "Demo mailbox", src, nil, nil)
}

// loadFile loads an .eml or mbox file.
func (l *loader) loadFile(ctx context.Context, path string) {
	l.loadFileAs(ctx, path, baseName(path))
}

// loadFileAs loads a file as the source name.
func (l *loader) loadFileAs(ctx context.Context, path, name string) {
	src, err := pipeline.File(path)
	if err != nil {
		l.onError(err)
		return
	}
	l.run(ctx, name, src, nil, nil)
}

// loadBytes loads one message held in memory (a dropped .eml, pasted headers).
func (l *loader) loadBytes(ctx context.Context, name string, raw []byte) {
	l.run(ctx, name, pipeline.Bytes(name, raw), nil, nil)
}

// run shows a row for each message src yields as it is read (the first 50
// at once, then in batches), inspects them with l.eng, and hands the reports
// back. folder, for an IMAP folder, gives the rows their ways to the cache
// and the server; inspected, when set, learns each report (to cache it).
func (l *loader) run(ctx context.Context, name string, src pipeline.Source, folder *folderRead, inspected func(*entry, *inspect.Report)) {
	start := time.Now()
	events := make(chan any, 256) // []*entry or reported
	forwarded := make(chan struct{})
	go l.forward(events, forwarded)

	// rows runs on the pipeline's reading goroutine; batch is its own until
	// Run has returned.
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
	rows := pipeline.SourceFunc(func(ctx context.Context) (pipeline.Item, bool) {
		it, ok := src.Next(ctx)
		if !ok {
			return it, false
		}
		if it.Err != nil && !errors.Is(it.Err, mailbox.ErrTooLarge) {
			l.onError(fmt.Errorf("%s: %w", name, it.Err))
			return pipeline.Item{}, false // the rest of the source is unreachable
		}
		n++
		e := &entry{source: name, index: n, load: it.Load, uid: it.UID, partial: it.Partial, size: it.Size}
		if it.Err != nil {
			e.subject = "(not read: too large)"
			e.load = func() ([]byte, error) { return nil, it.Err }
		} else {
			if folder != nil {
				folder.setIMAP(e, it.Raw)
			}
			e.date, e.from, e.subject, e.note = quickHeader(it.Raw)
			// pipeline.WithAttached names a message forwarded as an
			// attachment SOURCE/attached-N: the list marks it.
			e.attached = strings.Contains(it.Source, "/attached-")
		}
		it.Source, it.Tag = fmt.Sprintf("%s#%d", name, n), e
		batch = append(batch, e)
		if n <= 50 || len(batch) >= 500 || time.Since(lastFlush) > 100*time.Millisecond || it.Err != nil {
			flush()
		}
		return it, true
	})
	cfg := l.engine().Config()
	l.engine().Run(ctx, rows, func(r pipeline.Result) bool {
		e := r.Item.Tag.(*entry)
		if inspected != nil && r.Item.Err == nil && ctx.Err() == nil {
			inspected(e, r.Report)
		}
		events <- reported{e: e, r: r.Report, plain: r.Plaintext, replay: r.Replay, cfg: &cfg}
		return true
	})
	flush()
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

const (
	dnsSystem = "System resolver"
	dnsServer = "A DNS server"
	dnsZones  = "Offline zone files"
)
