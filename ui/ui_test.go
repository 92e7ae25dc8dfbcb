package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sealtrace/sealtrace/inspect"
	"github.com/sealtrace/sealtrace/internal/testpeers/dnstest"
	"github.com/sealtrace/sealtrace/internal/testpeers/dovecottest"
	"github.com/sealtrace/sealtrace/mailbox"
)

// newTestUI opens the UI on the demo mailbox and waits until it is
// inspected (the wait only guards against a hang; nothing is timed).
func newTestUI(t *testing.T) (*UI, fyne.Window) {
	t.Helper()
	// Fyne's test storage is the temporary folder: one of the test's own,
	// so that keys and password files of one test never meet another's.
	// (A short name: Dovecot's socket paths, under the same folder, are
	// limited to 108 bytes.)
	tmp, err := os.MkdirTemp("", "st")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	t.Setenv("TMPDIR", tmp)
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	w.Resize(fyne.NewSize(1280, 800))
	u := newUI(a, w, newSerial(t).do)
	select {
	case <-u.loaded:
	case <-time.After(60 * time.Second):
		t.Fatal("the demo mailbox did not finish loading")
	}
	return u, w
}

func (u *UI) entryByDemo(t *testing.T, name string) *entry {
	t.Helper()
	for _, e := range u.entries {
		if e.report != nil && strings.Contains(e.report.Source, "") {
			raw, _ := e.load()
			if bytes.Contains(raw, []byte("X-Sealtrace-Demo: "+name+"\r\n")) {
				return e
			}
		}
	}
	t.Fatalf("demo message %s not found", name)
	return nil
}

func TestDemoListAndBadges(t *testing.T) {
	u, _ := newTestUI(t)
	if len(u.entries) != 15 || len(u.shown) != 15 || len(u.sources) != 1 || u.sources[0] != "Demo mailbox" {
		t.Fatalf("%d entries, %d shown, sources %v", len(u.entries), len(u.shown), u.sources)
	}
	for _, e := range u.entries {
		if e.report == nil {
			t.Fatalf("%s#%d was not inspected", e.source, e.index)
		}
	}
	spoof := u.entryByDemo(t, "spoofed-from-reject")
	if spoof.badge("DMARC") != inspect.Fail || spoof.badge("SPF") != inspect.Fail || spoof.badge("DKIM") != inspect.None {
		t.Errorf("spoofed badges: %s %s %s", spoof.badge("SPF"), spoof.badge("DKIM"), spoof.badge("DMARC"))
	}
	if spoof.note == "" || !strings.Contains(spoof.subject, "verify your account") {
		t.Errorf("row: %q note %q", spoof.subject, spoof.note)
	}
}

func TestFilterAndSearch(t *testing.T) {
	u, w := newTestUI(t)
	u.filter = "DMARC fail"
	u.postAndWait(func() { u.refilter() })
	if len(u.shown) != 5 { // list footer, spoofed, strict alignment, ESP, nonexistent subdomain
		t.Errorf("DMARC fail shows %d", len(u.shown))
	}
	u.filter = "ARC present"
	u.postAndWait(func() { u.refilter() })
	if len(u.shown) != 1 || u.shown[0].report.ARC.Result != inspect.Pass {
		t.Errorf("ARC present shows %d", len(u.shown))
	}
	u.filter = "All"
	u.postAndWait(func() { u.refilter() })
	// Typing in the search box filters through the widget.
	search := findEntry(t, w.Content(), "Search from, subject, domain…")
	u.postAndWait(func() { test.Type(search, "itinerary") })
	if len(u.shown) != 1 || !strings.Contains(u.shown[0].subject, "itinerary") {
		t.Errorf("search shows %d", len(u.shown))
	}
}

func findEntry(t *testing.T, o fyne.CanvasObject, placeholder string) *widget.Entry {
	t.Helper()
	var found *widget.Entry
	walkObjects(o, func(c fyne.CanvasObject) {
		if e, ok := c.(*widget.Entry); ok && e.PlaceHolder == placeholder {
			found = e
		}
	})
	if found == nil {
		t.Fatalf("no entry %q", placeholder)
	}
	return found
}

func walkObjects(o fyne.CanvasObject, f func(fyne.CanvasObject)) {
	f(o)
	switch c := o.(type) {
	case *fyne.Container:
		for _, ch := range c.Objects {
			walkObjects(ch, f)
		}
	case fyne.Widget:
		r := test.WidgetRenderer(c)
		for _, ch := range r.Objects() {
			walkObjects(ch, f)
		}
	}
}

// Selecting a message shows its path; the node where authentication broke
// is marked and selected; tapping another node shows its steps.
func TestPathAndNodeSteps(t *testing.T) {
	u, _ := newTestUI(t)
	e := u.entryByDemo(t, "list-footer-arc-rescue")
	for i, s := range u.shown {
		if s == e {
			u.postAndWait(func() { u.table.Select(widget.TableCellID{Row: i, Col: 2}) })
		}
	}
	if u.selected != e {
		t.Fatal("selecting the row did not select the message")
	}
	v := u.view
	kinds := strings.Join(v.model.nodeKeys(), " ")
	if kinds != "author server:0 receiver decision" {
		t.Errorf("nodes: %s", kinds)
	}
	broke := v.nodes[v.selNode]
	if !broke.broke || broke.key != "server:0" || broke.host != "mail.lists.example.org" {
		t.Errorf("selected node %+v, want the list's server, where the DKIM seal broke", broke)
	}
	if !strings.Contains(richText(v.steps), "body hash") {
		t.Errorf("the broken node's steps do not explain the body hash:\n%s", richText(v.steps))
	}
	// Tap the decision in the picture.
	dec := v.model.index("decision")
	u.postAndWait(func() { test.TapAt(v.diagram, v.diagram.nodeCentre(dec)) })
	if v.selNode != dec || !strings.Contains(richText(v.steps), "ARC chain is intact") {
		t.Errorf("tapping the decision shows:\n%s", richText(v.steps))
	}
	if !strings.Contains(v.note.Text, "mailing list added a footer") {
		t.Errorf("teaching note: %q", v.note.Text)
	}
}

func richText(r *widget.RichText) string {
	var b strings.Builder
	var walk func([]widget.RichTextSegment)
	walk = func(segs []widget.RichTextSegment) {
		for _, s := range segs {
			switch v := s.(type) {
			case *widget.ListSegment:
				walk(v.Items)
			case *widget.ParagraphSegment:
				walk(v.Texts)
			default:
				b.WriteString(s.Textual() + "\n")
			}
		}
	}
	walk(r.Segments)
	return b.String()
}

func TestTraceStepThrough(t *testing.T) {
	u, _ := newTestUI(t)
	u.postAndWait(func() { u.selectEntry(u.entryByDemo(t, "spoofed-from-reject")) })
	tr := u.view.trace
	n := len(tr.steps)
	if n < 5 {
		t.Fatalf("%d steps", n)
	}
	u.postAndWait(func() { test.Tap(tr.mode) })
	if tr.counter.Text != "step 1 of "+strconv.Itoa(n) || !tr.prev.Disabled() {
		t.Errorf("start: %q prev disabled %v", tr.counter.Text, tr.prev.Disabled())
	}
	for range n + 3 { // past the end stays on the last step
		u.postAndWait(func() { test.Tap(tr.next) })
	}
	if tr.counter.Text != "step "+strconv.Itoa(n)+" of "+strconv.Itoa(n) || !tr.next.Disabled() {
		t.Errorf("end: %q", tr.counter.Text)
	}
	if !strings.Contains(richText(tr.one), "DMARC") {
		t.Errorf("the last step is not DMARC's verdict:\n%s", richText(tr.one))
	}
	u.postAndWait(func() { test.Tap(tr.prev) })
	if tr.counter.Text != "step "+strconv.Itoa(n-1)+" of "+strconv.Itoa(n) {
		t.Errorf("back: %q", tr.counter.Text)
	}
}

// The exported JSON is the CLI's JSON; the PNG has the picture's size.
func TestExports(t *testing.T) {
	u, _ := newTestUI(t)
	e := u.entryByDemo(t, "six-hops-slow")
	b, err := e.report.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var js map[string]any
	if err := json.Unmarshal(b, &js); err != nil || js["from_domain"] != "travel.example" {
		t.Fatalf("JSON: %v %v", err, js["from_domain"])
	}
	m := buildPath(e.report)
	slow := 0
	for _, ed := range m.edges {
		if ed.warn {
			slow++
		}
	}
	if len(m.nodes) != 1+6+1 || slow != 1 {
		t.Errorf("%d nodes with %d slow hops, want 8 with 1", len(m.nodes), slow)
	}
	var pngBytes []byte
	u.postAndWait(func() { pngBytes, err = pathPNG(m, entryTitle(e), 900) }) // drawing shares Fyne's caches with the UI
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() < 900 || img.Bounds().Dy() < 300 {
		t.Errorf("PNG is %v", img.Bounds())
	}
	// Not blank: the node borders are drawn in more than two colours.
	colours := map[[3]uint32]bool{}
	for y := 0; y < img.Bounds().Dy(); y += 3 {
		for x := 0; x < img.Bounds().Dx(); x += 3 {
			r, g, b, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 12, g >> 12, b >> 12}] = true
		}
	}
	if len(colours) < 5 {
		t.Errorf("the PNG has only %d colours", len(colours))
	}
	if md := e.report.Markdown(); !strings.Contains(md, "| DMARC | pass |") {
		t.Errorf("markdown:\n%s", md)
	}
}

// The README's picture: the Path tab of the ARC-rescue demo message, drawn
// by the test driver's software painter. UPDATE_DOCS=1 writes it to docs/.
func TestARCRescueScreenshot(t *testing.T) {
	u, w := newTestUI(t)
	u.postAndWait(func() { u.selectEntry(u.entryByDemo(t, "list-footer-arc-rescue")) })
	var img image.Image
	u.postAndWait(func() { img = w.Canvas().Capture() })
	if img.Bounds().Dx() < 1000 {
		t.Fatalf("capture is %v", img.Bounds())
	}
	red, green := 0, 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			switch {
			case r>>8 > 0xc0 && g>>8 < 0x50 && bl>>8 < 0x60:
				red++
			case g>>8 > 0x90 && r>>8 < 0x60 && bl>>8 < 0x60:
				green++
			}
		}
	}
	if red < 50 || green < 50 {
		t.Errorf("the picture lacks the failing DKIM node or the passing ARC seal: %d red, %d green samples", red, green)
	}
	if os.Getenv("UPDATE_DOCS") == "1" {
		f, err := os.Create("../docs/path-arc-rescue.png")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
	}
}

// waitFor waits until cond holds on the UI goroutine's state (a hang guard,
// not a timing assertion).
func waitFor(t *testing.T, u *UI, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		done := false
		u.postAndWait(func() { done = cond() })
		if done {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestDropPasteAndOpen(t *testing.T) {
	u, _ := newTestUI(t)
	dir := t.TempDir()
	eml := dir + "/ticket.eml"
	if err := os.WriteFile(eml, []byte("From: Alice <alice@example.com>\nSubject: dropped\n\nhello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mbox := dir + "/two.mbox"
	if err := os.WriteFile(mbox, []byte("From a Mon Nov 23 10:00:00 2026\nFrom: a@example.com\nSubject: one\n\nx\n\nFrom b Mon Nov 23 10:00:00 2026\nnot a header\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	u.postAndWait(func() { // as the driver calls them: on the UI goroutine
		u.dropped(fyne.NewPos(10, 10), []fyne.URI{storageURI(eml)})
		u.openPath(mbox)
		u.startLoad("Pasted 1", func(ctx context.Context, l *loader) {
			l.loadBytes(ctx, "Pasted 1", []byte("Received: from x (x [192.0.2.1]) by mx; Mon, 23 Nov 2026 10:00:00 +0000\r\nFrom: b@example.com\r\nSubject: pasted"))
		}, nil)
	})
	waitFor(t, u, "three more sources inspected", func() bool {
		n := 0
		for _, e := range u.entries {
			if e.source != "Demo mailbox" && e.report != nil {
				n++
			}
		}
		return n == 4
	})
	bySubject := map[string]*entry{}
	for _, e := range u.entries {
		bySubject[e.subject] = e
	}
	if e := bySubject["dropped"]; e == nil || e.source != "ticket.eml" || e.report.Error != "" {
		t.Errorf("dropped .eml: %+v", e)
	}
	if e := bySubject["pasted"]; e == nil || len(e.report.Warnings) == 0 || !strings.Contains(e.report.Warnings[0], "headers only") {
		t.Errorf("pasted headers: %+v", e)
	}
	bad := 0
	for _, e := range u.entries {
		if e.source == "two.mbox" && e.report.Error != "" {
			bad++
		}
	}
	if bad != 1 || len(u.sources) != 4 {
		t.Errorf("%d unreadable messages in two.mbox, sources %v", bad, u.sources)
	}
	// The unreadable one is shown as such, and the filter finds it.
	u.filter = "Not inspectable"
	u.postAndWait(func() { u.refilter() })
	if len(u.shown) != 1 {
		t.Errorf("Not inspectable shows %d", len(u.shown))
	}
}

func storageURI(path string) fyne.URI { return storage.NewFileURI(path) }

// Cancel stops a long load: not every message of a big mbox is read.
func TestCancel(t *testing.T) {
	u, _ := newTestUI(t)
	var b strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&b, "From x Mon Nov 23 10:00:00 2026\nFrom: a%d@example.com\nSubject: n%d\n\nbody\n\n", i, i)
	}
	path := t.TempDir() + "/big.mbox"
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	u.postAndWait(func() {
		u.startLoad("big.mbox", func(ctx context.Context, l *loader) { l.loadFile(ctx, path) }, done)
		test.Tap(u.cancelBtn)
	})
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("cancel did not end the load")
	}
	n := 0
	u.postAndWait(func() {
		for _, e := range u.entries {
			if e.source == "big.mbox" {
				n++
			}
		}
	})
	if n >= 20000 {
		t.Errorf("all %d messages were read after Cancel", n)
	}
}

func TestKeyboardNavigation(t *testing.T) {
	u, w := newTestUI(t)
	w.Canvas().Unfocus()
	first := u.shown[0]
	if u.selected != first {
		t.Fatalf("the first message is not selected at start")
	}
	u.postAndWait(func() { w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyDown}) })
	u.postAndWait(func() { w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyDown}) })
	if u.selected != u.shown[2] {
		t.Errorf("two downs select row 3")
	}
	u.postAndWait(func() { w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyUp}) })
	if u.selected != u.shown[1] || u.view.entry != u.shown[1] {
		t.Errorf("up selects row 2 and shows it")
	}
	u.postAndWait(func() { w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEnd}) })
	if u.selected != u.shown[len(u.shown)-1] {
		t.Errorf("End selects the last row")
	}
}

// Settings choose the DNS source for what is opened next.
func TestSettingsChooseDNS(t *testing.T) {
	u, _ := newTestUI(t)
	zone := t.TempDir() + "/z.zone"
	if err := os.WriteFile(zone, []byte("example.org. 60 IN TXT \"v=spf1 -all\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := u.app.Preferences()
	p.SetString(prefDNSMode, dnsZones)
	p.SetString(prefZoneFiles, zone)
	p.SetString(prefTrusted, "mx.example.org other.example")
	eng := u.engine(u.config(nil))
	if ids := eng.Config().TrustedAuthservIDs; len(ids) != 2 || ids[0] != "mx.example.org" {
		t.Errorf("trusted: %v", ids)
	}
	ans, err := eng.Resolver().Query(context.Background(), "example.org", 16)
	if err != nil || len(ans.TXT()) != 1 {
		t.Errorf("the zone file is not the resolver: %+v %v", ans, err)
	}
	p.SetString(prefDNSMode, dnsServer)
	p.SetString(prefDNSServer, "not a server at all")
	_ = u.engine(u.config(nil))
	waitFor(t, u, "a bad DNS server to be reported", func() bool { return strings.Contains(u.status.Text, "DNS:") })
}

// The PGP/MIME notification of the demo decrypts with the demo key; the
// decrypted text is shown in its own frame, as text (its HTML image is not
// loaded), and the list shows a PGP badge only where there is OpenPGP.
func TestPGPNotification(t *testing.T) {
	u, _ := newTestUI(t)
	e := u.entryByDemo(t, "pgp-notification")
	if e.badge("PGP") != "pass" || u.entryByDemo(t, "all-pass-rsa").badge("PGP") != "" {
		t.Errorf("PGP badges: %q, %q", e.badge("PGP"), u.entryByDemo(t, "all-pass-rsa").badge("PGP"))
	}
	u.postAndWait(func() { u.selectEntry(e) })
	p := u.view.pgp
	waitFor(t, u, "the decrypted text", func() bool { return !strings.HasPrefix(p.plain.Text, "Reading") })
	if !p.card.Visible() || !strings.Contains(p.plain.Text, "logged in to your account from a new device") {
		t.Errorf("decrypted content: visible %v, %q", p.card.Visible(), p.plain.Text)
	}
	if strings.Contains(p.plain.Text, "tracker.invalid") {
		t.Error("the HTML part's remote image shows up")
	}
	if p.decrypt.Visible() {
		t.Error("a decrypted message offers to decrypt")
	}
	if !strings.Contains(richText(p.status), "agree") {
		t.Errorf("the DKIM cross-check is not shown:\n%s", richText(p.status))
	}
	// The Body tab never shows the decrypted text: only a pointer to the PGP tab.
	waitFor(t, u, "the body", func() bool { return strings.Contains(richText(u.view.body), "encrypted") })
	if strings.Contains(richText(u.view.body), "logged in") || !strings.Contains(richText(u.view.body), "encrypted") {
		t.Errorf("Body tab: %q", richText(u.view.body))
	}
}

// The Headers tab marks the fields each signature covers, DKIM and ARC.
func TestHeadersCovered(t *testing.T) {
	u, _ := newTestUI(t)
	u.postAndWait(func() { u.selectEntry(u.entryByDemo(t, "list-footer-arc-rescue")) })
	waitFor(t, u, "the headers", func() bool { return strings.Contains(richText(u.view.headers), "Subject: Meeting notes") })
	text := richText(u.view.headers)
	for _, want := range []string{"Subject: Meeting notes    ← signed by DKIM bank.example, ARC 1 lists.example.org", "Return-Path: <staff@bank.example>\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("headers do not show %q:\n%s", want, text)
		}
	}
}

// A path of 12 hops: every hop is a node, in order, and the picture renders.
func TestPathTwelveHops(t *testing.T) {
	test.NewTempApp(t)
	r := &inspect.Report{FromDomain: "example.com", SPF: inspect.SPFResult{Result: inspect.Pass}, DMARC: inspect.DMARCResult{Result: inspect.Pass}}
	for i := range 12 {
		r.Hops = append(r.Hops, inspect.Hop{From: fmt.Sprintf("h%d.example", i), By: fmt.Sprintf("h%d.example", i+1), DelaySeconds: new(float64(i * 100))})
	}
	m := buildPath(r)
	servers := 0
	for _, n := range m.nodes {
		if n.kind == "server" || n.kind == "receiver" {
			if want := fmt.Sprintf("h%d.example", servers); !strings.Contains(n.title, want) {
				t.Errorf("server %d: %q, want %s", servers, n.title, want)
			}
			servers++
		}
	}
	if servers != 13 || !m.edges[len(m.edges)-3].warn || m.edges[1].warn {
		t.Errorf("%d servers; the hop into the 12th (1,000 s) should be slow, the first not", servers)
	}
	img := pathImage(m, exportTitle{subject: "twelve hops"}, 700)
	if img.Bounds().Dy() < 6*60 {
		t.Errorf("a 15-node picture is only %d pixels high at 700 px", img.Bounds().Dy())
	}
}

// The keyring and key lookup: DANE against NSD serving signed zones, the
// chain shown step by step, the key imported with its source recorded and
// then used for OpenPGP.
func TestKeysLookupAndImport(t *testing.T) {
	u, _ := newTestUI(t)
	u.openpgp.keys = newKeyStore(t.TempDir())
	z := dnstest.StartSignedZones(t)
	p := u.app.Preferences()
	p.SetString(prefDNSMode, dnsServer)
	p.SetString(prefDNSServer, z.Addr)
	p.SetString(prefTrustAnchor, z.Anchor)
	u.openpgp.wkdClient = &http.Client{Transport: &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no network in this test")
	}}}
	if _, key, _ := u.lookupKey("alice@insecure.test"); key != nil {
		t.Error("a key from an unsigned zone (DANE insecure) is offered for import")
	}
	found, key, source := u.lookupKey("alice@secure.test")
	md := richText(widget.NewRichText(found.segs...))
	if a := activeSegments(found.segs); len(a) > 0 || *found.segs[1].(*widget.TextSegment) != (widget.TextSegment{Style: widget.RichTextStyleStrong, Text: "secure"}) {
		t.Errorf("the DANE status is not in bold, or the lookup shows images or links: %v", a)
	}
	for _, want := range []string{"secure\n", z.KeyFpr, "DS set of secure.test. is signed by test.", "Web Key Directory", "no network in this test"} {
		if !strings.Contains(md, want) {
			t.Errorf("the lookup does not show %q:\n%s", want, md)
		}
	}
	if key == nil || source != "DANE (secure)" {
		t.Fatalf("found key %v from %q", key != nil, source)
	}
	if _, err := u.openpgp.keys.add(key, source); err != nil {
		t.Fatal(err)
	}
	list := u.openpgp.keys.list()
	if len(list) != 1 || list[0].source != "DANE (secure)" || list[0].keys[0].Fingerprint != z.KeyFpr {
		t.Fatalf("stored: %+v", list)
	}
	if opts := u.engine(u.config(nil)).PGPOptions(); opts.Keyring == nil || opts.Keyring.Keys()[0].Fingerprint != z.KeyFpr {
		t.Error("the imported key is not used for OpenPGP")
	}
	if _, err := u.openpgp.keys.add([]byte("not a key"), "pasted"); err == nil {
		t.Error("garbage was imported")
	}
	u.postAndWait(u.keysDialog) // opens without trouble
	if err := u.openpgp.keys.remove(list[0]); err != nil || len(u.openpgp.keys.list()) != 0 {
		t.Errorf("delete: %v", err)
	}
	// A bogus answer offers no key.
	if _, key, _ := u.lookupKey("alice@bogus.test"); key != nil {
		t.Error("a key from a bogus answer was offered for import")
	}
}

// Attachments of decrypted content are listed, each with Save…
func TestPGPAttachmentsListed(t *testing.T) {
	u, _ := newTestUI(t)
	e := u.entryByDemo(t, "pgp-notification")
	saved := *e
	saved.plain = []byte("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: text/csv; name=\"logins.csv\"\r\nContent-Disposition: attachment; filename=\"logins.csv\"\r\n\r\na,b\r\n--b--\r\n")
	u.postAndWait(func() { u.view.pgp.show(&saved) })
	waitFor(t, u, "the attachment list", func() bool { return len(u.view.pgp.files.Objects) > 0 })
	if n := len(u.view.pgp.files.Objects); n != 1 {
		t.Fatalf("%d attachments listed", n)
	}
	var label string
	walkObjects(u.view.pgp.files, func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok {
			label = l.Text
		}
	})
	if !strings.Contains(label, "logins.csv") || !strings.Contains(label, "text/csv") {
		t.Errorf("label %q", label)
	}
}

// A passphrase is kept in memory for the configured time, then wiped.
func TestPassphraseForgotten(t *testing.T) {
	u, _ := newTestUI(t)
	u.openpgp.passTTL = 50 * time.Millisecond
	pass := []byte("secret")
	u.postAndWait(func() { u.rememberPassphrase(pass) })
	waitFor(t, u, "the passphrase to be forgotten", func() bool { return u.openpgp.passphrase == nil })
	if string(pass) == "secret" {
		t.Error("the passphrase bytes were not wiped")
	}
}

// An IMAP account against a real Dovecot: its folders appear in the
// sidebar, a folder opened fills the list with inspected messages, and the
// server is left unchanged. Test connection names the failing step.
func TestIMAPAccount(t *testing.T) {
	logs := &lockedBuffer{}
	log.SetOutput(logs)
	t.Cleanup(func() { log.SetOutput(os.Stderr) })
	log.Print("sealtrace test: the log is captured") // so that an empty capture means a broken capture
	u, _ := newTestUI(t)
	var seeds []dovecottest.Seed
	for i, e := range u.entries[:5] {
		raw, _ := e.load()
		seeds = append(seeds, dovecottest.Seed{Raw: raw, Folder: map[bool]string{true: "Archive"}[i == 4]})
	}
	d := dovecottest.Start(t, seeds)
	before := d.Snapshot(t)
	u.accounts.imapRoots = d.Roots
	u.accounts.creds = &mailbox.Memory{}
	u.accounts.cache = &mailbox.Cache{Dir: t.TempDir(), MaxBytes: 1 << 30}
	acct := savedAccount{Server: d.IMAPSAddr, Security: mailbox.ImplicitTLS, Username: "alice"}
	u.postAndWait(func() {
		if err := u.addAccount(acct, "secret"); err != nil {
			t.Error(err)
		}
	})
	inbox := "alice@" + d.IMAPSAddr + ": INBOX"
	waitFor(t, u, "the account's folders", func() bool { _, ok := u.accounts.folders[inbox]; return ok && contains(u.sources, inbox) })
	u.postAndWait(func() {
		// Unread counts by STATUS, pipelined: each answer names its folder.
		archive := "alice@" + d.IMAPSAddr + ": Archive"
		if got := u.sourceLabel(inbox) + " | " + u.sourceLabel(archive); got != inbox+" (4 unread) | "+archive+" (1 unread)" {
			t.Errorf("sidebar: %q", got)
		}
	})
	done := make(chan struct{})
	u.postAndWait(func() { u.openFolder(inbox, done) })
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the folder did not load")
	}
	n := 0
	u.postAndWait(func() {
		for _, e := range u.entries {
			if e.source == inbox {
				n++
				if e.report == nil || e.report.Error != "" || e.report.DMARC.Result == "" {
					t.Errorf("%s#%d: %+v", e.source, e.index, e.report)
				}
			}
		}
	})
	if n != 4 {
		t.Errorf("%d messages from INBOX, want 4", n)
	}
	if after := d.Snapshot(t); after != before {
		t.Error("opening the folder changed the server's messages")
	}
	// A message delivered now arrives through IDLE, inspected.
	newRaw, _ := u.entries[6].load()
	d.Deliver(t, "", newRaw)
	waitFor(t, u, "the delivered message", func() bool {
		for _, e := range u.entries {
			if e.source == inbox && e.index == 5 && e.report != nil && e.report.DMARC.Result != "" {
				return true
			}
		}
		return false
	})
	// It is kept in the cache with the rest (written before it is shown).
	if _, recs := u.accounts.cache.Index("alice@"+d.IMAPSAddr, "INBOX"); len(recs) != 5 {
		t.Errorf("the cache's index has %d messages, want 5", len(recs))
	}
	// Test connection says which step failed.
	a := mailbox.Account{Server: d.IMAPSAddr, Security: mailbox.ImplicitTLS, Username: "alice", Password: "wrong", RootCAs: d.Roots}
	if msg, _ := testConnection(a); !strings.HasPrefix(msg, "Login:") {
		t.Errorf("wrong password: %q", msg)
	}
	a.Password, a.RootCAs = "secret", nil
	if msg, ce := testConnection(a); !strings.HasPrefix(msg, "Certificate:") || ce == nil || ce.Fingerprint != d.Fingerprint {
		t.Errorf("untrusted certificate: %q", msg)
	}
	a.RootCAs = d.Roots
	if msg, _ := testConnection(a); !strings.Contains(msg, "2 folders") { // INBOX and Archive
		t.Errorf("good settings: %q", msg)
	}
	// The password is kept in the credentials store, not in the preferences,
	// nor in any file the app wrote (cache, storage), nor in its log.
	if strings.Contains(u.app.Preferences().String(prefAccounts), "secret") {
		t.Error("the password is in the preferences")
	}
	for _, dir := range []string{u.accounts.cache.Dir, u.app.Storage().RootURI().Path()} {
		filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() {
				if b, _ := os.ReadFile(p); bytes.Contains(b, []byte("secret")) {
					t.Errorf("%s holds the password", p)
				}
			}
			return nil
		})
	}
	if logs.String() == "" || strings.Contains(logs.String(), "secret") {
		t.Errorf("the log (%d bytes) is empty or holds the password", len(logs.String()))
	}
}

// lockedBuffer collects log output written from any goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// forwarder relays TCP to target until closed (to take a server "offline").
func forwarder(t *testing.T, target string) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
	return ln
}

// Messages read over IMAP are cached on disk with their reports and a row
// each in the folder's index. Reopening shows the index's rows, with their
// verdicts, before the server is asked; then only what is new is fetched and
// inspected, and what the server no longer has is removed. With the server
// gone, the folder opens from the cache (offline), each verdict and the DNS
// answers it rested on as they were recorded.
func TestIMAPCacheReopenAndOffline(t *testing.T) {
	u, _ := newTestUI(t)
	d := dovecottest.Start(t, inboxSeeds(t, u.entries[:6]))
	fw := forwarder(t, d.IMAPSAddr)
	cache := &mailbox.Cache{Dir: t.TempDir(), MaxBytes: 1 << 30}
	acct := mailbox.Account{Server: fw.Addr().String(), Security: mailbox.ImplicitTLS, Username: "alice", Password: "secret", RootCAs: d.Roots}
	acct.PinnedSHA256 = d.Fingerprint // the forwarder's address is not in the certificate
	type result struct {
		rows, removed []*entry
		reports       []reported
		errs          []error
		offline       bool
		unread        int
	}
	load := func() (r result) {
		l := &loader{eng: demoEngine(t), cache: cache,
			onEntries: func(es []*entry) { r.rows = append(r.rows, es...) },
			onReports: func(rs []reported) { r.reports = append(r.reports, rs...) },
			onRemove:  func(es []*entry) { r.removed = append(r.removed, es...) },
			onState:   func(unread int, offline bool) { r.unread, r.offline = unread, offline },
			onError:   func(err error) { r.errs = append(r.errs, err) },
			onDone:    func(int, time.Duration) {},
		}
		l.loadIMAP(context.Background(), acct, "INBOX")
		return r
	}
	first := load()
	if len(first.reports) != 6 || len(first.errs) != 0 || first.unread != 6 {
		t.Fatalf("first: %d reports, %d unread, errors %v", len(first.reports), first.unread, first.errs)
	}
	verdict := map[uint32]string{}
	evidence := map[uint32]int{}
	for _, x := range first.reports {
		verdict[x.e.uid] = x.r.DMARC.Result + "/" + x.r.SPF.Result + "/" + dkimSummary(x.r.DKIM)
		evidence[x.e.uid] = len(x.r.DNS)
	}

	// The server changes meanwhile: one message removed, one delivered.
	d.Remove(t, "")
	newRaw, _ := u.entries[7].load()
	d.Deliver(t, "", newRaw)
	second := load()
	if len(second.rows) != 7 || len(second.removed) != 1 || len(second.reports) != 1 || len(second.errs) != 0 {
		t.Fatalf("reopen: %d rows, %d removed, %d inspected (want 7, 1, 1), errors %v", len(second.rows), len(second.removed), len(second.reports), second.errs)
	}
	for _, e := range second.rows[:6] { // the cache's rows come first, with the verdicts of the first inspection
		got := e.sum.DMARC + "/" + e.sum.SPF + "/" + e.sum.DKIM
		if e.report != nil || got != verdict[e.uid] {
			t.Errorf("UID %d from the cache: %q, want %q (report read early: %v)", e.uid, got, verdict[e.uid], e.report != nil)
		}
	}
	if r := second.reports[0]; r.e.uid <= second.rows[5].uid || r.r.DMARC.Result == "" {
		t.Errorf("the new message: UID %d, DMARC %q", r.e.uid, r.r.DMARC.Result)
	}

	fw.Close() // the server is gone
	off := load()
	if len(off.rows) != 6 || len(off.reports) != 0 || !off.offline || len(off.errs) != 1 || !strings.Contains(off.errs[0].Error(), "offline") {
		t.Fatalf("offline: %d rows, %d inspected, offline %v, errors %v", len(off.rows), len(off.reports), off.offline, off.errs)
	}
	replayed := 0
	for _, e := range off.rows {
		if want, ok := verdict[e.uid]; ok {
			if got := e.sum.DMARC + "/" + e.sum.SPF + "/" + e.sum.DKIM; got != want {
				t.Errorf("offline UID %d: %q, want %q", e.uid, got, want)
			}
			rep, _, err := e.loadReport()
			if err != nil || len(rep.DNS) != evidence[e.uid] || rep.DMARC.Result+"/"+rep.SPF.Result+"/"+dkimSummary(rep.DKIM) != want {
				t.Errorf("offline report of UID %d: %v, %d DNS answers (want %d)", e.uid, err, len(rep.DNS), evidence[e.uid])
			}
			replayed++
		}
		if raw, err := e.load(); err != nil || len(raw) < 200 {
			t.Errorf("offline message UID %d: %v", e.uid, err)
		}
	}
	if replayed != 5 {
		t.Errorf("%d reports read back", replayed)
	}
}

// Without an OS keyring, a password the user asks to keep goes to a file
// encrypted with a passphrase: the file holds neither the password nor the
// account, a new session gets it back only with the right passphrase.
func TestSealedPasswords(t *testing.T) {
	u, _ := newTestUI(t)
	u.accounts.creds = &mailbox.Memory{}
	s := savedAccount{Server: "imap.example.com:993", Security: mailbox.ImplicitTLS, Username: "alice"}
	if err := u.sealPassword(s.key(), "s3cret-pw", []byte("correct horse")); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(u.sealedPath())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("s3cret-pw")) || bytes.Contains(data, []byte("alice")) {
		t.Error("the password file holds the password or the account in clear")
	}
	u.accounts.creds = &mailbox.Memory{} // the app started again
	if _, err := u.account(s); !errors.Is(err, mailbox.ErrNoPassword) {
		t.Errorf("before unlocking: %v", err)
	}
	if _, err := u.unlockSealed([]byte("wrong")); !errors.Is(err, mailbox.ErrWrongPassphrase) {
		t.Errorf("wrong passphrase: %v", err)
	}
	if n, err := u.unlockSealed([]byte("correct horse")); n != 1 || err != nil {
		t.Fatalf("unlock: %d, %v", n, err)
	}
	if a, err := u.account(s); err != nil || a.Password != "s3cret-pw" {
		t.Errorf("after unlocking: %v", err)
	}
}

// Messages over the size cap are fetched as headers only (DKIM cannot
// check their body) and fetched whole once chosen: the view then shows the
// verdict of the whole message.
func TestIMAPSizeCapFetchesChosenWhole(t *testing.T) {
	u, _ := newTestUI(t)
	var seeds []dovecottest.Seed
	for _, e := range u.entries {
		if e.sum != nil && e.sum.DKIM == inspect.Pass && len(seeds) < 3 {
			raw, _ := e.load()
			seeds = append(seeds, dovecottest.Seed{Raw: raw})
		}
	}
	d := dovecottest.Start(t, seeds)
	u.accounts.cache = &mailbox.Cache{Dir: t.TempDir(), MaxBytes: 1 << 30}
	acct := mailbox.Account{Server: d.IMAPSAddr, Security: mailbox.ImplicitTLS, Username: "alice", Password: "secret", RootCAs: d.Roots}
	var rows []*entry
	var reps []reported
	l := &loader{eng: demoEngine(t), cache: u.accounts.cache, maxBody: 1,
		onEntries: func(es []*entry) { rows = append(rows, es...) },
		onReports: func(rs []reported) { reps = append(reps, rs...) },
		onError:   func(err error) { t.Error(err) },
		onDone:    func(int, time.Duration) {},
	}
	l.loadIMAP(context.Background(), acct, "INBOX")
	if len(rows) != 3 || len(reps) != 3 {
		t.Fatalf("%d rows, %d reports", len(rows), len(reps))
	}
	for _, x := range reps {
		if !x.e.partial || x.e.complete == nil || dkimSummary(x.r.DKIM) == inspect.Pass {
			t.Errorf("UID %d over the cap: partial %v, DKIM %s", x.e.uid, x.e.partial, dkimSummary(x.r.DKIM))
		}
	}
	e := rows[1]
	u.postAndWait(func() {
		for _, x := range reps {
			x.e.setReport(x.r, x.plain)
		}
		u.addEntries(rows)
		u.selectEntry(e)
	})
	waitFor(t, u, "the chosen message fetched whole", func() bool { return !e.partial && e.sum.DKIM == inspect.Pass })
	u.postAndWait(func() {
		if rows[0].partial == false || rows[2].partial == false {
			t.Error("messages not chosen were fetched whole")
		}
	})
	// The whole message and its new verdict are in the cache for the next time.
	if _, recs := u.accounts.cache.Index("alice@"+d.IMAPSAddr, "INBOX"); len(recs) != 3 || !strings.Contains(string(recs[1].Data), `"dkim":"pass"`) || strings.Contains(string(recs[1].Data), `"partial":true`) {
		t.Errorf("the cache's row of the chosen message: %s", recs[1].Data)
	}
}

// A cache that cannot be written is said once; the folder still loads and
// every message is inspected.
func TestIMAPCacheUnwritable(t *testing.T) {
	u, _ := newTestUI(t)
	d := dovecottest.Start(t, inboxSeeds(t, u.entries[:4]))
	blocker := filepath.Join(t.TempDir(), "not-a-folder")
	if err := os.WriteFile(blocker, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	acct := mailbox.Account{Server: d.IMAPSAddr, Security: mailbox.ImplicitTLS, Username: "alice", Password: "secret", RootCAs: d.Roots}
	var errs []error
	n := 0
	l := &loader{eng: demoEngine(t),
		cache:     &mailbox.Cache{Dir: filepath.Join(blocker, "cache"), MaxBytes: 1 << 30},
		onEntries: func([]*entry) {},
		onReports: func(rs []reported) { n += len(rs) },
		onError:   func(err error) { errs = append(errs, err) },
		onDone:    func(int, time.Duration) {},
	}
	l.loadIMAP(context.Background(), acct, "INBOX")
	if n != 4 || len(errs) != 1 || !strings.Contains(errs[0].Error(), "cache cannot be written") {
		t.Errorf("%d inspected, errors %v", n, errs)
	}
}

// inboxSeeds puts the messages of entries in a Dovecot INBOX.
func inboxSeeds(t *testing.T, es []*entry) []dovecottest.Seed {
	t.Helper()
	var seeds []dovecottest.Seed
	for _, e := range es {
		raw, err := e.load()
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, dovecottest.Seed{Raw: raw})
	}
	return seeds
}
