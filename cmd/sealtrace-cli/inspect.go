package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/sealtrace/sealtrace/internal/safetext"
	"github.com/sealtrace/sealtrace/pipeline"
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// runInspect is flags → pipeline.Config → pipeline.Run → printer.
func runInspect(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var (
		cfg                 pipeline.Config
		zones, trust, keys  listFlag
		server, now, format string
		colour              string
		demo                bool
		im                  imapFlags
		saveDir             string
		replays, whatIfs    listFlag
	)
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(&zones, "dns-zone", "answer DNS only from this RFC 1035 master `file` (repeatable; offline)")
	fs.StringVar(&server, "dns-server", "", "ask this DNS server (`HOST:PORT`) instead of the system's")
	fs.StringVar(&now, "now", "", "evaluation time (`RFC3339`), for signature expiry; default: now")
	fs.StringVar(&cfg.IP, "ip", "", "SPF: the connecting `IP` (default: from the Received fields)")
	fs.StringVar(&cfg.HELO, "helo", "", "SPF: the HELO/EHLO `name` (default: from the Received fields)")
	fs.StringVar(&cfg.MailFrom, "mail-from", "", "SPF: the envelope sender `address` (default: Return-Path)")
	fs.StringVar(&format, "format", "text", "output `format`: text, json (one JSON object per message, one per line) or markdown (for a ticket)")
	fs.Var(&trust, "trust-authserv-id", "believe Authentication-Results from this `id` (repeatable; default: the topmost field's)")
	fs.StringVar(&colour, "colour", "auto", "text colour: auto, always or never")
	fs.Var(&keys, "keyring", "OpenPGP keys (armored or binary) to decrypt and verify with (repeatable)")
	fs.StringVar(&cfg.PassphraseFile, "passphrase-file", "", "read the passphrase of the private keys from this `file` (its first line)")
	fs.StringVar(&im.url, "imap", "", "inspect a folder read-only: imaps://USER@HOST[:PORT]/FOLDER (password in SEALTRACE_IMAP_PASSWORD)")
	fs.IntVar(&im.limit, "limit", 0, "with --imap: only the newest `N` messages")
	fs.StringVar(&im.since, "since", "", "with --imap: only messages that arrived on or after `DATE` (YYYY-MM-DD, the server's arrival date)")
	fs.BoolVar(&im.plaintext, "insecure-plaintext", false, "with --imap imap://: no TLS at all (loopback only)")
	fs.StringVar(&im.pin, "pin-sha256", "", "with --imap: accept the server certificate with this SHA-256 `fingerprint` although it does not verify")
	fs.BoolVar(&demo, "demo", false, "inspect the embedded demo mailbox (offline, with its own DNS zone and evaluation time)")
	fs.IntVar(&cfg.Workers, "workers", 0, "messages inspected at once (default: one per core)")
	fs.StringVar(&saveDir, "save-evidence", "", "write an evidence bundle (.sealtrace.json) of each message into `DIR`")
	fs.Var(&replays, "replay", "re-run the inspection of an evidence bundle `FILE.sealtrace.json` from its recorded evidence alone (repeatable)")
	fs.Var(&whatIfs, "what-if", "with --replay: change an input (`EDIT`, repeatable): dns:NAME/TYPE=RDATA|nxdomain, body+=TEXT, ip=ADDR, now=RFC3339, adkim=s|r, aspf=s|r, p=none|quarantine|reject, t=y, dkim-key=delete|rotate, forward=plain|arc, spf-lookups=11")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: sealtrace-cli inspect [flags] FILE... [flags]\n\nFILE is an .eml or an mbox file; \"-\" reads standard input.\n\nflags:\n")
		fs.PrintDefaults()
	}
	files, err := parseAnywhere(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	usageErr := func(msg string) int {
		fmt.Fprintln(stderr, "sealtrace-cli inspect:", safetext.Terminal(msg))
		return 2
	}
	if format != "text" && format != "json" && format != "markdown" {
		return usageErr(fmt.Sprintf("--format must be text, json or markdown, not %q", format))
	}
	if colour != "auto" && colour != "always" && colour != "never" {
		return usageErr(fmt.Sprintf("--colour must be auto, always or never, not %q", colour))
	}
	if now != "" {
		if cfg.Now, err = time.Parse(time.RFC3339, now); err != nil {
			return usageErr(fmt.Sprintf("--now %q is not an RFC 3339 time (such as 2026-11-23T10:00:00Z)", now))
		}
	}
	if cfg.IP != "" && net.ParseIP(cfg.IP) == nil {
		return usageErr(fmt.Sprintf("--ip %q is not an IP address", cfg.IP))
	}
	cfg.TrustedAuthservIDs, cfg.KeyFiles = trust, keys
	switch {
	case len(zones) > 0 && server != "":
		return usageErr("--dns-zone and --dns-server exclude each other: offline zones or a server")
	case len(zones) > 0:
		cfg.DNS, cfg.ZoneFiles = pipeline.DNSZones, zones
	case server != "":
		cfg.DNS, cfg.DNSServer = pipeline.DNSServer, server
	}
	var demoSrc pipeline.Source
	if demo {
		if len(zones) > 0 || server != "" {
			return usageErr("--demo brings its own DNS zone; leave out --dns-zone and --dns-server")
		}
		evalTime := cfg.Now
		if demoSrc, cfg, err = pipeline.Demo(cfg); err != nil {
			fmt.Fprintln(stderr, "sealtrace-cli inspect:", safetext.Terminal(err.Error())) // a server's words may be in it
			return 1
		}
		if !evalTime.IsZero() {
			cfg.Now = evalTime
		}
	}
	edits, err := pipeline.ParseEdits(whatIfs)
	if err != nil {
		return usageErr(err.Error())
	}
	if len(edits) > 0 && len(replays) == 0 {
		return usageErr("--what-if changes a replay: give the bundle with --replay FILE.sealtrace.json")
	}
	// These shape an IMAP folder only: ignored in silence, --limit 2 on a
	// file gave every message.
	if im.url == "" {
		for name, set := range map[string]bool{"--limit": im.limit != 0, "--since": im.since != "",
			"--pin-sha256": im.pin != "", "--insecure-plaintext": im.plaintext} {
			if set {
				return usageErr(name + " applies to an IMAP folder only: give --imap imaps://USER@HOST/FOLDER")
			}
		}
	}
	if saveDir != "" {
		// A folder that does not exist yet is made (the README's example
		// names a new one); 0700: bundles hold whole messages.
		if _, err := os.Stat(saveDir); os.IsNotExist(err) {
			if err := os.MkdirAll(saveDir, 0o700); err != nil {
				fmt.Fprintf(stderr, "sealtrace-cli inspect: --save-evidence: %v\n", err)
				return 1
			}
		}
		if st, err := os.Stat(saveDir); err != nil || !st.IsDir() {
			return usageErr(fmt.Sprintf("--save-evidence %q is not a folder", saveDir))
		}
		cfg.Evidence = true
	}
	if len(files) == 0 && im.url == "" && demoSrc == nil && len(replays) == 0 {
		fmt.Fprintln(stderr, "sealtrace-cli inspect: no FILE given")
		fs.Usage()
		return 2
	}
	eng, err := pipeline.New(cfg)
	if err != nil {
		return usageErr(strings.TrimPrefix(err.Error(), pipeline.ErrConfig.Error()+": "))
	}

	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	var p printer
	switch format {
	case "json":
		p = &jsonPrinter{w: out}
	case "markdown":
		p = &markdownPrinter{w: out}
	default:
		p = &textPrinter{w: out, colour: useColour(colour, stdout)}
	}

	failed := false
	if len(replays) > 0 && replayAll(ctx, eng, replays, edits, p, stderr) != nil {
		failed = true
	}
	if im.url != "" {
		if err := inspectIMAP(ctx, eng, im, p, stderr, saveDir); err != nil {
			fmt.Fprintln(stderr, "sealtrace-cli inspect:", safetext.Terminal(err.Error())) // a server's words may be in it
			failed = true
		}
	}
	if demoSrc != nil {
		files = append(files, "")
	}
	for _, name := range files {
		src := demoSrc
		switch name {
		case "":
		case "-":
			in, n := skipLeadingBlankLines(stdin)
			if n > 0 {
				fmt.Fprintf(stderr, "sealtrace-cli: <stdin>: skipped %d blank line%s before the header\n", n, map[bool]string{true: "s"}[n > 1])
			}
			src = pipeline.Reader("<stdin>", in)
		default:
			if src, err = pipeline.File(name); err != nil {
				fmt.Fprintf(stderr, "sealtrace-cli: %s\n", safetext.Terminal(err.Error()))
				failed = true
				continue
			}
		}
		if err := inspectAll(ctx, eng, src, p, stderr, saveDir); err != nil {
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

// inspectAll prints the report of every message of src, in order. A message
// that could not be read is reported with its error, and the error returned.
func inspectAll(ctx context.Context, eng *pipeline.Engine, src pipeline.Source, p printer, stderr io.Writer, saveDir string) error {
	var failed, werr error
	eng.Run(ctx, src, func(r pipeline.Result) bool {
		if r.Err != nil {
			failed = r.Err
			fmt.Fprintf(stderr, "sealtrace-cli: %s: %s\n", safetext.Terminal(r.Report.Source), safetext.Terminal(r.Err.Error()))
		}
		if err := reportReplay(r.Item.Source, r, stderr); err != nil {
			failed = err // a bundle given as FILE: replayed, and changed since it was written
		}
		if err := saveBundle(saveDir, r, stderr); err != nil {
			failed = err
		}
		if werr = p.print(r.Report); werr != nil {
			fmt.Fprintf(stderr, "sealtrace-cli: writing output: %v\n", werr)
			return false
		}
		return true
	})
	if werr != nil {
		return werr
	}
	return failed
}

// parseAnywhere parses flags wherever they stand among the arguments, as
// users of command-line tools expect (`inspect message.eml --format json`);
// after "--" everything is an argument.
func parseAnywhere(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest, pos []string
	for i, a := range args {
		if a == "--" {
			args, rest = args[:i], args[i+1:]
			break
		}
	}
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return append(pos, rest...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

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
