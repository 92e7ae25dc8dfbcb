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
	"github.com/sealtrace/sealtrace/pgp"
	"github.com/sealtrace/sealtrace/resolver"
)

// defaultAnchors is Debian's copy of the IANA root trust anchors
// (dns-root-data: KSK-2017 20326 and KSK-2024 38696).
const defaultAnchors = "/usr/share/dns/root.key"

// runDane looks up the OpenPGP keys of addresses through DANE (RFC 7929)
// with Sealtrace's own DNSSEC validation, one report per address.
func runDane(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dane", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("dns-server", "", "ask this DNS server (`HOST:PORT`) instead of the system's")
	anchor := fs.String("trust-anchor", defaultAnchors, "DS or DNSKEY records (master-file `format`) to trust")
	now := fs.String("now", "", "evaluation time (`RFC3339`) for signature validity; default: now")
	format := fs.String("format", "text", "output `format`: text or json (one object per address, one per line)")
	wkd := fs.Bool("wkd", false, "also look the key up in the domain's Web Key Directory (HTTPS)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: sealtrace-cli dane [flags] EMAIL...\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 || (*format != "text" && *format != "json") {
		fs.Usage()
		return 2
	}
	anchors, err := resolver.LoadAnchorsFile(*anchor)
	if err != nil {
		fmt.Fprintf(stderr, "sealtrace-cli dane: %v (install dns-root-data, or give --trust-anchor)\n", err)
		return 2
	}
	var srv *resolver.Server
	if *server != "" {
		srv, err = resolver.NewServer(*server)
	} else {
		srv, err = resolver.NewSystem()
	}
	if err != nil {
		fmt.Fprintln(stderr, "sealtrace-cli dane:", err)
		return 2
	}
	v := &resolver.Validator{Server: srv, Anchors: anchors}
	if *now != "" {
		t, err := time.Parse(time.RFC3339, *now)
		if err != nil {
			fmt.Fprintf(stderr, "sealtrace-cli dane: --now %q is not an RFC 3339 time\n", *now)
			return 2
		}
		v.Now = func() time.Time { return t }
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	code := 0
	client := &http.Client{Timeout: 10 * time.Second}
	for _, email := range fs.Args() {
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
		fmt.Fprintf(out, "%s: %s", r.Email, r.Status)
		if r.KeyFingerprint != "" {
			fmt.Fprintf(out, " key %s", r.KeyFingerprint)
		}
		if r.Reason != "" {
			fmt.Fprintf(out, " (%s)", r.Reason)
		}
		fmt.Fprintf(out, "\n  %s\n", r.QName)
		for _, s := range r.Steps {
			fmt.Fprintf(out, "  - %s: %s\n", s.Result, s.What)
		}
		if w := res.WKD; w != nil {
			fmt.Fprintf(out, "  WKD: %s %s %s\n", w.Status, w.KeyFingerprint, w.Error)
			for _, s := range w.Steps {
				fmt.Fprintf(out, "  - %s\n", s)
			}
		}
	}
	return code
}
