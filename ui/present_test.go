package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// press sends a key to the window as a clicker or keyboard would.
func press(u *UI, k fyne.KeyName) {
	u.postAndWait(func() { u.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: k}) })
}

// hasButton tells whether a button with this text is on screen.
func hasButton(o fyne.CanvasObject, text string) bool {
	found := false
	walkObjects(o, func(c fyne.CanvasObject) {
		if b, ok := c.(*widget.Button); ok && b.Text == text {
			found = true
		}
	})
	return found
}

// Presentation mode: F5 enters it full screen with larger text and no
// toolbar; the clicker's keys move through the steps, each lighting its
// node; Escape leaves and puts everything back.
func TestPresentationKeys(t *testing.T) {
	u, w := newTestUI(t)
	selectDemo(t, u, "list-footer-arc-rescue")
	base := theme.TextSize()
	press(u, fyne.KeyF5)
	p := u.present
	if p == nil {
		t.Fatal("F5 did not start presentation mode")
	}
	u.postAndWait(func() {
		if !w.FullScreen() || hasButton(w.Content(), "Open…") || hasButton(w.Content(), "Present") {
			t.Errorf("full screen %v, toolbar shown %v", w.FullScreen(), hasButton(w.Content(), "Open…"))
		}
		if got := theme.TextSize(); got < 2*base || got > 3*base {
			t.Errorf("text size %.0f in presentation, %.0f before: want 2-3x", got, base)
		}
	})
	n := len(p.steps)
	if n < 6 || p.pos != 0 {
		t.Fatalf("%d steps, at %d", n, p.pos)
	}
	// litNodes is how many nodes are drawn at full strength.
	lit := func() (int, int) {
		var count, sel int
		u.postAndWait(func() {
			sc := p.diagram.last
			for i := range sc.nodes {
				for _, pr := range sc.prims {
					if pr.kind == primRect && pr.node == i && pr.radius == 8 {
						if _, _, _, a := pr.stroke.RGBA(); a > 0x8000 {
							count++
						}
						if pr.width == 4 {
							sel = i
						}
						break
					}
				}
			}
		})
		return count, sel
	}
	if c, sel := lit(); c != 1 || sel != 0 {
		t.Errorf("at the start %d nodes lit, node %d selected; want the author alone", c, sel)
	}
	for _, k := range []fyne.KeyName{fyne.KeyRight, fyne.KeySpace, fyne.KeyPageDown} {
		before := p.pos
		press(u, k)
		if p.pos != before+1 {
			t.Errorf("%s moved from %d to %d", k, before, p.pos)
		}
	}
	press(u, fyne.KeyLeft)
	press(u, fyne.KeyPageUp)
	if p.pos != 1 {
		t.Errorf("Left, PageUp: at %d, want 1", p.pos)
	}
	press(u, fyne.KeyEnd)
	last := len(p.model.nodes) - 1
	if c, sel := lit(); p.pos != n-1 || c != len(p.model.nodes) || sel != last {
		t.Errorf("End: step %d of %d, %d nodes lit, node %d selected", p.pos+1, n, c, sel)
	}
	if !strings.Contains(richText(p.text), "DMARC") && !strings.Contains(richText(p.text), "decision") {
		t.Errorf("the last step:\n%s", richText(p.text))
	}
	press(u, fyne.KeyRight) // past the end stays
	if p.pos != n-1 {
		t.Errorf("past the end: %d", p.pos)
	}
	// The picture builds node by node: the first step of each node lights
	// that many nodes.
	press(u, fyne.KeyHome)
	for node := range p.model.nodes {
		for p.steps[p.pos].node < node {
			press(u, fyne.KeyRight)
		}
		if c, sel := lit(); c != node+1 || sel != node {
			t.Errorf("at node %d: %d nodes lit, node %d selected", node, c, sel)
		}
	}
	press(u, fyne.KeyEscape)
	u.postAndWait(func() {
		if u.present != nil || w.FullScreen() || !hasButton(w.Content(), "Open…") {
			t.Errorf("Escape did not leave: presenting %v, full screen %v", u.present != nil, w.FullScreen())
		}
		if got := theme.TextSize(); got != base {
			t.Errorf("text size %.0f after leaving, %.0f before", got, base)
		}
	})
}

// The quiz hides the verdicts until Enter reveals the current node's.
func TestPresentationQuiz(t *testing.T) {
	u, _ := newTestUI(t)
	selectDemo(t, u, "list-footer-arc-rescue")
	u.postAndWait(u.startPresentation)
	p := u.present
	t.Cleanup(func() { u.postAndWait(u.stopPresentation) })
	words := func() string {
		var b strings.Builder
		u.postAndWait(func() {
			for _, pr := range p.diagram.last.prims {
				if pr.kind == primText {
					b.WriteString(pr.text + " ")
				}
			}
		})
		return b.String()
	}
	// Nodes not reached yet show their names only.
	if w := words(); strings.Contains(w, "FAIL") || strings.Contains(w, "PASS") {
		t.Errorf("at the first step the later verdicts show: %s", w)
	}
	press(u, fyne.KeyEnd)
	if w := words(); !strings.Contains(w, "DMARC FAIL") || !strings.Contains(w, "SPF FAIL") {
		t.Fatalf("before the quiz the verdicts are not shown: %s", w)
	}
	press(u, fyne.KeyQ)
	press(u, fyne.KeyEnd) // the decision
	w := words()
	for _, verdict := range []string{"FAIL", "PASS", "broke here", "may accept"} {
		if strings.Contains(w, verdict) {
			t.Errorf("the quiz shows %q: %s", verdict, w)
		}
	}
	if !strings.Contains(w, "Predict") || !strings.Contains(richText(p.text), "predict") {
		t.Errorf("the quiz does not ask for a prediction:\n%s\n%s", w, richText(p.text))
	}
	step := p.steps[p.pos].step
	if isVerdict(step.Result) && strings.Contains(richText(p.text), strings.ToUpper(step.Result)) {
		t.Errorf("the step shows its result %s before the reveal", step.Result)
	}
	press(u, fyne.KeyReturn)
	w = words()
	if !strings.Contains(w, "DMARC FAIL") || !strings.Contains(w, "ARC override") || strings.Contains(w, "SPF FAIL") {
		t.Errorf("Enter on the decision reveals it alone: %s", w)
	}
	if isVerdict(step.Result) && !strings.Contains(richText(p.text), strings.ToUpper(step.Result)) {
		t.Errorf("after the reveal the step does not show %s:\n%s", step.Result, richText(p.text))
	}
	press(u, fyne.KeyQ) // the quiz ends: everything shows
	if w := words(); !strings.Contains(w, "SPF FAIL") {
		t.Errorf("after the quiz: %s", w)
	}
}
