package ui

import (
	"bytes"
	"encoding/xml"
	"image/color"
	"io"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/sealtrace/sealtrace/inspect"
)

// forwarded is a report of a message sent by example.com through a list
// server that sealed it with ARC, then a relay, then the receiver.
func forwarded() *inspect.Report {
	d := 40.0
	return &inspect.Report{FromDomain: "example.com", Subject: "hello",
		Hops: []inspect.Hop{
			{From: "out.example.com", By: "mx.lists.example.org", IP: "192.0.2.1", TLS: "TLS", TLSVersion: "TLSv1.3", DelaySeconds: &d},
			{From: "mx.lists.example.org", By: "relay.example.net", IP: "192.0.2.2", TLS: "none stated", DelaySeconds: &d},
			{From: "relay.example.net", By: "mx.receiver.example", IP: "192.0.2.3", TLSVersion: "TLSv1.2"},
		},
		DKIM:  []inspect.DKIMResult{{Domain: "example.com", Result: inspect.Fail, Code: inspect.CodeBodyHashMismatch}},
		SPF:   inspect.SPFResult{Result: inspect.Fail, Domain: "example.com", IP: "192.0.2.3"},
		ARC:   inspect.ARCResult{Result: inspect.Pass, Sets: []inspect.ARCInstance{{Instance: 1, Domain: "lists.example.org", SealResult: inspect.Pass, Claims: "dkim=pass header.d=example.com; spf=pass"}}},
		DMARC: inspect.DMARCResult{Result: inspect.Fail, Policy: "reject", Disposition: "reject", Domain: "example.com", OrgDomain: "example.com", Record: "v=DMARC1; p=reject"},
	}
}

// The nodes go left to right as the message travelled: the author, each
// server, the receiver, the decision; the ARC seal is on the list's server.
func TestDiagramNodeOrder(t *testing.T) {
	test.NewTempApp(t)
	m := buildPath(forwarded())
	if got := strings.Join(m.nodeKeys(), " "); got != "author server:0 server:1 server:2 receiver decision" {
		t.Fatalf("nodes: %s", got)
	}
	hosts := []string{"", "out.example.com", "mx.lists.example.org", "relay.example.net", "mx.receiver.example"}
	for i, h := range hosts {
		if m.nodes[i].host != h {
			t.Errorf("node %d is %q, want %q", i, m.nodes[i].host, h)
		}
	}
	if len(m.edges) != len(m.nodes)-1 || !strings.Contains(m.edges[1].label, "TLSv1.3") || !strings.Contains(m.edges[1].label, "+40s") ||
		!strings.Contains(m.edges[2].label, "no TLS") {
		t.Errorf("edges: %+v", m.edges)
	}
	if !hasBadge(m.nodes[2], "ARC seal i=1 added here") || hasBadge(m.nodes[3], "ARC seal i=1 added here") {
		t.Errorf("the ARC seal is not on the list's server alone: %+v", m.nodes)
	}
	// A sealer no Received field names stands alone before the receiver.
	r := forwarded()
	r.ARC.Sets[0].Domain = "elsewhere.example"
	m = buildPath(r)
	if got := strings.Join(m.nodeKeys(), " "); got != "author server:0 server:1 server:2 arc:1 receiver decision" {
		t.Errorf("unnamed sealer: %s", got)
	}

	// The demo's list message, through the app.
	u, _ := newTestUI(t)
	selectDemo(t, u, "list-footer-arc-rescue")
	if got := strings.Join(u.view.model.nodeKeys(), " "); got != "author server:0 receiver decision" || u.view.nodes[1].host != "mail.lists.example.org" ||
		!hasBadge(u.view.nodes[1], "ARC seal i=1 added here") {
		t.Errorf("demo nodes: %s", got)
	}
}

func hasBadge(n pathNode, text string) bool {
	for _, b := range n.badges {
		if b.text == text {
			return true
		}
	}
	return false
}

// chipColours is the colour of the DKIM chip drawn on the arrow into each
// node.
func chipColours(sc scene) map[int]color.Color {
	out := map[int]color.Color{}
	for i, p := range sc.prims {
		if p.kind == primCircle && p.node >= 0 && i+1 < len(sc.prims) && sc.prims[i+1].text == "D" {
			if _, seen := out[p.node]; !seen {
				out[p.node] = p.fill
			}
		}
	}
	return out
}

// The DKIM seal on the demo's list-forwarded message is intact up to the
// list's server (which recorded dkim=pass in its ARC set) and broken from
// there; without such a record, it is broken on arrival and the note says
// where cannot be known.
func TestDiagramBrokenSealPosition(t *testing.T) {
	u, _ := newTestUI(t)
	selectDemo(t, u, "list-footer-arc-rescue")
	v := u.view
	list := v.model.index("server:0")
	recv := v.model.index("receiver")
	if !hasBadge(v.nodes[list], "DKIM seal of bank.example broken here") || !v.nodes[list].broke {
		t.Errorf("the seal is not broken at the list's server: %+v", v.nodes[list])
	}
	for i, n := range v.nodes {
		if i != list && n.broke {
			t.Errorf("node %s is also marked broken", n.key)
		}
	}
	var chips map[int]color.Color
	u.postAndWait(func() { chips = chipColours(v.diagram.last) })
	if chips[list] != resultColour(inspect.Pass) || chips[recv] != resultColour(inspect.Fail) {
		t.Errorf("DKIM chips: into the list %v (want green), into the receiver %v (want red)", chips[list], chips[recv])
	}
	if !strings.Contains(v.model.sealNote, "mail.lists.example.org recorded dkim=pass") {
		t.Errorf("note: %q", v.model.sealNote)
	}

	r := forwarded()
	r.ARC = inspect.ARCResult{Result: inspect.None}
	m := buildPath(r)
	recv = m.index("receiver")
	if !hasBadge(m.nodes[recv], "DKIM seal of example.com arrived broken") || !strings.Contains(m.sealNote, "cannot be known") {
		t.Errorf("with no record on the way: %+v / %q", m.nodes[recv].badges, m.sealNote)
	}
}

// alignLines are the alignment lines of a scene: colour and label.
func alignLines(t *testing.T, m *pathModel) (colours []color.Color, labels []string) {
	t.Helper()
	sc := layoutPath(m, 1200, 14, sceneState{selected: -1, lit: -1}, currentColours())
	for _, p := range sc.prims {
		if p.kind == primLine && p.width == 4 && p.node == -1 {
			colours = append(colours, p.stroke)
		}
	}
	for _, l := range m.align {
		labels = append(labels, l.label)
	}
	if len(colours) != 2 {
		t.Fatalf("%d alignment lines", len(colours))
	}
	return colours, labels
}

// The lines from the From domain are green when aligned (and passing), red
// when not, and say strict or relaxed.
func TestDiagramAlignmentLines(t *testing.T) {
	u, _ := newTestUI(t)
	green, red := resultColour(inspect.Pass), resultColour(inspect.Fail)
	for _, c := range []struct {
		demo       string
		dkim, spf  color.Color
		mode, text string
	}{
		{"all-pass-rsa", green, green, "relaxed", "aligned, and DKIM passes"},
		{"esp-not-aligned", red, nil, "relaxed", "not aligned"},
		{"strict-alignment", red, nil, "strict", "not aligned"},
	} {
		e := u.entryByDemo(t, c.demo)
		var colours []color.Color
		var labels []string
		u.postAndWait(func() { colours, labels = alignLines(t, buildPath(e.report)) })
		if colours[0] != c.dkim || (c.spf != nil && colours[1] != c.spf) {
			t.Errorf("%s: DKIM line %v, SPF line %v (labels %q)", c.demo, colours[0], colours[1], labels)
		}
		if !strings.HasPrefix(labels[0], c.mode) || !strings.Contains(labels[0], c.text) {
			t.Errorf("%s: DKIM label %q, want %s … %s", c.demo, labels[0], c.mode, c.text)
		}
	}
}

// Every text of a node lies inside its node, and every text inside the
// picture, at a 700 and a 1920 px window, for every demo message.
func TestDiagramTextInsideNodes(t *testing.T) {
	u, w := newTestUI(t)
	for _, width := range []float32{700, 1920} {
		u.postAndWait(func() { w.Resize(fyne.NewSize(width, 900)) })
		for _, e := range append([]*entry(nil), u.entries...) {
			if e.report == nil || e.report.Error != "" {
				continue
			}
			u.postAndWait(func() { u.selectEntry(e); w.Resize(fyne.NewSize(width, 900)) })
			u.postAndWait(func() {
				d := u.view.diagram
				sc := d.last
				if sc.w != d.Size().Width || sc.w < 100 {
					t.Fatalf("%v px: the scene is %.0f wide, the widget %.0f", width, sc.w, d.Size().Width)
				}
				for _, p := range sc.prims {
					if p.kind != primText {
						continue
					}
					if p.x < 0 || p.x+p.w > sc.w+0.5 || p.y+p.h > sc.h+0.5 {
						t.Errorf("%v px, %s: %q outside the picture", width, e.subject, p.text)
					}
					if p.node < 0 {
						continue
					}
					b := sc.nodes[p.node]
					if p.x < b.Position.X {
						continue // an arrow's label, left of the node
					}
					if p.x+p.w > b.Position.X+b.Size.Width+0.5 || p.y < b.Position.Y || p.y+p.h > b.Position.Y+b.Size.Height+0.5 {
						t.Errorf("%v px, %s: %q (%.0f,%.0f %.0fx%.0f) is outside its node %v %v", width, e.subject, p.text, p.x, p.y, p.w, p.h, b.Position, b.Size)
					}
				}
			})
		}
	}
}

// The SVG is well-formed XML; an attacker's subject and domains are text,
// never markup.
func TestDiagramSVGEscapes(t *testing.T) {
	test.NewTempApp(t)
	r := forwarded()
	r.FromDomain = `evil"><script>alert(1)</script>.example`
	r.ARC.Sets[0].Claims = "dkim=pass ]]> <![CDATA[ & &amp; \x00\x1b"
	subject := "</title><script>alert('x')</script> & <!-- \x01 \xff"
	svg := pathSVG(buildPath(r), exportTitle{subject: subject, from: "Mallory <m@evil.example>"}, 1000)
	dec := xml.NewDecoder(bytes.NewReader(svg))
	var title, all strings.Builder
	var path []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG does not parse: %v\n%s", err, svg)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			path = append(path, x.Name.Local)
			switch x.Name.Local {
			case "svg", "title", "rect", "line", "circle", "text":
			default:
				t.Errorf("element <%s> in the SVG", x.Name.Local)
			}
		case xml.EndElement:
			path = path[:len(path)-1]
		case xml.CharData:
			if len(path) > 0 && path[len(path)-1] == "title" {
				title.Write(x)
			}
			all.WriteString(strings.TrimSpace(string(x))) // wrapped lines, joined again
		case xml.Comment, xml.Directive, xml.ProcInst:
			if p, ok := x.(xml.ProcInst); ok && p.Target == "xml" {
				continue
			}
			t.Errorf("a %T in the SVG: %v", x, x)
		}
	}
	if want := "</title><script>alert('x')</script> & <!-- \uFFFD \uFFFD"; title.String() != want {
		t.Errorf("title %q, want %q", title.String(), want)
	}
	if !strings.Contains(all.String(), `evil"><script>alert(1)</script>.example`) {
		t.Errorf("the From domain is not shown as text:\n%s", all.String())
	}
	if bytes.Contains(svg, []byte("<script")) {
		t.Error("the SVG contains a <script tag")
	}
}

// What-if views mark nodes through highlightNodes: a frame around each.
func TestDiagramHighlightHook(t *testing.T) {
	u, _ := newTestUI(t)
	selectDemo(t, u, "list-footer-arc-rescue")
	frames := func() int {
		n := 0
		for _, p := range u.view.diagram.last.prims {
			if p.kind == primRect && p.stroke == currentColours().primary && p.width == 3 {
				n++
			}
		}
		return n
	}
	var before, after int
	u.postAndWait(func() {
		before = frames()
		u.view.highlightNodes([]string{"receiver", "decision", "nothing"})
		after = frames()
	})
	if before != 0 || after != 2 {
		t.Errorf("frames: %d before, %d after marking two nodes", before, after)
	}
	// A new message keeps no marks of the old one.
	selectDemo(t, u, "all-pass-rsa")
	u.postAndWait(func() { after = frames() })
	if after != 0 {
		t.Errorf("%d frames left on the next message", after)
	}
}
