package ui

import (
	"fmt"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/sealtrace/sealtrace/inspect"
)

// What a support engineer needs besides the list (issue 13): a search over
// what tickets quote (the sending IP, DKIM d= and s=, Message-ID,
// Return-Path, queue ids), filters for the warnings, an "n of N shown"
// count, and a folder summary whose groups are filters.

// supportState is the UI goroutine's state of these views.
type supportState struct {
	count     *widget.Label // "n of N shown"
	noResults *widget.Label // over the table when nothing matches
	group     *entryGroup   // the summary group shown, nil: none
	groupBar  *fyne.Container
	groupText *widget.Label
}

// The filters added to the list's: warnings, claims that differ, OpenPGP.
const (
	filterLength       = "Warning: l= (unsigned body)"
	filterSHA1         = "Warning: SHA-1 signature"
	filterSlowHop      = "Warning: slow hop"
	filterClockSkew    = "Warning: clock skew"
	filterClaimsDiffer = "Claims differ"
	filterPGP          = "OpenPGP"
)

func init() {
	filterNames = append(filterNames, filterLength, filterSHA1, filterSlowHop, filterClockSkew, filterClaimsDiffer, filterPGP)
}

// slowHopSeconds is the delay from which a hop counts as slow (as the
// Path draws it).
const slowHopSeconds = 10 * 60

// matchesSupportFilter answers the filters above; a message whose report is
// not read yet (a cached folder's) matches none of them.
func matchesSupportFilter(e *entry, f string) bool {
	r := e.report
	switch f {
	case filterPGP:
		return e.sum != nil && e.sum.PGP != ""
	case filterLength, filterSHA1, filterSlowHop, filterClockSkew, filterClaimsDiffer:
		if r == nil {
			return false
		}
	default:
		return true
	}
	switch f {
	case filterLength:
		for _, d := range r.DKIM {
			if d.BodyLength > 0 || d.UnsignedBytes > 0 {
				return true
			}
		}
	case filterSHA1:
		for _, d := range r.DKIM {
			if strings.Contains(strings.ToLower(d.Algorithm), "sha1") {
				return true
			}
		}
	case filterSlowHop:
		for _, h := range r.Hops {
			if h.DelaySeconds != nil && *h.DelaySeconds >= slowHopSeconds {
				return true
			}
		}
	case filterClockSkew:
		for _, h := range r.Hops {
			if h.ClockSkew {
				return true
			}
		}
	case filterClaimsDiffer:
		return claimsDiffer(r)
	}
	return false
}

// claimsDiffer says whether a receiver claimed a result Sealtrace does not
// find now.
func claimsDiffer(r *inspect.Report) bool {
	for _, c := range r.Claims {
		if claimDiffers(c) {
			return true
		}
	}
	return false
}

func claimDiffers(c inspect.Claim) bool {
	return c.Ours != "" && !strings.EqualFold(c.Ours, c.Result)
}

// haystack is what the search looks in: the row's words and, once the
// report is there, the sending IP and every hop's, each DKIM d= and s=,
// the Message-ID, the envelope sender (Return-Path) and the Received queue
// ids. Lower case.
func haystack(e *entry) string {
	var b strings.Builder
	b.WriteString(e.from + "\n" + e.subject + "\n" + reportDomain(e))
	if r := e.report; r != nil {
		for _, s := range []string{r.MessageID, r.SPF.IP, r.SPF.MailFrom, r.SPF.HELO, r.SPF.Domain} {
			b.WriteString("\n" + s)
		}
		for _, d := range r.DKIM {
			b.WriteString("\nd=" + d.Domain + "\ns=" + d.Selector)
		}
		for _, h := range r.Hops {
			b.WriteString("\n" + h.IP + "\n" + h.ID)
		}
	}
	return strings.ToLower(b.String())
}

// matchesSearch says whether every word of q is in e's haystack.
func matchesSearch(e *entry, q string) bool {
	if q == "" {
		return true
	}
	h := haystack(e)
	for _, w := range strings.Fields(q) {
		if !strings.Contains(h, w) {
			return false
		}
	}
	return true
}

// newSupport makes the count, the "no results" label and the group bar.
func (u *UI) newSupport() {
	s := &u.sup
	s.count = widget.NewLabel("")
	s.noResults = widget.NewLabel("")
	s.noResults.Alignment = fyne.TextAlignCenter
	s.noResults.Wrapping = fyne.TextWrapWord
	s.noResults.Importance = widget.WarningImportance
	s.noResults.Hide()
	s.groupText = widget.NewLabel("")
	s.groupText.Wrapping = fyne.TextWrapWord
	s.groupBar = container.NewBorder(nil, nil, nil, widget.NewButton("Show all", func() { u.setGroup(nil) }), s.groupText)
	s.groupBar.Hide()
}

// listPane is the table with, above it, the count, Re-check and Summary
// and the group shown, and the "no results" label over it.
func (u *UI) listPane() fyne.CanvasObject {
	bar := container.NewBorder(nil, nil, nil,
		container.NewHBox(widget.NewButton("Re-check…", u.recheckDialog), widget.NewButton("Summary…", u.summaryDialog)), u.sup.count)
	return container.NewBorder(container.NewVBox(bar, u.sup.groupBar), nil, nil, nil, container.NewStack(u.table, container.NewCenter(u.sup.noResults)))
}

// updateCount says how many rows are shown of the source's, and says so
// over the table when none is (UI goroutine).
func (u *UI) updateCount() {
	s := &u.sup
	if s.count == nil {
		return
	}
	total := 0
	for _, e := range u.entries {
		if u.source == "" || e.source == u.source {
			total++
		}
	}
	s.count.SetText(fmt.Sprintf("%d of %d shown", len(u.shown), total))
	if len(u.shown) == 0 && total > 0 {
		why := []string{}
		if u.query != "" {
			why = append(why, "the search “"+u.query+"”")
		}
		if u.filter != "" && u.filter != filterNames[0] {
			why = append(why, "the filter “"+u.filter+"”")
		}
		if s.group != nil {
			why = append(why, "the group “"+s.group.title+"”")
		}
		text := "No results"
		if len(why) > 0 {
			text += ": no message matches " + strings.Join(why, " and ")
		}
		s.noResults.SetText(text + ".")
		s.noResults.Show()
	} else {
		s.noResults.Hide()
	}
}

// entryGroup is a group of the folder summary: the failing messages that
// share a sending IP, a From domain or a reason.
type entryGroup struct {
	by      string // "Sending IP", "From domain", "Reason"
	key     string
	title   string
	members map[*entry]bool
}

// inGroup says whether e is in the group shown (all when none is).
func (u *UI) inGroup(e *entry) bool {
	return u.sup.group == nil || u.sup.group.members[e]
}

// setGroup shows one group in the list (nil: all) (UI goroutine).
func (u *UI) setGroup(g *entryGroup) {
	u.sup.group = g
	if g == nil {
		u.sup.groupBar.Hide()
	} else {
		u.sup.groupText.SetText(fmt.Sprintf("Showing the group %s (%d)", g.title, len(g.members)))
		u.sup.groupBar.Show()
	}
	u.refilter()
}

// failed says whether a message failed authentication as a receiver sees
// it: DMARC fail, or (without DMARC) an SPF or DKIM failure.
func failed(r *inspect.Report) bool {
	if r == nil || r.Error != "" {
		return false
	}
	if r.DMARC.Result == inspect.Fail {
		return true
	}
	if r.DMARC.Result == inspect.Pass {
		return false
	}
	if r.SPF.Result == inspect.Fail || r.SPF.Result == inspect.SoftFail {
		return true
	}
	for _, d := range r.DKIM {
		if d.Result == inspect.Fail || d.Result == inspect.PermError {
			return true
		}
	}
	return false
}

// failureReasons are the reasons a failing message failed, in words that
// group well: "DMARC fail (p=reject)", "DKIM: body_hash_mismatch", "SPF fail".
func failureReasons(r *inspect.Report) []string {
	var out []string
	if r.DMARC.Result == inspect.Fail {
		out = append(out, "DMARC fail (policy "+r.DMARC.Policy+")")
	}
	if r.SPF.Result == inspect.Fail || r.SPF.Result == inspect.SoftFail {
		out = append(out, "SPF "+r.SPF.Result)
	}
	for _, d := range r.DKIM {
		if d.Result == inspect.Pass || d.Result == inspect.None {
			continue
		}
		why := string(d.Code)
		if why == "" {
			why = d.Result
		}
		out = append(out, "DKIM "+why)
	}
	if len(r.DKIM) == 0 && r.DMARC.Result == inspect.Fail {
		out = append(out, "DKIM none (unsigned)")
	}
	return out
}

// summarizeFailures groups the failing messages of entries by sending IP,
// From domain and reason, biggest groups first.
func summarizeFailures(entries []*entry) (groups []*entryGroup, failing int) {
	byKey := map[string]*entryGroup{}
	add := func(by, key string, e *entry) {
		if key == "" {
			key = "(unknown)"
		}
		k := by + "\x00" + key
		g := byKey[k]
		if g == nil {
			g = &entryGroup{by: by, key: key, title: by + ": " + key, members: map[*entry]bool{}}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.members[e] = true
	}
	for _, e := range entries {
		r := e.report
		if !failed(r) {
			continue
		}
		failing++
		add("Sending IP", r.SPF.IP, e)
		add("From domain", r.FromDomain, e)
		for _, why := range failureReasons(r) {
			add("Reason", why, e)
		}
	}
	order := map[string]int{"Reason": 0, "Sending IP": 1, "From domain": 2}
	sort.SliceStable(groups, func(i, j int) bool {
		if groups[i].by != groups[j].by {
			return order[groups[i].by] < order[groups[j].by]
		}
		if len(groups[i].members) != len(groups[j].members) {
			return len(groups[i].members) > len(groups[j].members)
		}
		return groups[i].key < groups[j].key
	})
	return groups, failing
}

// summaryContent is the folder summary: each group a button that shows it
// in the list (and closes the summary through done).
func (u *UI) summaryContent(done func()) fyne.CanvasObject {
	var scope []*entry
	for _, e := range u.entries {
		if u.source == "" || e.source == u.source {
			scope = append(scope, e)
		}
	}
	groups, failing := summarizeFailures(scope)
	name := u.source
	if name == "" {
		name = "all sources"
	}
	box := container.NewVBox(widget.NewLabel(fmt.Sprintf("%s: %d of %d messages fail authentication. Choose a group to list it.", name, failing, len(scope))))
	last := ""
	for _, g := range groups {
		if g.by != last {
			box.Add(widget.NewLabelWithStyle("By "+strings.ToLower(g.by), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
			last = g.by
		}
		g := g
		b := widget.NewButton(fmt.Sprintf("%s — %d", g.key, len(g.members)), func() {
			u.setGroup(g)
			if done != nil {
				done()
			}
		})
		b.Alignment = widget.ButtonAlignLeading
		box.Add(b)
	}
	if failing == 0 {
		box.Add(widget.NewLabel("No message here fails authentication (or the reports are not read yet)."))
	}
	return container.NewVScroll(box)
}

// summaryDialog shows the folder summary. The reports of a folder opened
// from the IMAP cache are on disk until chosen: they are read first, off the
// UI goroutine, so that every failing message is counted.
func (u *UI) summaryDialog() {
	var unread []*entry
	for _, e := range u.entries {
		if (u.source == "" || e.source == u.source) && e.report == nil && e.loadReport != nil {
			unread = append(unread, e)
		}
	}
	if len(unread) == 0 {
		u.showSummary()
		return
	}
	u.status.SetText(fmt.Sprintf("Reading %s from the cache for the summary…", plural(len(unread), "report")))
	go func() {
		type got struct {
			e     *entry
			r     *inspect.Report
			plain []byte
		}
		var read []got
		for _, e := range unread {
			if r, plain, err := e.loadReport(); err == nil && r != nil {
				read = append(read, got{e, r, plain})
			}
		}
		u.post(func() {
			for _, g := range read {
				if g.e.report == nil {
					g.e.report, g.e.plain = g.r, g.plain // the list keeps the cached verdict words
				}
			}
			u.status.SetText("")
			u.showSummary()
		})
	}()
}

// showSummary opens the summary dialog (UI goroutine).
func (u *UI) showSummary() {
	var d dialog.Dialog
	d = dialog.NewCustom("Failures in this source", "Close", u.summaryContent(func() { d.Hide() }), u.win)
	d.Resize(fyne.NewSize(560, 520))
	d.Show()
}
