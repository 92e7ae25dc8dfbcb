package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func writeMessage(t *testing.T, dir, name, subject string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	msg := "From: help@example.org\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\nSubject: " + subject + "\r\n\r\nhi\r\n"
	if err := os.WriteFile(path, []byte(msg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func countSource(u *UI, name string) (sources, rows int) {
	for _, s := range u.sources {
		if s == name {
			sources++
		}
	}
	for _, e := range u.entries {
		if e.source == name {
			rows++
		}
	}
	return sources, rows
}

// Opening a file already open chooses its source again: no second source,
// no second copy of its messages. Another file of the same name is a
// source of its own.
func TestReopenedFileIsChosenNotDuplicated(t *testing.T) {
	u, _ := newTestUI(t)
	dir := t.TempDir()
	path := writeMessage(t, dir, "ticket.eml", "please look at this")
	u.postAndWait(func() { u.openPath(path) })
	waitFor(t, u, "the file to be shown", func() bool { return u.source == "ticket.eml" && u.view.entry != nil && u.view.entry.report != nil })
	u.postAndWait(func() { u.sourceList.Select(0) }) // All messages
	u.postAndWait(func() { u.openPath(path) })
	waitFor(t, u, "the file to be chosen again", func() bool { return u.source == "ticket.eml" })
	other := writeMessage(t, t.TempDir(), "ticket.eml", "another ticket")
	u.postAndWait(func() { u.openPath(other) })
	waitFor(t, u, "the second file of that name", func() bool {
		_, rows := countSource(u, "ticket.eml (2)")
		return rows == 1 && u.source == "ticket.eml (2)"
	})
	u.postAndWait(func() {
		if s, rows := countSource(u, "ticket.eml"); s != 1 || rows != 1 {
			t.Errorf("ticket.eml opened twice: %d sources, %d rows", s, rows)
		}
	})
}

// A source can be removed: its messages leave the list, and the view shows
// another message.
func TestRemoveSource(t *testing.T) {
	u, _ := newTestUI(t)
	path := writeMessage(t, t.TempDir(), "ticket.eml", "please look at this")
	u.postAndWait(func() { u.openPath(path) })
	waitFor(t, u, "the file to be shown", func() bool { return u.source == "ticket.eml" && u.view.entry != nil })
	// The sidebar's remove button of that source.
	u.postAndWait(func() {
		var rm *widget.Button
		for i, s := range u.sources {
			if s == "ticket.eml" {
				item := u.sourceList.CreateItem()
				u.sourceList.UpdateItem(i+1, item)
				if c, ok := item.(*fyne.Container); ok && len(c.Objects) > 1 {
					rm, _ = c.Objects[1].(*widget.Button)
				}
			}
		}
		if rm == nil || !rm.Visible() {
			t.Error("no remove button for the file")
			return
		}
		test.Tap(rm)
	})
	u.postAndWait(func() {
		if s, rows := countSource(u, "ticket.eml"); s != 0 || rows != 0 {
			t.Errorf("after removing: %d sources, %d rows of ticket.eml", s, rows)
		}
		if u.source != "" || u.view.entry == nil || u.view.entry.source == "ticket.eml" {
			t.Errorf("after removing: source %q, showing %s", u.source, subjectOf(u.view.entry))
		}
	})
	// Opened again after removal, it is read again.
	u.postAndWait(func() { u.openPath(path) })
	waitFor(t, u, "the file opened again", func() bool { _, rows := countSource(u, "ticket.eml"); return rows == 1 })
}

// overlayTexts is every text drawn in the window's top overlay (a dialog).
func overlayTexts(w fyne.Window) string {
	top := w.Canvas().Overlays().Top()
	if top == nil {
		return ""
	}
	var b strings.Builder
	visibleTexts(top, func(t *canvas.Text, _ fyne.Position) { b.WriteString(t.Text + "\n") })
	return b.String()
}

// overlayEntries is every text field in the window's top overlay.
func overlayEntries(w fyne.Window) []*widget.Entry {
	var out []*widget.Entry
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Entry:
			out = append(out, x)
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(x).Objects() {
				walk(c)
			}
		}
	}
	if top := w.Canvas().Overlays().Top(); top != nil {
		walk(top)
	}
	return out
}

// An export is named from the message's subject and date, and says where it
// was written.
func TestExportConfirmsAndNamesFile(t *testing.T) {
	u, w := newTestUI(t)
	e := u.entryByDemo(t, "spoofed-from-reject")
	name := exportName(e)
	if !strings.Contains(name, "verify your account") || !strings.Contains(name, "2026-11-23") || strings.ContainsAny(name, `/\:`) {
		t.Errorf("export name %q: not the subject and date", name)
	}
	if n := exportName(&entry{subject: "Re: ../../etc/passwd \u202e", index: 3}); strings.ContainsAny(n, `/\`) || strings.HasPrefix(n, ".") || strings.Contains(n, "\u202e") {
		t.Errorf("unsafe export name %q", n)
	}
	out := filepath.Join(t.TempDir(), name+".json")
	wr, err := storage.Writer(storage.NewFileURI(out))
	if err != nil {
		t.Fatal(err)
	}
	u.postAndWait(func() { u.writeExport(wr, []byte(`{"x":1}`)) })
	u.postAndWait(func() {
		// The dialog wraps long paths: compare without the breaks.
		flat := func(s string) string { return strings.Join(strings.Fields(s), "") }
		if got := overlayTexts(w); !strings.Contains(flat(got), flat(out)) {
			t.Errorf("no confirmation naming %s; the dialog says:\n%s", out, got)
		}
	})
	if b, err := os.ReadFile(out); err != nil || string(b) != `{"x":1}` {
		t.Errorf("written: %q, %v", b, err)
	}
}

// The passphrase field is wide enough to type in, and Enter submits it.
func TestPassphraseDialogEnterSubmits(t *testing.T) {
	u, w := newTestUI(t)
	e := u.entryByDemo(t, "pgp-notification")
	u.postAndWait(func() {
		u.view.pgp.entry = e
		u.view.pgp.askPassphrase()
	})
	var pass *widget.Entry
	u.postAndWait(func() {
		for _, e := range overlayEntries(w) {
			if e.Password {
				pass = e
			}
		}
		if pass == nil {
			t.Error("no passphrase field")
			return
		}
		if pass.Size().Width < 300 {
			t.Errorf("the passphrase field is %v wide", pass.Size().Width)
		}
		test.Type(pass, "s3cret")
		pass.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	})
	u.postAndWait(func() {
		if string(u.openpgp.passphrase) != "s3cret" {
			t.Errorf("Enter did not submit the passphrase (remembered %q)", u.openpgp.passphrase)
		}
	})
}

// Settings: every field is wide enough for its placeholder.
func TestSettingsFieldsWide(t *testing.T) {
	u, w := newTestUI(t)
	u.postAndWait(func() { u.settingsDialog() })
	u.postAndWait(func() {
		n := 0
		for _, x := range overlayEntries(w) {
			n++
			need := fyne.MeasureText(x.PlaceHolder, fyne.CurrentApp().Settings().Theme().Size("text"), fyne.TextStyle{}).Width + 4*4
			if x.Size().Width < need || x.Size().Width < 300 {
				t.Errorf("field %q is %v wide (its placeholder needs %v)", x.PlaceHolder, x.Size().Width, need)
			}
		}
		if n < 5 {
			t.Errorf("only %d fields found", n)
		}
	})
}

// A message forwarded as an attachment is marked in the list.
func TestAttachedMessagesMarked(t *testing.T) {
	u, _ := newTestUI(t)
	inner := "From: original@example.net\r\nSubject: the original\r\n\r\nbody\r\n"
	outer := "From: user@example.org\r\nSubject: look at this spam\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" +
		"--b\r\nContent-Type: message/rfc822\r\n\r\n" + inner + "\r\n--b--\r\n"
	path := filepath.Join(t.TempDir(), "fwd.eml")
	if err := os.WriteFile(path, []byte(outer), 0o600); err != nil {
		t.Fatal(err)
	}
	u.postAndWait(func() { u.openPath(path) })
	waitFor(t, u, "both messages listed", func() bool { _, rows := countSource(u, "fwd.eml"); return rows == 2 })
	u.postAndWait(func() {
		for _, e := range u.entries {
			if e.source != "fwd.eml" {
				continue
			}
			if e.attached != (e.subject == "the original") {
				t.Errorf("%q marked attached: %v", e.subject, e.attached)
			}
		}
		// What the list draws.
		for i, e := range u.shown {
			cell := newBadgeCell()
			u.table.UpdateCell(widget.TableCellID{Row: i, Col: 2}, cell)
			txt := cell.(*fyne.Container).Objects[2].(*fyne.Container).Objects[0].(*canvas.Text).Text
			if e.subject == "the original" && !strings.Contains(txt, "attached") {
				t.Errorf("the attached message is drawn %q", txt)
			}
		}
	})
}

// The status bar names the source being viewed.
func TestStatusNamesSource(t *testing.T) {
	u, _ := newTestUI(t)
	path := writeMessage(t, t.TempDir(), "ticket.eml", "please look at this")
	u.postAndWait(func() { u.openPath(path) })
	waitFor(t, u, "the file to be shown", func() bool { return u.source == "ticket.eml" && u.view.entry != nil })
	u.postAndWait(func() {
		if !strings.Contains(u.viewing.Text, "ticket.eml") {
			t.Errorf("the status bar says %q", u.viewing.Text)
		}
		u.sourceList.Select(1) // the demo mailbox
	})
	u.postAndWait(func() {
		if !strings.Contains(u.viewing.Text, "Demo mailbox") {
			t.Errorf("the status bar says %q while the demo is viewed", u.viewing.Text)
		}
	})
}

// Files named on the command line are opened, the last one shown.
func TestOpenFromCommandLine(t *testing.T) {
	u, _ := newTestUI(t)
	dir := t.TempDir()
	a, b := writeMessage(t, dir, "a.eml", "first file"), writeMessage(t, dir, "b.eml", "second file")
	u.Open(a, b)
	waitFor(t, u, "both files opened, the last shown", func() bool {
		_, ra := countSource(u, "a.eml")
		_, rb := countSource(u, "b.eml")
		return ra == 1 && rb == 1 && u.view.entry != nil && u.view.entry.subject == "second file"
	})
}

// The Open dialog takes most of the window (Fyne's default is its minimum
// size, whatever the window).
func TestOpenDialogSizedToWindow(t *testing.T) {
	u, w := newTestUI(t)
	u.postAndWait(func() { w.Resize(fyne.NewSize(1600, 1000)) })
	u.postAndWait(func() { u.openDialog() })
	u.postAndWait(func() {
		pop, ok := w.Canvas().Overlays().Top().(*widget.PopUp)
		if !ok {
			t.Errorf("no dialog: %T", w.Canvas().Overlays().Top())
			return
		}
		if s := pop.Content.Size(); s.Width < 1400 || s.Height < 800 {
			t.Errorf("the Open dialog is %v in a 1600x1000 window", s)
		}
	})
}
