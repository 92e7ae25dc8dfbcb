package ui

import (
	"fmt"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealtrace/sealtrace/inspect"
	"github.com/sealtrace/sealtrace/resolver"
)

// dnsView is the DNS tab: where the answers came from, every question and
// what it came to (NXDOMAIN, SERVFAIL, a timeout and an unreachable server
// in words and colours of their own: none of them is "fail"), each with a
// Copy button; above them, what a re-check changed, which checks needed the
// body, and what a bounce reports.
type dnsView struct {
	u       *UI
	content fyne.CanvasObject
	box     *fyne.Container
	// texts are what the Copy buttons copy, in order (for tests).
	texts []string
}

func newDNSView(u *UI) *dnsView {
	v := &dnsView{u: u, box: container.NewVBox()}
	v.content = container.NewVScroll(v.box)
	return v
}

// outcomeColour is an outcome's colour: green for an answer, grey for "no
// such record", red for "no such name" (a definite no), amber for a server
// that failed or refused, orange for no answer in time, blue-grey for a
// server that could not be reached at all.
func outcomeColour(outcome string) color.Color {
	switch outcome {
	case resolver.OutcomeAnswer:
		return color.NRGBA{R: 0x2e, G: 0xa0, B: 0x43, A: 0xff}
	case resolver.OutcomeNoData:
		return color.NRGBA{R: 0x8c, G: 0x95, B: 0x9f, A: 0xff}
	case resolver.OutcomeNXDomain, resolver.OutcomeMalformed, resolver.OutcomeBadName:
		return color.NRGBA{R: 0xd1, G: 0x24, B: 0x2f, A: 0xff}
	case resolver.OutcomeServFail, resolver.OutcomeRefused, resolver.OutcomeRcode:
		return color.NRGBA{R: 0xd9, G: 0x8a, B: 0x00, A: 0xff}
	case resolver.OutcomeTimeout, resolver.OutcomeCancelled:
		return color.NRGBA{R: 0xe0, G: 0x5d, B: 0x10, A: 0xff}
	case resolver.OutcomeOffline:
		return color.NRGBA{R: 0x4a, G: 0x5d, B: 0x8a, A: 0xff}
	}
	return color.NRGBA{R: 0x8c, G: 0x95, B: 0x9f, A: 0xff}
}

// outcomeOf is an evidence's outcome; a report cached before outcomes
// existed has only the rcode.
func outcomeOf(ev resolver.Evidence) string {
	if ev.Outcome != "" {
		return ev.Outcome
	}
	switch ev.Rcode {
	case "NOERROR":
		if len(ev.Answers) > 0 {
			return resolver.OutcomeAnswer
		}
		return resolver.OutcomeNoData
	case "NXDOMAIN":
		return resolver.OutcomeNXDomain
	case "SERVFAIL":
		return resolver.OutcomeServFail
	case "TIMEOUT":
		return resolver.OutcomeTimeout
	}
	return resolver.OutcomeRcode
}

// outcomeBadge is the outcome's words on its colour.
func outcomeBadge(outcome string) fyne.CanvasObject {
	bg := canvas.NewRectangle(outcomeColour(outcome))
	bg.CornerRadius = 4
	txt := canvas.NewText(resolver.OutcomeWords(outcome), color.White)
	txt.TextStyle = fyne.TextStyle{Bold: true}
	txt.TextSize = theme.TextSize()
	return container.NewStack(bg, container.NewPadded(txt))
}

// evidenceText is one DNS answer as plain text, for the clipboard.
func evidenceText(ev resolver.Evidence) string {
	s := fmt.Sprintf("%s %s: %s", strings.TrimSuffix(ev.Name, "."), ev.Type, resolver.OutcomeWords(outcomeOf(ev)))
	if ev.Rcode != "" && ev.Error == "" {
		s += " (" + ev.Rcode + ")"
	}
	if ev.Authenticated {
		s += ", DNSSEC-authenticated"
	}
	if ev.Error != "" {
		s += "\n  " + ev.Error
	}
	for _, a := range ev.Answers {
		s += "\n  " + a
	}
	return s
}

// copyButton copies text to the clipboard and says so in the status bar.
func (u *UI) copyButton(label string, text func() string) *widget.Button {
	return widget.NewButtonWithIcon(label, theme.ContentCopyIcon(), func() {
		u.app.Clipboard().SetContent(text())
		u.status.SetText("Copied to the clipboard.")
	})
}

func wrapLabel(text string, imp widget.Importance) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.Importance = imp
	return l
}

// showFor fills the tab from e's report r (UI goroutine). A report read
// from the IMAP cache shows the answers recorded when it was made.
func (v *dnsView) showFor(e *entry, r *inspect.Report) {
	v.show(r)
	if r != nil && e != nil && !e.inspected.IsZero() && r.Recheck == nil {
		v.box.Objects = append([]fyne.CanvasObject{wrapLabel("Recorded answers: this report was made "+
			e.inspected.Local().Format("2006-01-02 15:04")+" and read from the IMAP cache; DNS was not asked again. Re-check to ask it now.",
			widget.WarningImportance)}, v.box.Objects...)
		v.box.Refresh()
	}
}

// show fills the tab from r (UI goroutine).
func (v *dnsView) show(r *inspect.Report) {
	v.box.RemoveAll()
	v.texts = nil
	if r == nil {
		v.box.Refresh()
		return
	}
	v.box.Add(wrapLabel("Answers from: "+r.DNSSource.String(), widget.MediumImportance))
	if rc := r.Recheck; rc != nil {
		v.box.Add(wrapLabel("Re-checked: "+rc.Words()+". This is not what the receiver saw.", widget.WarningImportance))
	}
	for _, n := range r.NeedsBody {
		v.box.Add(wrapLabel("Needs the body: "+n.What, widget.WarningImportance))
	}
	if b := r.Bounce; b != nil {
		v.box.Add(wrapLabel(bounceWords(b), widget.MediumImportance))
	}
	if len(r.DNS) == 0 {
		v.box.Add(widget.NewLabel("No DNS question was asked."))
	}
	all := make([]string, 0, len(r.DNS))
	for _, ev := range r.DNS {
		all = append(all, evidenceText(ev))
	}
	if len(r.DNS) > 0 {
		v.box.Add(container.NewHBox(v.u.copyButton("Copy all records", func() string { return strings.Join(all, "\n") })))
	}
	for i, ev := range r.DNS {
		text := all[i]
		v.texts = append(v.texts, text)
		head := widget.NewLabel(strings.TrimSuffix(ev.Name, ".") + " " + ev.Type)
		head.TextStyle = fyne.TextStyle{Bold: true}
		head.Wrapping = fyne.TextWrapBreak
		row := container.NewBorder(nil, nil, outcomeBadge(outcomeOf(ev)), v.u.copyButton("Copy", func() string { return text }), head)
		v.box.Add(row)
		var lines []string
		if ev.Error != "" {
			lines = append(lines, ev.Error)
		}
		lines = append(lines, ev.Answers...)
		if ev.Authenticated {
			lines = append(lines, "(DNSSEC-authenticated)")
		}
		if len(lines) > 0 {
			body := widget.NewLabel(strings.Join(lines, "\n"))
			body.TextStyle = fyne.TextStyle{Monospace: true}
			body.Wrapping = fyne.TextWrapBreak
			v.box.Add(body)
		}
	}
	v.box.Refresh()
}

// bounceWords says what a bounce reports.
func bounceWords(b *inspect.BounceReport) string {
	s := "A bounce (delivery status notification)"
	if b.ReportingMTA != "" {
		s += " from " + b.ReportingMTA
	}
	for _, r := range b.Recipients {
		s += fmt.Sprintf("\n• %s: %s %s %s", dashIfEmpty(r.FinalRecipient), r.Action, r.Status, r.DiagnosticCode)
	}
	switch b.Returned {
	case "message":
		s += "\nThe returned message is listed after it as …/returned."
	case "headers":
		s += "\nIt returns the header only: listed after it as …/returned, checked without a body."
	}
	return s
}
