package ui

import (
	"image/color"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The issue-13 defects of the Path tab. These tests look only at what is on
// screen (the canvas objects under the Path tab), so they ran unchanged on
// the old column of boxes, where each of them failed.

// placed is a visible object with its absolute position.
type placed struct {
	o   fyne.CanvasObject
	pos fyne.Position
}

// visibleUnder lists the visible objects under o with their positions.
func visibleUnder(o fyne.CanvasObject, at fyne.Position, out *[]placed) {
	if !o.Visible() {
		return
	}
	at = at.Add(o.Position())
	*out = append(*out, placed{o, at})
	switch c := o.(type) {
	case *fyne.Container:
		for _, ch := range c.Objects {
			visibleUnder(ch, at, out)
		}
	case *container.Scroll:
		visibleUnder(c.Content, at, out)
	case fyne.Widget:
		for _, ch := range test.WidgetRenderer(c).Objects() {
			visibleUnder(ch, at, out)
		}
	}
}

// pathTexts is every visible text of the Path picture with its position.
func pathTexts(v *messageView) []placed {
	var all, texts []placed
	visibleUnder(v.path, fyne.Position{}, &all)
	for _, p := range all {
		if t, ok := p.o.(*canvas.Text); ok && strings.TrimSpace(t.Text) != "" {
			texts = append(texts, p)
		}
	}
	return texts
}

func pathWords(v *messageView) string {
	var b strings.Builder
	for _, p := range pathTexts(v) {
		b.WriteString(p.o.(*canvas.Text).Text + "\n")
	}
	return b.String()
}

func selectDemo(t *testing.T, u *UI, name string) *entry {
	t.Helper()
	e := u.entryByDemo(t, name)
	u.postAndWait(func() { u.selectEntry(e) })
	return e
}

// Node text never clips: every text is at least as wide as it needs, and
// lies inside the picture's visible width, at a narrow and a wide window.
func TestPathTextNotClipped(t *testing.T) {
	u, w := newTestUI(t)
	for _, width := range []float32{700, 1920} {
		for _, demo := range []string{"list-footer-arc-rescue", "six-hops-slow", "spf-too-many-lookups", "pgp-notification"} {
			u.postAndWait(func() { w.Resize(fyne.NewSize(width, 800)) })
			selectDemo(t, u, demo)
			u.postAndWait(func() { w.Resize(fyne.NewSize(width, 800)) }) // lay out again
			var visible float32
			u.postAndWait(func() {
				visible = v0scrollWidth(u.view)
				for _, p := range pathTexts(u.view) {
					txt := p.o.(*canvas.Text)
					need := txt.MinSize().Width
					if txt.Size().Width+0.5 < need {
						t.Errorf("%v px, %s: %q is %.0f px wide and needs %.0f (clipped)", width, demo, txt.Text, txt.Size().Width, need)
					}
					if p.pos.X+need > visible+0.5 || p.pos.X < -0.5 {
						t.Errorf("%v px, %s: %q runs from %.0f to %.0f, outside the %.0f px the picture shows", width, demo, txt.Text, p.pos.X, p.pos.X+need, visible)
					}
				}
			})
		}
	}
}

// v0scrollWidth is the width of the scroller showing the picture.
func v0scrollWidth(v *messageView) float32 {
	var width float32
	walkObjects(v.tabs.Items[0].Content, func(o fyne.CanvasObject) {
		if s, ok := o.(*container.Scroll); ok && width == 0 {
			width = s.Size().Width
		}
	})
	return width
}

// pathSplit is the split between the picture and a node's steps.
func pathSplit(t *testing.T, v *messageView) *container.Split {
	t.Helper()
	var split *container.Split
	walkObjects(v.tabs.Items[0].Content, func(o fyne.CanvasObject) {
		if s, ok := o.(*container.Split); ok && split == nil {
			split = s
		}
	})
	if split == nil {
		t.Fatal("no split in the Path tab")
	}
	return split
}

// The split between the picture and the steps stays where it is from one
// message to the next, whatever their text.
func TestPathSplitStaysPut(t *testing.T) {
	u, w := newTestUI(t)
	u.postAndWait(func() { w.Resize(fyne.NewSize(1024, 700)) })
	var widths []float32
	for _, demo := range []string{"all-pass-rsa", "list-footer-arc-rescue", "six-hops-slow", "pgp-notification", "spf-too-many-lookups"} {
		selectDemo(t, u, demo)
		u.postAndWait(func() {
			w.Resize(fyne.NewSize(1024, 700))
			widths = append(widths, pathSplit(t, u.view).Leading.Size().Width)
		})
	}
	for i := range widths {
		if widths[i] != widths[0] {
			t.Errorf("the picture's side of the split is %v px wide from one message to the next", widths)
			break
		}
	}
}

// A new message shows its path from the top.
func TestPathScrollsToTopOnNewMessage(t *testing.T) {
	u, w := newTestUI(t)
	u.postAndWait(func() { w.Resize(fyne.NewSize(700, 500)) })
	selectDemo(t, u, "six-hops-slow")
	var scrolls []*container.Scroll
	u.postAndWait(func() {
		walkObjects(u.view.tabs.Items[0].Content, func(o fyne.CanvasObject) {
			if s, ok := o.(*container.Scroll); ok {
				scrolls = append(scrolls, s)
			}
		})
		for _, s := range scrolls {
			s.ScrollToBottom()
		}
	})
	moved := false
	for _, s := range scrolls {
		moved = moved || s.Offset.Y > 0
	}
	if !moved {
		t.Fatal("the six-hop path does not need scrolling at 700x500: the test proves nothing")
	}
	selectDemo(t, u, "list-footer-arc-rescue")
	for i, s := range scrolls {
		if s.Offset.Y != 0 {
			t.Errorf("scroller %d of the Path tab stays %.0f px down on a new message", i, s.Offset.Y)
		}
	}
}

// luminance is a colour's relative brightness, 0 (black) to 1 (white).
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	return (0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)) / 0xffff
}

// Switching to the light theme repaints the picture: no white text is left
// on the light background.
func TestPathRepaintsOnLightTheme(t *testing.T) {
	u, _ := newTestUI(t)
	u.postAndWait(func() { u.app.Settings().SetTheme(&variantTheme{variant: theme.VariantDark}) })
	selectDemo(t, u, "list-footer-arc-rescue")
	u.postAndWait(func() { u.app.Settings().SetTheme(&variantTheme{variant: theme.VariantLight}) })
	u.postAndWait(func() {
		bg := luminance(theme.Color(theme.ColorNameBackground))
		if bg < 0.8 {
			t.Fatalf("the light theme's background has luminance %.2f", bg)
		}
		for _, p := range pathTexts(u.view) {
			txt := p.o.(*canvas.Text)
			if luminance(txt.Color) > 0.75 {
				t.Errorf("%q is drawn in %v on the light background", txt.Text, txt.Color)
			}
		}
	})
}

// The Path ends as the Trace does on an ARC rescue: with the receiver's
// decision, which says a receiver that trusts the sealer may accept it.
func TestPathEndsWithReceiversDecision(t *testing.T) {
	u, _ := newTestUI(t)
	selectDemo(t, u, "list-footer-arc-rescue")
	var words string
	u.postAndWait(func() { words = pathWords(u.view) })
	flat := strings.Join(strings.Fields(words), " ")
	for _, want := range []string{"decision", "trusts", "lists.example.org", "may accept"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the path does not say %q:\n%s", want, words)
		}
	}
	if strings.Contains(flat, "a receiver would reject it") && !strings.Contains(flat, "may accept") {
		t.Errorf("the path ends on a rejection the trace does not make:\n%s", words)
	}
}

// "Authentication broke here" is drawn only when the verdict fails: not on
// an SPF permerror when DMARC passes through DKIM; once on the list message.
func TestPathBrokeOnlyWhereVerdictFails(t *testing.T) {
	u, _ := newTestUI(t)
	for _, c := range []struct {
		demo string
		want int
	}{{"spf-too-many-lookups", 0}, {"all-pass-rsa", 0}, {"list-footer-arc-rescue", 1}, {"spoofed-from-reject", 1}} {
		e := selectDemo(t, u, c.demo)
		var words string
		u.postAndWait(func() { words = pathWords(u.view) })
		if got := strings.Count(strings.Join(strings.Fields(words), " "), "broke here"); got != c.want {
			t.Errorf("%s (DMARC %s, SPF %s): %d \"broke here\" marks, want %d", c.demo, e.report.DMARC.Result, e.report.SPF.Result, got, c.want)
		}
	}
}

var _ = widget.NewLabel
