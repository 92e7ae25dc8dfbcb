package ui

import (
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2/container"

	"github.com/sealtrace/sealtrace/inspect"
)

// stepText is one step as plain text, for the clipboard.
func stepText(s inspect.Step) string {
	t := strings.ToUpper(s.Check) + ": " + strings.ToUpper(dashIfEmpty(s.Result)) + " — " + s.What
	if s.RFC != "" {
		t += " (" + s.RFC + ")"
	}
	if s.Detail != "" {
		t += "\n  " + strings.ReplaceAll(strings.TrimRight(s.Detail, "\n"), "\n", "\n  ")
	}
	return t
}

// stepsText is every step, one after another.
func stepsText(steps []inspect.Step) string {
	out := make([]string, 0, len(steps))
	for _, s := range steps {
		out = append(out, stepText(s))
	}
	return strings.Join(out, "\n")
}

// addCopy puts Copy buttons above the trace: every step, or the one shown
// in step-through mode.
func (t *traceView) addCopy(u *UI) {
	all := u.copyButton("Copy all steps", func() string { return stepsText(t.steps) })
	one := u.copyButton("Copy this step", func() string {
		if t.pos >= 0 && t.pos < len(t.steps) {
			return stepText(t.steps[t.pos])
		}
		return ""
	})
	t.content = container.NewBorder(container.NewHBox(all, one), nil, nil, nil, t.content)
}

// markdownOf is the Markdown reports of entries (each with its DNS
// records, escaped by the report's Markdown), one after another; messages
// whose report is not read yet are named at the end.
func markdownOf(entries []*entry) ([]byte, error) {
	var b strings.Builder
	missing := 0
	for _, e := range entries {
		if e.report == nil {
			missing++
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n---\n\n")
		}
		b.WriteString(e.report.Markdown())
	}
	if b.Len() == 0 {
		return nil, errors.New("none of these messages has a report yet")
	}
	if missing > 0 {
		fmt.Fprintf(&b, "\n---\n\n%d message(s) left out: not inspected yet.\n", missing)
	}
	return []byte(b.String()), nil
}
