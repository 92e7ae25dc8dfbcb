package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
)

// Layouts that hold at every window size: a minimum size for the window,
// the top bar on two rows when the window is narrow, and the sources above
// the list instead of beside it below narrowWidth.

// narrowWidth is the window width below which the sidebar of sources is
// stacked above the list and detail rather than beside them, and the search
// field gets a row of its own: beside them, the list would be too narrow
// for its check columns and the detail text would wrap every few letters.
const narrowWidth = 900

// minWindow is the smallest size at which every part keeps room to show
// what it says.
var minWindow = fyne.NewSize(640, 440)

// adaptive arranges the window's content for its width: it flips the main
// split's orientation and rebuilds the top bar when the width crosses
// narrowWidth.
type adaptive struct {
	main   *container.Split
	list   *container.Split // the list above the message view
	top    *fyne.Container  // holds wideTop or narrowTop
	wide   fyne.CanvasObject
	narrow fyne.CanvasObject
	state  int // 0: not laid out yet, 1: wide, 2: narrow
}

func (a *adaptive) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	state := 1
	if size.Width < narrowWidth {
		state = 2
	}
	if state != a.state {
		a.state = state
		if state == 1 {
			a.main.Horizontal, a.main.Offset = true, 0.16
			a.list.Offset = 0.35
			a.top.Objects = []fyne.CanvasObject{a.wide}
		} else {
			// Two sources in view above, and a list of a few rows: on a
			// short window the message view keeps half the height.
			a.main.Horizontal, a.main.Offset = false, 0.2
			a.list.Offset = 0.45
			a.top.Objects = []fyne.CanvasObject{a.narrow}
		}
		a.top.Refresh()
		a.list.Refresh()
		a.main.Refresh()
	}
	for _, o := range objs {
		o.Resize(size)
		o.Move(fyne.NewPos(0, 0))
	}
}

// MinSize is minWindow, whatever the wide layout would need: a window may
// always be made as small as minWindow (Fyne never lets a window be smaller
// than its content's minimum), and below narrowWidth the narrow layout is
// the one that must fit.
func (a *adaptive) MinSize([]fyne.CanvasObject) fyne.Size {
	return minWindow
}

// minSized is a transparent rectangle that gives a container a minimum size.
func minSized(s fyne.Size) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(s)
	return r
}

// scrollToTop brings every scroll container under o back to its top (and
// left): a new message is read from its beginning.
func scrollToTop(o fyne.CanvasObject) {
	switch x := o.(type) {
	case *container.Scroll:
		if x.Offset != (fyne.Position{}) {
			x.ScrollToOffset(fyne.Position{})
		}
		scrollToTop(x.Content)
	case *fyne.Container:
		for _, c := range x.Objects {
			scrollToTop(c)
		}
	case *container.Split:
		scrollToTop(x.Leading)
		scrollToTop(x.Trailing)
	case *container.AppTabs:
		for _, it := range x.Items {
			scrollToTop(it.Content)
		}
	}
}

// dialogSize is the size of a large dialog (file chooser, settings): most
// of the window, whatever its size.
func dialogSize(w fyne.Window) fyne.Size {
	s := w.Canvas().Size()
	return fyne.NewSize(max(s.Width*0.9, 400), max(s.Height*0.85, 300))
}
