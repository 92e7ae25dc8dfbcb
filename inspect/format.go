package inspect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// JSON is the report as the CLI prints it with --format json (one line,
// with its newline). The desktop app's export uses the same bytes.
func (r *Report) JSON() ([]byte, error) {
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(r); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Markdown is the report for a support ticket: a summary table, then each
// check's steps.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Authentication report: %s\n\n", mdText(orNone(r.Subject)))
	fmt.Fprintf(&b, "- Source: %s\n- Message-ID: %s\n- From domain: %s\n", mdText(r.Source), mdText(orNone(r.MessageID)), mdText(orNone(r.FromDomain)))
	if r.Error != "" {
		fmt.Fprintf(&b, "\n**The message could not be read:** %s\n", mdText(r.Error))
		return b.String()
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "- Warning: %s\n", mdText(w))
	}
	b.WriteString("\n| Check | Result | Detail |\n| --- | --- | --- |\n")
	fmt.Fprintf(&b, "| SPF | %s | %s for %s |\n", r.SPF.Result, orNone(r.SPF.IP), orNone(r.SPF.Domain))
	for _, d := range r.DKIM {
		fmt.Fprintf(&b, "| DKIM | %s | d=%s s=%s %s |\n", d.Result, d.Domain, d.Selector, mdText(d.Reason))
	}
	if len(r.DKIM) == 0 {
		b.WriteString("| DKIM | none | no signature |\n")
	}
	fmt.Fprintf(&b, "| ARC | %s | %d instance(s) %s |\n", r.ARC.Result, r.ARC.Instances, mdText(r.ARC.Reason))
	fmt.Fprintf(&b, "| DMARC | %s | policy %s, disposition %s |\n", r.DMARC.Result, r.DMARC.Policy, r.DMARC.Disposition)
	if len(r.Hops) > 0 {
		b.WriteString("\n## Path (oldest first)\n\n")
		for i, h := range r.Hops {
			delay := "unknown"
			if h.DelaySeconds != nil {
				delay = fmt.Sprintf("%+.0fs", *h.DelaySeconds)
			}
			fmt.Fprintf(&b, "%d. %s [%s] → %s, TLS: %s, %s (%s)\n", i+1, mdText(orNone(h.From)), orNone(h.IP), mdText(orNone(h.By)), mdText(h.TLS), orNone(h.Time), delay)
		}
	}
	section := func(title string, steps []Step) {
		fmt.Fprintf(&b, "\n## %s\n\n", title)
		for _, s := range steps {
			fmt.Fprintf(&b, "- **%s** %s", strings.ToUpper(s.Result), mdText(s.What))
			if s.RFC != "" {
				fmt.Fprintf(&b, " (%s)", s.RFC)
			}
			b.WriteString("\n")
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
			fmt.Fprintf(&b, "- %s: %s=%s (%s)", mdText(authservLabel(c.AuthservID)), c.Method, c.Result, trust)
			if c.Ours != "" {
				fmt.Fprintf(&b, "; Sealtrace now: %s", c.Ours)
			}
			if c.Comparison != "" {
				fmt.Fprintf(&b, ". %s", mdText(c.Comparison))
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// mdText keeps text from a message from being read as Markdown markup.
func mdText(s string) string {
	return strings.NewReplacer("\\", "\\\\", "*", "\\*", "_", "\\_", "`", "\\`", "|", "\\|", "<", "&lt;", ">", "&gt;", "[", "\\[", "]", "\\]", "\n", " ").Replace(s)
}
