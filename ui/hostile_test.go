package ui

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sealtrace/sealtrace/internal/testpeers/hostile"
)

// imageServer serves a small PNG on loopback for any path and counts the
// requests: every image and link of the hostile message points at it.
type imageServer struct {
	*httptest.Server
	mu    sync.Mutex
	paths []string
}

func newImageServer(t *testing.T) *imageServer {
	t.Helper()
	var b bytes.Buffer
	img := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.Black)
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	s := &imageServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.paths = append(s.paths, r.URL.Path)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "image/png")
		w.Write(b.Bytes())
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *imageServer) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.paths...)
}

// richTexts is every RichText of the message view.
func (v *messageView) richTexts() map[string]*widget.RichText {
	return map[string]*widget.RichText{"path steps": v.steps, "trace": v.trace.all, "trace step": v.trace.one,
		"claims": v.claims, "headers": v.headers, "pgp": v.pgp.status}
}

// activeSegments names the segments of r that act (an image is fetched, a
// link is followed).
func activeSegments(segs []widget.RichTextSegment) []string {
	var out []string
	for _, s := range segs {
		switch v := s.(type) {
		case *widget.ImageSegment:
			out = append(out, "image "+v.Source.String())
		case *widget.HyperlinkSegment:
			out = append(out, "link "+v.Text)
		case *widget.ListSegment:
			out = append(out, activeSegments(v.Items)...)
		case *widget.ParagraphSegment:
			out = append(out, activeSegments(v.Texts)...)
		}
	}
	return out
}

// A message whose every field carries Markdown images and links (and a DNS
// zone whose TXT records close code fences with a line of three backticks)
// is shown in every tab, every node of the path and every step of the trace:
// no request reaches the image server, no RichText holds an image or a
// link, and the text the message carried is shown as text.
func TestHostileMessageLoadsNothing(t *testing.T) {
	srv := newImageServer(t)
	// The server works: a request from Fyne's own HTTP repository would be
	// counted.
	if resp, err := http.Get(srv.URL + "/probe.png"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("image server: %v", err)
	}
	h := hostile.Fixture{Server: strings.TrimPrefix(srv.URL, "http://")}
	dir := t.TempDir()
	eml, zone := filepath.Join(dir, "hostile.eml"), filepath.Join(dir, "hostile.zone")
	if err := os.WriteFile(eml, h.Message(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(zone, []byte(h.Zone()), 0o644); err != nil {
		t.Fatal(err)
	}
	u, w := newTestUI(t)
	p := u.app.Preferences()
	p.SetString(prefDNSMode, dnsZones)
	p.SetString(prefZoneFiles, zone)
	u.postAndWait(func() { u.openPath(eml) })
	var e *entry
	waitFor(t, u, "the hostile message to be inspected", func() bool {
		for _, x := range u.entries {
			if x.source == "hostile.eml" && x.report != nil {
				e = x
			}
		}
		return e != nil
	})
	if len(e.report.DKIM) != 3 || e.report.PGP == nil || len(e.report.Claims) == 0 {
		t.Fatalf("the hostile message was not read as built: %d DKIM, PGP %v, %d claims", len(e.report.DKIM), e.report.PGP, len(e.report.Claims))
	}
	v := u.view
	u.postAndWait(func() { u.selectEntry(e) })
	waitFor(t, u, "the headers", func() bool { return strings.Contains(richText(v.headers), "X-Folded") })
	// Building the widgets' renderers makes each segment's visual: that is
	// when Fyne fetches an image (canvas.NewImageFromURI). Painting (one
	// capture at the end) adds nothing but time under the race detector.
	draw := func() { u.postAndWait(func() { walkObjects(w.Content(), func(fyne.CanvasObject) {}) }) }
	for i := range v.tabs.Items {
		u.postAndWait(func() { v.tabs.SelectIndex(i) })
		draw()
		if i == 0 {
			for n := range v.nodes { // each node's steps
				u.postAndWait(func() { v.tapNode(n) })
				draw()
			}
		}
		if v.tabs.Items[i].Text == "Trace" {
			u.postAndWait(func() { test.Tap(v.trace.mode) })
			for range v.trace.steps {
				draw()
				u.postAndWait(func() { test.Tap(v.trace.next) })
			}
			u.postAndWait(func() { test.Tap(v.trace.mode) })
		}
	}
	// A last round, painted.
	u.postAndWait(func() { v.tabs.SelectIndex(0) })
	u.postAndWait(func() { w.Canvas().Capture() })
	if got := srv.requests(); len(got) != 1 {
		t.Errorf("showing the message made %d requests to the image server: %v", len(got)-1, got[1:])
	}
	shown := ""
	u.postAndWait(func() {
		for name, rt := range v.richTexts() {
			if a := activeSegments(rt.Segments); len(a) > 0 {
				t.Errorf("%s: %d images or links: %v", name, len(a), a)
			}
			shown += richText(rt)
		}
	})
	// What the message and the zone said is there, as text.
	for _, want := range []string{"![ar-comment](" + h.URL("ar-comment") + ")", "![selector](" + h.URL("selector") + ")",
		"![dmarc](" + h.URL("dmarc") + ")", "  ```\n", "![folded-2](" + h.URL("folded-2") + ")"} {
		if !strings.Contains(shown, want) {
			t.Errorf("the views do not show %q as text", want)
		}
	}
}

// The rule of richtext.go, kept by the source itself: no file of the
// package parses Markdown or makes a link or an image segment (the export
// writes Markdown with inspect's escaping; it never parses it).
func TestNoMarkdownParsing(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for i, line := range strings.Split(string(src), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "//") {
				continue
			}
			for _, banned := range []string{"ParseMarkdown", "NewRichTextFromMarkdown", "HyperlinkSegment", "ImageSegment", "NewHyperlink"} {
				if strings.Contains(line, banned) {
					t.Errorf("%s:%d uses %s: %s", f, i+1, banned, strings.TrimSpace(line))
				}
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d source files found", checked)
	}
}

// Saving an attachment of decrypted content suggests a plain name in the
// chosen folder: never the message's path, a hidden file, or control
// characters; the list shows the name as the message gave it, with its
// controls made visible.
func TestAttachmentSaveName(t *testing.T) {
	u, w := newTestUI(t)
	e := u.entryByDemo(t, "pgp-notification")
	saved := *e
	part := func(name string) string {
		return "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"" + name + "\"\r\n\r\nx\r\n"
	}
	names := []struct{ in, want string }{
		{`..\..\AppData\Roaming\evil.lnk`, "evil.lnk"},
		{"../../.bashrc", "bashrc"},
		{".profile", "profile"},
		{"invoice\u202efdp.exe", "invoicefdp.exe"},
		{"a\x1b[2Kb.txt", "a[2Kb.txt"},
	}
	plain := "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
	for _, n := range names {
		plain += part(n.in)
	}
	saved.plain = []byte(plain + "--b--\r\n")
	u.postAndWait(func() { u.view.pgp.show(&saved) })
	waitFor(t, u, "the attachment list", func() bool { return len(u.view.pgp.files.Objects) > 0 })
	var saves []*widget.Button
	var labels []string
	walkObjects(u.view.pgp.files, func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Button:
			saves = append(saves, x)
		case *widget.Label:
			labels = append(labels, x.Text)
		}
	})
	if len(saves) != len(names) {
		t.Fatalf("%d Save buttons for %d attachments", len(saves), len(names))
	}
	for i, n := range names {
		if strings.ContainsAny(labels[i], "\x1b\u202e") {
			t.Errorf("the list shows a control character: %q", labels[i])
		}
		u.postAndWait(func() { test.Tap(saves[i]) })
		var suggested []string
		u.postAndWait(func() {
			for _, o := range w.Canvas().Overlays().List() {
				walkObjects(o, func(c fyne.CanvasObject) {
					if en, ok := c.(*widget.Entry); ok && en.Text != "" {
						suggested = append(suggested, en.Text)
					}
				})
			}
			for w.Canvas().Overlays().Top() != nil {
				w.Canvas().Overlays().Remove(w.Canvas().Overlays().Top())
			}
		})
		if len(suggested) != 1 || suggested[0] != n.want {
			t.Errorf("saving %q suggests %q, want %q", n.in, suggested, n.want)
		}
	}
}
