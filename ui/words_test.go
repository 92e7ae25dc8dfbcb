package ui

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Without a reachable DNS server, the DANE lookup says DNS could not be
// reached (bogus means a proof failed, which did not happen); without a
// reachable web server, WKD says so in words, not with Go's error text.
func TestOfflineKeyLookupWords(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	u := newUI(a, w, newSerial(t).do)
	// A DNS server that is not there: a loopback port nobody listens on.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := pc.LocalAddr().String()
	pc.Close()
	a.Preferences().SetString(prefDNSMode, dnsServer)
	a.Preferences().SetString(prefDNSServer, dead)
	// No network: every connection fails as an offline machine's does.
	u.openpgp.wkdClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: func(context.Context, string, string) (net.Conn, error) {
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "openpgpkey.example.org", IsNotFound: true}}
		},
	}}
	d, _, _ := u.lookupKey("alice@example.org")
	got := richText(widget.NewRichText(d.segs...)) // not drawn: the UI goroutine draws

	if strings.Contains(strings.ToLower(got), "bogus") || !strings.Contains(got, "could not reach DNS") {
		t.Errorf("offline DANE lookup:\n%s", got)
	}
	for _, raw := range []string{"dial tcp", "Get \"https", "no such host", "lookup "} {
		if strings.Contains(got, raw) {
			t.Errorf("the lookup shows Go's error text %q:\n%s", raw, got)
		}
	}
}

// stepLines is each step of a RichText list: its word, the word's colour,
// and its sentence.
type stepLine struct {
	word, what string
	colour     fyne.ThemeColorName
}

func stepLines(r *widget.RichText) []stepLine {
	var out []stepLine
	for _, s := range r.Segments {
		l, ok := s.(*widget.ListSegment)
		if !ok {
			continue
		}
		for _, it := range l.Items {
			p, ok := it.(*widget.ParagraphSegment)
			if !ok || len(p.Texts) < 2 {
				continue
			}
			w, _ := p.Texts[0].(*widget.TextSegment)
			what, _ := p.Texts[1].(*widget.TextSegment)
			if w != nil && what != nil {
				out = append(out, stepLine{w.Text, strings.TrimSpace(what.Text), w.Style.ColorName})
			}
		}
	}
	return out
}

// Trace steps speak their own small vocabulary: a question asked, a record
// fetched, a fact about a key carry no result word; result words (in
// capitals) are kept for results, each in its colour. No view shows
// Markdown escapes or report tokens ("unknown_key"), and the JSON report
// gives every step its kind.
func TestTraceWords(t *testing.T) {
	u, _ := newTestUI(t)
	e := u.entryByDemo(t, "spf-softfail")
	u.postAndWait(func() { u.selectEntry(e) })
	u.postAndWait(func() {
		lines := stepLines(u.view.trace.all)
		found := map[string]bool{}
		for _, l := range lines {
			switch {
			case strings.HasPrefix(l.what, "SPF asks"):
				found["question"] = true
				if l.word != "info" {
					t.Errorf("the SPF question is shown as %q", l.word)
				}
			case strings.HasPrefix(l.what, "Fetched") || strings.HasPrefix(l.what, "Looked for the SPF record"):
				found["lookup"] = true
				if l.word != "ok" && l.word != "info" {
					t.Errorf("a DNS lookup is shown as %q: %s", l.word, l.what)
				}
			}
			if l.word == "SOFTFAIL" && l.colour != theme.ColorNameWarning {
				t.Errorf("SOFTFAIL in colour %q", l.colour)
			}
			if (l.word == "FAIL" || l.word == "PERMERROR") && l.colour != theme.ColorNameError {
				t.Errorf("%s in colour %q", l.word, l.colour)
			}
			if l.word == "PASS" && l.colour != theme.ColorNameSuccess {
				t.Errorf("PASS in colour %q", l.colour)
			}
			found[l.word] = true
		}
		if !found["question"] || !found["lookup"] || !found["SOFTFAIL"] {
			t.Errorf("steps shown: %+v", lines)
		}
	})
	pgpMsg := u.entryByDemo(t, "pgp-notification")
	u.postAndWait(func() { u.selectEntry(pgpMsg) })
	u.postAndWait(func() {
		var pgpText *widget.RichText = u.view.pgp.status
		for _, l := range stepLines(pgpText) {
			if strings.Contains(l.what, "does not expire") || strings.Contains(l.what, "valid until") {
				if l.word != "info" {
					t.Errorf("a fact about the key is shown as %q", l.word)
				}
			}
		}
	})
	// Every demo message, every view: no escapes, no tokens.
	for _, e := range u.entries {
		u.postAndWait(func() { u.selectEntry(e) })
		waitFor(t, u, "the headers", func() bool { return !strings.Contains(richText(u.view.headers), "Reading the message") })
		u.postAndWait(func() {
			var all strings.Builder
			for _, r := range []*widget.RichText{u.view.steps, u.view.trace.all, u.view.claims, u.view.pgp.status} {
				all.WriteString(richText(r))
			}
			for _, n := range u.view.nodes {
				all.WriteString(n.title + "\n" + n.subtitle + "\n")
			}
			for col := 3; col < len(columns); col++ {
				cell := newBadgeCell()
				for i, x := range u.shown {
					if x == e {
						u.table.UpdateCell(widget.TableCellID{Row: i, Col: col}, cell)
					}
				}
				all.WriteString(cell.(*fyne.Container).Objects[2].(*fyne.Container).Objects[0].(*canvas.Text).Text + "\n")
			}
			for _, bad := range []string{`\<`, `\>`, `\[`, `\]`, `\_`, "unknown_", "— for —"} {
				if strings.Contains(all.String(), bad) {
					t.Errorf("%s: the views show %q", e.subject, bad)
				}
			}
		})
	}
	u.postAndWait(func() {
		js, err := e.report.JSON()
		if err != nil || !strings.Contains(string(js), `"kind":"info"`) || !strings.Contains(string(js), `"kind":"warn"`) {
			t.Errorf("the JSON report's steps have no kind: %s", js)
		}
	})
}
