package ui

import (
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealtrace/sealtrace/inspect"
)

// The Path diagram. A layout function turns a pathModel and a width into a
// scene of plain shapes (rectangles, lines, circles, texts) with their
// positions; the widget draws the scene with Fyne canvas objects, and the
// SVG export writes the same scene as SVG, so the screen, the PNG and the
// SVG never disagree. Text is wrapped to the width it is given and every
// box is as tall as its text: nothing is clipped at any size. The scene
// takes its colours and text size from the theme when it is made, so a
// theme change (or the presentation's larger text) redraws it.

// primKind is the kind of a scene shape.
type primKind int

const (
	primRect primKind = iota
	primLine
	primCircle
	primText
)

// prim is one shape of the scene, in scene coordinates.
type prim struct {
	kind       primKind
	x, y, w, h float32 // rect, circle (bounding box), text (its box)
	x2, y2     float32 // line end
	fill       color.Color
	stroke     color.Color
	width      float32 // stroke width
	radius     float32
	text       string
	size       float32
	bold       bool
	node       int // the node it belongs to, -1 for none
}

// scene is a laid-out diagram.
type scene struct {
	w, h  float32
	prims []prim
	nodes []nodeBox // each node's box, for taps and tests
}

// sceneState is what changes the drawing besides the model: the selected
// node, how far a presentation has lit the path, the quiz, and the nodes
// another view wants marked (what-if changes).
type sceneState struct {
	selected  int          // -1: none
	lit       int          // nodes after this index are dimmed; -1: all lit
	quiz      bool         // verdicts hidden …
	revealed  map[int]bool // … except on these nodes
	highlight map[string]bool
	legend    bool    // draw the legend (export, presentation)
	margin    float32 // around the whole picture (export); at least the text size
	title     string  // a title block (export)
	subtitle  string
}

// sceneColours are the theme's colours the scene uses.
type sceneColours struct {
	fg, bg, muted, primary color.Color
}

func currentColours() sceneColours {
	return sceneColours{
		fg:      theme.Color(theme.ColorNameForeground),
		bg:      theme.Color(theme.ColorNameBackground),
		muted:   theme.Color(theme.ColorNameDisabled),
		primary: theme.Color(theme.ColorNamePrimary),
	}
}

// arcColour marks ARC seals apart from DKIM's (violet).
var arcColour = color.NRGBA{R: 0x82, G: 0x50, B: 0xdf, A: 0xff}

// measure is the size of one line of text.
func measure(s string, size float32, bold bool) fyne.Size {
	return fyne.MeasureText(s, size, fyne.TextStyle{Bold: bold})
}

// wrapText breaks s into lines no wider than w; a word wider than w is
// broken between characters, so no line is ever wider than w.
func wrapText(s string, size float32, bold bool, w float32) []string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			try := word
			if line != "" {
				try = line + " " + word
			}
			if measure(try, size, bold).Width <= w {
				line = try
				continue
			}
			if line != "" {
				lines = append(lines, line)
				line = ""
			}
			for measure(word, size, bold).Width > w {
				// The longest prefix that fits, found by halving: a hostile
				// 100 kB word costs a few measurements per line, not one per
				// character.
				r := []rune(word)
				lo, hi := 1, len(r)-1
				for lo < hi {
					mid := (lo + hi + 1) / 2
					if measure(string(r[:mid]), size, bold).Width <= w {
						lo = mid
					} else {
						hi = mid - 1
					}
				}
				lines = append(lines, string(r[:lo]))
				word = string(r[lo:])
			}
			line = word
		}
		if line != "" || len(lines) == 0 {
			lines = append(lines, line)
		}
	}
	return lines
}

// builder collects shapes.
type builder struct {
	prims []prim
	c     sceneColours
	s     float32 // the text size everything is measured in
}

func (b *builder) rect(x, y, w, h float32, fill, stroke color.Color, width, radius float32, node int) {
	b.prims = append(b.prims, prim{kind: primRect, x: x, y: y, w: w, h: h, fill: fill, stroke: stroke, width: width, radius: radius, node: node})
}

func (b *builder) line(x1, y1, x2, y2 float32, c color.Color, width float32, node int) {
	b.prims = append(b.prims, prim{kind: primLine, x: x1, y: y1, x2: x2, y2: y2, stroke: c, width: width, node: node})
}

func (b *builder) circle(cx, cy, r float32, fill, stroke color.Color, node int) {
	b.prims = append(b.prims, prim{kind: primCircle, x: cx - r, y: cy - r, w: 2 * r, h: 2 * r, fill: fill, stroke: stroke, width: 1.5, node: node})
}

// text writes s wrapped to w from (x, y) and returns the height used.
func (b *builder) text(s string, x, y, w, size float32, bold bool, c color.Color, node int) float32 {
	lh := measure("Ag", size, bold).Height
	for i, l := range wrapText(s, size, bold, w) {
		m := measure(l, size, bold)
		b.prims = append(b.prims, prim{kind: primText, x: x, y: y + float32(i)*lh, w: m.Width, h: m.Height, text: l, size: size, bold: bold, fill: c, node: node})
	}
	return textHeight(s, size, bold, w)
}

func textHeight(s string, size float32, bold bool, w float32) float32 {
	return float32(len(wrapText(s, size, bold, w))) * measure("Ag", size, bold).Height
}

// arrow draws a line with a head at (x2, y2).
func (b *builder) arrow(x1, y1, x2, y2 float32, c color.Color, node int) {
	b.line(x1, y1, x2, y2, c, 2, node)
	h := b.s * 0.45
	switch {
	case x2 > x1:
		b.line(x2-h, y2-h*0.7, x2, y2, c, 2, node)
		b.line(x2-h, y2+h*0.7, x2, y2, c, 2, node)
	case y2 > y1:
		b.line(x2-h*0.7, y2-h, x2, y2, c, 2, node)
		b.line(x2+h*0.7, y2-h, x2, y2, c, 2, node)
	}
}

// fade is c made faint, for nodes a presentation has not reached yet.
func fade(c color.Color) color.Color {
	r, g, bl, a := c.RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(bl >> 8), A: uint8((a >> 8) / 4)}
}

// nodeBorder is the border colour of a node.
func nodeBorder(n pathNode, c sceneColours) color.Color {
	switch {
	case n.broke:
		return resultColour(inspect.Fail)
	case n.warn:
		return resultColour(inspect.SoftFail)
	case n.kind == "author" || (n.kind == "server" && n.result == ""):
		return c.muted
	}
	return resultColour(n.result)
}

// layoutPath lays the model out at width w with text size s.
func layoutPath(m *pathModel, w, s float32, st sceneState, c sceneColours) scene {
	b := &builder{c: c, s: s}
	pad := max(s, st.margin)
	gap := 6 * s // room for an arrow's label and seals
	minW, maxW := 10*s, 19*s
	avail := max(w-2*pad, gap+4*s)
	n := len(m.nodes)
	cols := max(1, min(n, int(avail/(gap+minW))))
	nodeW := min(avail/float32(cols)-gap, maxW)
	if nodeW < 4*s {
		nodeW = 4 * s
	}
	left := pad + max(0, (avail-float32(cols)*(gap+nodeW))/2)
	y := pad
	small := s * 0.85
	tiny := s * 0.75
	lit := func(i int) bool { return st.lit < 0 || i <= st.lit }
	col := func(i int, x color.Color) color.Color {
		if lit(i) {
			return x
		}
		return fade(x)
	}

	if st.title != "" {
		y += b.text(st.title, pad, y, w-2*pad, s*1.4, true, c.fg, -1)
		if st.subtitle != "" {
			y += b.text(st.subtitle, pad, y, w-2*pad, small, false, c.fg, -1)
		}
		y += s
	}

	// Nodes, row by row. Each node has a lead-in gap on its left holding
	// the arrow into it, the arrow's label and the seals it carries.
	ip := 0.6 * s
	inner := nodeW - 2*ip
	heights := make([]float32, n)
	for i, nd := range m.nodes {
		heights[i] = ip + textHeight(nd.title, s, true, inner) + 0.2*s + textHeight(nodeSubtitle(nd, st, i), small, false, inner) +
			badgesHeight(nodeBadges(nd, st, i), small, inner, s) + ip
	}
	boxes := make([]nodeBox, n)
	arrowY := make([]float32, n)
	var prevRight, prevArrow, prevBottom float32
	for row := 0; row*cols < n; row++ {
		first, last := row*cols, min(n, (row+1)*cols)
		rowH := float32(0)
		chipRows := 1
		for i := first; i < last; i++ {
			rowH = max(rowH, heights[i])
			if i > 0 {
				chipRows = max(chipRows, chipLines(len(m.edges[i-1].seals), gap, s))
			}
		}
		ay := y + float32(chipRows)*1.3*s + 0.6*s
		for i := first; i < last; i++ {
			if i > 0 {
				rowH = max(rowH, ay-y+0.4*s+textHeight(m.edges[i-1].label, tiny, false, gap-0.6*s))
			}
		}
		for i := first; i < last; i++ {
			x := left + float32(i-first)*(gap+nodeW) + gap
			boxes[i] = nodeBox{Position: fyne.NewPos(x, y), Size: fyne.NewSize(nodeW, rowH)}
			arrowY[i] = ay
			if i == 0 {
				continue
			}
			e := m.edges[i-1]
			ec := c.muted
			if e.warn {
				ec = resultColour(inspect.SoftFail)
			}
			ec = col(i, ec)
			gx := x - gap
			if i == first && row > 0 {
				// Wrap round from the end of the row above.
				mid := prevBottom + 0.9*s
				b.line(prevRight, prevArrow, prevRight+0.5*pad, prevArrow, ec, 2, i)
				b.line(prevRight+0.5*pad, prevArrow, prevRight+0.5*pad, mid, ec, 2, i)
				b.line(prevRight+0.5*pad, mid, gx+0.2*s, mid, ec, 2, i)
				b.line(gx+0.2*s, mid, gx+0.2*s, ay, ec, 2, i)
				b.arrow(gx+0.2*s, ay, x-0.15*s, ay, ec, i)
			} else {
				b.arrow(gx+0.2*s, ay, x-0.15*s, ay, ec, i)
			}
			// Whether a seal survived a stretch is the DKIM or ARC verdict at
			// the node it leads to: hidden with that node's.
			drawChips(b, e.seals, gx+0.3*s, y+0.2*s, gap-0.6*s, s, lit(i), !lit(i) || (st.quiz && !st.revealed[i]), i)
			b.text(e.label, gx+0.3*s, ay+0.3*s, gap-0.6*s, tiny, false, col(i, c.fg), i)
		}
		for i := first; i < last; i++ {
			drawNode(b, m.nodes[i], boxes[i], i, st, c, lit(i), small)
		}
		prevRight = boxes[last-1].Position.X + nodeW
		prevArrow = ay
		prevBottom = y + rowH
		y += rowH + 1.8*s
	}

	y = drawAlignment(b, m, st, pad, y+0.2*s, avail, w)

	if st.legend {
		y = drawLegend(b, pad, y, w-2*pad, s, c)
	}
	return scene{w: w, h: y + pad, prims: b.prims, nodes: boxes}
}

// alignColour: green when DMARC counts the identifier (aligned and its
// check passed), red when the domains do not align, amber when they align
// but the check failed (so nothing counts).
func alignColour(l alignLine) color.Color {
	switch {
	case l.counted:
		return resultColour(inspect.Pass)
	case l.aligned:
		return resultColour(inspect.SoftFail)
	}
	return resultColour(inspect.Fail)
}

func alignBoxText(ls []alignLine, i int) string {
	if i >= len(ls) {
		return "—"
	}
	return ls[i].what + "\n" + ls[i].domain
}

// nodeSubtitle is a node's sentence; the quiz hides the decision's.
func nodeSubtitle(n pathNode, st sceneState, i int) string {
	if st.quiz && n.kind == "decision" && !st.revealed[i] {
		return "What will the receiver decide? Predict, then reveal."
	}
	return n.subtitle
}

// nodeBadges are a node's badges as shown: the quiz hides the verdicts.
func nodeBadges(n pathNode, st sceneState, i int) []badge {
	var out []badge
	for _, b := range n.badges {
		if st.quiz && b.quiz && !st.revealed[i] {
			b = badge{text: quizText(b.text), result: inspect.None}
		}
		out = append(out, b)
	}
	if n.broke && (!st.quiz || st.revealed[i]) {
		out = append(out, badge{text: "✗ authentication broke here", result: inspect.Fail})
	}
	return out
}

// quizText keeps what a badge is about and hides its verdict.
func quizText(s string) string {
	f := strings.Fields(s)
	switch {
	case len(f) == 0:
		return "?"
	case strings.HasPrefix(s, "DKIM seal of"):
		return "DKIM seal: ?"
	case strings.HasPrefix(s, "ARC seal"):
		return strings.Join(f[:min(3, len(f))], " ") + ": ?"
	case f[0] == "DKIM" && len(f) > 1:
		return "DKIM " + f[1] + ": ?"
	}
	return f[0] + ": ?"
}

const badgeGap = 0.3

// badgesHeight is the height of a node's badges, one under another.
func badgesHeight(bs []badge, size, inner, s float32) float32 {
	h := float32(0)
	for _, b := range bs {
		h += badgeGap*s + textHeight(b.text, size, true, inner-0.8*s) + 0.3*s
	}
	return h
}

func drawNode(b *builder, n pathNode, r nodeBox, i int, st sceneState, c sceneColours, lit bool, small float32) {
	s := b.s
	ip := 0.6 * s
	x, y, w, h := r.Position.X, r.Position.Y, r.Size.Width, r.Size.Height
	border := nodeBorder(n, c)
	if !lit || (st.quiz && !st.revealed[i]) {
		// The border's colour is the node's verdict: a node not reached
		// yet, or whose verdict the quiz hides, must not give it away.
		border = c.muted
	}
	fg := c.fg
	if !lit {
		border, fg = fade(border), fade(fg)
	}
	width := float32(2)
	if i == st.selected {
		width = 4
	}
	if st.highlight[n.key] {
		b.rect(x-0.35*s, y-0.35*s, w+0.7*s, h+0.7*s, color.Transparent, c.primary, 3, 10, i)
	}
	fill := tint(border, 0x1c)
	if i == st.selected && st.lit >= 0 {
		fill = tint(c.primary, 0x33)
	}
	b.rect(x, y, w, h, fill, border, width, 8, i)
	inner := w - 2*ip
	ty := y + ip
	ty += b.text(n.title, x+ip, ty, inner, s, true, fg, i)
	if !lit {
		// A node the presentation has not reached shows its name only: the
		// picture builds without giving away what comes (its box keeps the
		// size it will have, so nothing moves).
		return
	}
	ty += 0.2 * s
	ty += b.text(nodeSubtitle(n, st, i), x+ip, ty, inner, small, false, fg, i)
	for _, bd := range nodeBadges(n, st, i) {
		ty += badgeGap * s
		bh := textHeight(bd.text, small, true, inner-0.8*s) + 0.3*s
		bc := resultColour(bd.result)
		if !lit {
			bc = fade(bc)
		}
		b.rect(x+ip, ty, inner, bh, tint(bc, 0x40), bc, 1.5, 4, i)
		b.text(bd.text, x+ip+0.4*s, ty+0.15*s, inner-0.8*s, small, true, fg, i)
		ty += bh
	}
}

// chipLines is how many lines of seal chips an arrow needs.
func chipLines(n int, w, s float32) int {
	per := max(1, int(w/(1.3*s)))
	return max(1, (n+per-1)/per)
}

// drawChips draws the seals a stretch carries: a filled circle per seal,
// "D" for DKIM and "A" for ARC, green when intact, red and struck through
// when broken.
func drawChips(b *builder, seals []sealMark, x, y, w, s float32, lit, hide bool, node int) {
	per := max(1, int(w/(1.3*s)))
	ordered := make([]sealMark, 0, len(seals))
	for _, k := range []string{"dkim", "arc"} {
		for _, m := range seals {
			if m.kind == k {
				ordered = append(ordered, m)
			}
		}
	}
	r := 0.55 * s
	for i, m := range ordered {
		cx := x + r + float32(i%per)*1.3*s
		cy := y + r + float32(i/per)*1.3*s
		drawChip(b, m, cx, cy, r, lit, hide, node)
	}
}

// hide draws the seal grey and whole: there, but its state not told.
func drawChip(b *builder, m sealMark, cx, cy, r float32, lit, hide bool, node int) {
	fill := resultColour(inspect.Pass)
	letter := "D"
	if m.kind == "arc" {
		fill, letter = arcColour, "A"
	}
	broken := !m.intact && !hide
	switch {
	case hide:
		fill = resultColour(inspect.None)
	case broken:
		fill = resultColour(inspect.Fail)
	}
	if !lit {
		fill = fade(fill)
	}
	b.circle(cx, cy, r, fill, fill, node)
	white := color.NRGBA{R: 0x10, G: 0x10, B: 0x10, A: 0xff} // dark on the chip: readable in both themes
	sz := r * 1.3
	mm := measure(letter, sz, true)
	b.prims = append(b.prims, prim{kind: primText, x: cx - mm.Width/2, y: cy - mm.Height/2, w: mm.Width, h: mm.Height, text: letter, size: sz, bold: true, fill: white, node: node})
	if broken {
		b.line(cx-r, cy+r, cx+r, cy-r, white, 2, node)
	}
}

// drawLegend explains the marks; it returns the y below it.
func drawLegend(b *builder, x, y, w, s float32, c sceneColours) float32 {
	small := 0.8 * s
	items := []struct {
		draw func(x, y float32)
		text string
	}{
		{func(x, y float32) {
			drawChip(b, sealMark{kind: "dkim", intact: true}, x+0.55*s, y+0.55*s, 0.55*s, true, false, -1)
		}, "DKIM seal intact"},
		{func(x, y float32) { drawChip(b, sealMark{kind: "dkim"}, x+0.55*s, y+0.55*s, 0.55*s, true, false, -1) }, "DKIM seal broken (content changed)"},
		{func(x, y float32) {
			drawChip(b, sealMark{kind: "arc", intact: true}, x+0.55*s, y+0.55*s, 0.55*s, true, false, -1)
		}, "ARC seal (added by an intermediary)"},
		{func(x, y float32) { b.line(x, y+0.55*s, x+1.8*s, y+0.55*s, resultColour(inspect.Pass), 4, -1) }, "aligned and passing: counts for DMARC"},
		{func(x, y float32) { b.line(x, y+0.55*s, x+1.8*s, y+0.55*s, resultColour(inspect.SoftFail), 4, -1) }, "aligned, but the check failed"},
		{func(x, y float32) { b.line(x, y+0.55*s, x+1.8*s, y+0.55*s, resultColour(inspect.Fail), 4, -1) }, "not aligned"},
	}
	itemW := 16 * s
	per := max(1, int(w/itemW))
	y += b.text("Legend", x, y, w, small, true, c.fg, -1) + 0.3*s
	rowH := float32(0)
	for i, it := range items {
		ix := x + float32(i%per)*itemW
		if i > 0 && i%per == 0 {
			y += rowH + 0.3*s
			rowH = 0
		}
		it.draw(ix, y)
		rowH = max(rowH, 1.1*s, b.text(it.text, ix+2.2*s, y, itemW-2.6*s, small, false, c.fg, -1))
	}
	return y + rowH + 0.5*s
}

// pathDiagram is the Path tab's picture: a widget that lays the diagram
// out for its width and tells its scroller when its height changes.
type pathDiagram struct {
	widget.BaseWidget
	model    *pathModel
	state    sceneState
	scale    float32 // times the theme's text size; 0 means 1
	onTap    func(int)
	onHeight func() // the height needed changed (the scroller re-lays out)
	last     scene
}

func newPathDiagram(onTap func(int)) *pathDiagram {
	d := &pathDiagram{onTap: onTap, state: sceneState{selected: -1, lit: -1}}
	d.ExtendBaseWidget(d)
	return d
}

// set shows a model (nil: nothing).
func (d *pathDiagram) set(m *pathModel, selected int) {
	d.model = m
	d.state.selected = selected
	d.Refresh()
}

// Tapped selects the node under the pointer.
func (d *pathDiagram) Tapped(ev *fyne.PointEvent) {
	for i, r := range d.last.nodes {
		if ev.Position.X >= r.Position.X && ev.Position.X <= r.Position.X+r.Size.Width &&
			ev.Position.Y >= r.Position.Y && ev.Position.Y <= r.Position.Y+r.Size.Height {
			if d.onTap != nil {
				d.onTap(i)
			}
			return
		}
	}
}

// nodeCentre is where a node is drawn (for tests and taps).
func (d *pathDiagram) nodeCentre(i int) fyne.Position {
	r := d.last.nodes[i]
	return r.Position.Add(fyne.NewPos(r.Size.Width/2, r.Size.Height/2))
}

func (d *pathDiagram) CreateRenderer() fyne.WidgetRenderer {
	return &diagramRenderer{d: d}
}

type diagramRenderer struct {
	d       *pathDiagram
	objects []fyne.CanvasObject
	width   float32
}

func (r *diagramRenderer) Destroy() {}

func (r *diagramRenderer) Objects() []fyne.CanvasObject { return r.objects }

// MinSize is narrow, so that the split beside the picture never moves, and
// as tall as the diagram is at the width it was last given.
func (r *diagramRenderer) MinSize() fyne.Size {
	s := theme.TextSize()
	if r.d.model == nil {
		return fyne.NewSize(12*s, s)
	}
	return fyne.NewSize(12*s, r.d.last.h)
}

func (r *diagramRenderer) Layout(size fyne.Size) {
	if size.Width != r.width {
		r.width = size.Width
		r.build()
	}
}

func (r *diagramRenderer) Refresh() {
	r.build()
	canvas.Refresh(r.d)
}

// build makes the canvas objects for the current width, theme and state.
func (r *diagramRenderer) build() {
	d := r.d
	if d.model == nil || r.width <= 0 {
		r.objects = nil
		d.last = scene{}
		return
	}
	old := d.last.h
	scale := d.scale
	if scale == 0 {
		scale = 1
	}
	d.last = layoutPath(d.model, r.width, theme.TextSize()*scale, d.state, currentColours())
	r.objects = sceneObjects(d.last)
	if d.last.h != old && d.onHeight != nil {
		d.onHeight()
	}
}

// sceneObjects turns a scene into Fyne canvas objects.
func sceneObjects(sc scene) []fyne.CanvasObject {
	objs := make([]fyne.CanvasObject, 0, len(sc.prims))
	for _, p := range sc.prims {
		switch p.kind {
		case primRect:
			o := canvas.NewRectangle(p.fill)
			o.StrokeColor, o.StrokeWidth, o.CornerRadius = p.stroke, p.width, p.radius
			o.Move(fyne.NewPos(p.x, p.y))
			o.Resize(fyne.NewSize(p.w, p.h))
			objs = append(objs, o)
		case primCircle:
			o := canvas.NewCircle(p.fill)
			o.StrokeColor, o.StrokeWidth = p.stroke, p.width
			o.Move(fyne.NewPos(p.x, p.y))
			o.Resize(fyne.NewSize(p.w, p.h))
			objs = append(objs, o)
		case primLine:
			o := canvas.NewLine(p.stroke)
			o.StrokeWidth = p.width
			o.Position1, o.Position2 = fyne.NewPos(p.x, p.y), fyne.NewPos(p.x2, p.y2)
			objs = append(objs, o)
		case primText:
			o := canvas.NewText(p.text, p.fill)
			o.TextSize = p.size
			o.TextStyle = fyne.TextStyle{Bold: p.bold}
			o.Move(fyne.NewPos(p.x, p.y))
			o.Resize(fyne.NewSize(p.w, p.h))
			objs = append(objs, o)
		}
	}
	return objs
}

// tint returns c with alpha a, for a light fill behind a node.
func tint(c color.Color, a uint8) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: a}
}

// nodeBox is where a node is drawn.
type nodeBox struct {
	Position fyne.Position
	Size     fyne.Size
}

// highlightNodes frames the nodes with these keys (pathModel.nodeKeys: author,
// server:N, arc:N, receiver, decision) in the Path diagram, for views that
// change an input and show what it changed (what-if). Unknown keys are
// ignored; nil clears; choosing another message clears too.
func (v *messageView) highlightNodes(keys []string) {
	var set map[string]bool
	if len(keys) > 0 {
		set = make(map[string]bool, len(keys))
		for _, k := range keys {
			set[k] = true
		}
	}
	v.diagram.state.highlight = set
	v.diagram.Refresh()
}

// drawAlignment draws the lines from the From domain to DKIM d= and to the
// MAIL FROM domain, coloured as DMARC sees them (RFC 9989 4.4), with the
// mode (strict or relaxed) and the outcome written on each. Wide: DKIM d=,
// From, MAIL FROM in a row; narrow: one row per line, From on the left of
// each. It returns the y below it.
func drawAlignment(b *builder, m *pathModel, st sceneState, pad, y, avail, w float32) float32 {
	s, c := b.s, b.c
	small, tiny, ip := s*0.85, s*0.75, 0.6*s
	y += b.text("DMARC alignment: does the From domain match the domains that were checked?", pad, y, w-2*pad, small, true, c.fg, -1)
	y += 0.4 * s
	last := len(m.nodes) - 1
	hidden := st.quiz && !st.revealed[last]
	unlit := st.lit >= 0 && st.lit < last // a presentation shows it with the decision
	labels := make([]string, len(m.align))
	colours := make([]color.Color, len(m.align))
	for i, l := range m.align {
		labels[i], colours[i] = l.label, alignColour(l)
		switch {
		case unlit:
			labels[i], colours[i] = l.mode+": aligned?", fade(c.muted)
		case hidden:
			labels[i], colours[i] = l.mode+": aligned? (predict)", c.muted
		}
	}
	box := func(t string, x, mid, bw, bh float32) {
		b.rect(x, mid-bh/2, bw, bh, tint(c.muted, 0x22), c.muted, 1.5, 6, -1)
		b.text(t, x+ip, mid-bh/2+ip, bw-2*ip, small, true, c.fg, -1)
	}
	link := func(i int, x1, x2, mid float32) {
		b.line(x1, mid, x2, mid, colours[i], 4, -1)
		lw := x2 - x1 - 0.6*s
		b.text(labels[i], x1+0.3*s, mid-0.3*s-textHeight(labels[i], tiny, false, lw), lw, tiny, false, c.fg, -1)
	}
	from := "From\n" + orDash(m.from)
	boxW := min(avail*0.24, 15*s)
	lineW := min((avail-3*boxW)/2, 24*s)
	if lineW >= 14*s {
		ax := pad + max(0, (avail-3*boxW-2*lineW)/2)
		texts := []string{alignBoxText(m.align, 0), from, alignBoxText(m.align, 1)}
		boxH, labelH := float32(0), float32(0)
		for _, t := range texts {
			boxH = max(boxH, 2*ip+textHeight(t, small, true, boxW-2*ip))
		}
		for _, l := range labels {
			labelH = max(labelH, textHeight(l, tiny, false, lineW-0.6*s))
		}
		mid := y + max(boxH/2, labelH+0.4*s)
		for i, t := range texts {
			box(t, ax+float32(i)*(boxW+lineW), mid, boxW, boxH)
		}
		for i := range m.align {
			x1 := ax + boxW + float32(i)*(boxW+lineW)
			link(i, x1, x1+lineW, mid)
		}
		return mid + boxH/2 + s
	}
	boxW = min(avail*0.3, 15*s)
	lineW = min(avail-2*boxW, 30*s)
	ax := pad + max(0, (avail-2*boxW-lineW)/2)
	for i := range m.align {
		texts := []string{from, alignBoxText(m.align, i)}
		boxH := float32(0)
		for _, t := range texts {
			boxH = max(boxH, 2*ip+textHeight(t, small, true, boxW-2*ip))
		}
		mid := y + max(boxH/2, textHeight(labels[i], tiny, false, lineW-0.6*s)+0.4*s)
		box(texts[0], ax, mid, boxW, boxH)
		box(texts[1], ax+boxW+lineW, mid, boxW, boxH)
		link(i, ax+boxW, ax+boxW+lineW, mid)
		y = mid + boxH/2 + 0.6*s
	}
	return y + 0.4*s
}
