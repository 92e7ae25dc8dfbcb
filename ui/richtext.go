package ui

import (
	"strings"

	"fyne.io/fyne/v2/widget"

	"github.com/sealtrace/sealtrace/inspect"
)

// Report text is built from RichText segments, never parsed as Markdown:
// Fyne's Markdown fetches the image of ![](url) and makes [t](url) a link,
// and a message, a DNS answer or a server can put either anywhere (a line of
// three backticks in a TXT record closes a code fence). Text from them only
// ever goes into a TextSegment's Text; no view makes a HyperlinkSegment or
// an ImageSegment.

// doc collects the segments of one RichText.
type doc struct {
	segs []widget.RichTextSegment
	list *widget.ListSegment // the list being added to, if the last segment is one
}

func (d *doc) add(s widget.RichTextSegment) {
	d.segs = append(d.segs, s)
	d.list = nil
}

// heading and subheading are a line in large or medium bold type.
func (d *doc) heading(text string) {
	d.add(&widget.TextSegment{Style: widget.RichTextStyleHeading, Text: text})
}

func (d *doc) subheading(text string) {
	d.add(&widget.TextSegment{Style: widget.RichTextStyleSubHeading, Text: text})
}

// para is a paragraph of runs: the runs, then an empty block segment that
// ends the line (as Fyne's own Markdown renderer ends a paragraph).
func (d *doc) para(runs ...*widget.TextSegment) {
	for _, r := range segments(runs) {
		d.add(r)
	}
	d.add(&widget.TextSegment{Style: widget.RichTextStyleParagraph})
}

// item is a bullet point of runs; consecutive items make one list.
func (d *doc) item(runs ...*widget.TextSegment) {
	if d.list == nil {
		d.add(&widget.ListSegment{})
		d.list = d.segs[len(d.segs)-1].(*widget.ListSegment)
	}
	d.list.Items = append(d.list.Items, &widget.ParagraphSegment{Texts: segments(runs)})
}

// code is a block of monospace text, line breaks kept.
func (d *doc) code(text string) {
	text = strings.TrimRight(strings.ReplaceAll(text, "\r", ""), "\n")
	d.add(&widget.TextSegment{Style: widget.RichTextStyleCodeBlock, Text: text})
}

// show puts the segments into r (UI goroutine).
func (d *doc) show(r *widget.RichText) {
	r.Segments = d.segs
	r.Refresh()
}

// showText puts one paragraph of plain text into r (UI goroutine).
func showText(r *widget.RichText, text string) {
	var d doc
	if text != "" {
		d.para(plain(text))
	}
	d.show(r)
}

func segments(runs []*widget.TextSegment) []widget.RichTextSegment {
	out := make([]widget.RichTextSegment, 0, len(runs))
	for _, r := range runs {
		if r != nil && r.Text != "" {
			out = append(out, r)
		}
	}
	return out
}

// plain, strong and emph are runs of text inside a paragraph or an item.
func plain(text string) *widget.TextSegment {
	return &widget.TextSegment{Style: widget.RichTextStyleInline, Text: text}
}

func strong(text string) *widget.TextSegment {
	return &widget.TextSegment{Style: widget.RichTextStyleStrong, Text: text}
}

func emph(text string) *widget.TextSegment {
	return &widget.TextSegment{Style: widget.RichTextStyleEmphasis, Text: text}
}

// steps adds steps as a list a trainee reads top to bottom, each step's
// evidence (DNS answers, signed fields) in a code block after it.
func (d *doc) steps(steps []inspect.Step) {
	for _, s := range steps {
		var rfc *widget.TextSegment
		if s.RFC != "" {
			rfc = emph(" (" + s.RFC + ")")
		}
		d.item(stepRun(s), plain(" "+s.What), rfc)
		if s.Detail != "" {
			d.code(s.Detail)
		}
	}
}
