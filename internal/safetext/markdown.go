package safetext

import "strings"

// MarkdownText returns s as CommonMark inline text that renders as exactly
// s, wherever inline text may stand: a paragraph, a heading, a list item or
// a table cell, at its start or after other text. It backslash-escapes
// (CommonMark 2.4) each ASCII punctuation character that can take part in
// markup: everything that opens emphasis, code, links, images, autolinks,
// raw HTML, entities, strikethrough, math or attributes, and "|" (GitHub
// Flavored Markdown 4.10 honours "\|" in table cells). ":" "@" and the "." of
// "www." are escaped so that GitHub's extended autolinks (bare "https://…",
// "www.…" and e-mail addresses) cannot match. What can only start a block
// ("-", "+", "=" first, "1." or "1)" after leading digits) is escaped there,
// and leading spaces are written as "&#32;" (no indented code block). The
// rest ("(" "," "/" "?" and quotes) stays as it is, so that prose and
// domain names stay readable in the raw file. Control characters are
// replaced as by [Terminal], so s stays on its line and the file is also
// safe to show in a terminal.
//
// Not for the inside of a code span or code block (see [MarkdownCode] and
// [MarkdownFence]), nor for a link destination or title.
func MarkdownText(s string) string {
	s = Terminal(s)
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	lead, digits := true, true // only spaces so far; only spaces and digits so far
	for i := 0; i < len(s); i++ {
		c := s[i]
		if lead && c == ' ' {
			b.WriteString("&#32;")
			continue
		}
		switch {
		case strings.IndexByte(alwaysEscaped, c) >= 0,
			lead && (c == '-' || c == '+' || c == '='),
			digits && !lead && (c == '.' || c == ')'),
			c == '.' && i >= 3 && strings.EqualFold(s[i-3:i], "www"):
			b.WriteByte('\\')
		}
		b.WriteByte(c)
		lead = false
		digits = digits && c >= '0' && c <= '9'
	}
	return b.String()
}

// alwaysEscaped is the ASCII punctuation that is markup wherever it stands.
const alwaysEscaped = "\\`*_[]<>&#|~:@${}"

// MarkdownCode returns s as a CommonMark code span (6.1): verbatim, in a
// backtick string one longer than the longest run of backticks in s. Line
// breaks and other control characters are replaced as by [Terminal]. An
// empty s is an empty string (CommonMark has no empty code span). Not for
// a table cell: GitHub's tables split cells at "|" even inside code spans.
func MarkdownCode(s string) string {
	s = Terminal(s)
	if s == "" {
		return ""
	}
	ticks := strings.Repeat("`", longestRun(s, '`')+1)
	// One space on each side is stripped (6.1), unless the content is only
	// spaces, so content that begins or ends with a backtick or a space
	// keeps it.
	if strings.Trim(s, " ") != "" && (s[0] == '`' || s[len(s)-1] == '`' || s[0] == ' ' || s[len(s)-1] == ' ') {
		s = " " + s + " "
	}
	return ticks + s + ticks
}

// MarkdownFence returns s as a fenced code block (CommonMark 4.5) whose
// every line starts with indent (the content indentation of the list item
// it belongs to, or ""). The fence is at least three backticks and longer
// than the longest run of backticks in s, so no line of s can close it; a
// "~~~" line cannot close a backtick fence either. Control characters other
// than line breaks are replaced as by [TerminalLines]. The block ends with a
// line break.
func MarkdownFence(s, indent string) string {
	s = strings.TrimRight(TerminalLines(s), "\n")
	fence := strings.Repeat("`", max(3, longestRun(s, '`')+1))
	var b strings.Builder
	b.Grow(len(s) + 2*len(fence) + 16)
	b.WriteString(indent + fence + "\n")
	for _, line := range strings.Split(s, "\n") {
		b.WriteString(indent + line + "\n")
	}
	b.WriteString(indent + fence + "\n")
	return b.String()
}

// longestRun is the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}
