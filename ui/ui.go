// Package ui is Sealtrace's desktop interface, built with Fyne: a sidebar of
// sources (the embedded demo mailbox, files opened or dropped, pasted
// headers), the message list with a badge per check, and the message view
// (the authentication path as a picture, the trace in plain sentences, the
// receivers' claims, the headers, the body as text).
//
// Package ui never creates the app (cmd/sealtrace does), so every view is
// testable with fyne.io/fyne/v2/test. Loading and inspection run off the UI
// goroutine; every widget change comes back through fyne.Do, and the slices
// behind the widgets are only changed inside it.
//
// Report text is never parsed as Markdown: views build RichText from segments
// (richtext.go), and text from a message, DNS or a server is only ever a
// TextSegment's Text, never a link or an image that Fyne would fetch.
package ui

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"github.com/sealtrace/sealtrace/mailbox"
	"github.com/sealtrace/sealtrace/pipeline"
	"github.com/sealtrace/sealtrace/resolver"
)

// UI is the main window's content and state.
type UI struct {
	app fyne.App
	win fyne.Window

	// Owned by the UI goroutine (changed only inside fyne.Do).
	entries   []*entry
	shown     []*entry // entries after the source, filter and sort
	sources   []string
	source    string // "" means all
	selected  *entry
	selRow    int               // the table row highlighted; -1: none
	focusNext string            // the source opened or pasted last: selected when its first rows arrive
	files     map[string]string // source name of each file opened, by absolute path
	filter    string
	query     string
	sortBy    int
	pasted    int
	openpgp   openpgpState    // keys, the passphrase, WKD (keys.go, pgpview.go)
	accounts  accountState    // IMAP accounts and their folders (accounts.go, imapload.go)
	watchCtx  context.Context // IDLE watchers and chosen messages' work run until the window closes
	stopWatch context.CancelFunc
	running   map[int]context.CancelFunc // loads under way, by number
	nextLoad  int

	sourceList *widget.List
	main       *container.Split // sources beside (or above) the list and detail
	filterSel  *widget.Select
	table      *messageTable
	search     *widget.Entry
	view       *messageView
	present    *presenter // presentation mode, when on (present.go)
	status     *widget.Label
	viewing    *widget.Label // which source and message are shown (sources.go)
	progress   *widget.ProgressBarInfinite
	cancelBtn  *widget.Button
	sup        supportState       // search count, summary groups (support.go)
	reports    *reportsView       // the Reports tab (reports.go)
	mainTabs   *container.AppTabs // Messages, Reports
	viewSplit  *container.Split   // list above the message view: laid out again when the view shows

	// loaded is closed when the demo mailbox is fully inspected (for tests).
	loaded chan struct{}
	// do runs a widget change on the UI goroutine, in the order posted:
	// fyne.Do. (Fyne's test driver runs fyne.Do on the caller's goroutine,
	// so the tests give one that serializes.)
	do     func(func())
	closed atomic.Bool // the window is closed: later changes are dropped
}

// openpgpState is what the OpenPGP views share (UI goroutine).
type openpgpState struct {
	// passphrase unlocks OpenPGP keys; memory only, this session only.
	passphrase []byte
	passGen    int           // which remembered passphrase is current
	passTTL    time.Duration // tests shorten how long it is kept
	keys       *keyStore     // the app's keyring, in its data folder
	wkdClient  *http.Client  // nil: the default (tests set one)
}

// accountState is what the IMAP views share: the folders in the sidebar are
// changed on the UI goroutine; creds, roots and cache are set at start.
type accountState struct {
	creds      mailbox.Credentials
	folders    map[string]folderRef  // IMAP folders in the sidebar, by source name
	folderInfo map[string]folderInfo // their unread counts and offline state
	imapRoots  *x509.CertPool        // nil: the system's (tests set one)
	cache      *mailbox.Cache        // IMAP messages on disk
}

// New builds the interface into w and starts loading the demo mailbox.
func New(a fyne.App, w fyne.Window) *UI { return newUI(a, w, fyne.Do) }

func newUI(a fyne.App, w fyne.Window, do func(func())) *UI {
	u := &UI{app: a, win: w, loaded: make(chan struct{}), do: do, selRow: -1}
	u.openpgp.keys = newKeyStore(filepath.Join(a.Storage().RootURI().Path(), "keys"))
	u.accounts.folders = map[string]folderRef{}
	u.accounts.folderInfo = map[string]folderInfo{}
	if dir, err := os.UserCacheDir(); err == nil {
		u.accounts.cache = &mailbox.Cache{Dir: filepath.Join(dir, "sealtrace", "imap"), MaxBytes: 2 << 30}
	}
	u.watchCtx, u.stopWatch = context.WithCancel(context.Background())
	w.SetOnClosed(func() {
		// Stop the watchers and the loads; what is posted later is dropped.
		// Nothing here waits: the UI goroutine must stay free to exit.
		u.closed.Store(true)
		u.stopWatch()
		u.cancelAll()
	})
	u.accounts.creds = &mailbox.Memory{}
	if mailbox.KeyringReachable() {
		u.accounts.creds = mailbox.OSKeyring{}
	}
	w.SetTitle("Sealtrace")
	applyStartTheme(a)
	w.SetContent(u.build())
	w.SetOnDropped(u.dropped)
	w.Canvas().SetOnTypedKey(u.typedKey)
	u.addShortcuts(w.Canvas())
	u.startDemo()
	accounts := u.savedAccounts()
	if _, noKeyring := u.accounts.creds.(*mailbox.Memory); noKeyring && len(accounts) > 0 && fileExists(u.sealedPath()) {
		u.askUnlock(accounts)
	} else {
		for _, s := range accounts {
			u.listFolders(s)
		}
	}
	return u
}

// Show sizes the window for the first start.
func (u *UI) Show() { u.win.Resize(fyne.NewSize(1280, 800)) }

func (u *UI) build() fyne.CanvasObject {
	u.sourceList = u.newSourceList()

	u.table = newMessageTable(u)
	u.view = newMessageView(u)
	u.newSupport()

	search := widget.NewEntry()
	u.search = search
	search.SetPlaceHolder("Search from, subject, domain…")
	search.OnChanged = func(s string) { u.query = strings.ToLower(s); u.refilterTop() }
	filter := widget.NewSelect(filterNames, func(s string) { u.filter = s; u.refilterTop() })
	filter.SetSelected(filterNames[0])
	u.filterSel = filter

	open := widget.NewButton("Open…", u.openDialog)
	paste := widget.NewButton("Paste headers…", u.pasteDialog)
	export := widget.NewButton("Export…", u.exportMenu)
	settings := widget.NewButton("Settings", u.settingsDialog)
	keys := widget.NewButton("Keys…", u.keysDialog)
	account := widget.NewButton("Add account…", u.addAccountDialog)
	present := widget.NewButton("Present", u.startPresentation)
	buttons := container.NewHBox(open, paste, account, export, present, keys, settings)
	searchRow := container.NewBorder(nil, nil, nil, filter, search)
	wideTop := container.NewBorder(nil, nil, buttons, nil, searchRow)
	narrowTop := container.NewVBox(buttons, searchRow)
	top := container.NewStack(wideTop)

	u.status = widget.NewLabel("")
	u.status.Wrapping = fyne.TextWrapWord // a long status (an error) wraps rather than running off a narrow window
	u.progress = widget.NewProgressBarInfinite()
	u.progress.Hide()
	u.cancelBtn = widget.NewButton("Cancel", u.cancelAll)
	u.cancelBtn.Hide()
	u.viewing = widget.NewLabel("")
	u.viewing.TextStyle = fyne.TextStyle{Bold: true}
	bottom := container.NewBorder(nil, nil, u.viewing, container.NewHBox(u.progress, u.cancelBtn), u.status)

	listAndView := container.NewVSplit(u.listPane(), u.view.content)
	listAndView.Offset = 0.35
	u.viewSplit = listAndView
	main := container.NewHSplit(u.sourceList, listAndView)
	main.Offset = 0.16
	u.main = main
	u.reports = newReportsView(u)
	u.mainTabs = container.NewAppTabs(container.NewTabItem("Messages", main), container.NewTabItem("Reports", u.reports.content))
	lay := &adaptive{main: main, list: listAndView, top: top, wide: wideTop, narrow: narrowTop}
	return container.New(lay, minSized(minWindow), container.NewBorder(top, bottom, nil, nil, u.mainTabs))
}

// startDemo loads the embedded demo mailbox.
func (u *UI) startDemo() {
	u.startLoad("Demo mailbox", func(ctx context.Context, l *loader) {
		cfg := u.config(nil)
		cfg.KeyFiles = nil // the demo decrypts with its own key, whatever the settings hold
		l.loadDemo(ctx, cfg)
	}, u.loaded)
	cfg := u.config(nil)
	cfg.KeyFiles = nil
	u.reports.loadDemo(cfg)
}

// startLoad runs one loading job in the background with progress and Cancel.
func (u *UI) startLoad(name string, work func(context.Context, *loader), done chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	if u.running == nil {
		u.running = map[int]context.CancelFunc{}
	}
	u.nextLoad++
	id := u.nextLoad
	u.running[id] = cancel
	u.progress.Show()
	u.cancelBtn.Show()
	u.status.SetText("Loading " + name + "…")
	inspected := 0
	pass := u.openpgp.passphrase
	l := &loader{
		life:    u.watchCtx,
		cache:   u.accounts.cache,
		maxBody: int64(u.app.Preferences().IntWithFallback(prefMaxBodyMB, defaultMaxBody>>20)) << 20,
		onRemove: func(es []*entry) {
			u.post(func() { u.removeEntries(es) })
		},
		onState: func(unread int, offline bool) {
			u.post(func() {
				u.accounts.folderInfo[name] = folderInfo{unread: unread, known: !offline, offline: offline}
				u.sourceList.Refresh()
			})
		},
		onEntries: func(es []*entry) {
			u.post(func() { u.addEntries(es) })
		},
		onReports: func(rs []reported) {
			u.post(func() {
				for _, x := range rs {
					x.e.setReport(x.r, x.plain)
					x.e.replay, x.e.cfg = x.replay, x.cfg
					if x.e == u.selected {
						u.view.show(x.e)
					}
				}
				inspected += len(rs)
				u.status.SetText(fmt.Sprintf("%s: %d inspected…", name, inspected))
				u.table.Refresh()
			})
		},
		onError: func(err error) {
			u.post(func() { dialog.ShowError(err, u.win) })
		},
		onDone: func(n int, took time.Duration) {
			u.post(func() {
				delete(u.running, id)
				if len(u.running) == 0 {
					u.progress.Hide()
					u.cancelBtn.Hide()
				}
				u.status.SetText(fmt.Sprintf("%s: %s inspected in %s", name, plural(n, "message"), took.Round(time.Millisecond)))
				u.refilter()
				if done != nil {
					close(done)
				}
			})
		},
	}
	// Every load ends with onDone, also one that failed before reading.
	var once sync.Once
	done0 := l.onDone
	l.onDone = func(n int, took time.Duration) { once.Do(func() { done0(n, took) }) }
	go func() {
		defer cancel()
		// The settings may name zone and key files: they are read in this
		// goroutine when the load needs them, never on the UI goroutine.
		l.makeEngine = func() *pipeline.Engine { return u.engine(u.config(pass)) }
		work(ctx, l)
		l.onDone(0, 0)
	}()
}

// typedKey moves through the list with the arrow keys when no text field
// has the focus (UI goroutine).
func (u *UI) typedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyF5 {
		u.startPresentation()
		return
	}
	if len(u.shown) == 0 {
		return
	}
	cur := -1
	for i, e := range u.shown {
		if e == u.selected {
			cur = i
		}
	}
	switch ev.Name {
	case fyne.KeyDown:
		cur = min(cur+1, len(u.shown)-1)
	case fyne.KeyUp:
		cur = max(cur-1, 0)
	case fyne.KeyHome:
		cur = 0
	case fyne.KeyEnd:
		cur = len(u.shown) - 1
	case fyne.KeyEscape:
		u.search.SetText("") // clears the search (OnChanged refilters)
		return
	default:
		return
	}
	u.table.Select(widget.TableCellID{Row: cur, Col: 2})
	u.table.ScrollTo(widget.TableCellID{Row: cur, Col: 0})
}

// addShortcuts: Ctrl+F (Cmd+F) focuses the search, Ctrl+1…6 show the
// message view's tabs.
func (u *UI) addShortcuts(c fyne.Canvas) {
	mod := fyne.KeyModifierShortcutDefault
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: mod}, func(fyne.Shortcut) { u.focusSearch() })
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyP, Modifier: mod}, func(fyne.Shortcut) { u.startPresentation() })
	// Ctrl+M and Ctrl+R switch between the Messages and Reports tabs, so a
	// lesson runs from the keyboard alone.
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyM, Modifier: mod}, func(fyne.Shortcut) { u.mainTabs.SelectIndex(0) })
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyR, Modifier: mod}, func(fyne.Shortcut) { u.mainTabs.SelectIndex(1) })
	for i, k := range []fyne.KeyName{fyne.Key1, fyne.Key2, fyne.Key3, fyne.Key4, fyne.Key5, fyne.Key6} {
		c.AddShortcut(&desktop.CustomShortcut{KeyName: k, Modifier: mod}, func(fyne.Shortcut) { u.showTab(i) })
	}
}

func (u *UI) focusSearch() { u.win.Canvas().Focus(u.search) }

// showTab shows the message view's tab i (0: Path … 5: PGP).
func (u *UI) showTab(i int) {
	if i < len(u.view.tabs.Items) {
		u.view.tabs.SelectIndex(i)
	}
}

// post runs f on the UI goroutine, after every change posted before it;
// once the window is closed, f is dropped.
func (u *UI) post(f func()) {
	if u.closed.Load() {
		return
	}
	u.do(func() {
		if !u.closed.Load() {
			f()
		}
	})
}

// cancelAll stops every load under way (UI goroutine).
func (u *UI) cancelAll() {
	for _, cancel := range u.running {
		cancel()
	}
}

// config is the pipeline configuration the settings describe (any
// goroutine): DNS, trust anchors, trusted receivers, and every OpenPGP key
// (the settings' key files and those imported through Keys…).
func (u *UI) config(passphrase []byte) pipeline.Config {
	p := u.app.Preferences()
	cfg := pipeline.Config{
		TrustedAuthservIDs: strings.Fields(p.String(prefTrusted)),
		TrustAnchorFile:    p.String(prefTrustAnchor),
		KeyFiles:           splitList(p.String(prefKeyFiles)),
		Passphrase:         passphrase,
	}
	switch p.StringWithFallback(prefDNSMode, dnsSystem) {
	case dnsServer:
		cfg.DNS, cfg.DNSServer = pipeline.DNSServer, p.String(prefDNSServer)
	case dnsZones:
		cfg.DNS, cfg.ZoneFiles = pipeline.DNSZones, splitList(p.String(prefZoneFiles))
	}
	stored, _ := filepath.Glob(filepath.Join(u.openpgp.keys.dir, "*.asc"))
	cfg.KeyFiles = append(cfg.KeyFiles, stored...)
	return cfg
}

// engine builds the pipeline of a load (any goroutine). A setting that
// cannot be used is said in the status bar and left out: keys that cannot
// be read, or a DNS source that cannot be made (then nothing resolves).
func (u *UI) engine(cfg pipeline.Config) *pipeline.Engine {
	eng, err := pipeline.New(cfg)
	if err == nil {
		return eng
	}
	noKeys := cfg
	noKeys.KeyFiles = nil
	if eng, err2 := pipeline.New(noKeys); err2 == nil {
		u.post(func() { u.status.SetText("OpenPGP keys: " + err.Error()) })
		return eng
	}
	offline := noKeys
	offline.Resolver = resolver.NewZones()
	eng, _ = pipeline.New(offline) // reads no file: cannot fail
	u.post(func() { u.status.SetText("DNS: " + err.Error() + " (using offline zones: nothing resolves)") })
	return eng
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, "\n") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// addEntries appends rows (UI goroutine).
func (u *UI) addEntries(es []*entry) {
	for _, e := range es {
		if !contains(u.sources, e.source) {
			u.sources = append(u.sources, e.source)
			u.sourceList.Refresh()
		}
	}
	u.entries = append(u.entries, es...)
	u.refilter()
	if u.focusNext != "" && len(es) > 0 && es[0].source == u.focusNext {
		// A file opened or headers pasted: show what the user just gave.
		u.focusNext = ""
		for i, name := range u.sources {
			if name == es[0].source {
				u.sourceList.Select(i + 1) // OnSelected: the source, its first message
			}
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// removeEntries takes rows out of the list: messages the server no longer
// has, or all of a folder recreated on the server (UI goroutine).
func (u *UI) removeEntries(es []*entry) {
	drop := make(map[*entry]bool, len(es))
	for _, e := range es {
		drop[e] = true
	}
	kept := u.entries[:0]
	for _, e := range u.entries {
		if !drop[e] {
			kept = append(kept, e)
		}
	}
	clear(u.entries[len(kept):])
	u.entries = kept
	if drop[u.selected] {
		u.selected = nil
	}
	u.refilter()
}

// folderInfo is what the sidebar says of an IMAP folder besides its name.
type folderInfo struct {
	unread  int
	known   bool // unread was counted
	offline bool
}

// sourceLabel is a source's line in the sidebar: an IMAP folder with its
// unread count, or marked offline.
func (u *UI) sourceLabel(name string) string {
	fi := u.accounts.folderInfo[name]
	switch {
	case fi.offline:
		return name + " (offline)"
	case fi.known && fi.unread > 0:
		return fmt.Sprintf("%s (%d unread)", name, fi.unread)
	}
	return name
}

// selectEntry shows a message in the view (UI goroutine).
func (u *UI) selectEntry(e *entry) {
	u.selected = e
	u.view.show(e)
	u.showViewing()
}

// openDialog opens .eml and .mbox files, and reports (.xml, .gz, .zip,
// .json, an .eml that carries one).
func (u *UI) openDialog() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			dialog.ShowError(err, u.win)
			return
		}
		if r == nil {
			return
		}
		path := r.URI().Path()
		r.Close()
		u.openPath(path)
	}, u.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".eml", ".mbox", ".mbx", ".txt", ".msg", ".xml", ".gz", ".zip", ".json", ""}))
	d.Resize(dialogSize(u.win))
	d.Show()
}

// openPath opens a file: reports go to the Reports view, the rest (and
// evidence bundles) to the message list.
func (u *UI) openPath(path string) {
	if u.reports.route(path, func() { u.openMessages(path) }) {
		return // a report: the Reports view
	}
	u.openMessages(path)
}

// dropped opens files dropped onto the window.
func (u *UI) dropped(_ fyne.Position, uris []fyne.URI) {
	for _, uri := range uris {
		if uri.Scheme() == "file" {
			u.openPath(uri.Path())
		}
	}
}

// pasteDialog inspects headers pasted from a ticket.
func (u *UI) pasteDialog() {
	text := widget.NewMultiLineEntry()
	text.SetPlaceHolder("Paste the raw header section (or the whole message) here.")
	text.SetMinRowsVisible(14)
	d := dialog.NewCustomConfirm("Paste headers", "Inspect", "Cancel", text, func(ok bool) {
		if !ok || strings.TrimSpace(text.Text) == "" {
			return
		}
		raw := []byte(text.Text)
		u.pasted++
		name := fmt.Sprintf("Pasted %d", u.pasted)
		u.focusNext = name
		u.startLoad(name, func(ctx context.Context, l *loader) { l.loadBytes(ctx, name, raw) }, nil)
	}, u.win)
	d.Resize(fyne.NewSize(700, 500))
	d.Show()
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// plural says "1 message", "2 messages".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
