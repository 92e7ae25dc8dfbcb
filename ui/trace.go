package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/sealtrace/sealtrace/inspect"
)

// traceView shows every step of every check as plain sentences, or, in
// "step through" mode, one step at a time in large text for a class.
type traceView struct {
	content fyne.CanvasObject
	all     *widget.RichText
	one     *widget.RichText
	counter *widget.Label
	prev    *widget.Button
	next    *widget.Button
	mode    *widget.Check
	stack   *fyne.Container
	steps   []inspect.Step
	pos     int
}

func newTraceView() *traceView {
	t := &traceView{}
	t.all = widget.NewRichText()
	t.all.Wrapping = fyne.TextWrapWord
	t.one = widget.NewRichText()
	t.one.Wrapping = fyne.TextWrapWord
	t.counter = widget.NewLabel("")
	t.prev = widget.NewButton("◀ Previous", func() { t.go_(t.pos - 1) })
	t.next = widget.NewButton("Next ▶", func() { t.go_(t.pos + 1) })
	stepper := container.NewBorder(container.NewHBox(t.prev, t.next, t.counter), nil, nil, nil, container.NewVScroll(t.one))
	allScroll := container.NewVScroll(t.all)
	t.stack = container.NewStack(allScroll, stepper)
	stepper.Hide()
	t.mode = widget.NewCheck("Step through (one step at a time, large text)", func(on bool) {
		if on {
			allScroll.Hide()
			stepper.Show()
			t.go_(0)
		} else {
			stepper.Hide()
			allScroll.Show()
		}
	})
	t.content = container.NewBorder(t.mode, nil, nil, nil, t.stack)
	return t
}

func (t *traceView) set(steps []inspect.Step) {
	t.steps = steps
	traceDoc(steps).show(t.all)
	t.go_(0)
}

// traceDoc groups the steps by check.
func traceDoc(steps []inspect.Step) *doc {
	d := &doc{}
	last := ""
	for _, s := range steps {
		if s.Check != last {
			d.subheading(strings.ToUpper(s.Check))
			last = s.Check
		}
		d.steps([]inspect.Step{s})
	}
	return d
}

// go_ shows step i in step-through mode.
func (t *traceView) go_(i int) {
	if len(t.steps) == 0 {
		showText(t.one, "No steps.")
		t.counter.SetText("")
		t.prev.Disable()
		t.next.Disable()
		return
	}
	i = max(0, min(i, len(t.steps)-1))
	t.pos = i
	s := t.steps[i]
	var d doc
	d.heading(strings.ToUpper(s.Check) + ": " + stepWord(s))
	d.subheading(s.What)
	if s.RFC != "" {
		d.para(emph(s.RFC))
	}
	if s.Detail != "" {
		d.code(s.Detail)
	}
	d.show(t.one)
	t.counter.SetText(fmt.Sprintf("step %d of %d", i+1, len(t.steps)))
	if i == 0 {
		t.prev.Disable()
	} else {
		t.prev.Enable()
	}
	if i == len(t.steps)-1 {
		t.next.Disable()
	} else {
		t.next.Enable()
	}
}
