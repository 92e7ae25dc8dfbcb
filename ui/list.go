package ui

import (
	"image/color"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealtrace/sealtrace/inspect"
)

// The message list: a virtualized table (only visible rows have widgets),
// columns date, from, subject and a badge per check.

var columns = []struct {
	title string
	width float32
}{
	{"Date", 140}, {"From", 230}, {"Subject", 300}, {"SPF", 80}, {"DKIM", 80}, {"DMARC", 80}, {"ARC", 80}, {"PGP", 90},
}

var filterNames = []string{"All", "DMARC fail", "DKIM fail", "SPF fail", "ARC present", "Not inspectable"}

// resultColour is the colour of a result word: green for pass, red for
// failures, amber for the in-between words, grey for none.
func resultColour(r string) color.Color {
	switch r {
	case inspect.Pass:
		return color.NRGBA{R: 0x2e, G: 0xa0, B: 0x43, A: 0xff}
	case inspect.Fail, inspect.PermError:
		return color.NRGBA{R: 0xd1, G: 0x24, B: 0x2f, A: 0xff}
	case inspect.SoftFail, inspect.Neutral, inspect.TempError, inspect.Policy, dkimRisky:
		return color.NRGBA{R: 0xd9, G: 0x8a, B: 0x00, A: 0xff}
	}
	return color.NRGBA{R: 0x8c, G: 0x95, B: 0x9f, A: 0xff}
}

// badgeCell is a table cell: text on a coloured background for the check
// columns, plain text for the others; behind it the row's highlight. Fyne's
// Table selects one cell, but a message is a row: every cell of the chosen
// row draws the selection colour itself.
func newBadgeCell() fyne.CanvasObject {
	row := canvas.NewRectangle(theme.Color(theme.ColorNameSelection))
	row.Hide()
	bg := canvas.NewRectangle(color.Transparent)
	bg.CornerRadius = 4
	txt := canvas.NewText("", theme.Color(theme.ColorNameForeground))
	txt.TextSize = theme.TextSize()
	return container.NewStack(row, bg, container.NewPadded(txt))
}

// messageTable is the list: a Table whose arrow, Home and End keys select
// (and show) a message, rather than only moving the focus ring; Escape
// clears the search.
type messageTable struct {
	widget.Table
	u      *UI
	widths []float32 // the columns' widths now (columnWidths)
	selCol int       // the cell Fyne marks itself: the row's highlight skips it
}

// TypedKey moves the selection with the arrow keys; other keys are the
// Table's.
func (t *messageTable) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyUp, fyne.KeyDown, fyne.KeyHome, fyne.KeyEnd, fyne.KeyEscape:
		t.u.typedKey(ev)
		return
	case fyne.KeyReturn, fyne.KeyEnter:
		// Enter opens the focused row, as Space does.
		ev = &fyne.KeyEvent{Name: fyne.KeySpace, Physical: ev.Physical}
	}
	t.Table.TypedKey(ev)
}

// Resize gives the spare width to the From and Subject columns, so that at
// any width the check columns stay in view and a wide window shows more of
// each address and subject.
func (t *messageTable) Resize(size fyne.Size) {
	t.setWidths(size.Width)
	t.Table.Resize(size)
}

// Refresh follows a change of the text size (a theme change refreshes the
// list at the same size): the columns are measured again.
func (t *messageTable) Refresh() {
	t.setWidths(t.Size().Width)
	t.Table.Refresh()
}

func (t *messageTable) setWidths(total float32) {
	t.widths = columnWidths(total)
	for i, w := range t.widths {
		t.SetColumnWidth(i, w)
	}
}

// columnWidths shares a width among the columns: Date and the check columns
// keep their width; From and Subject share what is left (3:4), never
// narrower than minFrom and minSubject.
func columnWidths(total float32) []float32 {
	// The widths are for the default text size; the text-size setting
	// scales them with the text (a date at 150% is 150% as wide).
	k := theme.TextSize() / theme.DefaultTheme().Size(theme.SizeNameText)
	minFrom, minSubject := 140*k, 170*k
	ws := make([]float32, len(columns))
	fixed := float32(0)
	for i, c := range columns {
		ws[i] = c.width * k
		if i != 1 && i != 2 {
			fixed += c.width
		}
	}
	// Each column is followed by a divider; leave room for the scroll bar.
	spare := total - fixed - float32(len(columns))*theme.Padding() - 2*theme.ScrollBarSize()
	ws[1] = max(minFrom, spare*3/7)
	ws[2] = max(minSubject, spare-ws[1])
	return ws
}

func newMessageTable(u *UI) *messageTable {
	t := &messageTable{u: u}
	t.Length = func() (int, int) { return len(u.shown), len(columns) }
	t.CreateCell = newBadgeCell
	t.UpdateCell = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Row >= len(u.shown) {
			return
		}
		e := u.shown[id.Row]
		stack := o.(*fyne.Container)
		row := stack.Objects[0].(*canvas.Rectangle)
		row.FillColor = theme.Color(theme.ColorNameSelection)
		row.Hidden = id.Row != u.selRow || id.Col == t.selCol
		bg := stack.Objects[1].(*canvas.Rectangle)
		txt := stack.Objects[2].(*fyne.Container).Objects[0].(*canvas.Text)
		bg.FillColor = color.Transparent
		txt.Color = theme.Color(theme.ColorNameForeground)
		txt.TextStyle = fyne.TextStyle{}
		txt.TextSize = theme.TextSize() // a cell made before a text-size change keeps its old size otherwise
		switch id.Col {
		case 0:
			txt.Text = ""
			if !e.date.IsZero() {
				txt.Text = e.date.UTC().Format("2006-01-02 15:04")
			}
		case 1:
			txt.Text = clipToWidth(e.from, t.widths[1], txt.TextSize)
		case 2:
			subject := e.subject
			if e.attached {
				subject = "↳ attached: " + subject
			}
			txt.Text = clipToWidth(subject, t.widths[2], txt.TextSize)
		default:
			word := e.badge(columns[id.Col].title)
			txt.Text = wordsOf(word)
			if e.sum != nil && e.sum.Error != "" {
				txt.Text = "error"
				word = inspect.PermError
			}
			colourWord := word
			if columns[id.Col].title == "PGP" {
				colourWord = pgpColourWord(word)
			}
			if word != "…" && word != "" {
				bg.FillColor = resultColour(colourWord)
				txt.Color = color.White
				txt.TextStyle = fyne.TextStyle{Bold: true}
			}
		}
		row.Refresh()
		bg.Refresh()
		txt.Refresh()
	}
	t.ExtendBaseWidget(t)
	t.ShowHeaderRow = true
	t.CreateHeader = func() fyne.CanvasObject { return widget.NewButton("", nil) }
	t.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		b := o.(*widget.Button)
		if id.Col < 0 {
			b.SetText("")
			return
		}
		title := columns[id.Col].title
		if u.sortBy == id.Col+1 {
			title += " ▲"
		} else if u.sortBy == -(id.Col + 1) {
			title += " ▼"
		}
		b.SetText(title)
		col := id.Col
		b.OnTapped = func() { u.sortOn(col) }
	}
	t.setWidths(0)
	t.OnSelected = func(id widget.TableCellID) {
		if id.Row >= 0 && id.Row < len(u.shown) {
			u.selRow, t.selCol = id.Row, id.Col
			if e := u.shown[id.Row]; e != u.selected || u.view.entry != e {
				u.selectEntry(e)
			}
			t.Refresh() // the row's highlight
			u.showViewing()
		}
	}
	return t
}

// clipToWidth shortens s with an ellipsis until it fits a column of the
// given width (less the cell's padding).
func clipToWidth(s string, width, size float32) string {
	room := width - 2*theme.Padding()
	if fyne.MeasureText(s, size, fyne.TextStyle{}).Width <= room {
		return s
	}
	r := []rune(s)
	lo, hi := 0, len(r) // the longest prefix that fits, by bisection
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if fyne.MeasureText(string(r[:mid])+"…", size, fyne.TextStyle{}).Width <= room {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return string(r[:lo]) + "…"
}

func clipText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// sortOn sorts by a column; a second tap reverses.
func (u *UI) sortOn(col int) {
	if u.sortBy == col+1 {
		u.sortBy = -(col + 1)
	} else {
		u.sortBy = col + 1
	}
	u.refilter()
}

// refilter recomputes the shown rows from source, filter, search and sort
// (UI goroutine).
func (u *UI) refilter() {
	shown := u.shown[:0]
	for _, e := range u.entries {
		if u.source != "" && e.source != u.source {
			continue
		}
		if !matchesFilter(e, u.filter) {
			continue
		}
		if !matchesSearch(e, u.query) || !u.inGroup(e) {
			continue
		}
		shown = append(shown, e)
	}
	if u.sortBy != 0 {
		col, desc := u.sortBy-1, false
		if u.sortBy < 0 {
			col, desc = -u.sortBy-1, true
		}
		sort.SliceStable(shown, func(i, j int) bool {
			less := sortKey(shown[i], col) < sortKey(shown[j], col)
			if desc {
				return sortKey(shown[j], col) < sortKey(shown[i], col)
			}
			return less
		})
	}
	u.shown = shown
	u.table.Refresh()
	u.syncSelection()
	u.updateCount()
	u.showViewing()
}

// refilterTop is refilter after a change of source, filter or search: the
// list starts again at its top, never on a half-hidden row.
func (u *UI) refilterTop() {
	u.refilter()
	u.table.scrollToTop()
}

// scrollToTop shows the first row. (Table.ScrollToTop sets the offset but
// does not move the scrolled cells, which stayed where they were until the
// next scroll: ScrollToOffset moves both.)
func (t *messageTable) scrollToTop() {
	t.ScrollToOffset(fyne.Position{})
}

// syncSelection keeps the highlighted row on the message shown (UI
// goroutine): after a change of source, filter, search or sort the message
// stays selected at its new row; when it is no longer listed (or none was
// chosen yet), the first listed message is selected and shown; with no row
// listed, the message view is emptied.
func (u *UI) syncSelection() {
	if u.selected != nil {
		for i, e := range u.shown {
			if e == u.selected {
				if u.selRow != i {
					u.selRow = i
					u.table.Select(widget.TableCellID{Row: i, Col: 2})
					u.table.Refresh() // the row's highlight moved
				}
				return
			}
		}
	}
	if len(u.shown) == 0 {
		u.table.UnselectAll()
		u.selRow, u.selected = -1, nil
		u.view.clear()
		return
	}
	// Selecting the cell already selected calls no OnSelected: show the
	// message here, then highlight its row.
	u.selectEntry(u.shown[0])
	u.selRow = 0
	u.table.Select(widget.TableCellID{Row: 0, Col: 2})
	u.table.scrollToTop()
	u.table.Refresh() // the row's highlight
}

func reportDomain(e *entry) string {
	if e.sum == nil {
		return ""
	}
	return e.sum.FromDomain
}

func sortKey(e *entry, col int) string {
	switch col {
	case 0:
		return e.date.UTC().Format("20060102150405")
	case 1:
		return strings.ToLower(e.from)
	case 2:
		return strings.ToLower(e.subject)
	}
	return e.badge(columns[col].title)
}

func matchesFilter(e *entry, f string) bool {
	s := e.sum
	switch f {
	case "DMARC fail":
		return s != nil && s.DMARC == inspect.Fail
	case "DKIM fail":
		return s != nil && s.Signatures > 0 && s.DKIM != inspect.Pass && s.DKIM != dkimRisky
	case "SPF fail":
		return s != nil && (s.SPF == inspect.Fail || s.SPF == inspect.SoftFail)
	case "ARC present":
		return s != nil && s.ARCSets > 0
	case "Not inspectable":
		return s != nil && s.Error != ""
	}
	return matchesSupportFilter(e, f)
}
