package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealtrace/sealtrace/inspect"
	"github.com/sealtrace/sealtrace/pipeline"
)

// The What-if tab: toggles that re-run the selected message's inspection
// on changed inputs (pipeline.WhatIf) from its recorded evidence, never
// asking DNS, and show each check's verdict before → after. The work runs
// off the UI goroutine; the result comes back through u.post.

const recordedChoice = "as recorded"

type whatIfPanel struct {
	u       *UI
	content fyne.CanvasObject
	scroll  *container.Scroll // content: the form, Run, the result

	adkim, aspf, policy, key, forward *widget.Select
	testing, footer, lookups          *widget.Check
	ip, extra                         *widget.Entry
	run                               *widget.Button
	result                            *widget.Label

	entry *entry
	gen   int // the run under way; older runs' results are dropped
}

func newWhatIfPanel(u *UI) *whatIfPanel {
	p := &whatIfPanel{u: u}
	sel := func(opts ...string) *widget.Select {
		s := widget.NewSelect(append([]string{recordedChoice}, opts...), nil)
		s.SetSelected(recordedChoice)
		return s
	}
	p.adkim = sel("relaxed (adkim=r)", "strict (adkim=s)")
	p.aspf = sel("relaxed (aspf=r)", "strict (aspf=s)")
	p.policy = sel("p=none", "p=quarantine", "p=reject")
	p.key = sel("deleted", "rotated (another key)")
	p.forward = sel("through a list, no ARC", "through a list that seals with ARC")
	p.testing = widget.NewCheck("testing (t=y)", nil)
	p.footer = widget.NewCheck("a mailing-list footer added to the body", nil)
	p.lookups = widget.NewCheck("SPF record over the 10-lookup limit", nil)
	p.ip = widget.NewEntry()
	p.ip.SetPlaceHolder("as recorded (e.g. 192.0.2.99)")
	p.extra = widget.NewMultiLineEntry()
	p.extra.SetPlaceHolder("more edits, one a line: dns:NAME/TYPE=RDATA, dns:NAME/TYPE=nxdomain, body+=TEXT, now=RFC3339")
	p.extra.SetMinRowsVisible(2)
	p.result = widget.NewLabel("Choose changes and press Run: the message is inspected again from its recorded evidence (no network).")
	p.result.Wrapping = fyne.TextWrapWord
	p.run = widget.NewButton("Run what-if", p.start)
	form := widget.NewForm(
		widget.NewFormItem("DKIM alignment", p.adkim),
		widget.NewFormItem("SPF alignment", p.aspf),
		widget.NewFormItem("DMARC policy", container.NewHBox(p.policy, p.testing)),
		widget.NewFormItem("DKIM key", p.key),
		widget.NewFormItem("Body", p.footer),
		widget.NewFormItem("Forwarded", p.forward),
		widget.NewFormItem("Sending IP", p.ip),
		widget.NewFormItem("SPF", p.lookups),
		widget.NewFormItem("More", p.extra),
	)
	p.scroll = container.NewVScroll(container.NewVBox(form, p.run, widget.NewSeparator(), p.result))
	p.content = p.scroll
	return p
}

// edits are the panel's choices as pipeline edits (UI goroutine).
func (p *whatIfPanel) edits() []string {
	var out []string
	pick := func(s *widget.Select, edits ...string) {
		for i, o := range s.Options[1:] {
			if s.Selected == o {
				out = append(out, edits[i])
			}
		}
	}
	pick(p.adkim, "adkim=r", "adkim=s")
	pick(p.aspf, "aspf=r", "aspf=s")
	pick(p.policy, "p=none", "p=quarantine", "p=reject")
	if p.testing.Checked {
		out = append(out, "t=y")
	}
	pick(p.key, "dkim-key=delete", "dkim-key=rotate")
	if p.footer.Checked {
		out = append(out, `body+=-- \nYou are subscribed to a mailing list.`)
	}
	pick(p.forward, "forward=plain", "forward=arc")
	if ip := strings.TrimSpace(p.ip.Text); ip != "" {
		out = append(out, "ip="+ip)
	}
	if p.lookups.Checked {
		out = append(out, "spf-lookups=11")
	}
	for line := range strings.SplitSeq(p.extra.Text, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// show makes the panel about e (UI goroutine): a result of another message
// is cleared.
func (p *whatIfPanel) show(e *entry) {
	if e == p.entry {
		return
	}
	p.entry = e
	p.gen++
	p.result.SetText("Choose changes and press Run: the message is inspected again from its recorded evidence (no network).")
}

// start runs the what-if of the selected message off the UI goroutine.
func (p *whatIfPanel) start() {
	e := p.entry
	if e == nil || e.report == nil {
		p.result.SetText("Select an inspected message first.")
		p.showResult()
		return
	}
	edits, err := pipeline.ParseEdits(p.edits())
	if err != nil {
		p.result.SetText(err.Error())
		p.showResult()
		return
	}
	if len(edits) == 0 {
		p.result.SetText("Nothing is changed: choose at least one change.")
		p.showResult()
		return
	}
	p.gen++
	gen := p.gen
	x := e.evidence()
	p.result.SetText("Running the what-if…")
	p.showResult()
	ctx := p.u.watchCtx
	go func() {
		text, keys := whatIfText(ctx, x, edits)
		p.u.post(func() {
			if gen == p.gen {
				p.result.SetText(text)
				p.showResult()
				if p.u.view != nil && p.u.view.entry == e {
					p.u.view.highlightNodes(keys) // the Path marks where the verdicts changed
				}
			}
		})
	}()
}

// showResult scrolls the result into view: below a form taller than the
// tab, Run otherwise seems to do nothing (UI goroutine).
func (p *whatIfPanel) showResult() {
	p.scroll.Refresh() // the content's height with the new text
	p.scroll.ScrollToOffset(fyne.NewPos(0, p.result.Position().Y-theme.Padding()))
}

// whatIfText replays the message as recorded and with the edits, and says
// each check's verdict before → after, with the keys of the Path nodes
// whose verdicts changed (any goroutine).
func whatIfText(ctx context.Context, x evidenceOf, edits []pipeline.Edit) (string, []string) {
	b, err := x.bundle(ctx)
	if err != nil {
		return "The what-if cannot run: " + err.Error(), nil
	}
	before, err := pipeline.Replay(ctx, b, x.pgp())
	if err != nil {
		return "The what-if cannot run: " + err.Error(), nil
	}
	after, err := pipeline.WhatIf(ctx, b, x.pgp(), edits...)
	if err != nil {
		return "The what-if cannot run: " + err.Error(), nil
	}
	return changesText(before.Report, after.Report), changedNodes(before.Report, after.Report)
}

// changedNodes names the Path nodes (pathModel.nodeKeys) that carry a
// verdict the what-if changed: SPF, DKIM and ARC are the receiver's checks,
// DMARC and the disposition its decision.
func changedNodes(before, after *inspect.Report) []string {
	var keys []string
	for _, c := range pipeline.Changes(before, after) {
		if !c.Changed() {
			continue
		}
		k := "receiver"
		if c.Check == "DMARC" || c.Check == "Disposition" {
			k = "decision"
		}
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

func changesText(before, after *inspect.Report) string {
	var s strings.Builder
	s.WriteString("WHAT-IF (not what happened): " + strings.Join(after.WhatIf.Edits, ", ") + "\n\n")
	for _, c := range pipeline.Changes(before, after) {
		mark := "unchanged"
		if c.Changed() {
			mark = "CHANGED"
		}
		fmt.Fprintf(&s, "%s: %s → %s   (%s)\n", c.Check, c.Before, c.After, mark)
	}
	if len(after.WhatIf.Notes) > 0 {
		s.WriteString("\nWhat the changes did:\n")
		for _, n := range after.WhatIf.Notes {
			s.WriteString("- " + n + "\n")
		}
	}
	return s.String()
}
