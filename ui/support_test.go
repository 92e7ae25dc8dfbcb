package ui

import (
	"context"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/miekg/dns"

	"github.com/sealtrace/sealtrace/assets"
	"github.com/sealtrace/sealtrace/inspect"
	"github.com/sealtrace/sealtrace/internal/testpeers/dnstest"
	"github.com/sealtrace/sealtrace/pipeline"
	"github.com/sealtrace/sealtrace/resolver"
)

// onUI runs f on the UI goroutine (widgets are walked there only) and
// returns its answer.
func (u *UI) onUI(f func() bool) bool {
	var ok bool
	u.postAndWait(func() { ok = f() })
	return ok
}

// findButton is the first button whose text starts with prefix.
func findButton(o fyne.CanvasObject, prefix string) *widget.Button {
	var found *widget.Button
	walkObjects(o, func(c fyne.CanvasObject) {
		if b, ok := c.(*widget.Button); ok && found == nil && strings.HasPrefix(b.Text, prefix) {
			found = b
		}
	})
	return found
}

// The search finds a message by what a ticket quotes: its sending IP, a
// DKIM selector and d=, its Message-ID, its envelope sender and a queue id
// of its Received fields (none of which the old search, over from, subject
// and domain, found); the count says "n of N shown", and a search that
// matches nothing says so over the list.
func TestSearchTicketFields(t *testing.T) {
	u, w := newTestUI(t)
	e := u.entryByDemo(t, "all-pass-rsa")
	r := e.report
	if len(r.DKIM) == 0 || r.SPF.IP == "" || r.MessageID == "" {
		t.Fatalf("demo message lacks the fields: %+v", r.SPF)
	}
	queries := map[string]string{"IP": r.SPF.IP, "selector": r.DKIM[0].Selector, "d=": "d=" + r.DKIM[0].Domain,
		"Message-ID": strings.Trim(r.MessageID, "<>"), "Return-Path": r.SPF.MailFrom}
	for _, h := range r.Hops {
		if h.ID != "" {
			queries["queue id"] = h.ID
		}
	}
	if queries["queue id"] == "" {
		t.Fatal("the demo message's Received fields have no id")
	}
	var search *widget.Entry
	u.postAndWait(func() { search = findEntry(t, w.Content(), "Search from, subject, domain…") })
	for what, q := range queries {
		u.postAndWait(func() { search.SetText(q) })
		found := false
		for _, s := range u.shown {
			found = found || s == e
		}
		if !found {
			t.Errorf("searching the %s %q does not find the message (%d shown)", what, q, len(u.shown))
		}
		if want := fmt.Sprintf("%d of 15 shown", len(u.shown)); u.sup.count.Text != want {
			t.Errorf("count %q, want %q", u.sup.count.Text, want)
		}
	}
	u.postAndWait(func() { search.SetText("no-such-thing-anywhere") })
	if len(u.shown) != 0 || !u.sup.noResults.Visible() || !strings.Contains(u.sup.noResults.Text, "No results") ||
		!strings.Contains(u.sup.noResults.Text, "no-such-thing-anywhere") || u.sup.count.Text != "0 of 15 shown" {
		t.Errorf("no results: %d shown, label %q visible %v, count %q", len(u.shown), u.sup.noResults.Text, u.sup.noResults.Visible(), u.sup.count.Text)
	}
	u.postAndWait(func() { search.SetText("") })
	if len(u.shown) != 15 || u.sup.noResults.Visible() {
		t.Errorf("search cleared: %d shown", len(u.shown))
	}
}

// The warning filters each list the demo message made to show that
// warning, and only messages that have it.
func TestWarningFilters(t *testing.T) {
	u, _ := newTestUI(t)
	for _, c := range []struct{ filter, demo string }{
		{filterLength, "length-tag-appended"},
		{filterSHA1, "rsa-sha1-policy"},
		{filterSlowHop, "six-hops-slow"},
		{filterClockSkew, "clock-skew"},
		{filterPGP, "pgp-notification"},
	} {
		want := u.entryByDemo(t, c.demo)
		u.filter = c.filter
		u.postAndWait(func() { u.refilter() })
		found := false
		for _, e := range u.shown {
			found = found || e == want
		}
		if !found || len(u.shown) == 15 {
			t.Errorf("%s: %d shown, %s among them: %v", c.filter, len(u.shown), c.demo, found)
		}
	}
	u.filter = filterClaimsDiffer
	u.postAndWait(func() { u.refilter() })
	for _, e := range u.shown {
		if !claimsDiffer(e.report) {
			t.Errorf("claims differ lists %s, whose claims agree", e.subject)
		}
	}
	if len(u.shown) == 0 {
		t.Error("no demo message has claims that differ")
	}
}

// The Claims tab is a table: receiver said / Sealtrace finds now; a row
// that differs is marked, one that agrees is not.
func TestClaimsTableMarksDifferences(t *testing.T) {
	u, _ := newTestUI(t)
	var differ, agree *entry
	for _, e := range u.entries {
		if e.report != nil && len(e.report.Claims) > 0 {
			if claimsDiffer(e.report) && differ == nil {
				differ = e
			}
			if !claimsDiffer(e.report) && agree == nil {
				agree = e
			}
		}
	}
	if differ == nil || agree == nil {
		t.Fatal("the demo lacks a message whose claims differ, or one whose claims agree")
	}
	u.postAndWait(func() { u.selectEntry(differ) })
	if u.view.claimTable.differ == 0 || !u.onUI(func() bool {
		return hasLabel(u.view.claimTable.content, "≠ differs") && hasLabel(u.view.claimTable.content, "Sealtrace finds now")
	}) {
		t.Errorf("differing claims not marked (%d rows)", u.view.claimTable.differ)
	}
	u.postAndWait(func() { u.selectEntry(agree) })
	if u.view.claimTable.differ != 0 || u.onUI(func() bool { return hasLabel(u.view.claimTable.content, "≠ differs") }) {
		t.Errorf("agreeing claims marked as different")
	}
}

func hasLabel(o fyne.CanvasObject, sub string) bool {
	found := false
	walkObjects(o, func(c fyne.CanvasObject) {
		if l, ok := c.(*widget.Label); ok && strings.Contains(l.Text, sub) {
			found = true
		}
	})
	return found
}

// The DNS tab tells NXDOMAIN, SERVFAIL, a timeout and an unreachable
// server apart, in words and in colour, for messages inspected against
// real servers on loopback; it names the source; Copy puts a record on
// the clipboard as text, the attacker's record text included as is.
func TestDNSTabOutcomesAndCopy(t *testing.T) {
	u, w := newTestUI(t)
	evil := "v=spf1 -all ```\n# Pwned ![x](https://evil.example/x.png)"
	z := dnstest.Zones(t, "$ORIGIN sender.example.\n@ 300 IN SOA ns hostmaster 1 3600 600 86400 300\n")
	z.Add(resolver.TXT("sender.example", evil, 300))
	srv := dnstest.StartFunc(t, func(rw dns.ResponseWriter, req *dns.Msg) {
		q := req.Question[0]
		m := new(dns.Msg)
		switch {
		case strings.HasPrefix(q.Name, "_dmarc."):
			m.SetRcode(req, dns.RcodeServerFailure)
		case strings.Contains(q.Name, "_domainkey"):
			return // never answers: a timeout
		default:
			a, _ := z.Query(context.Background(), q.Name, q.Qtype)
			m.SetRcode(req, a.Rcode)
			m.Answer = a.Records
		}
		_ = rw.WriteMsg(m)
	})
	p := u.app.Preferences()
	p.SetString(prefDNSMode, dnsServer)
	p.SetString(prefDNSServer, srv.Addr)
	msg := "Return-Path: <a@sender.example>\r\nReceived: from out.sender.example (out.sender.example [192.0.2.10]) by mx.example.org with ESMTP id Q1; Mon, 23 Nov 2026 10:00:05 +0000\r\n" +
		"DKIM-Signature: v=1; a=rsa-sha256; d=sender.example; s=s1; c=relaxed/relaxed; h=from:subject; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA\r\n" +
		"From: a@sender.example\r\nSubject: dns outcomes\r\nMessage-ID: <o@sender.example>\r\n\r\nhi\r\n"
	done := make(chan struct{})
	u.postAndWait(func() {
		u.focusNext = "outcomes"
		u.startLoad("outcomes", func(ctx context.Context, l *loader) { l.loadBytes(ctx, "outcomes", []byte(msg)) }, done)
	})
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the message was not inspected")
	}
	var e *entry
	for _, x := range u.entries {
		if x.source == "outcomes" {
			e = x
		}
	}
	if e == nil || e.report == nil {
		t.Fatal("no report")
	}
	u.postAndWait(func() { u.selectEntry(e) })
	v := u.view.dns
	if !u.onUI(func() bool { return hasLabel(v.content, "Answers from: the DNS server ("+srv.Addr+")") }) {
		t.Errorf("the DNS tab does not name the server")
	}
	outcomes := map[string]string{}
	for _, ev := range e.report.DNS {
		outcomes[ev.Name] = ev.Outcome
	}
	if outcomes["_dmarc.sender.example."] != resolver.OutcomeServFail || outcomes["s1._domainkey.sender.example."] != resolver.OutcomeTimeout {
		t.Errorf("outcomes %v", outcomes)
	}
	for _, o := range []string{resolver.OutcomeServFail, resolver.OutcomeTimeout, resolver.OutcomeAnswer} {
		if !u.onUI(func() bool { return hasText(v.content, resolver.OutcomeWords(o)) }) {
			t.Errorf("the DNS tab does not say %q", resolver.OutcomeWords(o))
		}
	}
	colours := map[color.Color]string{}
	for _, o := range []string{resolver.OutcomeNXDomain, resolver.OutcomeServFail, resolver.OutcomeTimeout, resolver.OutcomeOffline, resolver.OutcomeAnswer} {
		if other, ok := colours[outcomeColour(o)]; ok {
			t.Errorf("%s has the colour of %s", o, other)
		}
		colours[outcomeColour(o)] = o
	}
	if e.report.DKIM[0].Result != inspect.TempError || e.report.DMARC.Result == inspect.Fail {
		t.Errorf("a timeout and a SERVFAIL made DKIM %s, DMARC %s", e.report.DKIM[0].Result, e.report.DMARC.Result)
	}
	// Copy the record with the attacker's text.
	idx := -1
	for i, s := range v.texts {
		if strings.HasPrefix(s, "sender.example TXT") {
			idx = i
		}
	}
	if idx < 0 {
		t.Fatalf("no TXT record row: %q", v.texts)
	}
	var copies []*widget.Button
	u.postAndWait(func() {
		walkObjects(v.content, func(c fyne.CanvasObject) {
			if b, ok := c.(*widget.Button); ok && b.Text == "Copy" {
				copies = append(copies, b)
			}
		})
	})
	if len(copies) != len(v.texts) {
		t.Fatalf("%d Copy buttons for %d records", len(copies), len(v.texts))
	}
	u.postAndWait(func() { test.Tap(copies[idx]) })
	got := u.app.Clipboard().Content()
	// (DNS escapes the record's line break as \010 on the wire.)
	if !strings.Contains(got, "v=spf1 -all ```") || !strings.Contains(got, "# Pwned ![x](https://evil.example/x.png)") || !strings.HasPrefix(got, "sender.example TXT: answered") {
		t.Errorf("clipboard %q", got)
	}
	// Copy all steps from the Trace.
	u.postAndWait(func() { test.Tap(findButton(u.view.trace.content, "Copy all steps")) })
	if got := u.app.Clipboard().Content(); !strings.Contains(got, "DKIM: TEMPERROR") || !strings.Contains(got, "no answer in time") {
		t.Errorf("copied steps %q", got)
	}
	_ = w
}

// hasText is a label or a canvas text containing sub.
func hasText(o fyne.CanvasObject, sub string) bool {
	found := false
	walkObjects(o, func(c fyne.CanvasObject) {
		switch x := c.(type) {
		case *widget.Label:
			found = found || strings.Contains(x.Text, sub)
		case *canvas.Text:
			found = found || strings.Contains(x.Text, sub)
		}
	})
	return found
}

// loadBytesAndWait loads raw as a source named name and waits for it.
func (u *UI) loadBytesAndWait(t *testing.T, name string, raw []byte) []*entry {
	t.Helper()
	done := make(chan struct{})
	u.postAndWait(func() {
		u.focusNext = name
		u.startLoad(name, func(ctx context.Context, l *loader) { l.loadBytes(ctx, name, raw) }, done)
	})
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("%s was not inspected", name)
	}
	var out []*entry
	u.postAndWait(func() { out = u.sourceEntries(name) })
	return out
}

// Re-check a demo message against the demo's zone served by a real DNS
// server on loopback, evaluated now: the report shown is replaced, and it
// and the DNS tab say which inputs were used. The form turns its fields
// into the pipeline's inputs.
func TestRecheckReplacesShownReport(t *testing.T) {
	u, w := newTestUI(t)
	z, err := assets.DemoResolver()
	if err != nil {
		t.Fatal(err)
	}
	srv := dnstest.Start(t, z)
	e := u.entryByDemo(t, "all-pass-rsa")
	u.postAndWait(func() { u.selectEntry(e) })
	u.postAndWait(func() { test.Tap(findButton(w.Content(), "Re-check…")) })
	if !u.onUI(func() bool {
		top := w.Canvas().Overlays().Top()
		if top == nil || findButton(top, "Re-check") == nil || !hasText(top, "Evaluation time") {
			return false
		}
		test.Tap(findButton(top, "Cancel"))
		return true
	}) {
		t.Error("the Re-check button opens no form")
	}
	before := e.report
	if before.DNSSource.Kind != resolver.SourceZones {
		t.Fatalf("the demo's source %+v", before.DNSSource)
	}
	var f *recheckForm
	u.postAndWait(func() {
		f = newRecheckForm(before)
		f.when.SetSelected(timeHop)
		f.hop.SetSelectedIndex(0)
		f.dns.SetSelected(dnsServer)
		f.server.SetText(srv.Addr)
		f.ip.SetText("203.0.113.50")
	})
	rc, err := f.inputs()
	if err != nil {
		t.Fatal(err)
	}
	if rc.Time != pipeline.AtHop || rc.Hop != 1 || rc.DNS != pipeline.DNSServer || rc.DNSServer != srv.Addr || rc.IP != "203.0.113.50" {
		t.Fatalf("form inputs %+v", rc)
	}
	u.postAndWait(func() { f.dns.SetSelected(dnsZones) })
	if _, err := f.inputs(); err == nil {
		t.Error("zone files without a file name were accepted")
	}
	done := make(chan struct{})
	u.postAndWait(func() { u.recheck([]*entry{e}, rc, done) })
	<-done
	u.postAndWait(func() {})
	after := e.report
	if after == before || after.Recheck == nil {
		t.Fatalf("the report was not replaced")
	}
	if after.DNSSource.Kind != resolver.SourceServer || after.SPF.IP != "203.0.113.50" || after.SPF.Result == inspect.Pass {
		t.Errorf("re-checked: dns %+v, SPF %s for %s", after.DNSSource, after.SPF.Result, after.SPF.IP)
	}
	if !strings.Contains(after.Recheck.TimeBasis, "hop 1") {
		t.Errorf("time basis %q", after.Recheck.TimeBasis)
	}
	if !u.onUI(func() bool {
		return u.view.entry == e && hasLabel(u.view.dns.content, "Re-checked: evaluated as hop 1") && hasLabel(u.view.dns.content, srv.Addr)
	}) {
		t.Errorf("the view does not show the re-checked report")
	}
	if !strings.Contains(u.status.Text, "Re-checked 1 message") {
		t.Errorf("status %q", u.status.Text)
	}
}

// Changing the DNS settings offers to re-check what is loaded (not the
// demo, which has its own zone).
func TestDNSSettingsOfferRecheck(t *testing.T) {
	u, w := newTestUI(t)
	u.postAndWait(func() { u.offerRecheck() })
	if len(w.Canvas().Overlays().List()) != 0 {
		t.Error("offered to re-check the demo")
	}
	u.loadBytesAndWait(t, "pasted", []byte("From: a@example.com\r\nSubject: x\r\n"))
	// Through the Settings dialog: saving without a change offers nothing,
	// a new DNS server offers the re-check.
	save := func(change bool) {
		u.postAndWait(func() { u.settingsDialog() })
		u.postAndWait(func() {
			top := w.Canvas().Overlays().Top()
			if change {
				walkObjects(top, func(c fyne.CanvasObject) {
					if r, ok := c.(*widget.RadioGroup); ok {
						r.SetSelected(dnsServer)
					}
					if e, ok := c.(*widget.Entry); ok && e.PlaceHolder == "127.0.0.1:53" {
						e.SetText("127.0.0.1:5354")
					}
				})
			}
			test.Tap(findButton(top, "Save"))
		})
	}
	save(false)
	if u.onUI(func() bool { top := w.Canvas().Overlays().Top(); return top != nil && hasLabel(top, "Re-check the") }) {
		t.Error("offered to re-check although the DNS settings did not change")
	}
	save(true)
	if !u.onUI(func() bool {
		top := w.Canvas().Overlays().Top()
		return top != nil && hasLabel(top, "Re-check the 1 message loaded")
	}) {
		t.Error("no offer to re-check after the DNS settings changed")
	}
}

// The folder summary groups the failing demo messages by reason, sending
// IP and From domain; choosing a group lists exactly its messages, with
// the count, and "Show all" lists everything again.
func TestSummaryGroupIsAFilter(t *testing.T) {
	u, w := newTestUI(t)
	groups, failing := summarizeFailures(u.entries)
	if failing == 0 || len(groups) == 0 {
		t.Fatalf("%d failing, %d groups", failing, len(groups))
	}
	var reject *entryGroup
	for _, g := range groups {
		if g.by == "Reason" && strings.HasPrefix(g.key, "DMARC fail") && (reject == nil || len(g.members) > len(reject.members)) {
			reject = g
		}
	}
	if reject == nil {
		t.Fatal("no DMARC-fail group")
	}
	for e := range reject.members {
		if e.report.DMARC.Result != inspect.Fail {
			t.Errorf("%s is in %s", e.subject, reject.title)
		}
	}
	var content fyne.CanvasObject
	u.postAndWait(func() { content = u.summaryContent(nil) })
	var b *widget.Button
	u.postAndWait(func() { b = findButton(content, reject.key+" — ") })
	if b == nil {
		t.Fatalf("no button for %s", reject.title)
	}
	u.postAndWait(func() { test.Tap(b) })
	if len(u.shown) != len(reject.members) || u.sup.count.Text != fmt.Sprintf("%d of 15 shown", len(reject.members)) {
		t.Errorf("group shows %d (%q), want %d", len(u.shown), u.sup.count.Text, len(reject.members))
	}
	for _, e := range u.shown {
		if !reject.members[e] {
			t.Errorf("%s shown outside the group", e.subject)
		}
	}
	u.postAndWait(func() { test.Tap(findButton(w.Content(), "Show all")) })
	if len(u.shown) != 15 || u.sup.groupBar.Visible() {
		t.Errorf("after Show all: %d shown", len(u.shown))
	}
}

// Markdown export of the messages shown includes each one's DNS records.
func TestMarkdownExportShown(t *testing.T) {
	u, _ := newTestUI(t)
	b, err := markdownOf(u.shown)
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	if n := strings.Count(md, "# Authentication report:"); n != len(u.shown) {
		t.Errorf("%d reports in the export of %d messages", n, len(u.shown))
	}
	if n := strings.Count(md, "## DNS answers"); n < len(u.shown)-1 {
		t.Errorf("%d DNS sections for %d messages", n, len(u.shown))
	}
}

// Pasted headers: the DNS tab says which checks needed the body; a bounce
// opened from a file is recognised and its returned message listed.
func TestPastedHeadersAndBounce(t *testing.T) {
	u, _ := newTestUI(t)
	raw, err := os.ReadFile(filepath.Join("..", "assets", "demo", "demo.mbox"))
	if err != nil {
		t.Fatal(err)
	}
	e0 := u.entryByDemo(t, "all-pass-rsa")
	whole, err := e0.load()
	if err != nil || len(raw) == 0 {
		t.Fatal(err)
	}
	head := string(whole[:strings.Index(string(whole), "\r\n\r\n")+2])
	es := u.loadBytesAndWait(t, "Pasted 9", []byte(head))
	if len(es) != 1 || len(es[0].report.NeedsBody) == 0 {
		t.Fatalf("pasted headers: %d entries", len(es))
	}
	u.postAndWait(func() { u.selectEntry(es[0]) })
	if !u.onUI(func() bool {
		return hasLabel(u.view.dns.content, "Needs the body: DKIM d=") && hasLabel(u.view.dns.content, "Needs the body: OpenPGP")
	}) {
		t.Error("the DNS tab does not say which checks needed the body")
	}

	dsn := "From: MAILER-DAEMON@mx.example.net\r\nSubject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n" +
		"--B\r\nContent-Type: text/plain\r\n\r\nThis is the mail system at host mx.example.net.\r\n" +
		"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n" +
		"Final-Recipient: rfc822; nobody@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n" +
		"--B\r\nContent-Type: text/rfc822-headers\r\n\r\n" + head + "\r\n--B--\r\n"
	es = u.loadBytesAndWait(t, "bounce", []byte(dsn))
	if len(es) != 2 || es[0].report.Bounce == nil || !strings.Contains(strings.Join(es[1].report.Warnings, " "), "returned inside a bounce") {
		t.Fatalf("bounce: %d entries", len(es))
	}
	u.postAndWait(func() { u.selectEntry(es[0]) })
	if !u.onUI(func() bool { return hasLabel(u.view.dns.content, "nobody@example.org: failed 5.1.1") }) {
		t.Error("the DNS tab does not say what the bounce reports")
	}
}

// A report read from the IMAP cache says that its answers were recorded
// then, not asked now; once re-checked, it no longer does.
func TestDNSTabRecordedAnswers(t *testing.T) {
	test.NewTempApp(t)
	v := newDNSView(&UI{})
	r := &inspect.Report{DNSSource: resolver.SourceInfo{Kind: resolver.SourceSystem, Detail: "192.0.2.53:53"},
		DNS: []resolver.Evidence{{Name: "example.com.", Type: "TXT", Rcode: "NXDOMAIN", Answers: []string{}}}} // cached before outcomes existed
	e := &entry{inspected: time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)}
	v.showFor(e, r)
	if !hasLabel(v.content, "Recorded answers: this report was made") || !hasLabel(v.content, "the system resolver (192.0.2.53:53)") {
		t.Error("a cached report does not say its answers were recorded")
	}
	if !hasText(v.content, resolver.OutcomeWords(resolver.OutcomeNXDomain)) {
		t.Error("an old report's NXDOMAIN is not told")
	}
	r.Recheck = &inspect.RecheckInputs{TimeBasis: "now", DNS: "the DNS server (127.0.0.1:53)"}
	v.showFor(e, r)
	if hasLabel(v.content, "Recorded answers") || !hasLabel(v.content, "Re-checked: evaluated now") {
		t.Error("a re-checked report still says recorded")
	}
}

// The summary of a folder opened from the IMAP cache reads the reports
// still on disk first, so that its failing messages are counted too.
func TestSummaryReadsCachedReports(t *testing.T) {
	u, w := newTestUI(t)
	spoof := u.entryByDemo(t, "spoofed-from-reject").report
	var cached []*entry
	for i := range 3 {
		e := &entry{source: "imap://mail.example/INBOX", index: i + 1, sum: summarize(spoof), inspected: time.Now()}
		e.loadReport = func() (*inspect.Report, []byte, error) { return spoof, nil, nil }
		e.load = func() ([]byte, error) { return nil, fmt.Errorf("the server is offline") }
		cached = append(cached, e)
	}
	u.postAndWait(func() {
		u.addEntries(cached)
		u.source = "imap://mail.example/INBOX"
		u.refilter()
		u.summaryDialog()
	})
	var top fyne.CanvasObject
	for deadline := time.Now().Add(30 * time.Second); top == nil; time.Sleep(20 * time.Millisecond) {
		u.postAndWait(func() { top = w.Canvas().Overlays().Top() })
		if time.Now().After(deadline) {
			t.Fatal("no summary")
		}
	}
	if !u.onUI(func() bool { return hasLabel(top, "3 of 3 messages fail authentication") }) {
		t.Error("the cached folder's failures are not counted")
	}
	for _, e := range cached {
		if e.report != spoof {
			t.Error("a cached report was not read")
		}
	}
}
