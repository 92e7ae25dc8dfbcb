package inspect

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sealtrace/sealtrace/internal/safetext"
)

// Text is the report for a terminal: the hops, then each check with its
// steps, then the receivers' claims beside Sealtrace's view; with colour,
// result words are coloured with SGR codes.
//
// Every string of a report may come from the message or a DNS answer (a
// Subject can carry ESC ] 0 ; … BEL or ESC [ 2 K, a TXT record anything), so
// each passes through safetext.Terminal (safe below) on its way out: the only
// escape sequences written are the SGR codes of this file, and only with
// colour on.
func (r *Report) Text(colour bool) string {
	return textWriter{colour: colour}.report(r)
}

type textWriter struct{ colour bool }

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiGreen  = "\x1b[32m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiDim    = "\x1b[2m"
)

// safe makes text from a report safe for a terminal.
func safe(s string) string { return safetext.Terminal(s) }

// c is s (made safe) in the colour or weight code.
func (p textWriter) c(code, s string) string {
	s = safe(s)
	if !p.colour {
		return s
	}
	return code + s + ansiReset
}

func (p textWriter) result(r string) string {
	word := strings.ToUpper(r)
	switch r {
	case Pass:
		return p.c(ansiGreen, word)
	case Fail, PermError:
		return p.c(ansiRed, word)
	case None, "":
		return p.c(ansiDim, strings.ToUpper(orDash(r)))
	}
	return p.c(ansiYellow, word)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (p textWriter) report(r *Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", p.c(ansiBold, "Message"), safe(r.Source))
	if r.WhatIf != nil {
		fmt.Fprintf(&b, "  %s %s\n", p.c(ansiYellow, "WHAT-IF (not what happened):"), safe(strings.Join(r.WhatIf.Edits, "  ")))
		for _, n := range r.WhatIf.Notes {
			fmt.Fprintf(&b, "    - %s\n", safe(n))
		}
	}
	if r.Error != "" {
		fmt.Fprintf(&b, "  %s %s\n", p.result(PermError), safe(r.Error))
		return b.String()
	}
	fmt.Fprintf(&b, "  From domain: %s   Message-ID: %s\n", safe(orDash(r.FromDomain)), safe(orDash(r.MessageID)))
	if r.Subject != "" {
		fmt.Fprintf(&b, "  Subject: %s\n", safe(r.Subject))
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "  %s %s\n", p.c(ansiYellow, "warning:"), safe(w))
	}
	fmt.Fprintf(&b, "  DNS: %s\n", safe(r.DNSSource.String()))
	if rc := r.Recheck; rc != nil {
		fmt.Fprintf(&b, "  %s %s\n", p.c(ansiYellow, "re-checked:"), safe(rc.Words()))
	}
	for _, n := range r.NeedsBody {
		fmt.Fprintf(&b, "  %s %s\n", p.c(ansiYellow, "needs the body:"), safe(n.What))
	}
	fmt.Fprintf(&b, "  Summary: SPF %s  DKIM %s  DMARC %s  ARC %s\n", p.result(r.SPF.Result), p.dkimSummary(r.DKIM), p.result(r.DMARC.Result), p.result(r.ARC.Result))

	fmt.Fprintf(&b, "\n  %s (oldest first)\n", p.c(ansiBold, "Path"))
	if len(r.Hops) == 0 {
		b.WriteString("    no Received fields\n")
	}
	for i, h := range r.Hops {
		delay := ""
		if h.DelaySeconds != nil {
			delay = fmt.Sprintf(" %+.0fs", *h.DelaySeconds)
		} else if i > 0 {
			delay = " delay unknown"
		}
		skew := ""
		if h.ClockSkew {
			skew = p.c(ansiYellow, " clock skew")
		}
		fmt.Fprintf(&b, "    %d. %s [%s] → %s  TLS: %s  %s%s%s\n", i+1, safe(orDash(h.From)), safe(orDash(h.IP)), safe(orDash(h.By)), safe(h.TLS), safe(orDash(h.Time)), delay, skew)
	}

	p.section(&b, "SPF", r.SPF.Result, r.SPF.Steps)
	for i, d := range r.DKIM {
		title := fmt.Sprintf("DKIM #%d d=%s s=%s", i+1, orDash(d.Domain), orDash(d.Selector))
		if d.Reason != "" {
			title += " (" + d.Reason + ")"
		}
		p.section(&b, title, d.Result, d.Steps)
	}
	if len(r.DKIM) == 0 {
		fmt.Fprintf(&b, "\n  %s %s\n    The message has no DKIM-Signature.\n", p.c(ansiBold, "DKIM"), p.result(None))
	}
	p.section(&b, "ARC", r.ARC.Result, r.ARC.Steps)
	p.section(&b, "DMARC (policy "+r.DMARC.Policy+", disposition "+r.DMARC.Disposition+")", r.DMARC.Result, r.DMARC.Steps)
	if r.PGP != nil {
		word := r.PGP.Result
		if word == "" {
			word = None
		}
		p.section(&b, "OpenPGP ("+r.PGP.Kind+", signature "+r.PGP.Signature+")", word, r.PGP.Steps)
	}

	if len(r.Claims) > 0 {
		fmt.Fprintf(&b, "\n  %s\n", p.c(ansiBold, "What the receivers claimed"))
		for _, c := range r.Claims {
			trust := "untrusted"
			if c.Trusted {
				trust = "trusted"
			}
			line := fmt.Sprintf("    %s %s=%s (%s)", safe(AuthservLabel(c.AuthservID)), safe(c.Method), p.result(c.Result), trust)
			if c.Ours != "" {
				line += fmt.Sprintf("  Sealtrace now: %s", p.result(c.Ours))
			}
			b.WriteString(line + "\n")
			if c.Comparison != "" {
				fmt.Fprintf(&b, "      %s\n", safe(c.Comparison))
			}
		}
	}
	return b.String()
}

func (p textWriter) dkimSummary(ds []DKIMResult) string {
	if len(ds) == 0 {
		return p.result(None)
	}
	var parts []string
	for _, d := range ds {
		dom := d.Domain
		if strings.ContainsAny(dom, " \t()\"") {
			dom = strconv.Quote(dom) // a d= that is no domain name must not read as more results
		}
		parts = append(parts, p.result(d.Result)+"("+safe(dom)+")")
	}
	return strings.Join(parts, ",")
}

func (p textWriter) section(b *strings.Builder, title, result string, steps []Step) {
	fmt.Fprintf(b, "\n  %s %s\n", p.c(ansiBold, title), p.result(result))
	for _, s := range steps {
		fmt.Fprintf(b, "    - %s", safe(s.What))
		if s.RFC != "" {
			fmt.Fprintf(b, " %s", p.c(ansiDim, "["+s.RFC+"]"))
		}
		b.WriteString("\n")
		if s.Detail != "" {
			for _, l := range strings.Split(strings.TrimRight(safetext.TerminalLines(s.Detail), "\n"), "\n") {
				fmt.Fprintf(b, "        %s\n", p.c(ansiDim, l))
			}
		}
	}
}
