package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sealtrace/sealtrace/internal/safetext"
	"github.com/sealtrace/sealtrace/mailbox"
	"github.com/sealtrace/sealtrace/pipeline"
	"github.com/sealtrace/sealtrace/reports"
)

// runReports reads DMARC aggregate, DMARC failure and SMTP TLS reports from
// files and folders and prints them: text (a summary per report), json (one
// object per report per line, docs/report.md) or csv (one row per aggregate
// record). Exit 1 when some input could not be read (the others are still
// printed), 2 for usage errors.
func runReports(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(reportsMemoryLimit)
	}
	var (
		format, since, server string
		zones                 listFlag
		im                    imapFlags
	)
	fs := flag.NewFlagSet("reports", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&format, "format", "text", "output `format`: text (a summary per report), json (one JSON object per report, one per line) or csv (one row per aggregate record, with a header row)")
	fs.StringVar(&since, "since", "", "only reports whose period ends on or after `DATE` (YYYY-MM-DD, UTC); a report that states no date (a failure report without Arrival-Date) is kept")
	fs.Var(&zones, "dns-zone", "failure reports: inspect the carried message with DNS answers only from this RFC 1035 master `file` (repeatable; offline)")
	fs.StringVar(&server, "dns-server", "", "failure reports: inspect the carried message asking this DNS server (`HOST:PORT`) instead of the system's")
	fs.StringVar(&im.url, "imap", "", "also read the reports of an IMAP folder, read-only: imaps://USER@HOST[:PORT]/FOLDER (password in SEALTRACE_IMAP_PASSWORD)")
	fs.BoolVar(&im.plaintext, "insecure-plaintext", false, "with --imap imap://: no TLS at all (loopback only)")
	fs.StringVar(&im.pin, "pin-sha256", "", "with --imap: accept the server certificate with this SHA-256 `fingerprint` although it does not verify")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: sealtrace-cli reports [flags] FILE|DIR... [flags]\n       sealtrace-cli reports [flags] --imap imaps://USER@HOST/FOLDER [FILE|DIR...]\n\n"+
			"FILE is a report as it arrived (.xml, .xml.gz, .zip, .json, .json.gz), a message carrying\n"+
			"one (.eml) or an mbox of them; DIR is read with every file under it; \"-\" reads standard input.\n\nflags:\n")
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
		fmt.Fprintln(stderr, "sealtrace-cli reports:", safetext.Terminal(msg))
		return 2
	}
	if format != "text" && format != "json" && format != "csv" {
		return usageErr(fmt.Sprintf("--format must be text, json or csv, not %q", format))
	}
	var sinceT time.Time
	if since != "" {
		if sinceT, err = time.Parse("2006-01-02", since); err != nil {
			return usageErr(fmt.Sprintf("--since %q is not a date (YYYY-MM-DD)", since))
		}
	}
	if len(zones) > 0 && server != "" {
		return usageErr("--dns-zone and --dns-server exclude each other: offline zones or a server")
	}
	if im.url == "" && (im.plaintext || im.pin != "") {
		return usageErr("--insecure-plaintext and --pin-sha256 go with --imap")
	}
	if im.url != "" {
		if _, _, err := mailbox.ParseURL(im.url, im.plaintext); err != nil {
			return usageErr("--imap: " + err.Error())
		}
	}
	if len(files) == 0 && im.url == "" {
		fmt.Fprintln(stderr, "sealtrace-cli reports: no FILE or DIR given (nor --imap)")
		fs.Usage()
		return 2
	}
	cfg := pipeline.Config{Workers: 1}
	switch {
	case len(zones) > 0:
		cfg.DNS, cfg.ZoneFiles = pipeline.DNSZones, zones
	case server != "":
		cfg.DNS, cfg.DNSServer = pipeline.DNSServer, server
	}

	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	failed := false
	complain := func(err error) {
		failed = true
		// errors.Join puts one error a line; each names its input.
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintln(stderr, "sealtrace-cli reports:", safetext.Terminal(line))
		}
	}
	p := &reportPrinter{format: format, w: out, cfg: cfg, warn: complain}
	if format == "csv" {
		p.csv = csv.NewWriter(out)
		p.csv.Write(reports.CSVHeader())
		defer p.csv.Flush()
	}

	emit := func(reps []*reports.Report) error {
		for _, r := range reps {
			if !sinceT.IsZero() {
				if _, end := r.Period(); !end.IsZero() && end.Before(sinceT) {
					continue
				}
			}
			if err := p.print(ctx, r); err != nil {
				return err
			}
		}
		return nil
	}
	lim := reports.Limits{}
	if im.url != "" {
		if err := reportsIMAP(ctx, im, sinceT, lim, stderr, complain, emit); err != nil {
			complain(err) // the files are still read; exit 1
		}
	}
	for _, name := range files {
		if name == "-" {
			if err := readStdin(ctx, stdin, lim, complain, emit); err != nil {
				complain(err)
				return 1
			}
			continue
		}
		// Walk calls back once per file; only an error of emit (the output)
		// or ctx stops it.
		err := reports.Walk(ctx, []string{name}, lim, func(path string, reps []*reports.Report, err error) error {
			if err != nil {
				complain(err)
			}
			return emit(reps)
		})
		if err != nil {
			complain(err)
			return 1
		}
	}
	if p.csv != nil {
		p.csv.Flush()
		if err := p.csv.Error(); err != nil {
			complain(err)
		}
	}
	if failed {
		return 1
	}
	return 0
}

// reportsMemoryLimit is the soft memory limit of the reports command. main
// collects garbage at GOGC 400, right for inspect (little lives long); a
// report of 200k records (Limits.MaxRecords) lives as some 140 MB, and at
// GOGC 400 the heap grew to 700 MB before a collection. Near this limit the
// collector runs more often instead (RSS 295 MB for that report, in the
// same time); GOMEMLIMIT, when set, is the user's choice.
const reportsMemoryLimit = 256 << 20

// readStdin reads the reports of standard input ("-"), giving up when ctx
// is done (a pipe that never ends must not make Ctrl-C useless).
func readStdin(ctx context.Context, stdin io.Reader, lim reports.Limits, complain func(error), emit func([]*reports.Report) error) error {
	type result struct {
		reps []*reports.Report
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		reps, err := reports.ReadStream("(stdin)", stdin, -1, lim)
		ch <- result{reps, err}
	}()
	var res result
	select {
	case res = <-ch:
	case <-ctx.Done():
		return fmt.Errorf("standard input: %w", ctx.Err())
	}
	if res.err != nil {
		complain(res.err)
	}
	reps := res.reps
	return emit(reps)
}

type reportPrinter struct {
	format string
	w      *bufio.Writer
	csv    *csv.Writer
	cfg    pipeline.Config
	eng    *pipeline.Engine // built at the first failure report that carries a message
	engErr error
	warn   func(error) // an input or a setting that failed: said once, exit 1
	n      int
}

// engine builds the inspection engine once, when a failure report first
// needs it: reading aggregate reports needs no DNS.
// When it cannot be built (a zone file that cannot be read), that is said
// once and the reports are printed without the inspection.
func (p *reportPrinter) engine() *pipeline.Engine {
	if p.eng == nil && p.engErr == nil {
		p.eng, p.engErr = pipeline.New(p.cfg)
		if p.engErr != nil {
			p.warn(fmt.Errorf("failure reports are shown without inspecting the message they carry: %w", p.engErr))
		}
	}
	return p.eng
}

// inspector is the engine when r is a failure report that carries a
// message and the engine could be built.
func (p *reportPrinter) inspector(r *reports.Report) *pipeline.Engine {
	if r.Failure == nil || r.Failure.Original == nil {
		return nil
	}
	return p.engine()
}

func (p *reportPrinter) print(ctx context.Context, r *reports.Report) error {
	switch p.format {
	case "csv":
		for _, row := range r.CSVRecords() {
			for i := range row {
				// CSV quotes what it must; a terminal still needs the
				// controls out (the cells were defused for spreadsheets).
				row[i] = safetext.Terminal(row[i])
			}
			if err := p.csv.Write(row); err != nil {
				return err
			}
		}
		return nil
	case "json":
		var line []byte
		var err error
		if e := p.inspector(r); e != nil {
			if line, err = e.ReportJSON(ctx, r); err != nil {
				return err
			}
		} else if line, err = r.JSON(nil); err != nil {
			return err
		}
		p.w.Write(line)
		return p.w.WriteByte('\n')
	}
	if p.n > 0 {
		p.w.WriteByte('\n')
	}
	p.n++
	switch {
	case r.Aggregate != nil:
		p.aggregate(r)
	case r.Failure != nil:
		if err := p.failure(ctx, r); err != nil {
			return err
		}
	case r.TLS != nil:
		p.tls(r)
	}
	for _, e := range r.Errors {
		fmt.Fprintf(p.w, "  skipped: %s\n", safe(e))
	}
	return nil
}

// safe strips terminal control from a report's string (it comes from a
// stranger) and says "-" for nothing.
func safe(s string) string {
	if s == "" {
		return "-"
	}
	return safetext.Terminal(s)
}

func period(b, e time.Time) string {
	f := func(t time.Time) string {
		if t.IsZero() {
			return "?"
		}
		return t.UTC().Format("2006-01-02 15:04")
	}
	return f(b) + " – " + f(e) + " UTC"
}

func (p *reportPrinter) aggregate(r *reports.Report) {
	a := r.Aggregate
	pass, fail := 0, 0
	for i := range a.Records {
		if a.Records[i].Pass() {
			pass += a.Records[i].Count
		} else {
			fail += a.Records[i].Count
		}
	}
	pol := a.Policy
	fmt.Fprintf(p.w, "DMARC aggregate report for %s from %s (report %s, %s schema)\n", safe(a.PolicyDomain), safe(a.OrgName), safe(a.ReportID), a.Schema)
	fmt.Fprintf(p.w, "  period:  %s\n", period(a.Begin, a.End))
	policy := fmt.Sprintf("p=%s sp=%s adkim=%s aspf=%s", safe(pol.P), safe(pol.SP), safe(pol.ADKIM), safe(pol.ASPF))
	if pol.NP != "" {
		policy += " np=" + safe(pol.NP)
	}
	if pol.Testing != "" {
		policy += " t=" + safe(pol.Testing)
	}
	if pol.Pct != "" && pol.Pct != "100" {
		policy += " pct=" + safe(pol.Pct)
	}
	fmt.Fprintf(p.w, "  policy:  %s\n", policy)
	fmt.Fprintf(p.w, "  messages: %d (%d passed DMARC, %d failed)\n", pass+fail, pass, fail)
	fmt.Fprintf(p.w, "  source:  %s\n", safe(r.Source))
	if len(a.Records) == 0 {
		return
	}
	tw := tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  IP\tCOUNT\tDISPOSITION\tDKIM\tSPF\tHEADER FROM\tREASONS")
	for i := range a.Records {
		rec := &a.Records[i]
		var reasons []string
		for _, re := range rec.Reasons {
			s := re.Type
			if re.Comment != "" {
				s += " (" + re.Comment + ")"
			}
			reasons = append(reasons, safetext.Terminal(s))
		}
		if rec.RescuedByARC() {
			reasons = append(reasons, "forwarded mail rescued by ARC")
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\t%s\t%s\n", safe(rec.SourceIP), rec.Count, safe(rec.Disposition),
			safe(rec.DKIM), safe(rec.SPF), safe(rec.HeaderFrom), strings.Join(reasons, "; "))
		// The raw results under the aligned ones: which domain signed, which
		// envelope domain SPF checked.
		var auth []string
		for _, d := range rec.Auth.DKIM {
			auth = append(auth, "dkim "+safe(d.Domain)+" s="+safe(d.Selector)+" "+safe(d.Result))
		}
		for _, s := range rec.Auth.SPF {
			auth = append(auth, "spf "+safe(s.Domain)+" "+safe(s.Result))
		}
		if len(auth) > 0 {
			// Under REASONS, the last column: as wide as it likes without
			// moving the others.
			fmt.Fprintf(tw, "  \t\t\t\t\t\tauth: %s\n", strings.Join(auth, ", "))
		}
	}
	tw.Flush()
}

func (p *reportPrinter) failure(ctx context.Context, r *reports.Report) error {
	f := r.Failure
	// Auth-Failure is optional (RFC 6591 3.1): without it, say so rather
	// than "failed -".
	failed := safe(f.AuthFailure)
	if f.AuthFailure == "" {
		failed = "authentication (the report does not say which check)"
	}
	fmt.Fprintf(p.w, "DMARC failure report for %s: a message from %s failed %s\n", safe(f.ReportedDomain), safe(f.SourceIP), failed)
	arrived := "-"
	if !f.ArrivalDate.IsZero() {
		arrived = f.ArrivalDate.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	fmt.Fprintf(p.w, "  arrived: %s   feedback type: %s   delivery: %s   reporter: %s\n", arrived, safe(f.FeedbackType), safe(f.DeliveryResult), safe(f.UserAgent))
	fmt.Fprintf(p.w, "  source:  %s\n", safe(r.Source))
	if f.Original == nil {
		fmt.Fprintln(p.w, "  the report carries no message")
		return nil
	}
	e := p.engine()
	if e == nil {
		fmt.Fprintln(p.w, "  carried: a message, not inspected (see the error)")
		return nil
	}
	res, _ := e.InspectFailure(ctx, r)
	rep := res.Report
	what := "the message"
	if f.HeadersOnly {
		what = "the message's header (no body: DKIM body hashes cannot match)"
	}
	fmt.Fprintf(p.w, "  carried: %s, Message-ID %s, From domain %s\n", what, safe(rep.MessageID), safe(rep.FromDomain))
	if rep.Error != "" {
		fmt.Fprintf(p.w, "  inspection: %s\n", safe(rep.Error))
		return nil
	}
	var dkim []string
	for _, d := range rep.DKIM {
		dkim = append(dkim, safe(d.Domain)+" "+safe(d.Result))
	}
	if len(dkim) == 0 {
		dkim = []string{"none"}
	}
	fmt.Fprintf(p.w, "  Sealtrace re-checked it: DMARC %s, SPF %s, DKIM %s (sealtrace-cli inspect shows the path)\n",
		safe(rep.DMARC.Result), safe(rep.SPF.Result), strings.Join(dkim, ", "))
	return nil
}

func (p *reportPrinter) tls(r *reports.Report) {
	t := r.TLS
	fmt.Fprintf(p.w, "SMTP TLS report from %s (report %s)\n", safe(t.OrgName), safe(t.ReportID))
	fmt.Fprintf(p.w, "  period:  %s\n", period(t.Begin, t.End))
	fmt.Fprintf(p.w, "  source:  %s\n", safe(r.Source))
	tw := tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  POLICY\tDOMAIN\tSUCCESS\tFAILURE\t")
	for _, pol := range t.Policies {
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t\n", safe(pol.Type), safe(pol.Domain), pol.Success, pol.Failure)
		for _, f := range pol.Failures {
			where := ""
			if f.SendingIP != "" {
				where += "from " + safe(f.SendingIP)
			}
			if f.ReceivingMX != "" {
				where = strings.TrimSpace(where + " to " + safe(f.ReceivingMX))
			}
			fmt.Fprintf(tw, "  \t  %s\t\t%d\t%s\n", safe(f.ResultType), f.Count, where)
		}
	}
	tw.Flush()
}
