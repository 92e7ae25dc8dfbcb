package ui

import (
	"context"
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/sealtrace/sealtrace/inspect"
	"github.com/sealtrace/sealtrace/pgp"
	"github.com/sealtrace/sealtrace/pipeline"
)

// Evidence bundles in the app: a bundle opens like a message (Open… or a
// drop: pipeline.File replays it), its report shown under a banner that
// says it was replayed and when the evidence was recorded (and, in red,
// when the bundle was changed after it was written); Export saves the
// selected message's bundle.

// newEvidenceBanner is the banner above a replayed report; hidden otherwise.
func newEvidenceBanner() *widget.Label {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	l.Importance = widget.WarningImportance
	l.Hide()
	return l
}

// showEvidence shows or hides the banner for e (UI goroutine).
func (v *messageView) showEvidence(e *entry) {
	if e == nil || e.replay == nil {
		v.evidence.Hide()
		return
	}
	v.evidence.SetText(e.replay.Banner())
	v.evidence.Importance = widget.WarningImportance
	if e.replay.Mismatch != nil {
		v.evidence.Importance = widget.DangerImportance
	}
	v.evidence.Show()
	v.evidence.Refresh()
}

// evidenceOf is what making e's bundle needs, taken on the UI goroutine
// (the entry's fields are the UI goroutine's).
type evidenceOf struct {
	report *inspect.Report
	replay *pipeline.ReplayInfo
	cfg    pipeline.Config
	load   func() ([]byte, error)
}

func (e *entry) evidence() evidenceOf {
	x := evidenceOf{report: e.report, replay: e.replay, load: e.load}
	if e.cfg != nil {
		x.cfg = *e.cfg
	}
	return x
}

// pgp are the OpenPGP keys the message was inspected with (a replay's
// OpenPGP section is made with them); none when they cannot be read.
func (x evidenceOf) pgp() pgp.Options {
	o, _ := x.cfg.OpenPGP()
	return o
}

// bundle is the evidence bundle of the message: the one it was replayed
// from, or one made from its report and message (no DNS is asked: the
// report holds the answers), checked by replaying it. Off the UI
// goroutine: it reads the message and replays it.
func (x evidenceOf) bundle(ctx context.Context) (*pipeline.Bundle, error) {
	if x.replay != nil && x.replay.Bundle != nil {
		return x.replay.Bundle, nil
	}
	if x.report == nil || x.load == nil {
		return nil, errors.New("this message's report is not ready yet")
	}
	raw, err := x.load()
	if err != nil {
		return nil, err
	}
	b, err := pipeline.BundleOf(x.report, raw, x.cfg)
	if err != nil {
		return nil, err
	}
	r, err := pipeline.Replay(ctx, b, x.pgp())
	if err != nil {
		return nil, err
	}
	if r.Replay.Mismatch != nil {
		return nil, fmt.Errorf("the evidence of this message does not reproduce its report (%v); inspect it again and retry", r.Replay.Mismatch)
	}
	return b, nil
}

// saveEvidence makes e's bundle off the UI goroutine, then asks where to
// save it (UI goroutine).
func (u *UI) saveEvidence(e *entry) {
	x := e.evidence()
	u.status.SetText("Making the evidence bundle…")
	go func() {
		b, err := x.bundle(u.watchCtx)
		var data []byte
		if err == nil {
			data, err = b.Marshal()
		}
		u.post(func() {
			u.status.SetText("")
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
				defer w.Close()
				if _, err := w.Write(data); err != nil {
					dialog.ShowError(err, u.win)
				}
			}, u.win)
			fd.SetFileName(b.FileName())
			fd.Show()
		})
	}()
}
