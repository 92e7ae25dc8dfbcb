package ui

import (
	"fmt"
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// reportChart is the messages reported per day as stacked bars, drawn with
// canvas rectangles: one bar per day, its segments from the bottom the
// messages that passed DMARC, those that failed with no action taken, and
// those that failed and were quarantined or rejected. Heights are
// proportional to the counts, against the busiest day; the chart fills
// whatever size it is given.
type reportChart struct {
	widget.BaseWidget
	days []dayCount
}

// The segments' colours, in stacking order (bottom first), and their
// legend.
var chartSegments = []struct {
	name   string
	colour color.Color
}{
	{"passed DMARC", resultColour("pass")},
	{"failed, delivered (p=none or a local override)", resultColour("softfail")},
	{"failed, quarantined or rejected", resultColour("fail")},
}

func newReportChart() *reportChart {
	c := &reportChart{}
	c.ExtendBaseWidget(c)
	return c
}

// set shows days (UI goroutine).
func (c *reportChart) set(days []dayCount) {
	c.days = days
	c.Refresh()
}

func (c *reportChart) MinSize() fyne.Size { return fyne.NewSize(240, 200) }

func (c *reportChart) CreateRenderer() fyne.WidgetRenderer {
	r := &chartRenderer{c: c}
	r.rebuild()
	return r
}

// chartRenderer keeps one group of three rectangles and a label per day, a
// baseline, the busiest day's count, and the legend.
type chartRenderer struct {
	c       *reportChart
	bars    [][3]*canvas.Rectangle
	labels  []*canvas.Text
	axis    *canvas.Line
	maxText *canvas.Text
	legend  []fyne.CanvasObject // swatch, text, swatch, text…
	objects []fyne.CanvasObject
	shown   []dayCount // what bars were built for
}

const (
	chartLegendH = 22
	chartLabelH  = 20
	chartLeft    = 56
)

func (r *chartRenderer) rebuild() {
	fg := theme.Color(theme.ColorNameForeground)
	r.shown = r.c.days
	r.bars, r.labels = nil, nil
	r.objects = nil
	r.axis = canvas.NewLine(theme.Color(theme.ColorNameDisabled))
	r.maxText = canvas.NewText("", fg)
	r.maxText.TextSize = theme.CaptionTextSize()
	r.maxText.Alignment = fyne.TextAlignTrailing
	r.objects = append(r.objects, r.axis, r.maxText)
	r.legend = nil
	for _, s := range chartSegments {
		sw := canvas.NewRectangle(s.colour)
		t := canvas.NewText(s.name, fg)
		t.TextSize = theme.CaptionTextSize()
		r.legend = append(r.legend, sw, t)
	}
	r.objects = append(r.objects, r.legend...)
	step := labelStep(len(r.shown))
	for i, d := range r.shown {
		var g [3]*canvas.Rectangle
		for k := range g {
			g[k] = canvas.NewRectangle(chartSegments[k].colour)
			r.objects = append(r.objects, g[k])
		}
		r.bars = append(r.bars, g)
		label := ""
		if i%step == 0 {
			label = d.day.UTC().Format("Jan 2")
		}
		t := canvas.NewText(label, fg)
		t.TextSize = theme.CaptionTextSize()
		t.Alignment = fyne.TextAlignCenter
		r.labels = append(r.labels, t)
		r.objects = append(r.objects, t)
	}
	if len(r.shown) == 0 {
		r.maxText.Text = "no aggregate reports"
	}
}

// labelStep labels every day when there are few, else every n-th.
func labelStep(n int) int {
	if n <= 14 {
		return 1
	}
	return (n + 13) / 14
}

func (r *chartRenderer) Layout(size fyne.Size) {
	// Legend along the top.
	x := float32(chartLeft)
	for i := 0; i < len(r.legend); i += 2 {
		sw, t := r.legend[i].(*canvas.Rectangle), r.legend[i+1].(*canvas.Text)
		sw.Move(fyne.NewPos(x, 5))
		sw.Resize(fyne.NewSize(12, 12))
		ts := t.MinSize()
		t.Move(fyne.NewPos(x+16, 11-ts.Height/2))
		t.Resize(ts)
		x += 16 + ts.Width + 18
	}
	plotTop := float32(chartLegendH + 8)
	plotBottom := size.Height - chartLabelH
	plotH := max(plotBottom-plotTop, 1)
	plotW := max(size.Width-chartLeft-8, 1)
	r.axis.Position1 = fyne.NewPos(chartLeft, plotBottom)
	r.axis.Position2 = fyne.NewPos(chartLeft+plotW, plotBottom)

	peak := int64(0)
	for _, d := range r.shown {
		peak = max(peak, d.total())
	}
	if len(r.shown) > 0 {
		r.maxText.Text = fmt.Sprintf("%d", peak)
	}
	ms := r.maxText.MinSize()
	r.maxText.Move(fyne.NewPos(chartLeft-6-ms.Width, plotTop-ms.Height/2))
	r.maxText.Resize(ms)

	n := len(r.shown)
	if n == 0 {
		return
	}
	group := plotW / float32(n)
	barW := max(group*0.7, 1)
	for i, d := range r.shown {
		left := chartLeft + group*float32(i) + (group-barW)/2
		// Whole pixels: segments that meet on a fraction of a pixel show a
		// seam of background between them.
		base := math.Round(float64(plotBottom))
		prev := float32(base)
		var cum int64
		for k, v := range []int64{d.pass, d.failed, d.blocked} {
			cum += v
			top := prev
			if peak > 0 {
				top = float32(math.Round(base - float64(cum)/float64(peak)*float64(plotH)))
			}
			rect := r.bars[i][k]
			rect.Move(fyne.NewPos(left, top))
			rect.Resize(fyne.NewSize(barW, prev-top))
			prev = top
		}
		t := r.labels[i]
		ts := t.MinSize()
		t.Move(fyne.NewPos(chartLeft+group*float32(i)+group/2-ts.Width/2, plotBottom+2))
		t.Resize(ts)
	}
}

func (r *chartRenderer) MinSize() fyne.Size { return r.c.MinSize() }

func (r *chartRenderer) Refresh() {
	if !sameDays(r.shown, r.c.days) {
		r.rebuild()
	}
	fg := theme.Color(theme.ColorNameForeground)
	for _, o := range r.objects {
		if t, ok := o.(*canvas.Text); ok {
			t.Color = fg
		}
	}
	r.Layout(r.c.Size())
	canvas.Refresh(r.c)
}

func sameDays(a, b []dayCount) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (r *chartRenderer) Objects() []fyne.CanvasObject { return r.objects }
func (r *chartRenderer) Destroy()                     {}
