package ui

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/sealtrace/sealtrace/internal/safetext"
	"github.com/sealtrace/sealtrace/pgp"
	"github.com/sealtrace/sealtrace/pipeline"
)

// The PGP tab: what the OpenPGP checks found, and the decrypted content in
// a frame of its own. The decrypted text is never merged with the message's
// unencrypted parts (EFAIL), and it is shown as text: no HTML, nothing remote.
type pgpView struct {
	u       *UI
	content fyne.CanvasObject
	status  *widget.RichText
	plain   *widget.Label
	card    *widget.Card
	decrypt *widget.Button
	files   *fyne.Container // the decrypted content's attachments, each with Save…
	entry   *entry

	passDialog *dialog.FormDialog // the passphrase asked last (for tests)
}

func newPGPView(u *UI) *pgpView {
	p := &pgpView{u: u}
	p.status = widget.NewRichText()
	p.status.Wrapping = fyne.TextWrapWord
	p.plain = widget.NewLabel("")
	p.plain.Wrapping = fyne.TextWrapWord
	p.plain.TextStyle = fyne.TextStyle{Monospace: true}
	p.card = widget.NewCard("Decrypted content", "shown apart from the message's unencrypted parts, as text only", p.plain)
	p.decrypt = widget.NewButton("Decrypt with a passphrase…", p.askPassphrase)
	p.files = container.NewVBox()
	p.content = container.NewVScroll(container.NewVBox(p.status, p.decrypt, p.card, p.files))
	return p
}

func (p *pgpView) show(e *entry) {
	p.entry = e
	r := e.report
	if r == nil || r.PGP == nil {
		showText(p.status, "This message has no OpenPGP content.")
		p.decrypt.Hide()
		p.card.Hide()
		return
	}
	var d doc
	var signer *widget.TextSegment
	if r.PGP.SignerFingerprint != "" {
		signer = plain(", signer key " + r.PGP.SignerFingerprint)
	}
	d.para(strong(r.PGP.Kind), plain(", signature: "), strong(wordsOf(r.PGP.Signature)), signer)
	if r.PGP.Decrypted && len(e.plain) == 0 {
		d.para(plain("Decrypted when it was inspected; the decrypted content is never kept on disk: Decrypt shows it again."))
	}
	d.steps(r.PGP.Steps)
	d.show(p.status)
	if r.PGP.Encrypted && (!r.PGP.Decrypted || len(e.plain) == 0) {
		p.decrypt.Show()
	} else {
		p.decrypt.Hide()
	}
	p.files.Objects = nil
	p.files.Refresh()
	if len(e.plain) == 0 {
		p.card.Hide()
		return
	}
	// Decrypted content may be large: its MIME is parsed off the UI goroutine.
	p.plain.SetText("Reading the decrypted content…")
	p.card.Show()
	go func() {
		text, files := bodyText(e.plain), pgp.Attachments(e.plain)
		p.u.post(func() {
			if p.entry != e {
				return
			}
			p.plain.SetText(text)
			for _, a := range files {
				a := a
				label := widget.NewLabel(fmt.Sprintf("Attachment: %s (%s, %d bytes)", safetext.Terminal(a.Name), safetext.Terminal(a.Type), len(a.Data)))
				save := widget.NewButton("Save…", func() { p.saveAttachment(a) })
				p.files.Add(container.NewBorder(nil, nil, nil, save, label))
			}
			p.files.Refresh()
		})
	}()
}

// saveAttachment writes one decrypted file where the user chooses; nothing
// is opened or run. The name the message gave is only a suggestion, made
// safe: its last element, without leading dots or control characters.
func (p *pgpView) saveAttachment(a pgp.Attachment) {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		defer w.Close()
		if _, err := w.Write(a.Data); err != nil {
			dialog.ShowError(err, p.u.win)
		}
	}, p.u.win)
	d.SetFileName(safetext.FileName(a.Name, "attachment"))
	d.Show()
}

// askPassphrase asks for the passphrase of the keys in the settings and
// decrypts again. The passphrase stays in memory for this session only.
func (p *pgpView) askPassphrase() {
	e := p.entry
	pass := widget.NewPasswordEntry()
	pass.SetPlaceHolder("the passphrase of your OpenPGP key")
	d := dialog.NewForm("Passphrase", "Decrypt", "Cancel", []*widget.FormItem{widget.NewFormItem("Passphrase", pass)}, func(ok bool) {
		if !ok || e == nil {
			return
		}
		p.u.rememberPassphrase([]byte(pass.Text))
		pass := p.u.openpgp.passphrase
		go func() {
			// The same keys as every inspection: the settings' files and
			// the keys imported through Keys….
			opts, err := p.u.config(pass).OpenPGP()
			if err == nil {
				var raw []byte
				if raw, err = e.load(); err == nil {
					rep := *e.report
					plain := pipeline.JoinPGP(&rep, raw, opts)
					p.u.post(func() {
						e.setReport(&rep, plain)
						p.u.table.Refresh()
						if p.entry == e {
							p.show(e)
						}
					})
					return
				}
			}
			p.u.post(func() { dialog.ShowError(err, p.u.win) })
		}()
	}, p.u.win)
	pass.OnSubmitted = func(string) { d.Submit() } // Enter decrypts
	d.Resize(fyne.NewSize(min(480, p.u.win.Canvas().Size().Width-40), d.MinSize().Height))
	p.passDialog = d
	d.Show()
	p.u.win.Canvas().Focus(pass)
}

// rememberPassphrase keeps the passphrase in memory for the time the
// settings allow (15 minutes unless changed), then forgets it (UI goroutine).
func (u *UI) rememberPassphrase(pass []byte) {
	u.openpgp.passphrase = pass
	u.openpgp.passGen++
	gen := u.openpgp.passGen
	ttl := time.Duration(u.app.Preferences().IntWithFallback(prefPassMinutes, 15)) * time.Minute
	if u.openpgp.passTTL != 0 {
		ttl = u.openpgp.passTTL
	}
	time.AfterFunc(ttl, func() {
		u.post(func() {
			if u.openpgp.passGen == gen { // not replaced since
				for i := range u.openpgp.passphrase {
					u.openpgp.passphrase[i] = 0
				}
				u.openpgp.passphrase = nil
			}
		})
	})
}
