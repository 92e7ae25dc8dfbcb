package ui

import (
	"bytes"
	"strings"
	"testing"

	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// A DKIM pass whose l= leaves bytes unsigned is "risky" in the list (amber,
// not the green of pass), and the Body tab marks the appended text as not
// covered by the signature, with a note that says so.
func TestLengthTagRisky(t *testing.T) {
	u, _ := newTestUI(t)
	e := u.entryByDemo(t, "length-tag-appended")
	u.postAndWait(func() {
		if got := e.badge("DKIM"); got != "risky" {
			t.Errorf("DKIM badge %q, want risky", got)
		}
		if resultColour(e.badge("DKIM")) != resultColour("softfail") {
			t.Errorf("the risky badge is not amber: %v", resultColour(e.badge("DKIM")))
		}
		if matchesFilter(e, "DKIM fail") {
			t.Error("a risky pass is listed as a DKIM fail")
		}
		u.selectEntry(e)
	})
	var segs []widget.RichTextSegment
	waitFor(t, u, "the body", func() bool { segs = u.view.body.Segments; return strings.Contains(richText(u.view.body), "prize") })
	u.postAndWait(func() {
		var warned, plainText, note string
		for _, s := range segs {
			ts, ok := s.(*widget.TextSegment)
			if !ok {
				continue
			}
			switch {
			case ts.Style.ColorName == theme.ColorNameWarning && ts.Style.Inline == false && strings.Contains(ts.Text, "not covered by the signature") && strings.Contains(ts.Text, "club.example"):
				note += ts.Text
			case ts.Style.ColorName == theme.ColorNameWarning:
				warned += ts.Text
			default:
				plainText += ts.Text
			}
		}
		if !strings.Contains(warned, "PS: claim your prize") || strings.Contains(warned, "Hello,") {
			t.Errorf("marked as unsigned: %q", warned)
		}
		if !strings.Contains(plainText, "Hello,") || strings.Contains(plainText, "prize") {
			t.Errorf("shown as signed: %q", plainText)
		}
		if note == "" {
			t.Errorf("no note says the bytes are not covered by the signature: %q", richText(u.view.body))
		}
	})
}

// splitAtLength finds where l= stops in the raw body, for simple and
// relaxed canonicalization (RFC 6376 3.4.3, 3.4.4).
func TestSplitAtLength(t *testing.T) {
	for _, c := range []struct {
		body    string
		l       int64
		relaxed bool
		signed  string
	}{
		{"abc\r\ndef\r\n", 5, false, "abc\r\n"},
		{"abc\r\ndef\r\n", 6, false, "abc\r\nd"},
		{"a  b \r\nPS\r\n", 5, true, "a  b \r\n"}, // relaxed: "a b\r\n"
		{"a\t\tb\r\nPS", 3, true, "a\t\tb"},
		{"abc", 10, false, "abc"},
		{"abc", 0, false, ""},
	} {
		s, u := splitAtLength([]byte(c.body), c.l, c.relaxed)
		if string(s) != c.signed || string(s)+string(u) != c.body {
			t.Errorf("splitAtLength(%q, %d, %v) = %q, %q; want %q signed", c.body, c.l, c.relaxed, s, u, c.signed)
		}
	}
}

func FuzzSplitAtLength(f *testing.F) {
	f.Add([]byte("a  b \r\nPS\r\n"), int64(5), true)
	f.Add([]byte("abc\r\ndef"), int64(6), false)
	f.Fuzz(func(t *testing.T, body []byte, l int64, relaxed bool) {
		s, u := splitAtLength(body, l, relaxed)
		if !bytes.Equal(append(append([]byte{}, s...), u...), body) {
			t.Fatalf("the halves are not the body")
		}
	})
}
