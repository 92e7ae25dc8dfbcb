package ui

import (
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealtrace/sealtrace/inspect"
)

// Presentation mode, for a trainer at a projector: the selected message's
// diagram and one step at a time, full screen, text 2.5 times larger, no
// toolbar and no list. The keys a presentation clicker sends move through
// the steps (Right, Space, PageDown; Left, PageUp; Home, End); each step
// lights its node, so the picture builds as the class goes. Q turns the
// quiz on: the verdicts are hidden until Enter reveals the current node's.
// Escape leaves.

// presentScale is the text size in presentation mode, against the default.
const presentScale = 2.5

// presenter is presentation mode's state (UI goroutine).
type presenter struct {
	u        *UI
	saved    fyne.CanvasObject            // the window's content before
	savedKey func(*fyne.KeyEvent)         // its key handler
	wasFull  bool                         // the window was full screen before
	wasSize  fyne.Size                    // and its size
	model    *pathModel                   // the message's diagram
	title    string                       // its subject
	steps    []presentStep                // every node's steps, in path order
	pos      int                          // the step shown
	quiz     bool                         // verdicts hidden …
	revealed map[int]bool                 // … except on these nodes
	diagram  *pathDiagram                 // the picture
	text     *widget.RichText             // the step
	header   *widget.Label                // subject, step n of N, the keys
	scroll   *container.Scroll            // the picture's scroller
	content  fyne.CanvasObject            // the presentation's content
	onChange func(p *presenter, step int) // tests and other views: a step was shown
}

// presentStep is one step of a presentation: a node and one of its steps.
type presentStep struct {
	node int
	step inspect.Step
}

var errNothingToPresent = errors.New("select a message whose report is ready, then present it")

// startPresentation enters presentation mode on the selected message.
func (u *UI) startPresentation() {
	if u.present != nil {
		return
	}
	e := u.selected
	if e == nil || e.report == nil || e.report.Error != "" {
		dialog.ShowError(errNothingToPresent, u.win)
		return
	}
	p := &presenter{u: u, model: buildPath(e.report), title: e.subject, revealed: map[int]bool{}}
	for i, n := range p.model.nodes {
		steps := n.steps
		if len(steps) == 0 {
			steps = []inspect.Step{{Check: n.kind, What: n.subtitle, Result: inspect.None}}
		}
		for _, s := range steps {
			p.steps = append(p.steps, presentStep{node: i, step: s})
		}
	}
	p.diagram = newPathDiagram(func(i int) { p.goNode(i) })
	// The picture at 1.5x the normal text, the step at 2.5x: the whole
	// path stays in view while the step is read from the back of the room.
	p.diagram.scale = 0.6
	p.scroll = container.NewVScroll(p.diagram)
	p.diagram.onHeight = p.scroll.Refresh
	p.text = widget.NewRichText()
	p.text.Wrapping = fyne.TextWrapWord
	p.header = widget.NewLabel("")
	p.header.Wrapping = fyne.TextWrapWord
	split := container.NewVSplit(p.scroll, container.NewVScroll(p.text))
	split.Offset = 0.58
	p.content = container.NewBorder(p.header, nil, nil, nil, split)

	u.present = p
	p.saved = u.win.Content()
	p.savedKey = u.win.Canvas().OnTypedKey()
	p.wasFull = u.win.FullScreen()
	p.wasSize = u.win.Canvas().Size()
	u.win.Canvas().Unfocus() // the keys go to the presentation, not a list or a field
	u.win.SetContent(p.content)
	u.win.Canvas().SetOnTypedKey(p.typedKey)
	u.win.SetFullScreen(true)
	applyThemeScaled(u.app, presentScale)
	p.diagram.model = p.model
	p.show(0)
}

// stopPresentation leaves presentation mode: the window as it was.
func (u *UI) stopPresentation() {
	p := u.present
	if p == nil {
		return
	}
	u.present = nil
	// The theme goes back while the presentation is still the content: a
	// theme change re-themes the window's whole tree, and the saved tree
	// never saw the larger text (re-theming it from the presentation
	// re-wrapped every hidden tab's text at width 0, for minutes).
	applyTheme(u.app)
	u.win.SetContent(p.saved)
	u.win.Canvas().SetOnTypedKey(p.savedKey)
	u.win.SetFullScreen(p.wasFull)
	if !p.wasFull {
		// Fyne's GLFW driver takes the screen's size for the window's own
		// when the theme changes while it is full screen (RescaleContext),
		// and leaving full screen would keep the window that large.
		u.win.Resize(p.wasSize)
	}
}

// typedKey is a presentation clicker's and a keyboard's keys.
func (p *presenter) typedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyRight, fyne.KeySpace, fyne.KeyPageDown, fyne.KeyDown:
		p.show(p.pos + 1)
	case fyne.KeyLeft, fyne.KeyPageUp, fyne.KeyUp, fyne.KeyBackspace:
		p.show(p.pos - 1)
	case fyne.KeyHome:
		p.show(0)
	case fyne.KeyEnd:
		p.show(len(p.steps) - 1)
	case fyne.KeyQ:
		p.quiz = !p.quiz
		p.revealed = map[int]bool{}
		p.show(p.pos)
	case fyne.KeyReturn, fyne.KeyEnter:
		p.revealed[p.steps[p.pos].node] = true
		p.show(p.pos)
	case fyne.KeyEscape, fyne.KeyF5:
		p.u.stopPresentation()
	}
}

// goNode shows the first step of node i (a tap on the picture).
func (p *presenter) goNode(i int) {
	for k, s := range p.steps {
		if s.node == i {
			p.show(k)
			return
		}
	}
}

// show shows step k and lights the path up to its node.
func (p *presenter) show(k int) {
	if len(p.steps) == 0 {
		return
	}
	k = max(0, min(k, len(p.steps)-1))
	p.pos = k
	s := p.steps[k]
	hidden := p.quiz && !p.revealed[s.node]
	p.diagram.state = sceneState{selected: s.node, lit: s.node, quiz: p.quiz, revealed: p.revealed, legend: true}
	p.diagram.Refresh()
	p.scrollToNode(s.node)
	node := p.model.nodes[s.node]
	var d doc
	word := strings.ToUpper(orDash(s.step.Result))
	switch {
	case hidden && isVerdict(s.step.Result):
		word = "? — predict, then press Enter"
	case s.step.Result == inspect.None || s.step.Result == "":
		word = ""
	}
	head := node.title
	if word != "" {
		head += ": " + word
	}
	d.heading(head)
	what := s.step.What
	if hidden && isVerdict(s.step.Result) {
		what = quizQuestion(s.step)
	}
	d.subheading(what)
	if s.step.RFC != "" {
		d.para(emph(s.step.RFC))
	}
	if s.step.Detail != "" && !hidden {
		d.code(s.step.Detail)
	}
	d.show(p.text)
	quiz := ""
	if p.quiz {
		quiz = " · QUIZ (Enter reveals, Q ends it)"
	}
	p.header.SetText(fmt.Sprintf("%s — step %d of %d%s · → next, ← back, Home/End, Q quiz, Esc leaves", p.title, k+1, len(p.steps), quiz))
	if p.onChange != nil {
		p.onChange(p, k)
	}
}

// isVerdict tells whether a step's result word is a verdict the class can
// predict (pass or fail …), not an information step.
func isVerdict(r string) bool {
	switch r {
	case "", inspect.None:
		return false
	}
	return true
}

// quizQuestion asks the class about a step without giving its result.
func quizQuestion(s inspect.Step) string {
	return fmt.Sprintf("%s check: what will the receiver find here? Pass, fail, or something else? Decide, then press Enter.", strings.ToUpper(orDash(s.Check)))
}

// scaledTheme multiplies a theme's text sizes: the text-size setting, and
// presentation mode's larger text. Everything measured from the theme's
// text size (the diagram, rich text, labels, tables) follows.
type scaledTheme struct {
	fyne.Theme
	scale float32
}

func (t *scaledTheme) Size(n fyne.ThemeSizeName) float32 {
	s := t.Theme.Size(n)
	switch n {
	case theme.SizeNameText, theme.SizeNameHeadingText, theme.SizeNameSubHeadingText, theme.SizeNameCaptionText, theme.SizeNameInlineIcon:
		return s * t.scale
	}
	return s
}

// prefTextScale is the text size setting, in percent of the default.
const prefTextScale = "text.scale"

// textScales are the sizes the setting offers.
var textScales = []string{"100%", "125%", "150%", "200%", "250%", "300%"}

// textScale is the text size setting as a factor.
func textScale(a fyne.App) float32 {
	pc := a.Preferences().IntWithFallback(prefTextScale, 100)
	return float32(max(50, min(pc, 300))) / 100
}

// applyThemeScaled sets the theme of the preference with text scale times
// the default size.
func applyThemeScaled(a fyne.App, scale float32) {
	var base fyne.Theme = theme.DefaultTheme()
	switch a.Preferences().String(prefTheme) {
	case "Light":
		base = &variantTheme{variant: theme.VariantLight}
	case "Dark":
		base = &variantTheme{variant: theme.VariantDark}
	}
	if scale == 1 {
		a.Settings().SetTheme(base)
		return
	}
	a.Settings().SetTheme(&scaledTheme{Theme: base, scale: scale})
}

// applyStartTheme applies the theme and text size settings at start, when
// they are set (otherwise the app's own theme stays).
func applyStartTheme(a fyne.App) {
	p := a.Preferences()
	if p.String(prefTheme) != "" || p.IntWithFallback(prefTextScale, 100) != 100 {
		applyTheme(a)
	}
}

// scrollToNode brings node i into view when it is not.
func (p *presenter) scrollToNode(i int) {
	if i >= len(p.diagram.last.nodes) {
		return
	}
	b := p.diagram.last.nodes[i]
	top, h := p.scroll.Offset.Y, p.scroll.Size().Height
	if h <= 0 || (b.Position.Y >= top && b.Position.Y+b.Size.Height <= top+h) {
		return
	}
	p.scroll.Offset.Y = max(0, min(b.Position.Y-theme.TextSize(), p.diagram.last.h-h))
	p.scroll.Refresh()
}
