package ui

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sealtrace/sealtrace/inspect"
	"github.com/sealtrace/sealtrace/pipeline"
	"github.com/sealtrace/sealtrace/reports"
	"github.com/sealtrace/sealtrace/resolver"
)

// newReportsUI is the app on the demo, its demo reports shown.
func newReportsUI(t *testing.T) *UI {
	t.Helper()
	u, _ := newTestUI(t)
	select {
	case <-u.reports.demoDone:
	case <-time.After(60 * time.Second):
		t.Fatal("the demo reports were not shown")
	}
	return u
}

// demoAggregates reads the demo's aggregate reports directly (the test's
// own reading, not the view's grouping).
func demoAggregates(t *testing.T) []*reports.Aggregate {
	t.Helper()
	files, err := pipeline.DemoReports()
	if err != nil {
		t.Fatal(err)
	}
	var out []*reports.Aggregate
	for _, f := range files {
		reps, err := reports.Read(f.Name, f.Data, reports.Limits{})
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		for _, r := range reps {
			if r.Aggregate != nil {
				out = append(out, r.Aggregate)
			}
		}
	}
	return out
}

func (v *reportsView) domainNamed(t *testing.T, name string) *domainData {
	t.Helper()
	for _, d := range v.domains {
		if d.name == name {
			return d
		}
	}
	t.Errorf("no domain %s in the Reports view", name) // no Fatal: this runs on the UI goroutine
	return &domainData{}
}

// selectDomain shows a domain as a click in the list does.
func (u *UI) selectDomain(t *testing.T, name string) {
	t.Helper()
	u.postAndWait(func() {
		for i, d := range u.reports.domains {
			if d.name == name {
				u.reports.domainList.Select(i)
				u.reports.showDomain(d) // when it was selected already
				return
			}
		}
		t.Errorf("no domain %s", name)
	})
}

// The demo's reports appear per policy domain with the period they cover,
// each domain with its aggregate, failure and TLS reports, with no account
// and nothing opened.
func TestReportsDemoPerDomain(t *testing.T) {
	u := newReportsUI(t)
	aggs := demoAggregates(t)
	u.postAndWait(func() {
		v := u.reports
		var names []string
		for _, d := range v.domains {
			names = append(names, d.name)
		}
		if strings.Join(names, " ") != "bank.example shop.example" {
			t.Errorf("domains %v, want bank.example and shop.example", names)
		}
		for _, d := range v.domains {
			var n int
			var begin, end time.Time
			var total int64
			for _, a := range aggs {
				if a.PolicyDomain != d.name {
					continue
				}
				n++
				if begin.IsZero() || a.Begin.Before(begin) {
					begin = a.Begin
				}
				if a.End.After(end) {
					end = a.End
				}
				total += int64(a.Total())
			}
			if d.aggregates != n || !d.begin.Equal(begin) || !d.end.Equal(end) || d.total != total {
				t.Errorf("%s: %d aggregate reports %s to %s, %d messages; the files hold %d, %s to %s, %d", d.name, d.aggregates, d.begin, d.end, d.total, n, begin, end, total)
			}
		}
		bank := v.domainNamed(t, "bank.example")
		if len(bank.failures) != 1 || bank.failures[0].msg == nil {
			t.Errorf("bank.example: %d failure reports (want 1, its message inspected)", len(bank.failures))
		}
		var types []string
		for _, r := range bank.tls {
			types = append(types, r.policy.Type)
		}
		if strings.Join(types, " ") != "sts tlsa" {
			t.Errorf("bank.example TLS policies %v", types)
		}
		shop := v.domainNamed(t, "shop.example")
		if len(shop.tls) != 1 || shop.tls[0].policy.Type != "no-policy-found" || len(shop.failures) != 0 {
			t.Errorf("shop.example: TLS %v, %d failure reports", shop.tls, len(shop.failures))
		}
		if !v.right.Visible() || v.cur == nil || !strings.Contains(v.title.Text, "19 Nov 2026 00:00 to 22 Nov 2026 23:59 UTC") {
			t.Errorf("no domain shown at start, or not its period: %q", v.title.Text)
		}
		if len(v.problems) != 0 {
			t.Errorf("demo reports not read: %v", v.problems)
		}
	})
	// The demo's TLS checks say they were not made, rather than failing.
	u.selectDomain(t, "bank.example")
	u.postAndWait(func() {
		if txt := labelsText(u.reports.tls); !strings.Contains(txt, "not checked (offline demo)") || !strings.Contains(txt, "certificate-expired") {
			t.Errorf("TLS tab says %q", txt)
		}
	})
}

// The chart has one group of bars per day reported, and each segment's
// height is proportional to its count (against the busiest day), at any
// size.
func TestReportsChartBars(t *testing.T) {
	u := newReportsUI(t)
	u.selectDomain(t, "bank.example")
	// The counts per day, summed here from the files.
	type counts struct{ pass, failed, blocked float64 }
	want := map[string]*counts{}
	for _, a := range demoAggregates(t) {
		if a.PolicyDomain != "bank.example" {
			continue
		}
		day := a.Begin.UTC().Format("Jan 2")
		if want[day] == nil {
			want[day] = &counts{}
		}
		for _, r := range a.Records {
			switch {
			case r.DKIM == "pass" || r.SPF == "pass" || r.Disposition == "pass":
				want[day].pass += float64(r.Count)
			case r.Disposition == "reject" || r.Disposition == "quarantine":
				want[day].blocked += float64(r.Count)
			default:
				want[day].failed += float64(r.Count)
			}
		}
	}
	if len(want) != 4 {
		t.Fatalf("the demo has bank.example reports for %d days, want 4", len(want))
	}
	for _, size := range []fyne.Size{fyne.NewSize(800, 210), fyne.NewSize(400, 320)} {
		u.postAndWait(func() {
			c := u.reports.chart
			c.Resize(size)
			r := test.WidgetRenderer(c)
			r.Layout(size)
			groups := map[float32][]*canvas.Rectangle{} // bars by left edge
			labels := map[float32]string{}              // day labels by centre
			for _, o := range r.Objects() {
				switch x := o.(type) {
				case *canvas.Rectangle:
					if x.Position().Y > chartLegendH { // not a legend swatch
						groups[x.Position().X] = append(groups[x.Position().X], x)
					}
				case *canvas.Text:
					if x.Position().Y > size.Height-chartLabelH {
						labels[x.Position().X+x.Size().Width/2] = x.Text
					}
				}
			}
			if len(groups) != len(want) {
				t.Errorf("%v: %d bar groups for %d days", size, len(groups), len(want))
				return
			}
			var lefts []float32
			for x := range groups {
				lefts = append(lefts, x)
			}
			sort.Slice(lefts, func(i, j int) bool { return lefts[i] < lefts[j] })
			var centres []float32
			for x := range labels {
				centres = append(centres, x)
			}
			sort.Slice(centres, func(i, j int) bool { return centres[i] < centres[j] })
			// Pixels per message: the tallest bar is the busiest day's.
			unit := 0.0
			for _, x := range lefts {
				h, n := 0.0, 0.0
				for _, rect := range groups[x] {
					h += float64(rect.Size().Height)
				}
				for _, c := range want {
					n = max(n, c.pass+c.failed+c.blocked)
				}
				unit = max(unit, h/n)
			}
			for i, x := range lefts {
				g := groups[x]
				day := labels[centres[i]]
				w := want[day]
				if w == nil || len(g) != 3 {
					t.Errorf("%v: group %d (label %q) has %d segments", size, i, day, len(g))
					return
				}
				sort.Slice(g, func(a, b int) bool { return g[a].Position().Y > g[b].Position().Y }) // bottom first
				for k, n := range []float64{w.pass, w.failed, w.blocked} {
					h := float64(g[k].Size().Height)
					if n == 0 {
						if h != 0 {
							t.Errorf("%v %s: segment %d has height %v for no message", size, day, k, h)
						}
						continue
					}
					if math.Abs(h-n*unit) > 1 { // whole pixels
						t.Errorf("%v %s: segment %d is %v px for %v messages, want %.1f (%.3f px each)", size, day, k, h, n, n*unit, unit)
					}
					if g[k].FillColor != chartSegments[k].colour {
						t.Errorf("%v %s: segment %d has colour %v", size, day, k, g[k].FillColor)
					}
				}
				// Stacked: each segment sits on the one below.
				if g[1].Position().Y+g[1].Size().Height != g[0].Position().Y || g[2].Position().Y+g[2].Size().Height != g[1].Position().Y {
					t.Errorf("%v %s: segments not stacked", size, day)
				}
			}
		})
	}
}

// A day with no report is a group of empty bars, not a missing day.
func TestChartKeepsEmptyDays(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2026, 11, day, 0, 0, 0, 0, time.UTC) }
	days := fillDays(map[time.Time]*dayCount{d(1): {day: d(1), pass: 5}, d(4): {day: d(4), blocked: 10}})
	if len(days) != 4 || days[1].total() != 0 || days[3].blocked != 10 {
		t.Fatalf("days %+v", days)
	}
	c := newReportChart()
	c.set(days)
	c.Resize(fyne.NewSize(400, 200))
	r := test.WidgetRenderer(c)
	r.Layout(c.Size())
	var heights []float32
	empty := 0
	for _, o := range r.Objects() {
		if x, ok := o.(*canvas.Rectangle); ok && x.Position().Y > chartLegendH {
			if h := x.Size().Height; h == 0 {
				empty++
			} else {
				heights = append(heights, h)
			}
		}
	}
	if empty != 4*3-2 || len(heights) != 2 || math.Abs(float64(heights[1]-2*heights[0])) > 1 {
		t.Errorf("%d empty segments (want 10), heights %v (want h, 2h)", empty, heights)
	}
}

// rowsShown are the source rows listed.
func (v *reportsView) rowsShown() []*sourceRow {
	var out []*sourceRow
	for _, o := range v.rows.Objects {
		if r, ok := o.(*tapRow); ok {
			out = append(out, r.src)
		}
	}
	return out
}

// "Only failing sources" hides the rows that passed DMARC and keeps every
// failing one.
func TestReportsOnlyFailing(t *testing.T) {
	u := newReportsUI(t)
	u.selectDomain(t, "bank.example")
	var all []*sourceRow
	u.postAndWait(func() { all = u.reports.rowsShown() })
	passing := 0
	for _, s := range all {
		if s.pass {
			passing++
		}
	}
	if passing == 0 || passing == len(all) {
		t.Fatalf("bank.example lists %d rows, %d passing: the test needs both", len(all), passing)
	}
	u.postAndWait(func() { u.reports.failing.SetChecked(true) })
	u.postAndWait(func() {
		shown := u.reports.rowsShown()
		if len(shown) != len(all)-passing {
			t.Errorf("only failing: %d rows, want %d", len(shown), len(all)-passing)
		}
		for _, s := range shown {
			if s.pass {
				t.Errorf("a passing source is still listed: %s", s.ip)
			}
		}
		u.reports.failing.SetChecked(false)
	})
	u.postAndWait(func() {
		if n := len(u.reports.rowsShown()); n != len(all) {
			t.Errorf("filter off: %d rows, want %d", n, len(all))
		}
	})
}

// Clicking a failing source lists exactly the demo messages that came from
// its IP (their Received path), and a click on one opens it in the message
// view's Path tab.
func TestReportsSourceListsItsMessages(t *testing.T) {
	u := newReportsUI(t)
	u.selectDomain(t, "shop.example")
	const ip = "198.51.100.80" // shop.example's server: passes, and fails strict alignment
	// The demo messages received from ip, found in their raw headers.
	var want []string
	u.postAndWait(func() {
		for _, e := range u.entries {
			raw, _ := e.load()
			if bytes.Contains(raw, []byte("["+ip+"])\r\n\tby mx.demo.sealtrace")) {
				want = append(want, e.subject)
			}
		}
	})
	if len(want) != 2 {
		t.Fatalf("the demo has %d messages from %s, want 2", len(want), ip)
	}
	var row *tapRow
	u.postAndWait(func() {
		for _, o := range u.reports.rows.Objects {
			if r, ok := o.(*tapRow); ok && r.src.ip == ip && !r.src.pass {
				row = r
			}
		}
	})
	if row == nil {
		t.Fatal("no failing row for " + ip)
	}
	u.postAndWait(func() { test.Tap(row) })
	var buttons []*widget.Button
	u.postAndWait(func() {
		for _, o := range u.reports.detail.Objects {
			if b, ok := o.(*widget.Button); ok {
				buttons = append(buttons, b)
			}
		}
	})
	var got []string
	for _, b := range buttons {
		got = append(got, b.Text)
	}
	if len(buttons) != len(want) {
		t.Fatalf("listed %q, want the %d messages %q", got, len(want), want)
	}
	for _, w := range want {
		if !strings.Contains(strings.Join(got, "\n"), w) {
			t.Errorf("%q not listed among %q", w, got)
		}
	}
	// Open the one that failed, even with a search that hides it.
	u.postAndWait(func() { u.search.SetText("nothing matches this") })
	var target *entry
	u.postAndWait(func() {
		for _, b := range buttons {
			if strings.Contains(b.Text, "Survey") {
				test.Tap(b)
			}
		}
		for _, e := range u.entries {
			if e.subject == "Survey" {
				target = e
			}
		}
	})
	u.postAndWait(func() {
		if u.mainTabs.SelectedIndex() != 0 || u.view.entry != target || u.selected != target || u.view.tabs.SelectedIndex() != 0 {
			t.Errorf("after the click: tab %d, showing %s (want Messages, %s, Path)", u.mainTabs.SelectedIndex(), subjectOf(u.view.entry), subjectOf(target))
		}
		if u.selRow < 0 || u.shown[u.selRow] != target {
			t.Error("the message opened is not the highlighted row")
		}
	})
}

// A failure report opens straight into Path/Trace/Claims of the message it
// carries, inspected by the normal engine (the demo's): the spoofed
// bank.example message fails DMARC there too.
func TestReportsFailureOpensItsMessage(t *testing.T) {
	u := newReportsUI(t)
	u.selectDomain(t, "bank.example")
	var open *widget.Button
	u.postAndWait(func() {
		for _, o := range u.reports.failures.Objects {
			if c, ok := o.(*fyne.Container); ok {
				for _, x := range c.Objects {
					if b, ok := x.(*widget.Button); ok && strings.HasPrefix(b.Text, "Open the message") {
						open = b
					}
				}
			}
		}
	})
	if open == nil {
		t.Fatal("no button opens the failure report's message")
	}
	n := 0
	u.postAndWait(func() { n = len(u.entries); u.mainTabs.SelectIndex(1); test.Tap(open) })
	u.postAndWait(func() {
		e := u.view.entry
		if e == nil || e.report == nil {
			t.Error("nothing shown")
			return
		}
		if u.mainTabs.SelectedIndex() != 0 || u.view.tabs.SelectedIndex() != 0 {
			t.Errorf("tabs %d/%d, want Messages/Path", u.mainTabs.SelectedIndex(), u.view.tabs.SelectedIndex())
		}
		if e.report.MessageID != "<x81@mailer.invalid>" || e.report.DMARC.Result != inspect.Fail || e.report.SPF.Result != inspect.Fail {
			t.Errorf("shows %s: DMARC %s SPF %s", e.report.MessageID, e.report.DMARC.Result, e.report.SPF.Result)
		}
		if len(u.entries) != n+1 || e.source != "Failure reports" {
			t.Errorf("%d entries (was %d), source %q", len(u.entries), n, e.source)
		}
		if !strings.Contains(richText(u.view.claims), "mx.demo.sealtrace") {
			t.Errorf("Claims: %q", richText(u.view.claims))
		}
		if len(u.view.nodes) == 0 {
			t.Error("no path drawn")
		}
	})
	// Opening it again does not list it twice.
	u.postAndWait(func() { test.Tap(open) })
	u.postAndWait(func() {
		if len(u.entries) != n+1 {
			t.Errorf("opened twice: %d entries", len(u.entries))
		}
	})
}

// labelsText joins the texts of the labels and buttons under o.
func labelsText(o fyne.CanvasObject) string {
	var b strings.Builder
	walkAll(o, func(x fyne.CanvasObject) {
		switch w := x.(type) {
		case *widget.Label:
			b.WriteString(w.Text + "\n")
		case *widget.Button:
			b.WriteString(w.Text + "\n")
		}
	})
	return b.String()
}

// walkAll is walkObjects that also enters the tabs not selected.
func walkAll(o fyne.CanvasObject, f func(fyne.CanvasObject)) {
	walkObjects(o, func(x fyne.CanvasObject) {
		f(x)
		if tabs, ok := x.(*container.AppTabs); ok {
			for i, it := range tabs.Items {
				if i != tabs.SelectedIndex() {
					walkAll(it.Content, f)
				}
			}
		}
	})
}

// A hostile report is shown as plain text: markup stays characters (no
// link, no image, no Markdown), control and bidi characters are replaced,
// a huge organisation name is clipped, a huge count is capped. The files
// arrive through Open… and go to the Reports view.
func TestReportsHostileShownAsPlainText(t *testing.T) {
	u := newReportsUI(t)
	dir := t.TempDir()
	huge := strings.Repeat("Evil Org ", 20000)
	markup := `**bold** [click](https://evil.example/) ![img](https://evil.example/p.png) &lt;b&gt;x&lt;/b&gt; ` + "```"
	agg := `<?xml version="1.0"?><feedback><report_metadata><org_name>` + markup + huge + `</org_name><email>a@evil.example</email>` +
		`<report_id>hostile-1</report_id><date_range><begin>1795305600</begin><end>1795391999</end></date_range></report_metadata>` +
		`<policy_published><domain>evil.example</domain><p>reject` + "\u202e" + `</p></policy_published>` +
		`<record><row><source_ip>203.0.113.200</source_ip><count>999999999</count><policy_evaluated><disposition>reject</disposition><dkim>fail</dkim><spf>fail</spf>` +
		`<reason><type>local_policy</type><comment>` + markup + `</comment></reason></policy_evaluated></row>` +
		`<identifiers><header_from>evil.example` + "\u202e" + `moc.knab</header_from></identifiers>` +
		`<auth_results><spf><domain>[x](https://evil.example/)</domain><result>fail</result></spf></auth_results></record></feedback>`
	tls := `{"organization-name":"TLS \u001b[31mred\u001b[0m \u0000 ` + markup + `","date-range":{"start-datetime":"2026-11-22T00:00:00Z","end-datetime":"2026-11-22T23:59:59Z"},` +
		`"contact-info":"x","report-id":"hostile-tls","policies":[{"policy":{"policy-type":"sts\u0007","policy-domain":"evil.example","policy-string":["mode: enforce\u001b]8;;https://evil.example/\u0007"]},` +
		`"summary":{"total-successful-session-count":1,"total-failure-session-count":2},"failure-details":[{"result-type":"` + markup + `\r\nInjected: header","failed-session-count":2}]}]}`
	aggPath, tlsPath := filepath.Join(dir, "hostile.xml"), filepath.Join(dir, "hostile.json")
	if err := os.WriteFile(aggPath, []byte(agg), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tlsPath, []byte(tls), 0o600); err != nil {
		t.Fatal(err)
	}
	checker := offlineChecker(t, "evil.example. 3600 IN TXT \"v=spf1 -all\"\n")
	u.postAndWait(func() {
		u.reports.checker = checker
		u.openPath(aggPath)
		u.openPath(tlsPath)
	})
	waitFor(t, u, "the hostile reports to be shown", func() bool {
		d := u.reports.cur
		return d != nil && d.name == "evil.example" && d.aggregates == 1 && len(d.tls) == 1 && u.mainTabs.SelectedIndex() == 1
	})
	var n int
	var problems []string
	u.postAndWait(func() { n, problems = len(u.reports.cur.sources), u.reports.problems })
	if n != 1 {
		t.Fatalf("the hostile report's record is not listed: %v", problems)
	}
	u.postAndWait(func() {
		u.reports.showDomain(u.reports.cur)
		u.reports.choose(u.reports.cur.sources[0])
	})
	u.postAndWait(func() {
		v := u.reports
		all := labelsText(v.content)
		if !strings.Contains(all, "**bold** [click](https://evil.example/)") {
			t.Errorf("the markup is not shown as its characters:\n%.2000s", all)
		}
		walkAll(v.content, func(o fyne.CanvasObject) {
			switch x := o.(type) {
			case *widget.Hyperlink:
				t.Errorf("a hyperlink: %v", x.URL)
			case *canvas.Image: // the theme's icons (check box, tabs) are images; nothing else may be
				if x.File != "" || (x.Resource != nil && strings.Contains(x.Resource.Name(), "://")) {
					t.Errorf("an image that is not an icon: %q %v", x.File, x.Resource)
				}
			case *widget.RichText:
				for _, s := range x.Segments {
					switch s.(type) {
					case *widget.HyperlinkSegment, *widget.ImageSegment:
						t.Errorf("a link or image segment: %#v", s)
					}
				}
			case *widget.Label:
				if len([]rune(x.Text)) > 4000 {
					t.Errorf("a label of %d characters: the huge name is not clipped", len([]rune(x.Text)))
				}
				for _, r := range x.Text {
					if (unicode.IsControl(r) && r != '\n') || r == '\u202e' {
						t.Errorf("a control character %U in %q", r, clipText(x.Text, 200))
						break
					}
				}
			}
		})
		for _, s := range v.cur.sources {
			if s.count > maxCount {
				t.Errorf("count %d not capped", s.count)
			}
		}
		if !strings.Contains(labelsText(v.domainList), "evil.example") {
			// the list's rows are made on demand; its label function is what counts
			t.Log("domain list rows not rendered in the test window")
		}
	})
}

// offlineChecker makes the network checks against zone text only: tests ask
// no server.
func offlineChecker(t *testing.T, zone string) func() *reports.NetChecker {
	t.Helper()
	z := resolver.NewZones()
	if err := z.Load(strings.NewReader(zone), "", "test.zone"); err != nil {
		t.Fatal(err)
	}
	return func() *reports.NetChecker { return &reports.NetChecker{Resolver: z} }
}

// A report opened from a file has its sources' reverse DNS checked, off the
// UI goroutine, through the resolver: a PTR name that resolves back is
// shown as forward-confirmed, one that does not is said to be unconfirmed,
// and the TLS tab shows the domain's MTA-STS and DANE status beside the
// reports.
func TestReportsReverseDNS(t *testing.T) {
	u := newReportsUI(t)
	zone := "10.2.0.192.in-addr.arpa. 3600 IN PTR mx.sender.example.\n" +
		"11.2.0.192.in-addr.arpa. 3600 IN PTR liar.sender.example.\n" +
		"mx.sender.example. 3600 IN A 192.0.2.10\n" +
		"liar.sender.example. 3600 IN A 192.0.2.99\n"
	rec := func(ip string) string {
		return `<record><row><source_ip>` + ip + `</source_ip><count>3</count><policy_evaluated><disposition>none</disposition><dkim>fail</dkim><spf>fail</spf></policy_evaluated></row>` +
			`<identifiers><header_from>rdns.example</header_from></identifiers><auth_results><spf><domain>rdns.example</domain><result>fail</result></spf></auth_results></record>`
	}
	agg := `<?xml version="1.0"?><feedback><report_metadata><org_name>Receiver</org_name><email>r@receiver.example</email><report_id>rdns-1</report_id>` +
		`<date_range><begin>1795305600</begin><end>1795391999</end></date_range></report_metadata><policy_published><domain>rdns.example</domain><p>none</p></policy_published>` +
		rec("192.0.2.10") + rec("192.0.2.11") + `</feedback>`
	tls := `{"organization-name":"Receiver","date-range":{"start-datetime":"2026-11-22T00:00:00Z","end-datetime":"2026-11-22T23:59:59Z"},"report-id":"rdns-tls",` +
		`"policies":[{"policy":{"policy-type":"no-policy-found","policy-domain":"rdns.example"},"summary":{"total-successful-session-count":4,"total-failure-session-count":0}}]}`
	dir := t.TempDir()
	aggPath, tlsPath := filepath.Join(dir, "r.xml"), filepath.Join(dir, "r.json")
	os.WriteFile(aggPath, []byte(agg), 0o600)
	os.WriteFile(tlsPath, []byte(tls), 0o600)
	checker := offlineChecker(t, zone)
	u.postAndWait(func() {
		u.reports.checker = checker
		u.openPath(aggPath)
		u.openPath(tlsPath)
	})
	waitFor(t, u, "the reverse DNS of both sources", func() bool {
		txt := labelsText(u.reports.rows)
		return u.reports.cur != nil && u.reports.cur.name == "rdns.example" && !strings.Contains(txt, "checking…") && strings.Count(txt, "Reverse DNS:") == 2
	})
	u.postAndWait(func() {
		txt := labelsText(u.reports.rows)
		if !strings.Contains(txt, "Reverse DNS: mx.sender.example (forward-confirmed)") {
			t.Errorf("192.0.2.10 is not shown as mx.sender.example, confirmed:\n%s", txt)
		}
		if !strings.Contains(txt, "Reverse DNS: liar.sender.example (not confirmed") {
			t.Errorf("192.0.2.11's PTR name is not said to be unconfirmed:\n%s", txt)
		}
	})
	waitFor(t, u, "the TLS tab's MTA-STS check", func() bool {
		return u.reports.cur != nil && len(u.reports.cur.tls) == 1 && strings.Contains(labelsText(u.reports.tls), "MTA-STS: none published.")
	})
}

// A file with a report's extension that holds no report is said so in the
// Reports view (what could not be read and why), and an .eml that carries
// no report still opens as a message.
func TestReportsFileNotAReport(t *testing.T) {
	u := newReportsUI(t)
	dir := t.TempDir()
	bad, eml := filepath.Join(dir, "notes.xml"), filepath.Join(dir, "hello.eml")
	os.WriteFile(bad, []byte("<notes><note>hello</note></notes>"), 0o600)
	os.WriteFile(eml, []byte("From: a@example.org\r\nSubject: just a message\r\n\r\nhi\r\n"), 0o600)
	u.postAndWait(func() { u.openPath(bad) })
	waitFor(t, u, "notes.xml to be said unreadable", func() bool {
		return strings.Contains(u.reports.notRead.Text, "notes.xml") && u.mainTabs.SelectedIndex() == 1 && u.reports.tabs.SelectedIndex() == 3
	})
	u.postAndWait(func() { u.openPath(eml) })
	waitFor(t, u, "hello.eml to open as a message", func() bool {
		return u.view.entry != nil && u.view.entry.subject == "just a message" && u.mainTabs.SelectedIndex() == 0
	})
}

// Each failing demo source gets the suggestion its record calls for,
// derived from the record alone.
func TestReportsSuggestions(t *testing.T) {
	files, err := pipeline.DemoReports()
	if err != nil {
		t.Fatal(err)
	}
	var lrs []*loadedReport
	for _, f := range files {
		got, _ := readReports(t.Context(), f.Name, f.Data, nil, true)
		lrs = append(lrs, got...)
	}
	want := map[string]string{ // IP/header_from: the words its suggestion must have
		"203.0.113.9/bank.example":          "with its own domains",                    // the ESP: passes, not aligned
		"203.0.113.66/bank.example":         "not in your SPF record",                  // the spoofer
		"192.0.2.25/bank.example":           "rescued by ARC",                          // the mailing list
		"203.0.113.80/billing.bank.example": "Nothing authenticates",                   // the nonexistent subdomain
		"198.51.100.80/shop.example":        "Strict alignment",                        // adkim=s, signed by mail.shop.example
		"192.0.2.77/shop.example":           "Passes through its DKIM signature alone", // a relay: SPF softfail, DKIM passes
	}
	seen := map[string]bool{}
	for _, d := range buildDomains(lrs) {
		for _, s := range d.sources {
			key := s.ip + "/" + s.headerFrom
			w, ok := want[key]
			if !ok {
				continue
			}
			if s.pass && key != "192.0.2.77/shop.example" {
				continue // shop.example's server also passes, with nothing to suggest
			}
			seen[key] = true
			if got := suggestion(s, d.policy); !strings.Contains(got, w) {
				t.Errorf("%s: suggestion %q lacks %q", key, got, w)
			}
		}
	}
	for k := range want {
		if !seen[k] {
			t.Errorf("no source %s in the demo reports", k)
		}
	}
}
