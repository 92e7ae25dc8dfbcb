package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/sealtrace/sealtrace/mailbox"
	"github.com/sealtrace/sealtrace/pipeline"
	"github.com/sealtrace/sealtrace/reports"
)

// Reading reports from an IMAP folder of an account the user added,
// read-only: reports.FromIMAP searches the folder (EXAMINE, UID SEARCH),
// reads each match's BODYSTRUCTURE and fetches only the report part with
// BODY.PEEK, so nothing is marked \Seen, moved or changed. The parts are
// kept in the app's message cache by UIDVALIDITY and UID: reading the
// folder again fetches only what arrived since.

const imapReportsButton = "Read from IMAP…" // short: it sits above the narrow domain list

// imapButton is the Reports view's button that asks for the account and
// folder.
func (v *reportsView) imapButton() *widget.Button {
	return widget.NewButton(imapReportsButton, v.imapDialog)
}

// imapDialog asks which account and folder to read (UI goroutine).
func (v *reportsView) imapDialog() {
	u := v.u
	accounts := u.savedAccounts()
	if len(accounts) == 0 {
		dialog.ShowInformation("Read reports from IMAP", "There is no IMAP account yet: add one with Add account…, then read its reports folder here.", u.win)
		return
	}
	var names []string
	byName := map[string]savedAccount{}
	for _, s := range accounts {
		names = append(names, s.key())
		byName[s.key()] = s
	}
	folder := widget.NewSelectEntry(nil)
	folder.SetText("INBOX")
	account := widget.NewSelect(names, func(name string) {
		// The folders as last listed (the sidebar's), to choose from; any
		// name can still be typed.
		folder.SetOptions(byName[name].Folders)
	})
	account.SetSelected(names[0])
	note := widget.NewLabel("The folder is opened read-only: only each report's attachment is fetched (BODY.PEEK), nothing is marked read, moved or deleted.")
	note.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(widget.NewFormItem("Account", account), widget.NewFormItem("Folder", folder))
	d := dialog.NewCustomConfirm("Read reports from an IMAP folder", "Read", "Cancel", container.NewVBox(form, note), func(ok bool) {
		name := strings.TrimSpace(folder.Text)
		if !ok || name == "" {
			return
		}
		v.readIMAP(byName[account.Selected], name, nil)
	}, u.win)
	d.Resize(fyne.NewSize(560, 300))
	d.Show()
}

// readIMAP reads the reports of one folder in the background, with the
// status bar's progress and Cancel, and adds them to the view (UI
// goroutine). done, when set, is closed once they are shown (tests).
func (v *reportsView) readIMAP(s savedAccount, folder string, done chan struct{}) {
	u := v.u
	where := folderSource(s.key(), folder)
	ctx, cancel := context.WithCancel(u.watchCtx)
	if u.running == nil {
		u.running = map[int]context.CancelFunc{}
	}
	u.nextLoad++
	id := u.nextLoad
	u.running[id] = cancel
	u.progress.Show()
	u.cancelBtn.Show()
	u.status.SetText("Reading the reports in " + where + "…")
	pass := u.openpgp.passphrase
	cache := u.accounts.cache
	// Failure reports have no report id (Key is empty): one read from a
	// folder before is known by where it was, its message's IMAP URL with
	// UIDVALIDITY and UID, so that reading the folder again neither shows
	// it twice nor inspects its message again.
	known := map[string]bool{}
	for k := range v.seen {
		if strings.HasPrefix(k, imapSeenPrefix) {
			known[k] = true
		}
	}
	go func() {
		defer cancel()
		var lrs []*loadedReport
		var problems []string
		var res *reports.IMAPResult
		a, err := u.account(s) // the keyring may take a while: not on the UI goroutine
		if err == nil {
			res, err = reports.FromIMAP(ctx, a, folder, mailbox.ReportOptions{Cache: cache}, reports.Limits{})
		}
		canceled := ctx.Err() != nil // before the deferred cancel
		if res != nil {
			res.Reports = slices.DeleteFunc(res.Reports, func(r *reports.Report) bool { return known[imapSeenKey(r)] })
			var eng *pipeline.Engine
			for _, r := range res.Reports {
				if r.Failure != nil && eng == nil {
					eng = u.engine(u.config(pass))
				}
			}
			lrs, problems = wrapReports(ctx, where, res.Reports, errors.Join(res.Errors...), eng, false)
		}
		u.post(func() {
			delete(u.running, id)
			if len(u.running) == 0 {
				u.progress.Hide()
				u.cancelBtn.Hide()
			}
			var fresh []*loadedReport
			for _, lr := range lrs {
				if k := imapSeenKey(lr.r); k != "" {
					if v.seen[k] {
						continue
					}
					v.seen[k] = true
				}
				fresh = append(fresh, lr)
			}
			before := len(v.loaded)
			lrs = fresh
			v.add(lrs, problems, len(lrs) > 0)
			added := len(v.loaded) - before
			msg := fmt.Sprintf("%s: %s", where, plural(added, "new report"))
			if res != nil && res.Folder != nil {
				cached := 0
				for _, p := range res.Folder.Parts {
					if p.Cached {
						cached++
					}
				}
				msg += fmt.Sprintf(" (%d report parts in the folder: %d from the cache, %d fetched)", len(res.Folder.Parts), cached, len(res.Folder.Parts)-cached)
			}
			if err != nil {
				words := imapErrorWords(err, canceled)
				msg = where + ": " + words
				if len(lrs) > 0 {
					msg += fmt.Sprintf(" (%s read before that)", plural(len(lrs), "report"))
				}
				if !canceled {
					dialog.ShowError(errors.New(reportText(msg, 400)), u.win)
				}
			}
			u.status.SetText(reportText(msg, 300))
			if done != nil {
				close(done)
			}
		})
	}()
}

// imapErrorWords says what went wrong reading a folder, in words: which
// step failed and what to check.
func imapErrorWords(err error, canceled bool) string {
	switch {
	case canceled:
		return "reading the reports was canceled"
	case errors.Is(err, mailbox.ErrDNS):
		return "the server name does not resolve (check the account's server). " + err.Error()
	case errors.Is(err, mailbox.ErrConnect):
		return "cannot connect to the server (wrong port, a firewall, or the server is down). " + err.Error()
	case errors.Is(err, mailbox.ErrTLS):
		return "the TLS handshake failed (wrong security setting for this port?). " + err.Error()
	case errors.Is(err, mailbox.ErrLogin):
		return "the server rejected the user name or password."
	}
	var ce *mailbox.CertError
	if errors.As(err, &ce) {
		return fmt.Sprintf("the server's certificate is not trusted (%v); add the account again to pin it if you know it is your server's.", ce.Err)
	}
	return "the folder could not be read: " + err.Error()
}

const imapSeenPrefix = "imap\x00"

// imapSeenKey names a failure report read from IMAP by its message's
// location; "" for the others (their Key dedups them).
func imapSeenKey(r *reports.Report) string {
	if r.Key() != "" || !strings.HasPrefix(r.Source, "imap://") {
		return ""
	}
	return imapSeenPrefix + r.Source
}
