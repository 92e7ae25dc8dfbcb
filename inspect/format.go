package inspect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sealtrace/sealtrace/internal/safetext"
	"github.com/sealtrace/sealtrace/resolver"
	"github.com/sealtrace/sealtrace/trace"
)

// JSON is the report as the CLI prints it with --format json (one line,
// with its newline). The desktop app's export uses the same bytes. Like
// every output of Sealtrace it is safe to show in a terminal: no control
// character from the message is written raw (safetext.JSON).
func (r *Report) JSON() ([]byte, error) {
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(r); err != nil {
		return nil, err
	}
	return safetext.JSON(b.Bytes()), nil
}

// Markdown is the report for a support ticket: a summary table, then each
// check's steps with their evidence (DNS answers, signed fields) in code
// blocks.
//
// Every string of the report may come from the message or a DNS answer, so
// each one goes through internal/safetext wherever it lands: MarkdownText in
// headings, lists and table cells, MarkdownFence for evidence. Rendered by
// any CommonMark viewer, the report has no image, link or HTML of its own,
// and none can come from the message.
func (r *Report) Markdown() string {
	t := safetext.MarkdownText
	var b strings.Builder
	fmt.Fprintf(&b, "# Authentication report: %s\n\n", t(orNone(r.Subject)))
	fmt.Fprintf(&b, "- Source: %s\n- Message-ID: %s\n- From domain: %s\n", t(r.Source), t(orNone(r.MessageID)), t(orNone(r.FromDomain)))
	if r.WhatIf != nil {
		fmt.Fprintf(&b, "- **What-if (not what happened):** %s\n", t(strings.Join(r.WhatIf.Edits, ", ")))
		for _, n := range r.WhatIf.Notes {
			fmt.Fprintf(&b, "  - %s\n", t(n))
		}
	}
	if r.Error != "" {
		fmt.Fprintf(&b, "\n**The message could not be read:** %s\n", t(r.Error))
		return b.String()
	}
	fmt.Fprintf(&b, "- DNS answers from: %s\n", t(r.DNSSource.String()))
	if rc := r.Recheck; rc != nil {
		fmt.Fprintf(&b, "- Re-checked: %s\n", t(rc.Words()))
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "- Warning: %s\n", t(w))
	}
	for _, n := range r.NeedsBody {
		fmt.Fprintf(&b, "- Needs the body: %s\n", t(n.What))
	}
	b.WriteString("\n| Check | Result | Detail |\n| --- | --- | --- |\n")
	fmt.Fprintf(&b, "| SPF | %s | %s for %s |\n", t(r.SPF.Result), t(orNone(r.SPF.IP)), t(orNone(r.SPF.Domain)))
	for _, d := range r.DKIM {
		fmt.Fprintf(&b, "| DKIM | %s | d=%s s=%s %s |\n", t(d.Result), t(d.Domain), t(d.Selector), t(d.Reason))
	}
	if len(r.DKIM) == 0 {
		b.WriteString("| DKIM | none | no signature |\n")
	}
	fmt.Fprintf(&b, "| ARC | %s | %d instance(s) %s |\n", t(r.ARC.Result), r.ARC.Instances, t(r.ARC.Reason))
	fmt.Fprintf(&b, "| DMARC | %s | policy %s, disposition %s |\n", t(r.DMARC.Result), t(r.DMARC.Policy), t(r.DMARC.Disposition))
	if len(r.Hops) > 0 {
		b.WriteString("\n## Path (oldest first)\n\n")
		for i, h := range r.Hops {
			delay := "unknown"
			if h.DelaySeconds != nil {
				delay = fmt.Sprintf("%+.0fs", *h.DelaySeconds)
			}
			fmt.Fprintf(&b, "%d. %s [%s] → %s, TLS: %s, %s (%s)\n", i+1, t(orNone(h.From)), t(orNone(h.IP)), t(orNone(h.By)), t(h.TLS), t(orNone(h.Time)), delay)
		}
	}
	section := func(title string, steps []Step) {
		fmt.Fprintf(&b, "\n## %s\n\n", t(title))
		for _, s := range steps {
			word := strings.ToUpper(s.Result) // a result word, in capitals
			if word == "" {
				word = trace.KindOf(s) // an info or ok step: its kind
			}
			fmt.Fprintf(&b, "- **%s** %s", t(word), t(s.What))
			if s.RFC != "" {
				fmt.Fprintf(&b, " (%s)", t(s.RFC))
			}
			b.WriteString("\n")
			if s.Detail != "" {
				// Inside the list item (two spaces), in a fence no line of
				// the evidence can close.
				b.WriteString(safetext.MarkdownFence(s.Detail, "  "))
			}
		}
	}
	section("SPF", r.SPF.Steps)
	for _, d := range r.DKIM {
		section("DKIM d="+d.Domain, d.Steps)
	}
	section("ARC", r.ARC.Steps)
	section("DMARC", r.DMARC.Steps)
	if len(r.Claims) > 0 {
		b.WriteString("\n## What the receivers claimed\n\n")
		for _, c := range r.Claims {
			trust := "untrusted"
			if c.Trusted {
				trust = "trusted"
			}
			fmt.Fprintf(&b, "- %s: %s=%s (%s)", t(AuthservLabel(c.AuthservID)), t(c.Method), t(c.Result), trust)
			if c.Ours != "" {
				fmt.Fprintf(&b, "; Sealtrace now: %s", t(c.Ours))
			}
			if c.Comparison != "" {
				fmt.Fprintf(&b, ". %s", t(c.Comparison))
			}
			b.WriteString("\n")
		}
	}
	if len(r.DNS) > 0 {
		b.WriteString("\n## DNS answers\n\n")
		for _, ev := range r.DNS {
			b.WriteString(markdownEvidence(ev))
		}
	}
	return b.String()
}

// markdownEvidence is one DNS question and its answer as a list item, the
// records in a fence no answer can close (a TXT record is the sender's
// text, and may hold anything).
func markdownEvidence(ev resolver.Evidence) string {
	t := safetext.MarkdownText
	var b strings.Builder
	fmt.Fprintf(&b, "- %s %s: %s", t(strings.TrimSuffix(ev.Name, ".")), t(ev.Type), t(resolver.OutcomeWords(ev.Outcome)))
	if ev.Outcome != resolver.OutcomeAnswer && ev.Rcode != "" && ev.Error == "" {
		fmt.Fprintf(&b, " (%s)", t(ev.Rcode))
	}
	if ev.Authenticated {
		b.WriteString(", DNSSEC-authenticated")
	}
	b.WriteString("\n")
	if ev.Error != "" {
		b.WriteString(safetext.MarkdownFence(ev.Error, "  "))
	}
	if len(ev.Answers) > 0 {
		b.WriteString(safetext.MarkdownFence(strings.Join(ev.Answers, "\n"), "  "))
	}
	return b.String()
}

// EvidenceMarkdown is one DNS answer as Markdown, escaped as the report is
// (for a copy button).
func EvidenceMarkdown(ev resolver.Evidence) string { return markdownEvidence(ev) }

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
