package safetext

import "strings"

// MarkdownText returns s as CommonMark inline text that renders as exactly
// s: every ASCII punctuation character is backslash-escaped (CommonMark 2.4),
// so nothing in s can open emphasis, a link or image, an autolink or a raw
// HTML tag, name an entity, start a heading, list or quote, or end a table
// cell (GitHub Flavored Markdown 4.10 honours "\|"). Escaping ":" "." and "@"
// also keeps GitHub's extended autolinks (bare "https://…", "www.…" and
// e-mail addresses) from matching. Control characters are replaced as by
// [Terminal], so s stays on its line and a Markdown file shown in a terminal
// is safe too.
//
// The result is safe anywhere inline text is: a paragraph, a heading, a
// list item or a table cell. It is not meant for the inside of a code span
// or code block (use [MarkdownCode] or [MarkdownFence]).
func MarkdownText(s string) string {
	s = Terminal(s)
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	for i := 0; i < len(s); i++ {
		if isASCIIPunct(s[i]) {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// isASCIIPunct is CommonMark's "ASCII punctuation character" (2.1).
func isASCIIPunct(c byte) bool {
	return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~')
}

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
