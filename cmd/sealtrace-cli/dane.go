package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/sealtrace/sealtrace/dane"
	"github.com/sealtrace/sealtrace/internal/safetext"
	"github.com/sealtrace/sealtrace/pgp"
	"github.com/sealtrace/sealtrace/pipeline"
	"github.com/sealtrace/sealtrace/trace"
)

// runDane looks up the OpenPGP keys of addresses through DANE (RFC 7929)
// with Sealtrace's own DNSSEC validation, one report per address.
func runDane(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dane", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("dns-server", "", "ask this DNS server (`HOST:PORT`) instead of the system's")
	anchor := fs.String("trust-anchor", "", "`FILE` of DS or DNSKEY records (master-file format) to trust (default: the IANA root anchors built in)")
	now := fs.String("now", "", "evaluation time (`RFC3339`) for signature validity; default: now")
	format := fs.String("format", "text", "output `format`: text or json (one object per address, one per line)")
	wkd := fs.Bool("wkd", false, "also look the key up in the domain's Web Key Directory (HTTPS)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: sealtrace-cli dane [flags] EMAIL...\n\nflags:\n")
		fs.PrintDefaults()
	}
	emails, err := parseAnywhere(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if len(emails) == 0 || (*format != "text" && *format != "json") {
		fs.Usage()
		return 2
	}
	cfg := pipeline.Config{TrustAnchorFile: *anchor}
	if *server != "" {
		cfg.DNS, cfg.DNSServer = pipeline.DNSServer, *server
	}
	if *now != "" {
		if cfg.Now, err = time.Parse(time.RFC3339, *now); err != nil {
			fmt.Fprintf(stderr, "sealtrace-cli dane: --now %q is not an RFC 3339 time\n", *now)
			return 2
		}
	}
	v, err := cfg.Validator()
	if err != nil {
		fmt.Fprintln(stderr, "sealtrace-cli dane:", safetext.Terminal(err.Error()))
		return 2
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	code := 0
	client := &http.Client{Timeout: 10 * time.Second}
	for _, email := range emails {
		r := dane.Lookup(ctx, v, email)
		if r.Status == dane.StatusError {
			code = 1
		}
		res := struct {
			*dane.Result
			WKD *pgp.WKDResult `json:"wkd,omitempty"`
		}{Result: r}
		if *wkd {
			res.WKD = pgp.WKDLookup(ctx, client, email)
		}
		if *format == "json" {
			b, _ := json.Marshal(res)
			out.Write(append(b, '\n'))
			continue
		}
		// Reasons and steps carry text from DNS and web servers: never
		// terminal control.
		t := safetext.Terminal
		fmt.Fprintf(out, "%s: %s", t(r.Email), r.Status)
		if r.KeyFingerprint != "" {
			fmt.Fprintf(out, " key %s", r.KeyFingerprint)
		}
		if r.Reason != "" {
			fmt.Fprintf(out, " (%s)", t(r.Reason))
		}
		fmt.Fprintf(out, "\n  %s\n", t(r.QName))
		for _, s := range r.Steps {
			fmt.Fprintf(out, "  - %s: %s\n", stepWord(s), t(s.What))
		}
		if w := res.WKD; w != nil {
			fmt.Fprintf(out, "  WKD: %s %s %s\n", w.Status, w.KeyFingerprint, t(w.Error))
			for _, s := range w.Steps {
				fmt.Fprintf(out, "  - %s: %s\n", stepWord(s), t(s.What))
			}
		}
	}
	return code
}

// stepWord is a step's result word, or, for a step without one, its kind
// (info, ok …): a step that only tells something never shows a result word.
func stepWord(s trace.Step) string {
	if s.Result != "" {
		return s.Result
	}
	return trace.KindOf(s)
}
