package ui

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"regexp"
	"strconv"
	"strings"

	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sealtrace/sealtrace/inspect"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // decode the usual charsets
)

// bodyText returns the message's text for reading: the first text/plain
// part, else the first text/html part converted to text. Nothing is ever
// fetched (no remote content); encrypted parts are not shown here.
func bodyText(raw []byte) string {
	ent, err := message.Read(bytes.NewReader(raw))
	if ent == nil {
		return "(the body could not be read: " + errString(err) + ")"
	}
	var plain, htmlText string
	walk(ent, 0, &plain, &htmlText)
	switch {
	case plain != "":
		return plain
	case htmlText != "":
		return htmlToText(htmlText)
	}
	return "(no text part)"
}

const maxDepth = 20 // MIME nesting Sealtrace follows

func walk(e *message.Entity, depth int, plain, htmlText *string) {
	if depth > maxDepth || (*plain != "" && *htmlText != "") {
		return
	}
	t, _, _ := e.Header.ContentType()
	if mr := e.MultipartReader(); mr != nil {
		if t == "multipart/encrypted" {
			*plain = "(this message is encrypted: see the PGP view)"
			return
		}
		for {
			p, err := mr.NextPart()
			if err != nil {
				return
			}
			walk(p, depth+1, plain, htmlText)
		}
	}
	body, _ := io.ReadAll(io.LimitReader(e.Body, 4<<20))
	switch {
	case (t == "text/plain" || t == "") && *plain == "":
		*plain = string(body)
	case t == "text/html" && *htmlText == "":
		*htmlText = string(body)
	}
}

var (
	reScript = regexp.MustCompile(`(?is)<(script|style|head)[^>]*>.*?</(script|style|head)>`)
	reBreak  = regexp.MustCompile(`(?i)<(br|/p|/div|/tr|/h[1-6]|/li)[^>]*>`)
	reTag    = regexp.MustCompile(`(?s)<[^>]*>`)
	reBlank  = regexp.MustCompile(`\n{3,}`)
)

// htmlToText keeps the words of an HTML body and drops everything active.
func htmlToText(s string) string {
	s = reScript.ReplaceAllString(s, "")
	s = reBreak.ReplaceAllString(s, "\n")
	s = reTag.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	return strings.TrimSpace(reBlank.ReplaceAllString(s, "\n\n"))
}

func errString(err error) string {
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}

// maxUnsignedShown bounds the unsigned tail drawn in the Body tab.
const maxUnsignedShown = 64 << 10

// lengthLimited is the passing DKIM signature whose l= leaves body bytes
// unsigned (RFC 6376 8.2: anyone may append to such a body), or nil.
func lengthLimited(r *inspect.Report) *inspect.DKIMResult {
	if r == nil {
		return nil
	}
	for i := range r.DKIM {
		if d := &r.DKIM[i]; d.Result == inspect.Pass && d.UnsignedBytes > 0 {
			return d
		}
	}
	return nil
}

// splitAtLength splits a raw body (as in the message, after the blank line)
// where its canonical form (RFC 6376 3.4.3 simple, 3.4.4 relaxed) reaches
// l bytes: what the signature's l= covers, and what follows, unsigned. It
// reads the body once, whatever its bytes.
func splitAtLength(body []byte, l int64, relaxed bool) (signed, unsigned []byte) {
	if l <= 0 {
		return nil, body
	}
	var count int64 // canonical bytes so far
	for start := 0; start < len(body); {
		end := bytes.Index(body[start:], []byte("\r\n"))
		next := start + end + 2
		if end < 0 {
			end, next = len(body)-start, len(body)
		}
		line := body[start : start+end]
		// Canonical bytes of this line, and where in the raw line l falls.
		pending := false
		for i, c := range line {
			if relaxed && (c == ' ' || c == '\t') {
				pending = true // a run of WSP becomes one SP, dropped at line end (3.4.4)
				continue
			}
			if pending {
				count++
				pending = false
			}
			count++
			if count >= l {
				return body[:start+i+1], body[start+i+1:]
			}
		}
		count += 2 // CRLF
		if count >= l {
			return body[:next], body[next:]
		}
		start = next
	}
	return body, nil
}

// bodySegments is the Body tab: the message's text, and, when a passing
// DKIM signature leaves bytes unsigned (l=), a note and those bytes marked
// in the warning colour. A single text part without transfer encoding is
// shown as it is, split where the signature stops; otherwise the text is
// shown as usual and the unsigned bytes after it, as they are in the message.
func bodySegments(raw []byte, r *inspect.Report) []widget.RichTextSegment {
	text := bodyText(raw)
	d := lengthLimited(r)
	block := func(s string, warn bool) *widget.TextSegment {
		style := widget.RichTextStyleCodeBlock
		if warn {
			style.ColorName = theme.ColorNameWarning
		}
		return &widget.TextSegment{Text: s, Style: style}
	}
	if d == nil {
		return []widget.RichTextSegment{block(text, false)}
	}
	sep := bytes.Index(raw, []byte("\r\n\r\n"))
	if sep < 0 {
		return []widget.RichTextSegment{block(text, false)}
	}
	body := raw[sep+4:]
	relaxed := strings.HasSuffix(strings.ToLower(d.Canon), "/relaxed")
	signed, unsigned := splitAtLength(body, d.BodyLength, relaxed)
	note := &widget.TextSegment{Style: widget.RichTextStyleParagraph, Text: fmt.Sprintf(
		"⚠ The DKIM signature of %s covers only the first %d bytes of the body (l=): the last %d bytes, marked below, are not covered by the signature. Anyone on the way could have added them.",
		d.Domain, d.BodyLength, d.UnsignedBytes)}
	note.Style.ColorName = theme.ColorNameWarning
	tail := string(unsigned)
	if len(tail) > maxUnsignedShown {
		tail = tail[:maxUnsignedShown] + "\n… (" + strconv.Itoa(len(unsigned)-maxUnsignedShown) + " more bytes)"
	}
	tail = strings.ReplaceAll(tail, "\r\n", "\n")
	mark := block(fmt.Sprintf("── not covered by the signature (%d bytes) ──", len(unsigned)), true)
	if plainSinglePart(raw[:sep+2]) {
		return []widget.RichTextSegment{note, block(strings.ReplaceAll(string(signed), "\r\n", "\n"), false), mark, block(tail, true)}
	}
	return []widget.RichTextSegment{note, block(text, false), mark, block(tail, true)}
}

// plainSinglePart says whether a header section announces one text/plain
// part (or none) without a transfer encoding, whose raw bytes are its text.
func plainSinglePart(header []byte) bool {
	ent, err := message.Read(bytes.NewReader(append(append([]byte{}, header...), '\r', '\n')))
	if ent == nil || err != nil && !message.IsUnknownCharset(err) {
		return false
	}
	t, _, _ := ent.Header.ContentType()
	cte := strings.ToLower(strings.TrimSpace(ent.Header.Get("Content-Transfer-Encoding")))
	return (t == "" || t == "text/plain") && (cte == "" || cte == "7bit" || cte == "8bit")
}
