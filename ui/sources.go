package ui

import (
	"context"
	"fmt"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The sidebar of sources: a file opened twice is one source (choosing it
// again rather than reading it twice), every source but an IMAP folder can
// be removed, and the status bar says which source is being viewed.

// newSourceList is the sidebar: "All messages", then each source with a
// remove button (IMAP folders are removed with their account).
func (u *UI) newSourceList() *widget.List {
	l := widget.NewList(
		func() int { return len(u.sources) + 1 },
		func() fyne.CanvasObject {
			rm := widget.NewButtonWithIcon("", theme.ContentClearIcon(), nil)
			rm.Importance = widget.LowImportance
			return container.NewBorder(nil, nil, nil, rm, widget.NewLabel("source name here"))
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			c := o.(*fyne.Container)
			label, rm := c.Objects[0].(*widget.Label), c.Objects[1].(*widget.Button)
			if i == 0 {
				label.SetText("All messages")
				rm.Hide()
				return
			}
			name := u.sources[i-1]
			label.SetText(u.sourceLabel(name))
			if _, imap := u.accounts.folders[name]; imap {
				rm.Hide()
				return
			}
			rm.Show()
			rm.OnTapped = func() { u.removeSource(name) }
		})
	l.OnSelected = func(i widget.ListItemID) {
		u.source = ""
		if i > 0 && i <= len(u.sources) {
			u.source = u.sources[i-1]
			u.openFolder(u.source, nil)
		}
		u.refilterTop()
	}
	return l
}

// chooseSource selects a source in the sidebar and shows its first message
// (UI goroutine).
func (u *UI) chooseSource(name string) {
	for i, s := range u.sources {
		if s == name {
			if u.source == name {
				u.refilterTop() // already chosen: Select would do nothing
			}
			u.sourceList.Select(i + 1)
			return
		}
	}
	u.focusNext = name // still loading: chosen when its first rows arrive
}

// openMessages opens a file of messages; one already open is chosen again instead of being
// read a second time. Two files with the same name in different folders
// are told apart in the sidebar by a number.
func (u *UI) openMessages(path string) {
	if u.mainTabs != nil {
		u.mainTabs.SelectIndex(0)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	if u.files == nil {
		u.files = map[string]string{}
	}
	if name, ok := u.files[abs]; ok {
		u.chooseSource(name)
		return
	}
	name := baseName(path)
	for n := 2; u.sourceTaken(name); n++ {
		name = fmt.Sprintf("%s (%d)", baseName(path), n)
	}
	u.files[abs] = name
	u.focusNext = name
	u.startLoad(name, func(ctx context.Context, l *loader) { l.loadFileAs(ctx, path, name) }, nil)
}

// sourceTaken says whether a source of that name is listed or loading.
func (u *UI) sourceTaken(name string) bool {
	if contains(u.sources, name) {
		return true
	}
	for _, n := range u.files {
		if n == name {
			return true
		}
	}
	return false
}

// removeSource takes a source and its messages out of the app (UI
// goroutine). Nothing on disk changes.
func (u *UI) removeSource(name string) {
	var drop []*entry
	for _, e := range u.entries {
		if e.source == name {
			drop = append(drop, e)
		}
	}
	for i, s := range u.sources {
		if s == name {
			u.sources = append(u.sources[:i], u.sources[i+1:]...)
			break
		}
	}
	for p, n := range u.files {
		if n == name {
			delete(u.files, p)
		}
	}
	if u.focusNext == name {
		u.focusNext = ""
	}
	u.sourceList.Refresh()
	if u.source == name {
		u.source = ""
		u.sourceList.Select(0)
	}
	u.removeEntries(drop)
	u.status.SetText(fmt.Sprintf("Removed %s (%s) from the list; nothing on disk was changed.", name, plural(len(drop), "message")))
}

// viewingText is the status bar's name of what is shown: the source and the
// message's place in the list.
func (u *UI) viewingText() string {
	src := "All messages"
	if u.source != "" {
		src = u.source
	}
	if u.selected == nil || u.selRow < 0 {
		return src
	}
	s := fmt.Sprintf("%s · message %d of %d", src, u.selRow+1, len(u.shown))
	if u.source == "" {
		s += " · from " + u.selected.source
	}
	return s
}

// showViewing updates the status bar's source (UI goroutine).
func (u *UI) showViewing() {
	if u.viewing != nil {
		u.viewing.SetText(u.viewingText())
	}
}

// Open opens files as if chosen with Open… (any goroutine): the files
// named on the command line, so that the app serves as the system's "Open
// with". The last one is shown.
func (u *UI) Open(paths ...string) {
	u.post(func() {
		for _, p := range paths {
			u.openPath(p)
		}
	})
}
