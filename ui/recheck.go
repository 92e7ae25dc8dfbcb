package ui

import (
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/sealtrace/sealtrace/inspect"
	"github.com/sealtrace/sealtrace/pipeline"
)

// Re-check: the selected message, or every message of its source, inspected
// again with other inputs (pipeline.Engine.Recheck), off the UI goroutine;
// the new report replaces the one shown and says which inputs were used.

const demoSource = "Demo mailbox"

// Choices of the re-check form.
const (
	timeAsBefore = "As before"
	timeDelivery = "At delivery (the newest Received time)"
	timeHop      = "As one hop received it"
	timeNow      = "Now"
	dnsAsBefore  = "As before"
	scopeOne     = "This message"
	scopeSource  = "Every message of its source"
)

// recheckForm is the re-check dialog's fields.
type recheckForm struct {
	scope     *widget.RadioGroup
	when      *widget.Select
	hop       *widget.Select
	ip, helo  *widget.Entry
	mailFrom  *widget.Entry
	dns       *widget.Select
	server    *widget.Entry
	zoneFiles *widget.Entry
	hops      []inspect.Hop
}

func newRecheckForm(r *inspect.Report) *recheckForm {
	f := &recheckForm{hops: r.Hops}
	f.scope = widget.NewRadioGroup([]string{scopeOne, scopeSource}, nil)
	f.scope.SetSelected(scopeOne)
	var hopNames []string
	for i, h := range r.Hops {
		hopNames = append(hopNames, fmt.Sprintf("%d. by %s, %s", i+1, dashIfEmpty(h.By), dashIfEmpty(h.Time)))
	}
	f.hop = widget.NewSelect(hopNames, nil)
	if len(hopNames) > 0 {
		f.hop.SetSelectedIndex(len(hopNames) - 1)
	}
	f.hop.Disable()
	f.when = widget.NewSelect([]string{timeAsBefore, timeDelivery, timeHop, timeNow}, func(s string) {
		if s == timeHop && len(hopNames) > 0 {
			f.hop.Enable()
		} else {
			f.hop.Disable()
		}
	})
	f.when.SetSelected(timeAsBefore)
	f.ip, f.helo, f.mailFrom = widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	f.ip.SetPlaceHolder("from the message: " + dashIfEmpty(r.SPF.IP))
	f.helo.SetPlaceHolder("from the message: " + dashIfEmpty(r.SPF.HELO))
	f.mailFrom.SetPlaceHolder("from the message: " + dashIfEmpty(r.SPF.MailFrom))
	f.server = widget.NewEntry()
	f.server.SetPlaceHolder("127.0.0.1:53")
	f.zoneFiles = widget.NewMultiLineEntry()
	f.zoneFiles.SetPlaceHolder("one zone file path per line")
	f.dns = widget.NewSelect([]string{dnsAsBefore + " (" + r.DNSSource.String() + ")", dnsSystem, dnsServer, dnsZones}, nil)
	f.dns.SetSelectedIndex(0)
	return f
}

func (f *recheckForm) items() []*widget.FormItem {
	return []*widget.FormItem{
		widget.NewFormItem("Re-check", f.scope),
		widget.NewFormItem("Evaluation time", f.when),
		widget.NewFormItem("Hop", f.hop),
		widget.NewFormItem("SPF: IP", f.ip),
		widget.NewFormItem("SPF: HELO", f.helo),
		widget.NewFormItem("SPF: MAIL FROM", f.mailFrom),
		widget.NewFormItem("DNS", f.dns),
		widget.NewFormItem("DNS server", f.server),
		widget.NewFormItem("Zone files", f.zoneFiles),
	}
}

// inputs turns the form into the pipeline's Recheck.
func (f *recheckForm) inputs() (pipeline.Recheck, error) {
	rc := pipeline.Recheck{IP: strings.TrimSpace(f.ip.Text), HELO: strings.TrimSpace(f.helo.Text), MailFrom: strings.TrimSpace(f.mailFrom.Text)}
	switch f.when.Selected {
	case timeDelivery:
		rc.Time = pipeline.AtDelivery
	case timeHop:
		rc.Time, rc.Hop = pipeline.AtHop, f.hop.SelectedIndex()+1
	case timeNow:
		rc.Time = pipeline.AtNow
	}
	switch f.dns.Selected {
	case dnsSystem:
		rc.DNS = pipeline.DNSSystem
	case dnsServer:
		rc.DNS, rc.DNSServer = pipeline.DNSServer, strings.TrimSpace(f.server.Text)
		if rc.DNSServer == "" {
			return rc, errors.New("name the DNS server (HOST:PORT)")
		}
	case dnsZones:
		rc.DNS, rc.ZoneFiles = pipeline.DNSZones, splitList(f.zoneFiles.Text)
		if len(rc.ZoneFiles) == 0 {
			return rc, errors.New("name at least one zone file")
		}
	}
	return rc, nil
}

// recheckDialog asks for the inputs and re-checks the selected message or
// its source.
func (u *UI) recheckDialog() {
	e := u.selected
	if e == nil {
		dialog.ShowError(errNothingSelected, u.win)
		return
	}
	if e.report == nil {
		dialog.ShowError(errors.New("this message's report is not ready yet: try again in a moment"), u.win)
		return
	}
	f := newRecheckForm(e.report)
	d := dialog.NewForm("Re-check with other inputs", "Re-check", "Cancel", f.items(), func(ok bool) {
		if !ok {
			return
		}
		rc, err := f.inputs()
		if err != nil {
			dialog.ShowError(err, u.win)
			return
		}
		targets := []*entry{e}
		if f.scope.Selected == scopeSource {
			targets = u.sourceEntries(e.source)
		}
		u.recheck(targets, rc, nil)
	}, u.win)
	d.Resize(fyne.NewSize(640, 560))
	d.Show()
}

// sourceEntries are the rows of one source (UI goroutine).
func (u *UI) sourceEntries(source string) []*entry {
	var out []*entry
	for _, x := range u.entries {
		if x.source == source {
			out = append(out, x)
		}
	}
	return out
}

// baseConfig is the configuration a message was inspected with: the demo's
// own for the demo (its zone, its time, its keys), else the settings'.
func (u *UI) baseConfig(source string, pass []byte) (pipeline.Config, error) {
	cfg := u.config(pass)
	if source == demoSource {
		cfg.KeyFiles = nil
		_, cfg, err := pipeline.Demo(cfg)
		return cfg, err
	}
	return cfg, nil
}

// recheck inspects targets again with rc, off the UI goroutine, and replaces
// their reports as each comes; done (for tests) is closed at the end.
func (u *UI) recheck(targets []*entry, rc pipeline.Recheck, done chan struct{}) {
	type job struct {
		e    *entry
		prev *inspect.Report
	}
	var jobs []job
	for _, e := range targets {
		if e.report != nil && e.report.Error == "" {
			jobs = append(jobs, job{e, e.report})
		}
	}
	pass := u.openpgp.passphrase
	ctx := u.watchCtx
	u.status.SetText(fmt.Sprintf("Re-checking %s…", plural(len(jobs), "message")))
	go func() {
		if done != nil {
			defer close(done)
		}
		engines := map[string]*pipeline.Engine{}
		n, failed := 0, 0
		var last *inspect.RecheckInputs
		var firstErr error
		for _, j := range jobs {
			if ctx.Err() != nil {
				break
			}
			eng := engines[j.e.source]
			if eng == nil {
				cfg, err := u.baseConfig(j.e.source, pass)
				if err == nil {
					eng, err = pipeline.New(cfg)
				}
				if err != nil {
					failed++
					firstErr = cmpErr(firstErr, err)
					continue
				}
				engines[j.e.source] = eng
			}
			raw, err := j.e.load()
			if err != nil {
				failed++
				firstErr = cmpErr(firstErr, err)
				continue
			}
			res, err := eng.Recheck(ctx, raw, j.prev.Source, j.prev, rc)
			if err != nil {
				failed++
				firstErr = cmpErr(firstErr, err)
				continue
			}
			n++
			last = res.Report.Recheck
			e, rep, plain := j.e, res.Report, res.Plaintext
			u.post(func() {
				e.setReport(rep, plain)
				if u.view.entry == e {
					u.view.show(e)
				}
				u.table.Refresh()
			})
		}
		u.post(func() {
			msg := fmt.Sprintf("Re-checked %s", plural(n, "message"))
			if last != nil {
				msg += ": " + last.Words()
			}
			if failed > 0 {
				msg += fmt.Sprintf("; %d could not be: %v", failed, firstErr)
			}
			u.status.SetText(msg)
			u.refilter()
		})
	}()
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// recheckable are the loaded messages that the settings' DNS source
// answers for: all but the demo's, which has its own zone.
func (u *UI) recheckable() []*entry {
	var out []*entry
	for _, e := range u.entries {
		if e.source != demoSource && e.report != nil && e.report.Error == "" {
			out = append(out, e)
		}
	}
	return out
}

// offerRecheck asks, after the DNS settings changed, whether to re-check
// what is loaded with them (UI goroutine).
func (u *UI) offerRecheck() {
	targets := u.recheckable()
	if len(targets) == 0 {
		return
	}
	dialog.ShowConfirm("DNS settings changed",
		fmt.Sprintf("Re-check the %s loaded with the new DNS settings? Their reports were made with the old ones.", plural(len(targets), "message")),
		func(ok bool) {
			if ok {
				u.recheck(targets, pipeline.Recheck{}, nil)
			}
		}, u.win)
}
