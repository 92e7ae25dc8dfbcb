package ui

import (
	"fmt"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealtrace/sealtrace/inspect"
)

// The authentication path as a picture: the author's domain and its DKIM
// signatures, each Received hop in order, each ARC sealer, the receiver's
// SPF check and the DMARC verdict, coloured by result, with the point where
// authentication broke marked. A node shows its steps when tapped.

// pathNode is one node of the picture.
type pathNode struct {
	kind     string // author, dkim, hop, arc, spf, dmarc
	title    string
	subtitle string
	result   string // a result word; "" for nodes that are not checks (hops)
	warn     bool   // a hop that is slow or has clock skew
	broke    bool
	steps    []inspect.Step
}

// slowHop is the delay from which a hop is drawn as slow.
const slowHop = 10 * 60

// buildPath lays out the nodes of a report, top (origin) to bottom (verdict).
func buildPath(r *inspect.Report) []pathNode {
	var nodes []pathNode
	nodes = append(nodes, pathNode{kind: "author", title: "Author: " + orDash(r.FromDomain),
		subtitle: "the domain in the From field, which DMARC protects",
		steps:    []inspect.Step{{Check: "author", What: "The From field names " + orDash(r.FromDomain) + ": that is the domain a reader sees and the one DMARC checks the other results against.", Result: inspect.None}}})
	for _, d := range r.DKIM {
		sub := fmt.Sprintf("selector %s, %s", orDash(d.Selector), orDash(d.Algorithm))
		if d.Reason != "" {
			sub += " — " + d.Reason
		}
		nodes = append(nodes, pathNode{kind: "dkim", title: "DKIM signature by " + orDash(d.Domain), subtitle: sub, result: d.Result, steps: d.Steps})
	}
	if len(r.DKIM) == 0 {
		nodes = append(nodes, pathNode{kind: "dkim", title: "No DKIM signature", subtitle: "nobody signed this message", result: inspect.None,
			steps: []inspect.Step{{Check: "dkim", What: "The message has no DKIM-Signature field: no domain vouches for its content.", Result: inspect.None}}})
	}
	for i, h := range r.Hops {
		sub := fmt.Sprintf("%s  TLS: %s", orDash(h.IP), h.TLS)
		if h.DelaySeconds != nil {
			sub += "  " + humanDelay(*h.DelaySeconds)
		}
		n := pathNode{kind: "hop", title: fmt.Sprintf("Hop %d: %s → %s", i+1, orDash(h.From), orDash(h.By)), subtitle: sub}
		what := fmt.Sprintf("%s handed the message to %s at %s.", orDash(h.From), orDash(h.By), orDash(h.Time))
		switch {
		case h.ClockSkew:
			n.warn = true
			n.subtitle += "  clock skew"
			what += " This hop is stamped earlier than the one before it: one of the servers' clocks is wrong."
		case h.DelaySeconds != nil && *h.DelaySeconds >= slowHop:
			n.warn = true
			n.subtitle += "  slow"
			what += fmt.Sprintf(" It took %s, much longer than usual: a queue or a retry.", strings.TrimPrefix(humanDelay(*h.DelaySeconds), "+"))
		}
		n.steps = []inspect.Step{{Check: "hop", What: what, Result: inspect.None, Detail: "Received: " + h.Raw, RFC: "RFC 5321 4.4"}}
		nodes = append(nodes, n)
	}
	for _, s := range r.ARC.Sets {
		res := s.SealResult
		if res == "" {
			res = r.ARC.Result
		}
		nodes = append(nodes, pathNode{kind: "arc", title: fmt.Sprintf("ARC seal %d by %s", s.Instance, orDash(s.Domain)),
			subtitle: "recorded: " + clipText(orDash(s.Claims), 70), result: res, steps: r.ARC.Steps})
	}
	spfTitle := spfWords(r.SPF)
	nodes = append(nodes, pathNode{kind: "spf", title: spfTitle, subtitle: "checked for the last hop into the receiver", result: r.SPF.Result, steps: r.SPF.Steps})
	nodes = append(nodes, pathNode{kind: "dmarc", title: "DMARC: " + r.DMARC.Result,
		subtitle: fmt.Sprintf("policy %s, a receiver would %s", r.DMARC.Policy, dispositionWords(r.DMARC.Disposition)), result: r.DMARC.Result, steps: r.DMARC.Steps})

	// Authentication broke at the first check, in path order, that failed.
	for i := range nodes {
		switch nodes[i].result {
		case inspect.Fail, inspect.PermError, inspect.SoftFail:
			nodes[i].broke = true
			return nodes
		}
	}
	return nodes
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// humanDelay says a hop's delay with its sign: "+3s", "+12 min", "-4 min"
// (a negative delay is a clock out of step).
func humanDelay(s float64) string {
	sign := "+"
	if s < 0 {
		sign, s = "-", -s
	}
	switch {
	case s < 120:
		return fmt.Sprintf("%s%.0fs", sign, s)
	case s < 7200:
		return fmt.Sprintf("%s%.0f min", sign, s/60)
	}
	return fmt.Sprintf("%s%.1f h", sign, s/3600)
}

func dispositionWords(d string) string {
	switch d {
	case "reject":
		return "reject it"
	case "quarantine":
		return "put it in spam"
	}
	return "deliver it"
}

// tappable makes any object tappable.
type tappable struct {
	widget.BaseWidget
	content fyne.CanvasObject
	onTap   func()
}

func newTappable(content fyne.CanvasObject, onTap func()) *tappable {
	t := &tappable{content: content, onTap: onTap}
	t.ExtendBaseWidget(t)
	return t
}

func (t *tappable) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(t.content) }
func (t *tappable) Tapped(*fyne.PointEvent)             { t.onTap() }

// nodeColour is the border colour of a node.
func nodeColour(n pathNode) color.Color {
	if n.kind == "hop" || n.kind == "author" {
		if n.warn {
			return resultColour(inspect.SoftFail)
		}
		return theme.Color(theme.ColorNameDisabled)
	}
	return resultColour(n.result)
}

// pathPicture draws the nodes, joined by arrows. onTap receives a node's
// index. It is a plain canvas tree, so software.Render can export it.
func pathPicture(nodes []pathNode, selected int, onTap func(int)) fyne.CanvasObject {
	box := container.NewVBox()
	for i, n := range nodes {
		if i > 0 {
			arrow := canvas.NewText("↓", theme.Color(theme.ColorNameDisabled))
			arrow.Alignment = fyne.TextAlignCenter
			arrow.TextSize = theme.TextSize() * 1.2
			box.Add(arrow)
		}
		box.Add(nodeObject(n, i == selected, func() { onTap(i) }))
	}
	return box
}

func nodeObject(n pathNode, selected bool, onTap func()) fyne.CanvasObject {
	c := nodeColour(n)
	bg := canvas.NewRectangle(tint(c, 0x22))
	bg.StrokeColor = c
	bg.StrokeWidth = 2
	if selected {
		bg.StrokeWidth = 4
	}
	bg.CornerRadius = 8
	title := canvas.NewText(n.title, theme.Color(theme.ColorNameForeground))
	title.TextStyle = fyne.TextStyle{Bold: true}
	sub := canvas.NewText(n.subtitle, theme.Color(theme.ColorNameForeground))
	sub.TextSize = theme.TextSize() * 0.9
	word := strings.ToUpper(n.result)
	badge := canvas.NewText(word, c)
	badge.TextStyle = fyne.TextStyle{Bold: true}
	right := container.NewHBox(badge)
	if n.broke {
		mark := canvas.NewText("✗ authentication broke here", resultColour(inspect.Fail))
		mark.TextStyle = fyne.TextStyle{Bold: true}
		right.Add(mark)
	}
	body := container.NewVBox(container.NewBorder(nil, nil, nil, right, title), sub)
	return newTappable(container.NewStack(bg, container.NewPadded(body)), onTap)
}

// tint returns c with alpha a, for a light fill behind a node.
func tint(c color.Color, a uint8) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: a}
}
