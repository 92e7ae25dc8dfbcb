package ui

import (
	"image"
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// visibleTexts calls f with every visible canvas.Text under o and its
// position in the window.
func visibleTexts(o fyne.CanvasObject, f func(*canvas.Text, fyne.Position)) {
	if o == nil || !o.Visible() {
		return
	}
	switch x := o.(type) {
	case *canvas.Text:
		f(x, fyne.CurrentApp().Driver().AbsolutePositionForObject(x))
	case *fyne.Container:
		for _, c := range x.Objects {
			visibleTexts(c, f)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			visibleTexts(c, f)
		}
	}
}

// textAt is where the visible text s is drawn under o (ok false: nowhere).
func textAt(o fyne.CanvasObject, s string) (pos fyne.Position, ok bool) {
	visibleTexts(o, func(t *canvas.Text, p fyne.Position) {
		if t.Text == s && !ok {
			pos, ok = p, true
		}
	})
	return pos, ok
}

func pixel(img image.Image, scale float32, p fyne.Position) color.NRGBA {
	return color.NRGBAModel.Convert(img.At(int(p.X*scale), int(p.Y*scale))).(color.NRGBA)
}

// The whole row of the chosen message is highlighted, not only the cell
// that was clicked: the Date cell of the chosen row is drawn in another
// colour than the Date cell of the row below it (Fyne's Table marks one
// cell; before, only the Subject cell was marked).
func TestWholeRowHighlighted(t *testing.T) {
	u, w := newTestUI(t)
	var sel, other fyne.Position
	u.postAndWait(func() {
		u.table.Select(widget.TableCellID{Row: 1, Col: 2})
	})
	u.postAndWait(func() {
		date := func(row int) fyne.Position {
			s := u.shown[row].date.UTC().Format("2006-01-02 15:04")
			p, ok := textAt(u.table, s)
			if !ok {
				t.Errorf("row %d's date %q is not drawn", row, s)
			}
			return p
		}
		// A point inside the Date cell, right of its text: the cell's
		// background, never a glyph.
		right := fyne.NewPos(u.table.widths[0]-theme.Padding()-6, 6)
		sel, other = date(1).Add(right), date(2).Add(right)
	})
	// Capture on the UI goroutine: it clears Fyne's caches, which the UI
	// goroutine uses.
	var img image.Image
	var scale float32
	u.postAndWait(func() { img, scale = w.Canvas().Capture(), w.Canvas().Scale() })
	a, b := pixel(img, scale, sel), pixel(img, scale, other)
	if a == b {
		t.Errorf("the chosen row's Date cell is drawn as the other rows' (%v): only one cell is highlighted", a)
	}
	// Choosing another row moves the highlight.
	u.postAndWait(func() { u.table.Select(widget.TableCellID{Row: 2, Col: 5}) })
	u.postAndWait(func() { img = w.Canvas().Capture() })
	if pixel(img, scale, sel) != b || pixel(img, scale, other) != a {
		t.Errorf("after choosing the next row: %v and %v, want %v and %v", pixel(img, scale, sel), pixel(img, scale, other), b, a)
	}
}

// A change of filter or search starts the list at its top: the first
// listed message is drawn at the first row, below the header, not scrolled
// off or half hidden.
func TestListScrollsToTopOnFilter(t *testing.T) {
	u, w := newTestUI(t)
	u.postAndWait(func() { w.Resize(fyne.NewSize(1280, 600)) })
	firstRowAtTop := func(when string) {
		t.Helper()
		u.postAndWait(func() {
			if len(u.shown) == 0 {
				t.Errorf("%s: nothing listed", when)
				return
			}
			head, _ := textAt(u.table, "Date")
			e := u.shown[0]
			p, ok := textAt(u.table, e.date.UTC().Format("2006-01-02 15:04"))
			tablePos := fyne.CurrentApp().Driver().AbsolutePositionForObject(u.table)
			if !ok || p.Y < head.Y || p.Y > tablePos.Y+u.table.Size().Height {
				t.Errorf("%s: the first row (%s) is not at the top of the list (drawn: %v at %v, header at %v)", when, e.subject, ok, p, head)
			}
			// The row drawn at the top is the first one: nothing above it
			// is half hidden under the header.
			if ok && p.Y-head.Y > 2*u.table.cellHeight() {
				t.Errorf("%s: the first row is %v below the header", when, p.Y-head.Y)
			}
		})
	}
	scrollDown := func() {
		u.postAndWait(func() { u.table.ScrollToBottom() })
	}
	scrollDown()
	u.postAndWait(func() { u.filterSel.SetSelected("ARC present") })
	firstRowAtTop("after choosing a filter")
	u.postAndWait(func() { u.filterSel.SetSelected("All") })
	scrollDown()
	u.postAndWait(func() { u.search.SetText("e") })
	firstRowAtTop("after typing a search")
}

// cellHeight is the height of a row of the list.
func (t *messageTable) cellHeight() float32 { return newBadgeCell().MinSize().Height }

// Every scrolled part of the message view starts at its top when another
// message is chosen: the Headers of a long message never open half way down.
func TestDetailsScrollToTopOnNewMessage(t *testing.T) {
	u, _ := newTestUI(t)
	var scrolls []*container.Scroll
	u.postAndWait(func() {
		var find func(o fyne.CanvasObject)
		find = func(o fyne.CanvasObject) {
			switch x := o.(type) {
			case *container.Scroll:
				scrolls = append(scrolls, x)
				find(x.Content)
			case *fyne.Container:
				for _, c := range x.Objects {
					find(c)
				}
			case *container.Split:
				find(x.Leading)
				find(x.Trailing)
			case *container.AppTabs:
				for _, it := range x.Items {
					find(it.Content)
				}
			}
		}
		find(u.view.tabs)
		if len(scrolls) < 4 {
			t.Errorf("only %d scrolled parts in the message view", len(scrolls))
		}
		for _, s := range scrolls {
			s.Offset = fyne.NewPos(0, 40) // as if the reader had scrolled
		}
		u.typedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	})
	u.postAndWait(func() {
		for i, s := range scrolls {
			if s.Offset.Y != 0 {
				t.Errorf("scrolled part %d stays at %v after a change of message", i, s.Offset)
			}
		}
	})
}

// Enter opens the row that has the keyboard focus, as Space does.
func TestEnterOpensFocusedRow(t *testing.T) {
	u, w := newTestUI(t)
	u.postAndWait(func() {
		w.Canvas().Focus(u.table)
		// Move only the focus ring (the Table's own keys), two rows down.
		u.table.Table.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
		u.table.Table.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	})
	u.postAndWait(func() {
		if u.selRow == 2 {
			t.Error("moving the focus ring already chose the row: the test proves nothing")
		}
		u.table.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	})
	u.postAndWait(func() {
		if u.selRow != 2 || u.view.entry != u.shown[2] {
			t.Errorf("Enter on row 2: row %d chosen, showing %s", u.selRow, subjectOf(u.view.entry))
		}
	})
}

// The layout holds from 700x500 to 1920x1080: From and Subject take the
// spare width, the check columns stay in view at 1024, the search field
// and the details keep a readable width at 700, where the sources go above
// the list instead of beside it.
func TestLayoutFollowsWindowSize(t *testing.T) {
	u, w := newTestUI(t)
	type shape struct {
		from, subject, arcRight, tableWidth, search, details float32
		sourcesBeside                                        bool
	}
	at := func(width, height float32) (s shape) {
		u.postAndWait(func() { w.Resize(fyne.NewSize(width, height)) })
		u.postAndWait(func() {
			d := fyne.CurrentApp().Driver()
			s.from, s.subject = u.table.widths[1], u.table.widths[2]
			right := float32(0)
			for i := 0; i <= 6; i++ { // Date … ARC
				right += u.table.widths[i] + 4
			}
			s.arcRight, s.tableWidth = right, u.table.Size().Width
			s.search = u.search.Size().Width
			s.details = u.view.tabs.Size().Width
			sp, tp := d.AbsolutePositionForObject(u.sourceList), d.AbsolutePositionForObject(u.table)
			s.sourcesBeside = tp.X > sp.X+u.sourceList.Size().Width/2
		})
		return s
	}
	big, mid, small := at(1920, 1080), at(1024, 700), at(700, 500)
	t.Logf("1920: %+v\n1024: %+v\n700: %+v", big, mid, small)
	if big.from <= 230 || big.subject <= 300 {
		t.Errorf("at 1920 From and Subject are %v and %v wide: they do not take the spare width", big.from, big.subject)
	}
	if mid.arcRight > mid.tableWidth {
		t.Errorf("at 1024 the ARC column ends at %v, beyond the list's %v", mid.arcRight, mid.tableWidth)
	}
	if small.search < 200 {
		t.Errorf("at 700 the search field is %v wide", small.search)
	}
	if small.details < 600 {
		t.Errorf("at 700 the details are %v wide", small.details)
	}
	if !big.sourcesBeside || !mid.sourcesBeside || small.sourcesBeside {
		t.Errorf("sources beside the list at 1920, 1024, 700: %v %v %v (want true true false)", big.sourcesBeside, mid.sourcesBeside, small.sourcesBeside)
	}
	// A real window is never smaller than its content's minimum: that
	// minimum must let it be 700x500.
	var min fyne.Size
	u.postAndWait(func() { min = w.Content().MinSize() })
	if min.Width < minWindow.Width || min.Height < minWindow.Height || min.Width > 700 || min.Height > 500 {
		t.Errorf("the window's minimum size is %v", min)
	}
}
