package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealtrace/sealtrace/internal/safetext"
	"github.com/sealtrace/sealtrace/pipeline"
	"github.com/sealtrace/sealtrace/reports"
)

// The Reports view: what receivers reported to the owners of the domains
// (DMARC aggregate reports, RFC 7489 appendix C and RFC 9990; failure
// reports, RFC 6591 and RFC 9991; SMTP TLS reports, RFC 8460), per policy
// domain: the period, a chart of the messages per day by DMARC result, one
// row per source with a suggestion in plain words, the messages of the loaded
// mailboxes each source sent, the failure reports (their message opens in
// Path/Trace/Claims), and the TLS reports' policies.
//
// Reading and inspecting run off the UI goroutine; what they find comes back
// through UI.post, and the view's slices are only changed there. Every
// string from a report is cleaned of control characters and clipped
// (reportText) and only ever a Label's text: nothing is parsed as Markdown.

// Display caps: a report can list any number of anything.
const (
	maxRowsShown    = 200 // source rows per domain
	maxMatches      = 100 // messages listed per source
	maxProblemsKept = 200
)

// reportsView is the Reports tab.
type reportsView struct {
	u       *UI
	content fyne.CanvasObject

	// UI goroutine.
	loaded      []*loadedReport
	seen        map[string]bool // report keys (org + id) already shown
	problems    []string
	domains     []*domainData
	cur         *domainData
	onlyFailing bool
	opens       int // files opened so far: a message found late in an .eml does not take the focus from a later one
	chosen      *sourceRow
	names       map[string]string // forward-confirmed reverse DNS by IP ("" while checking)
	tlsChecks   map[string]string // the current MTA-STS and DANE status by domain ("" while checking)
	// checker makes the network checks beside the reports (forward-confirmed
	// reverse DNS, MTA-STS, DANE) with the settings' DNS; built on first use,
	// off the UI goroutine (it may read zone and trust anchor files).
	checker func() *reports.NetChecker

	domainList *widget.List
	title      *widget.Label
	period     *widget.Label
	chart      *reportChart
	failing    *widget.Check
	rows       *fyne.Container // the source rows
	detail     *fyne.Container // the chosen source: suggestion and messages
	failures   *fyne.Container
	tls        *fyne.Container
	notRead    *widget.Label
	tabs       *container.AppTabs
	right      *container.Split
	empty      *widget.Label

	// demoDone is closed when the demo's reports are shown (tests).
	demoDone chan struct{}
}

func newReportsView(u *UI) *reportsView {
	v := &reportsView{u: u, seen: map[string]bool{}, names: map[string]string{}, tlsChecks: map[string]string{}, demoDone: make(chan struct{})}
	v.checker = sync.OnceValue(func() *reports.NetChecker {
		cfg := u.config(nil)
		c := &reports.NetChecker{Resolver: u.engine(cfg).Resolver()}
		if val, err := cfg.Validator(); err == nil {
			c.Validator = val
		}
		return c
	})
	v.domainList = widget.NewList(
		func() int { return len(v.domains) },
		func() fyne.CanvasObject { return widget.NewLabel("policy.domain.example (100% failing)") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(v.domains) {
				o.(*widget.Label).SetText(domainLabel(v.domains[i]))
			}
		})
	v.domainList.OnSelected = func(i widget.ListItemID) {
		if i < len(v.domains) {
			v.showDomain(v.domains[i])
		}
	}
	v.title = widget.NewLabel("")
	v.title.TextStyle = fyne.TextStyle{Bold: true}
	v.title.Truncation = fyne.TextTruncateEllipsis
	v.period = widget.NewLabel("")
	v.period.Wrapping = fyne.TextWrapWord
	v.chart = newReportChart()
	v.failing = widget.NewCheck("Only failing sources", func(on bool) {
		v.onlyFailing = on
		v.showRows()
	})
	v.rows = container.NewVBox()
	v.detail = container.NewVBox()
	v.failures = container.NewVBox()
	v.tls = container.NewVBox()
	v.notRead = widget.NewLabel("")
	v.notRead.Wrapping = fyne.TextWrapWord
	sources := container.NewHSplit(
		container.NewBorder(v.failing, nil, nil, nil, container.NewVScroll(v.rows)),
		container.NewVScroll(v.detail))
	sources.Offset = 0.62
	v.tabs = container.NewAppTabs(
		container.NewTabItem("Sources", sources),
		container.NewTabItem("Failure reports", container.NewVScroll(v.failures)),
		container.NewTabItem("TLS", container.NewVScroll(v.tls)),
		container.NewTabItem("Not read", container.NewVScroll(v.notRead)),
	)
	head := container.NewVBox(v.title, v.period)
	// The summary and chart scroll above the tabs in a split: on a short
	// window (700x500) a fixed block of ~600 px pushed the tabs' content
	// over the status bar.
	top := container.NewVScroll(container.NewVBox(head, container.New(&fixedHeight{h: 180}, v.chart)))
	right := container.NewVSplit(top, v.tabs)
	right.Offset = 0.42
	v.right = right
	v.empty = widget.NewLabel(emptyText)
	v.empty.Wrapping = fyne.TextWrapWord
	v.right.Hide()
	split := container.NewHSplit(container.NewBorder(v.imapButton(), nil, nil, nil, v.domainList), container.NewStack(v.empty, v.right))
	split.Offset = 0.18
	v.content = split
	return v
}

const emptyText = "No reports yet. Open… or drop DMARC aggregate reports (.xml, .xml.gz, .zip), failure reports (.eml) or TLS reports (.json, .json.gz)."

// fixedHeight lays out its objects at the full width and a fixed height.
type fixedHeight struct{ h float32 }

func (l *fixedHeight) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(fyne.NewSize(size.Width, l.h))
	}
}

func (l *fixedHeight) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(240, l.h) }

// reportText is a string from a report as the view shows it: control and
// bidi characters replaced, one line, at most n characters.
func reportText(s string, n int) string {
	s = strings.Join(strings.Fields(safetext.Terminal(s)), " ")
	return clipText(s, n)
}

func domainLabel(d *domainData) string {
	name := reportText(d.name, 40)
	if d.total == 0 {
		return name
	}
	return fmt.Sprintf("%s (%d%% failing)", name, d.failing*100/d.total)
}

// loadDemo reads the demo's reports with the demo's engine (its zone and
// time: the failure report's message is inspected as the demo's own).
func (v *reportsView) loadDemo(cfg pipeline.Config) {
	go func() {
		defer v.u.post(func() { close(v.demoDone) })
		files, err := pipeline.DemoReports()
		if err != nil {
			v.u.post(func() { v.addProblems([]string{"demo reports: " + err.Error()}) })
			return
		}
		var eng *pipeline.Engine
		var problems []string
		_, dcfg, err := pipeline.Demo(cfg)
		if err == nil {
			eng, err = pipeline.New(dcfg)
		}
		if err != nil { // the failure report's message is then shown uninspected
			problems = append(problems, "demo engine: "+err.Error())
		}
		var all []*loadedReport
		for _, f := range files {
			lrs, probs := readReports(v.u.watchCtx, f.Name, f.Data, eng, true)
			all, problems = append(all, lrs...), append(problems, probs...)
		}
		v.u.post(func() { v.add(all, problems, false) })
	}()
}

// route takes a file opened or dropped when it is a report: .xml, .gz,
// .zip and .json go to the Reports view; an .eml goes there when it carries
// a report, and to the message list (notReport, on the UI goroutine) when
// it does not. It reports whether it took the file.
func (v *reportsView) route(path string, notReport func()) bool {
	v.opens++
	gen := v.opens
	lower := strings.ToLower(path)
	if pipeline.IsBundleName(path) {
		return false // an evidence bundle is a message to replay
	}
	isReport := false
	for _, ext := range []string{".xml", ".gz", ".zip", ".json"} {
		isReport = isReport || strings.HasSuffix(lower, ext)
	}
	if !isReport && !strings.HasSuffix(lower, ".eml") {
		return false
	}
	v.u.status.SetText("Reading " + baseName(path) + "…")
	pass := v.u.openpgp.passphrase
	go func() {
		reps, err := reports.ReadFile(path, reports.Limits{})
		if len(reps) == 0 && isReport && strings.HasSuffix(lower, ".json") {
			// A bundle renamed .json: the message loader knows it by content.
			if _, berr := pipeline.ReadBundleFile(path); berr == nil {
				isReport = false
			}
		}
		if !isReport && len(reps) == 0 {
			v.u.post(func() { // an ordinary message
				if v.opens == gen {
					notReport()
					return
				}
				// Something was opened since: that keeps the focus.
				v.u.startLoad(baseName(path), func(ctx context.Context, l *loader) { l.loadFile(ctx, path) }, nil)
			})
			return
		}
		var eng *pipeline.Engine
		for _, r := range reps {
			if r.Failure != nil && eng == nil {
				eng = v.u.engine(v.u.config(pass))
			}
		}
		lrs, problems := wrapReports(v.u.watchCtx, baseName(path), reps, err, eng, false)
		v.u.post(func() {
			v.u.status.SetText(fmt.Sprintf("%s: %s", baseName(path), plural(len(lrs), "report")))
			v.add(lrs, problems, true)
			if len(lrs) == 0 && v.u.mainTabs != nil {
				v.u.status.SetText(baseName(path) + ": no report could be read (Reports, Not read, says why)")
				v.u.mainTabs.SelectIndex(1)
				v.tabs.SelectIndex(3)
			}
		})
	}()
	return true
}

// readReports reads one input (any goroutine).
func readReports(ctx context.Context, name string, data []byte, eng *pipeline.Engine, offline bool) ([]*loadedReport, []string) {
	reps, err := reports.Read(name, data, reports.Limits{})
	return wrapReports(ctx, name, reps, err, eng, offline)
}

// wrapReports keeps what was read of one input, inspecting the messages
// failure reports carry with eng (any goroutine).
func wrapReports(ctx context.Context, name string, reps []*reports.Report, err error, eng *pipeline.Engine, offline bool) ([]*loadedReport, []string) {
	var problems []string
	if err != nil {
		for _, e := range splitJoined(err) {
			problems = append(problems, reportText(e.Error(), 300))
		}
	}
	var out []*loadedReport
	for _, r := range reps {
		lr := &loadedReport{r: r, file: name, offline: offline}
		for _, e := range r.Errors {
			problems = append(problems, reportText(name+": "+e, 300))
		}
		if r.Failure != nil && eng != nil {
			if res, ok := eng.InspectFailure(ctx, r); ok {
				lr.msg = failureEntry(r, res)
			} else {
				lr.msgErr = "the report carries no message"
			}
		}
		out = append(out, lr)
	}
	return out, problems
}

func splitJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{errors.Unwrap(err), err}[1:]
}

// failureEntry is the message a failure report carries, as a row of the
// message list (added when it is opened).
func failureEntry(r *reports.Report, res pipeline.Result) *entry {
	orig := r.Failure.Original
	e := &entry{source: "Failure reports", load: func() ([]byte, error) { return orig, nil }}
	e.date, e.from, e.subject, _ = quickHeader(orig)
	f := r.Failure
	what := "its message"
	if f.HeadersOnly {
		what = "only its header (so DKIM body hashes fail here)"
	}
	e.note = reportText(fmt.Sprintf("Carried by a DMARC failure report about %s (%s failed, from %s): the reporting receiver's copy, with %s, inspected here as any message.",
		f.ReportedDomain, orDash(f.AuthFailure), orDash(f.SourceIP), what), 400)
	if res.Report != nil {
		e.report, e.plain, e.sum = res.Report, res.Plaintext, summarize(res.Report) // not shared yet: no other goroutine sees e
	}
	return e
}

// add shows reports read (UI goroutine); focus selects the domain of the
// first one and shows the Reports tab (a file the user opened).
func (v *reportsView) add(lrs []*loadedReport, problems []string, focus bool) {
	var first string
	for _, lr := range lrs {
		if k := lr.r.Key(); k != "" {
			if v.seen[k] {
				continue // the same report again (another copy, another file)
			}
			v.seen[k] = true
		}
		v.loaded = append(v.loaded, lr)
		if first == "" {
			first = reportDomainOf(lr.r)
		}
	}
	v.addProblems(problems)
	cur := ""
	if v.cur != nil {
		cur = v.cur.name
	}
	if focus && first != "" {
		cur = normDomain(first)
	}
	v.domains = buildDomains(v.loaded)
	v.domainList.Refresh()
	if len(v.domains) == 0 {
		return
	}
	idx := 0
	for i, d := range v.domains {
		if d.name == cur {
			idx = i
		}
	}
	v.domainList.Select(idx) // OnSelected shows it, or not when it is already selected:
	v.showDomain(v.domains[idx])
	if focus && v.u.mainTabs != nil {
		v.u.mainTabs.SelectIndex(1)
	}
}

func reportDomainOf(r *reports.Report) string {
	switch {
	case r.Aggregate != nil:
		return r.Aggregate.PolicyDomain
	case r.Failure != nil:
		return r.Failure.ReportedDomain
	case r.TLS != nil && len(r.TLS.Policies) > 0:
		return r.TLS.Policies[0].Domain
	}
	return ""
}

func (v *reportsView) addProblems(ps []string) {
	for _, p := range ps {
		if len(v.problems) < maxProblemsKept {
			v.problems = append(v.problems, p)
		}
	}
	if len(v.problems) == 0 {
		v.notRead.SetText("Everything loaded was read.")
	} else {
		v.notRead.SetText("What could not be read (the rest of each file was):\n\n• " + strings.Join(v.problems, "\n• "))
	}
	if len(v.domains) == 0 && len(v.problems) > 0 {
		v.empty.SetText(emptyText + "\n\n" + v.notRead.Text)
	}
	v.tabs.Items[3].Text = fmt.Sprintf("Not read (%d)", len(v.problems))
	v.tabs.Refresh()
}

// showDomain shows one policy domain (UI goroutine).
func (v *reportsView) showDomain(d *domainData) {
	if v.cur == nil || v.cur.name != d.name {
		v.chosen = nil
	}
	v.cur = d
	v.empty.Hide()
	v.right.Show()
	title := "Reports for " + reportText(d.name, 120)
	if !d.begin.IsZero() {
		title += fmt.Sprintf(", %s to %s UTC", d.begin.UTC().Format("2 Jan 2006 15:04"), d.end.UTC().Format("2 Jan 2006 15:04"))
	}
	v.title.SetText(title)
	period := "No aggregate report for this domain."
	if d.aggregates > 0 {
		period = fmt.Sprintf("%s from %s: %d messages, %d failing DMARC. Policy (latest report): %s",
			plural(d.aggregates, "aggregate report"), plural(len(d.orgs), "reporter"), d.total, d.failing, reportText(policyText(d.policy), 200))
	}
	v.period.SetText(period)
	v.chart.set(d.days)
	v.tabs.Items[1].Text = fmt.Sprintf("Failure reports (%d)", len(d.failures))
	v.tabs.Items[2].Text = fmt.Sprintf("TLS (%d)", len(d.tls))
	v.tabs.Refresh()
	v.showRows()
	v.showFailures()
	v.showTLS()
}

// visibleRows are the current domain's rows under the filter.
func (v *reportsView) visibleRows() []*sourceRow {
	if v.cur == nil {
		return nil
	}
	var out []*sourceRow
	for _, s := range v.cur.sources {
		if v.onlyFailing && !s.failing() {
			continue
		}
		out = append(out, s)
	}
	return out
}

func (v *reportsView) showRows() {
	rows := v.visibleRows()
	var objs []fyne.CanvasObject
	for i, s := range rows {
		if i == maxRowsShown {
			objs = append(objs, widget.NewLabel(fmt.Sprintf("%d more sources not shown (the failing and the largest come first).", len(rows)-maxRowsShown)))
			break
		}
		objs = append(objs, v.sourceRowWidget(s))
	}
	if v.cur != nil && v.cur.dropped > 0 {
		objs = append(objs, widget.NewLabel(fmt.Sprintf("%d records beyond %d distinct sources were left out.", v.cur.dropped, maxSources)))
	}
	if len(rows) == 0 {
		objs = append(objs, widget.NewLabel("No source to show."))
	}
	v.rows.Objects = objs
	v.rows.Refresh()
	v.checkNames(rows)
	v.showDetail()
}

// verdictWord is the row's badge.
func verdictWord(s *sourceRow) string {
	switch {
	case s.pass:
		return "pass"
	case s.rescued:
		return "ARC"
	}
	return "fail"
}

func (v *reportsView) sourceRowWidget(s *sourceRow) fyne.CanvasObject {
	word := verdictWord(s)
	colour := resultColour(word)
	if word == "ARC" {
		colour = resultColour("softfail")
	}
	bg := canvas.NewRectangle(colour)
	bg.CornerRadius = 4
	bt := canvas.NewText(word, theme.Color(theme.ColorNameBackground))
	bt.TextStyle = fyne.TextStyle{Bold: true}
	badge := container.NewStack(bg, container.NewPadded(bt))

	head := widget.NewLabel(fmt.Sprintf("%s   %s   disposition %s   From %s",
		reportText(s.ip, 45), plural(int(min(s.count, maxCount)), "message"), reportText(orDash(s.disposition), 20), reportText(orDash(s.headerFrom), 80)))
	head.TextStyle = fyne.TextStyle{Bold: true}
	head.Truncation = fyne.TextTruncateEllipsis
	details := authLine(s)
	if len(s.reasons) > 0 {
		details += "\n" + reasonsLine(s)
	}
	details += "\nReverse DNS: " + v.nameOf(s)
	if !s.pass {
		details += "\nSuggestion: " + reportText(suggestion(s, v.cur.policy), 900)
	}
	body := widget.NewLabel(details)
	body.Wrapping = fyne.TextWrapWord
	lines := []fyne.CanvasObject{container.NewBorder(nil, nil, badge, nil, head), body}
	row := newTapRow(container.NewVBox(lines...), func() { v.choose(s) })
	row.src, row.selected = s, s == v.chosen
	return row
}

// authLine is the row's aligned results beside the raw ones.
func authLine(s *sourceRow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "DKIM %s, SPF %s (aligned, as the receiver evaluated DMARC).", reportText(orDash(s.dkim), 20), reportText(orDash(s.spf), 20))
	for i, d := range s.auth.DKIM {
		if i == 5 {
			fmt.Fprintf(&b, " … %d more signatures", len(s.auth.DKIM)-5)
			break
		}
		fmt.Fprintf(&b, " DKIM %s (selector %s): %s;", reportText(d.Domain, 80), reportText(orDash(d.Selector), 40), reportText(d.Result, 20))
	}
	for i, x := range s.auth.SPF {
		if i == 3 {
			break
		}
		fmt.Fprintf(&b, " SPF %s (%s): %s;", reportText(x.Domain, 80), reportText(orDash(x.Scope), 10), reportText(x.Result, 20))
	}
	if s.envFrom != "" {
		fmt.Fprintf(&b, " envelope from %s.", reportText(s.envFrom, 80))
	}
	if len(s.orgs) > 0 {
		names := make([]string, 0, len(s.orgs))
		for _, o := range s.orgs {
			names = append(names, reportText(o, 60))
		}
		fmt.Fprintf(&b, " Reported by %s.", strings.Join(names, ", "))
	}
	return b.String()
}

func reasonsLine(s *sourceRow) string {
	var parts []string
	for i, r := range s.reasons {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("… %d more", len(s.reasons)-5))
			break
		}
		p := reportText(r.Type, 40)
		if r.Comment != "" {
			p += " (" + reportText(r.Comment, 120) + ")"
		}
		parts = append(parts, p)
	}
	line := "Receiver's reasons: " + strings.Join(parts, "; ")
	if s.rescued {
		line += " — forwarded mail rescued by ARC"
	}
	return line
}

// nameOf is what the row says of the source's reverse DNS.
func (v *reportsView) nameOf(s *sourceRow) string {
	switch name := v.names[s.ip]; {
	case s.offline:
		return "not checked (offline demo)"
	case name == "":
		return "checking…"
	default:
		return name
	}
}

// checkNames looks up the forward-confirmed reverse DNS of the rows not
// checked yet, off the UI goroutine, a few at a time; the rows are shown
// again when all are answered.
func (v *reportsView) checkNames(rows []*sourceRow) {
	var ips []string
	for i, s := range rows {
		if i == maxRowsShown {
			break
		}
		if _, asked := v.names[s.ip]; !asked && !s.offline {
			v.names[s.ip] = ""
			ips = append(ips, s.ip)
		}
	}
	if len(ips) == 0 {
		return
	}
	ctx := v.u.watchCtx
	go func() {
		c := v.checker()
		sem := make(chan struct{}, 4)
		done := make(chan struct{})
		for _, ip := range ips {
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; done <- struct{}{} }()
				cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
				defer cancel()
				text := rdnsText(c.ReverseDNS(cctx, ip))
				v.u.post(func() { v.names[ip] = text })
			}()
		}
		for range ips {
			<-done
		}
		v.u.post(v.showRows)
	}()
}

// rdnsText says a forward-confirmed reverse DNS result in words.
func rdnsText(r reports.ReverseDNS) string {
	name := reportText(r.Name, 120)
	switch r.Status {
	case reports.RDNSConfirmed:
		return name + " (forward-confirmed)"
	case reports.RDNSMismatch:
		return name + " (not confirmed: the name does not resolve back to this IP, so anyone could have chosen it)"
	case reports.RDNSNone:
		return "no PTR record"
	case reports.RDNSTempError:
		return "could not be checked now (" + reportText(r.Reason, 120) + ")"
	}
	return reportText(orDash(r.Status)+" "+r.Reason, 160)
}

// choose shows a source's details and the messages it sent (UI goroutine).
func (v *reportsView) choose(s *sourceRow) {
	v.chosen = s
	v.showRows()
}

// messagesFrom are the loaded messages whose Received path has ip as a
// connecting address, oldest first (UI goroutine).
func (v *reportsView) messagesFrom(ip string) []*entry {
	var out []*entry
	for _, e := range v.u.entries {
		if e.report == nil {
			continue
		}
		hit := sameIP(e.report.SPF.IP, ip)
		for _, h := range e.report.Hops {
			hit = hit || sameIP(h.IP, ip)
		}
		if hit {
			out = append(out, e)
		}
	}
	return out
}

func (v *reportsView) showDetail() {
	s := v.chosen
	if s == nil {
		l := widget.NewLabel("Choose a source to see the messages it sent in the loaded mailboxes.")
		l.Wrapping = fyne.TextWrapWord
		v.detail.Objects = []fyne.CanvasObject{l}
		v.detail.Refresh()
		return
	}
	title := widget.NewLabel("Messages from " + reportText(s.ip, 45))
	title.TextStyle = fyne.TextStyle{Bold: true}
	objs := []fyne.CanvasObject{title}
	matches := v.messagesFrom(s.ip)
	if len(matches) == 0 {
		l := widget.NewLabel("No loaded message came from this IP (none has it on its Received path). Load the mailbox that gets this domain's mail to trace them.")
		l.Wrapping = fyne.TextWrapWord
		objs = append(objs, l)
	}
	for i, e := range matches {
		if i == maxMatches {
			objs = append(objs, widget.NewLabel(fmt.Sprintf("… %d more", len(matches)-maxMatches)))
			break
		}
		date := ""
		if !e.date.IsZero() {
			date = e.date.UTC().Format("2006-01-02 15:04") + "  "
		}
		b := widget.NewButton(date+clipText(e.subject, 50)+" — DMARC "+e.badge("DMARC"), func() { v.u.openEntry(e, 0) })
		b.Alignment = widget.ButtonAlignLeading
		objs = append(objs, b)
	}
	v.detail.Objects = objs
	v.detail.Refresh()
}

func (v *reportsView) showFailures() {
	d := v.cur
	var objs []fyne.CanvasObject
	if len(d.failures) == 0 {
		objs = append(objs, widget.NewLabel("No failure report for this domain."))
	}
	for _, lr := range d.failures {
		f := lr.r.Failure
		when := reportText(f.ArrivalDateText, 60)
		if !f.ArrivalDate.IsZero() {
			when = f.ArrivalDate.UTC().Format("2006-01-02 15:04 UTC")
		}
		l := widget.NewLabel(fmt.Sprintf("%s: %s failed for mail from %s, arrived %s; the receiver's result: %s. Reported by %s in %s.",
			reportText(orDash(f.FeedbackType), 40), reportText(orDash(f.AuthFailure), 40), reportText(orDash(f.SourceIP), 45), orDash(when),
			reportText(orDash(f.DeliveryResult), 40), reportText(orDash(f.UserAgent), 60), reportText(lr.file, 80)))
		l.Wrapping = fyne.TextWrapWord
		objs = append(objs, l)
		switch {
		case lr.msg != nil:
			e := lr.msg
			m := widget.NewLabel("The message: " + reportText(e.from, 80) + " — " + reportText(e.subject, 100))
			m.Wrapping = fyne.TextWrapWord
			b := widget.NewButton("Open the message (Path, Trace, Claims)", func() { v.openFailure(lr) })
			objs = append(objs, m, container.NewHBox(b))
		case lr.msgErr != "":
			objs = append(objs, widget.NewLabel(lr.msgErr))
		}
		objs = append(objs, widget.NewSeparator())
	}
	v.failures.Objects = objs
	v.failures.Refresh()
}

// openFailure adds a failure report's message to the list (once) and
// shows it in Path.
func (v *reportsView) openFailure(lr *loadedReport) {
	e := lr.msg
	if e == nil {
		return
	}
	known := false
	n := 0
	for _, x := range v.u.entries {
		known = known || x == e
		if x.source == e.source {
			n++
		}
	}
	if !known {
		e.index = n + 1
		v.u.addEntries([]*entry{e})
	}
	v.u.openEntry(e, 0)
}

func (v *reportsView) showTLS() {
	d := v.cur
	offline := len(d.tls) > 0
	for _, t := range d.tls {
		offline = offline && t.offline
	}
	var objs []fyne.CanvasObject
	checks := "Current MTA-STS policy and MX DANE (TLSA) status of " + reportText(d.name, 80) + ": "
	switch text, asked := v.tlsChecks[d.name]; {
	case offline || len(d.tls) == 0:
		checks += "not checked (offline demo)."
		if !offline {
			checks = "No TLS report for " + reportText(d.name, 80) + "."
		}
	case !asked:
		v.tlsChecks[d.name] = ""
		v.checkTLS(d.name)
		checks += "checking…"
	case text == "":
		checks += "checking…"
	default:
		checks += "\n" + text
	}
	cl := widget.NewLabel(checks)
	cl.Wrapping = fyne.TextWrapWord
	objs = append(objs, cl)
	for i, t := range d.tls {
		if i == maxRowsShown {
			objs = append(objs, widget.NewLabel(fmt.Sprintf("… %d more policies", len(d.tls)-maxRowsShown)))
			break
		}
		p := t.policy
		when := "for " + t.begin.UTC().Format("2 Jan 2006")
		if end := t.end.UTC().Format("2 Jan 2006"); !strings.HasSuffix(when, end) {
			when += " to " + end
		}
		head := widget.NewLabel(fmt.Sprintf("%s policy for %s: %d successful sessions, %d failed (reported by %s %s)",
			reportText(p.Type, 40), reportText(p.Domain, 80), capCount(p.Success), capCount(p.Failure), reportText(t.org, 60), when))
		head.TextStyle = fyne.TextStyle{Bold: true}
		head.Wrapping = fyne.TextWrapWord
		objs = append(objs, head)
		if len(p.Strings) > 0 {
			var ps []string
			for j, s := range p.Strings {
				if j == 10 {
					ps = append(ps, "…")
					break
				}
				ps = append(ps, reportText(s, 120))
			}
			l := widget.NewLabel("The policy the sender saw: " + strings.Join(ps, "; "))
			l.Wrapping = fyne.TextWrapWord
			objs = append(objs, l)
		}
		for j, f := range p.Failures {
			if j == 20 {
				objs = append(objs, widget.NewLabel(fmt.Sprintf("… %d more failure kinds", len(p.Failures)-20)))
				break
			}
			to := reportText(orDash(f.ReceivingMX), 80)
			if f.ReceivingIP != "" {
				to += " (" + reportText(f.ReceivingIP, 45) + ")"
			}
			l := widget.NewLabel(fmt.Sprintf("• %s: %s, sending %s to %s", reportText(f.ResultType, 60), plural(int(capCount(f.Count)), "session"), reportText(orDash(f.SendingIP), 45), to))
			l.Wrapping = fyne.TextWrapWord
			objs = append(objs, l)
		}
		objs = append(objs, widget.NewSeparator())
	}
	v.tls.Objects = objs
	v.tls.Refresh()
}

// checkTLS reads the domain's MTA-STS policy and its MX hosts' DANE status
// off the UI goroutine; the TLS tab shows them beside the reports.
func (v *reportsView) checkTLS(domain string) {
	ctx := v.u.watchCtx
	go func() {
		c := v.checker()
		cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		text := stsText(c.MTASTS(cctx, domain)) + "\n" + daneText(c.DANE(cctx, domain))
		v.u.post(func() {
			v.tlsChecks[domain] = text
			if v.cur != nil && v.cur.name == domain {
				v.showTLS()
			}
		})
	}()
}

func stsText(m reports.MTASTS) string {
	switch m.Status {
	case reports.STSFound:
		p := m.Policy
		var mx []string
		for i, x := range p.MX {
			if i == 10 {
				mx = append(mx, "…")
				break
			}
			mx = append(mx, reportText(x, 80))
		}
		return fmt.Sprintf("MTA-STS: policy in mode %s for %s (max_age %d s, id %s).", reportText(p.Mode, 20), strings.Join(mx, ", "), p.MaxAge, reportText(m.ID, 40))
	case reports.STSNone:
		return "MTA-STS: none published."
	case reports.STSTempError:
		return "MTA-STS: could not be checked now (" + reportText(m.Reason, 160) + ")."
	}
	return "MTA-STS: a record, but no usable policy (" + reportText(m.Reason, 160) + ")."
}

func daneText(d reports.DANE) string {
	var b strings.Builder
	b.WriteString("DANE: " + reportText(orDash(d.Words), 300))
	for i, h := range d.Hosts {
		if i == 10 {
			break
		}
		fmt.Fprintf(&b, "\n  %s: %s", reportText(h.Host, 80), reportText(orDash(h.Words), 200))
	}
	return b.String()
}

// openEntry shows a message in the Messages tab, on the given message view
// tab (0: Path), listing it whatever the source, filter and search were (UI
// goroutine).
func (u *UI) openEntry(e *entry, tab int) {
	if u.mainTabs != nil {
		u.mainTabs.SelectIndex(0)
	}
	if u.source != "" {
		u.source = ""
		u.sourceList.Select(0)
	}
	if !matchesFilter(e, u.filter) {
		u.filter = filterNames[0]
	}
	if u.query != "" {
		u.search.SetText("") // OnChanged refilters
	}
	u.refilter()
	for i, x := range u.shown {
		if x == e {
			u.selectEntry(e)
			u.selRow = i
			u.table.Select(widget.TableCellID{Row: i, Col: 2})
			u.table.ScrollTo(widget.TableCellID{Row: i, Col: 0})
		}
	}
	u.showTab(tab)
}

// tapRow is a source row: its lines on a background that shows it chosen;
// a tap chooses it.
type tapRow struct {
	widget.BaseWidget
	content  fyne.CanvasObject
	onTap    func()
	selected bool
	src      *sourceRow
}

func newTapRow(content fyne.CanvasObject, onTap func()) *tapRow {
	r := &tapRow{content: content, onTap: onTap}
	r.ExtendBaseWidget(r)
	return r
}

func (r *tapRow) CreateRenderer() fyne.WidgetRenderer {
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	if r.selected {
		bg.FillColor = theme.Color(theme.ColorNameSelection)
	}
	bg.CornerRadius = 6
	return widget.NewSimpleRenderer(container.NewStack(bg, container.NewPadded(r.content)))
}

func (r *tapRow) Tapped(*fyne.PointEvent) { r.onTap() }

func (r *tapRow) Cursor() desktop.Cursor { return desktop.PointerCursor }
