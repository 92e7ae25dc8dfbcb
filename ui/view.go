package ui

import (
	"bytes"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealtrace/sealtrace/inspect"
)

// messageView is the selected message: a teaching note (demo messages) and
// the tabs Path, Trace, Claims, Headers, Body.
type messageView struct {
	u       *UI
	content fyne.CanvasObject
	tabs    *container.AppTabs
	note    *widget.Label

	entry    *entry
	model    *pathModel
	nodes    []pathNode
	selNode  int
	path     *fyne.Container // holds the picture: the diagram, or a message
	diagram  *pathDiagram
	pathScr  *container.Scroll
	stepsScr *container.Scroll
	steps    *widget.RichText
	trace    *traceView
	pgp      *pgpView
	claims   *widget.RichText
	headers  *widget.RichText
	body     *widget.RichText
	bodyNote *widget.Label
	evidence *widget.Label // ui/evidence.go
	whatIf   *whatIfPanel  // ui/whatif.go
	// support.go's: the DNS tab, the claims table.
	dns        *dnsView
	claimTable *claimsView
}

func newMessageView(u *UI) *messageView {
	v := &messageView{u: u}
	v.note = widget.NewLabel("")
	v.note.Wrapping = fyne.TextWrapWord
	v.note.Importance = widget.MediumImportance
	v.note.Hide()
	v.path = container.NewStack()
	v.steps = widget.NewRichText()
	v.steps.Wrapping = fyne.TextWrapWord
	v.diagram = newPathDiagram(func(i int) { v.tapNode(i) })
	v.pathScr = container.NewVScroll(v.path)
	v.diagram.onHeight = v.pathScr.Refresh
	v.stepsScr = container.NewVScroll(v.steps)
	pathSplit := container.NewHSplit(v.pathScr, v.stepsScr)
	pathSplit.Offset = 0.62
	v.trace = newTraceView()
	v.trace.addCopy(u)
	v.dns = newDNSView(u)
	v.claimTable = newClaimsView()
	v.pgp = newPGPView(u)
	v.claims = widget.NewRichText()
	v.claims.Wrapping = fyne.TextWrapWord
	v.headers = widget.NewRichText()
	v.headers.Wrapping = fyne.TextWrapBreak
	v.body = widget.NewRichText()
	v.body.Wrapping = fyne.TextWrapWord
	v.bodyNote = widget.NewLabel("Shown as plain text: HTML is converted to text and nothing remote is ever loaded.")
	v.bodyNote.Importance = widget.LowImportance
	v.tabs = container.NewAppTabs(
		container.NewTabItem("Path", pathSplit),
		container.NewTabItem("Trace", v.trace.content),
		container.NewTabItem("Claims", v.claimTable.content),
		container.NewTabItem("Headers", container.NewVScroll(v.headers)),
		container.NewTabItem("Body", container.NewBorder(v.bodyNote, nil, nil, nil, container.NewVScroll(v.body))),
		container.NewTabItem("PGP", v.pgp.content),
		container.NewTabItem("DNS", v.dns.content),
	)
	v.evidence, v.whatIf = newEvidenceBanner(), newWhatIfPanel(u)
	v.tabs.Append(container.NewTabItem("What-if", v.whatIf.content))
	v.content = container.NewBorder(container.NewVBox(v.note, v.evidence), nil, nil, nil, v.tabs)
	return v
}

// show displays e (UI goroutine). The raw message is read again for the
// Headers and Body tabs.
// clear empties the view: no message is listed.
func (v *messageView) clear() {
	v.entry = nil
	v.content.Hide()
}

func (v *messageView) show(e *entry) {
	if !v.content.Visible() {
		v.content.Show()
		// The split around the view gave it no room while it was hidden:
		// lay it out again, or the view stays blank until the window is
		// resized.
		if v.u.viewSplit != nil {
			v.u.viewSplit.Refresh()
		}
	}
	if e != v.entry {
		v.selNode = -1
		v.diagram.state.highlight = nil // marks belong to the message they were made for
		// A new message starts at the top of its path and steps.
		v.pathScr.ScrollToTop()
		v.stepsScr.ScrollToTop()
		scrollToTop(v.tabs) // another message is read from its top
	}
	v.entry = e
	if e.note != "" {
		v.note.SetText("Teaching note: " + e.note)
		v.note.Show()
	} else {
		v.note.Hide()
	}
	v.showEvidence(e)
	v.whatIf.show(e)
	v.content.Refresh() // the note's height changes the layout
	r := e.report
	if r == nil && e.loadReport != nil {
		// A folder reopened from the cache: its report is read when chosen.
		v.path.Objects = []fyne.CanvasObject{widget.NewLabel("Reading the report made " + e.inspected.Local().Format("2006-01-02 15:04") + "…")}
		v.path.Refresh()
		load := e.loadReport
		go func() {
			rep, plain, err := load()
			v.u.post(func() {
				if err != nil {
					e.loadReport = nil
					rep = &inspect.Report{Source: fmt.Sprintf("%s#%d", e.source, e.index), Error: "the cached report cannot be read, and the message cannot be fetched: " + err.Error()}
				}
				if e.report == nil {
					e.report, e.plain = rep, plain // the list keeps the cached verdict words
				}
				if v.entry == e {
					v.show(e)
				}
			})
		}()
		return
	}
	if r == nil {
		v.path.Objects = []fyne.CanvasObject{widget.NewLabel("Inspecting…")}
		v.path.Refresh()
		return
	}
	if e.complete != nil {
		v.completeEntry(e)
	}
	if r.Error != "" {
		v.path.Objects = []fyne.CanvasObject{widget.NewLabel("This message could not be read: " + r.Error)}
		v.path.Refresh()
		showText(v.steps, "")
		v.trace.set(nil)
		showText(v.claims, "")
		v.claimTable.show(nil)
		v.dns.showFor(e, r)
		v.showRaw(e, r)
		return
	}
	v.pgp.show(e)
	v.model = buildPath(r)
	v.nodes = v.model.nodes
	if v.selNode < 0 {
		v.selNode = firstBroken(v.nodes)
	}
	v.redrawPath()
	v.trace.set(allSteps(r))
	claimsDoc(r).show(v.claims)
	v.claimTable.show(r)
	v.dns.showFor(e, r)
	v.showRaw(e, r)
}

// completeEntry fetches whole a message that was fetched as headers only
// (over the size cap) once it is chosen, and inspects it again, so that
// DKIM, ARC and OpenPGP see its body.
func (v *messageView) completeEntry(e *entry) {
	complete := e.complete
	e.complete = nil
	v.u.status.SetText(fmt.Sprintf("Fetching the whole message (%d MB) to check its body…", e.size>>20))
	go func() {
		rep, plain, err := complete()
		v.u.post(func() {
			if err != nil {
				v.u.status.SetText("Checked from its header only: " + err.Error())
				return
			}
			e.partial = false
			e.setReport(rep, plain)
			v.u.status.SetText("Fetched and inspected whole: " + e.subject)
			v.u.table.Refresh()
			if v.entry == e {
				v.show(e)
			}
		})
	}()
}

func firstBroken(nodes []pathNode) int {
	for i, n := range nodes {
		if n.broke {
			return i
		}
	}
	return len(nodes) - 1 // the verdict
}

func (v *messageView) redrawPath() {
	if len(v.path.Objects) != 1 || v.path.Objects[0] != v.diagram {
		v.path.Objects = []fyne.CanvasObject{v.diagram}
		v.path.Refresh()
	}
	v.diagram.set(v.model, v.selNode)
	if v.selNode >= 0 && v.selNode < len(v.nodes) {
		n := v.nodes[v.selNode]
		var d doc
		d.subheading(n.title)
		d.steps(n.steps)
		d.show(v.steps)
	}
}

// tapNode shows a node's steps.
func (v *messageView) tapNode(i int) {
	v.selNode = i
	v.redrawPath()
}

// showRaw fills the Headers and Body tabs. Reading the message again (from
// disk, for a file) and parsing its MIME run off the UI goroutine.
func (v *messageView) showRaw(e *entry, r *inspect.Report) {
	showText(v.headers, "Reading the message…")
	showText(v.body, "")
	go func() {
		raw, err := e.load()
		var segs []widget.RichTextSegment
		var body []widget.RichTextSegment
		if err == nil {
			segs, body = headerSegments(raw, r), bodySegments(raw, r)
		}
		v.u.post(func() {
			if v.entry != e {
				return // another message was chosen meanwhile
			}
			if err != nil {
				showText(v.headers, "Could not read the message again: "+err.Error())
				showText(v.body, "")
				return
			}
			v.headers.Segments = segs
			v.headers.Refresh()
			v.body.Segments = body
			v.body.Refresh()
		})
	}()
}

// allSteps is every step of every check, in the order a receiver works.
func allSteps(r *inspect.Report) []inspect.Step {
	var out []inspect.Step
	out = append(out, r.SPF.Steps...)
	for _, d := range r.DKIM {
		out = append(out, d.Steps...)
	}
	out = append(out, r.ARC.Steps...)
	out = append(out, r.DMARC.Steps...)
	return out
}

// claimsDoc is what each receiver claimed beside what Sealtrace finds now.
func claimsDoc(r *inspect.Report) *doc {
	d := &doc{}
	if len(r.Claims) == 0 {
		d.para(plain("No Authentication-Results field: no receiver recorded what it found."))
		return d
	}
	d.para(plain("What each receiving server wrote in its Authentication-Results, beside what Sealtrace finds now. " +
		"Only trusted receivers' fields can be believed; anything below them may have come with the message."))
	for _, c := range r.Claims {
		trust := "untrusted"
		if c.Trusted {
			trust = "trusted"
		}
		var props, ours, now *widget.TextSegment
		if c.Props != "" {
			props = plain(" — " + c.Props)
		}
		if c.Ours != "" {
			ours, now = plain("; Sealtrace now: "), strong(c.Ours)
		}
		d.item(strong(inspect.AuthservLabel(c.AuthservID)), plain(" said "+c.Method+"="), strong(c.Result), plain(" ("+trust+")"), props, ours, now)
		if c.Comparison != "" {
			d.para(plain(c.Comparison))
		}
	}
	return d
}

// headerSegments shows the raw header section; fields covered by a DKIM or
// ARC-Message-Signature h= are bold and marked.
func headerSegments(raw []byte, r *inspect.Report) []widget.RichTextSegment {
	covered := map[string][]string{}
	for _, d := range r.DKIM {
		for _, h := range d.SignedHeaders {
			covered[strings.ToLower(h)] = appendUnique(covered[strings.ToLower(h)], "DKIM "+d.Domain)
		}
	}
	for _, a := range r.ARC.Sets {
		for _, h := range a.SignedHeaders {
			covered[strings.ToLower(h)] = appendUnique(covered[strings.ToLower(h)], fmt.Sprintf("ARC %d %s", a.Instance, a.Domain))
		}
	}
	end := bytes.Index(raw, []byte("\r\n\r\n"))
	if end < 0 {
		end = len(raw)
	}
	var segs []widget.RichTextSegment
	segs = append(segs, &widget.TextSegment{Text: "Fields in colour are covered by a DKIM signature or an ARC-Message-Signature (their h= lists).", Style: widget.RichTextStyleParagraph})
	for _, line := range strings.Split(string(raw[:end]), "\r\n") {
		name, _, _ := strings.Cut(line, ":")
		style := widget.RichTextStyleCodeBlock
		by := covered[strings.ToLower(strings.TrimSpace(name))]
		if len(by) > 0 && line != "" && line[0] != ' ' && line[0] != '\t' {
			style.ColorName = theme.ColorNamePrimary // bold monospace has no font in the default theme
			line += "    ← signed by " + strings.Join(by, ", ")
		}
		segs = append(segs, &widget.TextSegment{Text: line, Style: style})
	}
	return segs
}

func appendUnique(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}
