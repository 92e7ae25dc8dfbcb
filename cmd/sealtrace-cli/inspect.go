package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/sealtrace/sealtrace/assets"
	"github.com/sealtrace/sealtrace/inspect"
	"github.com/sealtrace/sealtrace/internal/pgpreport"
	"github.com/sealtrace/sealtrace/mailbox"
	"github.com/sealtrace/sealtrace/pgp"
	"github.com/sealtrace/sealtrace/resolver"
)

// demoFile stands for the embedded demo mailbox among the files.
const demoFile = "\x00demo"

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

type inspectFlags struct {
	zones     listFlag
	server    string
	now       string
	ip        string
	helo      string
	mailFrom  string
	format    string
	trusted   listFlag
	colour    string
	workers   int
	demo      bool
	imap      imapFlags
	keyrings  listFlag
	passFile  string
	pgpOpts   pgp.Options
	evalTime  time.Time
	resolverV resolver.Resolver
}

func runInspect(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var f inspectFlags
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(&f.zones, "dns-zone", "answer DNS only from this RFC 1035 master `file` (repeatable; offline)")
	fs.StringVar(&f.server, "dns-server", "", "ask this DNS server (`HOST:PORT`) instead of the system's")
	fs.StringVar(&f.now, "now", "", "evaluation time (`RFC3339`), for signature expiry; default: now")
	fs.StringVar(&f.ip, "ip", "", "SPF: the connecting `IP` (default: from the Received fields)")
	fs.StringVar(&f.helo, "helo", "", "SPF: the HELO/EHLO `name` (default: from the Received fields)")
	fs.StringVar(&f.mailFrom, "mail-from", "", "SPF: the envelope sender `address` (default: Return-Path)")
	fs.StringVar(&f.format, "format", "text", "output `format`: text, json (one JSON object per message, one per line) or markdown (for a ticket)")
	fs.Var(&f.trusted, "trust-authserv-id", "believe Authentication-Results from this `id` (repeatable; default: the topmost field's)")
	fs.StringVar(&f.colour, "colour", "auto", "text colour: auto, always or never")
	fs.Var(&f.keyrings, "keyring", "OpenPGP keys (armored or binary) to decrypt and verify with (repeatable)")
	fs.StringVar(&f.passFile, "passphrase-file", "", "read the passphrase of the private keys from this `file` (its first line)")
	fs.StringVar(&f.imap.url, "imap", "", "inspect a folder read-only: imaps://USER@HOST[:PORT]/FOLDER (password in SEALTRACE_IMAP_PASSWORD)")
	fs.IntVar(&f.imap.limit, "limit", 0, "with --imap: only the newest `N` messages")
	fs.StringVar(&f.imap.since, "since", "", "with --imap: only messages that arrived on or after `DATE` (YYYY-MM-DD, the server's arrival date)")
	fs.BoolVar(&f.imap.plaintext, "insecure-plaintext", false, "with --imap imap://: no TLS at all (loopback only)")
	fs.StringVar(&f.imap.pin, "pin-sha256", "", "with --imap: accept the server certificate with this SHA-256 `fingerprint` although it does not verify")
	fs.BoolVar(&f.demo, "demo", false, "inspect the embedded demo mailbox (offline, with its own DNS zone and evaluation time)")
	fs.IntVar(&f.workers, "workers", runtime.GOMAXPROCS(0), "messages inspected at once")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: sealtrace-cli inspect [flags] FILE...\n\nFILE is an .eml or an mbox file; \"-\" reads standard input.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	files := fs.Args()
	if f.demo {
		if len(f.zones) > 0 || f.server != "" {
			fmt.Fprintln(stderr, "sealtrace-cli inspect: --demo brings its own DNS zone; leave out --dns-zone and --dns-server")
			return 2
		}
		if len(f.keyrings) == 0 && f.passFile == "" {
			kr, err := pgp.ReadKeyring(bytes.NewReader(assets.DemoKeys))
			if err != nil {
				fmt.Fprintln(stderr, "sealtrace-cli inspect: demo keys:", err)
				return 1
			}
			f.pgpOpts = pgp.Options{Keyring: kr, Passphrase: []byte(assets.DemoPassphrase)}
		}
		z, err := assets.DemoResolver()
		if err != nil {
			fmt.Fprintln(stderr, "sealtrace-cli inspect: demo zone:", err)
			return 1
		}
		f.resolverV = z
		if f.now == "" {
			f.now = assets.DemoNow.Format(time.RFC3339)
		}
		files = append(files, demoFile)
	}
	if len(files) == 0 && f.imap.url == "" {
		fmt.Fprintln(stderr, "sealtrace-cli inspect: no FILE given")
		fs.Usage()
		return 2
	}
	if err := f.validate(); err != nil {
		fmt.Fprintln(stderr, "sealtrace-cli inspect:", err)
		return 2
	}

	pgpOpts := f.pgpOpts
	opts := inspect.Options{
		Resolver: f.resolverV, IP: f.ip, HELO: f.helo, MailFrom: f.mailFrom,
		TrustedAuthservIDs: f.trusted,
	}
	if !f.evalTime.IsZero() {
		t := f.evalTime
		opts.Now = func() time.Time { return t }
	}
	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	var p printer
	switch f.format {
	case "json":
		p = &jsonPrinter{w: out}
	case "markdown":
		p = &markdownPrinter{w: out}
	default:
		p = &textPrinter{w: out, colour: useColour(f.colour, stdout)}
	}

	failed := false
	if f.imap.url != "" {
		if err := inspectIMAP(ctx, f.imap, opts, pgpOpts, f.workers, p, stderr); err != nil {
			fmt.Fprintln(stderr, "sealtrace-cli inspect:", err)
			failed = true
		}
	}
	for _, name := range files {
		if err := inspectFile(ctx, name, stdin, opts, pgpOpts, f.workers, p, stderr); err != nil {
			failed = true
		}
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "sealtrace-cli inspect: interrupted")
			return 1
		}
	}
	if failed {
		return 1
	}
	return 0
}

func (f *inspectFlags) validate() error {
	if f.format != "text" && f.format != "json" && f.format != "markdown" {
		return fmt.Errorf("--format must be text, json or markdown, not %q", f.format)
	}
	if f.colour != "auto" && f.colour != "always" && f.colour != "never" {
		return fmt.Errorf("--colour must be auto, always or never, not %q", f.colour)
	}
	if f.workers < 1 {
		f.workers = 1
	}
	if f.now != "" {
		t, err := time.Parse(time.RFC3339, f.now)
		if err != nil {
			return fmt.Errorf("--now %q is not an RFC 3339 time (such as 2026-11-23T10:00:00Z)", f.now)
		}
		f.evalTime = t
	}
	if len(f.keyrings) > 0 {
		kr, err := pgp.LoadKeyring(f.keyrings...)
		if err != nil {
			return err
		}
		f.pgpOpts.Keyring = kr
	}
	if f.passFile != "" {
		data, err := os.ReadFile(f.passFile)
		if err != nil {
			return fmt.Errorf("--passphrase-file: %w", err)
		}
		line, _, _ := strings.Cut(string(data), "\n")
		f.pgpOpts.Passphrase = []byte(strings.TrimRight(line, "\r"))
	}
	if f.ip != "" && !validIP(f.ip) {
		return fmt.Errorf("--ip %q is not an IP address", f.ip)
	}
	switch {
	case f.resolverV != nil: // the demo's
	case len(f.zones) > 0 && f.server != "":
		return errors.New("--dns-zone and --dns-server exclude each other: offline zones or a server")
	case len(f.zones) > 0:
		z := resolver.NewZones()
		for _, file := range f.zones {
			if err := z.LoadFile(file); err != nil {
				return err
			}
		}
		f.resolverV = z
	case f.server != "":
		s, err := resolver.NewServer(f.server)
		if err != nil {
			return err
		}
		f.resolverV = s
	default:
		s, err := resolver.NewSystem()
		if err != nil {
			return err
		}
		f.resolverV = s
	}
	return nil
}

// inspectFile inspects every message of one file and prints the reports in
// file order. Messages are inspected by several workers at once (DNS waits
// overlap); only a bounded window of them is in memory.
func inspectFile(ctx context.Context, name string, stdin io.Reader, opts inspect.Options, pgpOpts pgp.Options, workers int, p printer, stderr io.Writer) error {
	var r io.Reader
	switch name {
	case demoFile:
		r = bytes.NewReader(assets.DemoMbox)
		name = "demo"
	case "-":
		r = stdin
		name = "<stdin>"
	default:
		fh, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "sealtrace-cli: %v\n", err)
			return err
		}
		defer fh.Close()
		r = fh
	}
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(5)
	isMbox := mailbox.IsMbox(head)
	return inspectAll(ctx, func(emit func(raw []byte, source string, err error) bool) {
		if !isMbox {
			raw, err := io.ReadAll(io.LimitReader(br, mailbox.MaxMessageBytes+1))
			if err == nil && len(raw) > mailbox.MaxMessageBytes {
				err = fmt.Errorf("%w: over %d MiB", mailbox.ErrTooLarge, mailbox.MaxMessageBytes>>20)
			}
			emit(raw, name, err)
			return
		}
		mr := mailbox.NewMboxReader(br)
		for ctx.Err() == nil {
			raw, idx, err := mr.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if !emit(raw, fmt.Sprintf("%s#%d", name, idx), err) || (err != nil && !errors.Is(err, mailbox.ErrTooLarge)) {
				return // a read error: the rest of the file is unreachable
			}
		}
	}, opts, pgpOpts, workers, p, stderr)
}

// inspectAll inspects what produce emits, with several workers, and prints
// the reports in the order produced; only a bounded window of messages is
// in memory. A message that could not be read is reported with its error.
func inspectAll(ctx context.Context, produce func(emit func(raw []byte, source string, err error) bool), opts inspect.Options, pgpOpts pgp.Options, workers int, p printer, stderr io.Writer) error {
	type job struct {
		raw    []byte
		source string
		err    error
		done   chan *inspect.Report
	}
	// At most about 3 messages per worker are in memory at once.
	jobs := make(chan *job, workers)
	order := make(chan *job, workers*2)
	go func() {
		defer close(jobs)
		defer close(order)
		produce(func(raw []byte, source string, err error) bool {
			j := &job{raw: raw, source: source, err: err, done: make(chan *inspect.Report, 1)}
			order <- j
			jobs <- j
			return ctx.Err() == nil
		})
	}()
	for range workers {
		go func() {
			for j := range jobs {
				if j.err != nil {
					j.done <- nil
					continue
				}
				o := opts
				o.Source = j.source
				rep, err := inspect.Inspect(ctx, j.raw, o)
				if err == nil {
					pgpreport.Attach(rep, j.raw, pgpOpts)
				}
				j.err = err
				j.done <- rep
			}
		}()
	}
	var failed error
	for j := range order {
		rep := <-j.done
		if rep == nil {
			rep = &inspect.Report{Source: j.source, Error: j.err.Error()}
		}
		if j.err != nil {
			failed = j.err
			fmt.Fprintf(stderr, "sealtrace-cli: %s: %v\n", j.source, j.err)
		}
		if err := p.print(rep); err != nil {
			fmt.Fprintf(stderr, "sealtrace-cli: writing output: %v\n", err)
			return err
		}
	}
	return failed
}

func validIP(s string) bool { return net.ParseIP(s) != nil }

func useColour(mode string, w io.Writer) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
