package ui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/sealtrace/sealtrace/internal/safetext"
)

// Export: the report as JSON (the CLI's bytes) or Markdown (for a ticket),
// and the Path picture as PNG, drawn by Fyne's software renderer so that it
// works without a display.

var errNothingSelected = errors.New("select a message first")

func (u *UI) exportMenu() {
	e := u.selected
	if e == nil {
		dialog.ShowError(errNothingSelected, u.win)
		return
	}
	if e.report == nil {
		dialog.ShowError(errors.New("this message's report is not ready yet (being inspected, or read from the cache): try again in a moment"), u.win)
		return
	}
	var d dialog.Dialog
	save := func(ext string, data func() ([]byte, error)) func() {
		return func() {
			d.Hide()
			b, err := data()
			if err != nil {
				dialog.ShowError(err, u.win)
				return
			}
			fd := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
				if err != nil {
					dialog.ShowError(err, u.win)
					return
				}
				if w == nil {
					return
				}
				u.writeExport(w, b)
			}, u.win)
			fd.Resize(dialogSize(u.win))
			fd.SetFileName(exportName(e) + ext)
			fd.Show()
		}
	}
	buttons := container.NewVBox(
		widget.NewButton("Report as JSON", save(".json", e.report.JSON)),
		widget.NewButton("Report as Markdown (for a ticket)", save(".md", func() ([]byte, error) { return []byte(e.report.Markdown()), nil })),
		widget.NewButton("Path diagram as PNG (for slides)", save(".png", func() ([]byte, error) { return pathPNG(buildPath(e.report), entryTitle(e), 1600) })),
		widget.NewButton("Path diagram as SVG (for slides)", save(".svg", func() ([]byte, error) { return pathSVG(buildPath(e.report), entryTitle(e), 1600), nil })),
		widget.NewButton("Save evidence bundle… (.sealtrace.json, replayable)", func() { d.Hide(); u.saveEvidence(e) }),
		widget.NewButton(fmt.Sprintf("The %d messages shown as Markdown", len(u.shown)), save("-shown.md", func() ([]byte, error) { return markdownOf(u.shown) })),
		widget.NewButton("Its whole source as Markdown", save("-source.md", func() ([]byte, error) { return markdownOf(u.sourceEntries(e.source)) })),
	)
	d = dialog.NewCustom("Export", "Close", buttons, u.win)
	d.Show()
}

// writeExport writes an export and says where it went: a save that says
// nothing leaves the user unsure whether anything was written.
func (u *UI) writeExport(w fyne.URIWriteCloser, b []byte) {
	_, err := w.Write(b)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		dialog.ShowError(err, u.win)
		return
	}
	where := w.URI().Path()
	if where == "" {
		where = w.URI().String()
	}
	u.status.SetText("Exported to " + where)
	dialog.ShowInformation("Exported", fmt.Sprintf("Wrote %s (%d bytes).", where, len(b)), u.win)
}

// exportName suggests a file name from the message's subject and date,
// which say what it is ("Invoice 2026-118 2026-11-23"), rather than from
// where it was found. The subject comes from the message: safetext.FileName
// makes it a safe name (after "/" and "\" are replaced, so that it keeps
// the whole subject rather than its last path element).
func exportName(e *entry) string {
	subject := strings.Map(func(r rune) rune {
		switch r {
		case '/', '\\', '<', '>', '|':
			return '-'
		case ':', '#', '*', '?', '"':
			return -1 // "Re: x" is "Re x"
		}
		return r
	}, strings.Join(strings.Fields(e.subject), " "))
	if r := []rune(subject); len(r) > 60 {
		subject = strings.TrimSpace(string(r[:60]))
	}
	name := subject
	if !e.date.IsZero() {
		name = strings.TrimSpace(name + " " + e.date.UTC().Format("2006-01-02"))
	}
	if name == "" {
		name = "message " + strconv.Itoa(e.index)
	}
	return safetext.FileName(name, "sealtrace-report")
}
