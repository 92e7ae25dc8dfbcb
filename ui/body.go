package ui

import (
	"bytes"
	"html"
	"io"
	"regexp"
	"strings"

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
