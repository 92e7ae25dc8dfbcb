package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/sealtrace/sealtrace/inspect"
)

// claimsView is the Claims tab as a side-by-side table: per result of each
// Authentication-Results field, what the receiver said, what Sealtrace finds
// now, and why they differ; a difference is marked in colour and words.
type claimsView struct {
	content fyne.CanvasObject
	box     *fyne.Container
	// differ counts the rows marked as different (for tests).
	differ int
}

func newClaimsView() *claimsView {
	v := &claimsView{box: container.NewVBox()}
	v.content = container.NewVScroll(v.box)
	return v
}

func cell(text string, imp widget.Importance, bold bool) *widget.Label {
	l := widget.NewLabel(text)
	l.Truncation = fyne.TextTruncateEllipsis
	l.Importance = imp
	l.TextStyle = fyne.TextStyle{Bold: bold}
	return l
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// show fills the table from r (UI goroutine).
func (v *claimsView) show(r *inspect.Report) {
	v.box.RemoveAll()
	v.differ = 0
	if r == nil || len(r.Claims) == 0 {
		v.box.Add(wrapLabel("No Authentication-Results field: no receiver recorded what it found.", widget.MediumImportance))
		v.box.Refresh()
		return
	}
	v.box.Add(wrapLabel("What each receiving server wrote in its Authentication-Results, beside what Sealtrace finds now. "+
		"Only trusted receivers' fields can be believed; anything below them may have come with the message.", widget.MediumImportance))
	v.box.Add(container.NewGridWithColumns(4,
		cell("Receiver", widget.MediumImportance, true), cell("Check", widget.MediumImportance, true),
		cell("Receiver said", widget.MediumImportance, true), cell("Sealtrace finds now", widget.MediumImportance, true)))
	for _, c := range r.Claims {
		trust := " (untrusted)"
		if c.Trusted {
			trust = " (trusted)"
		}
		diff := claimDiffers(c)
		said, now := widget.MediumImportance, widget.MediumImportance
		if diff {
			v.differ++
			said, now = widget.WarningImportance, widget.DangerImportance
		}
		nowText := dashIfEmpty(c.Ours)
		if diff {
			nowText += "  ≠ differs"
		}
		saidText := c.Result
		if c.Props != "" {
			saidText += " — " + c.Props
		}
		v.box.Add(container.NewGridWithColumns(4,
			cell(inspect.AuthservLabel(c.AuthservID)+trust, widget.MediumImportance, false),
			cell(c.Method, widget.MediumImportance, false),
			cell(saidText, said, diff),
			cell(nowText, now, diff)))
		if why := strings.TrimSpace(c.Comparison); why != "" {
			imp := widget.LowImportance
			if diff {
				imp = widget.WarningImportance
			}
			v.box.Add(wrapLabel("Why: "+why, imp))
		}
	}
	v.box.Refresh()
}
