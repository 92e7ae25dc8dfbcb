// Package safetext is the one place where Sealtrace turns hostile text (from
// a message, a DNS answer or a server) into text for a destination that would
// otherwise read it as instructions: a terminal, a Markdown document, or a
// file name.
//
//   - A terminal obeys control characters: ESC starts a sequence that can
//     set the window title (ESC ] 0 ; … BEL), erase a line (ESC [ 2 K) or move
//     the cursor, so an RFC 2047 encoded Subject could overwrite "DMARC FAIL"
//     with "PASS". [Terminal] replaces every C0 and C1 control character (ECMA-48
//     5.2, 8-bit C1 included), DEL, invalid UTF-8 (a lone 0x9B byte is an 8-bit
//     CSI on some terminals) and the Unicode bidirectional overrides (which
//     reorder what a reader sees) with a visible stand-in.
//   - Markdown (CommonMark 0.31, with GitHub's tables and autolinks) turns
//     ![](url) into an image a viewer downloads, [t](url) and bare URLs into
//     links, "# " into a heading, and "|" into a table column.
//     [MarkdownText] escapes every ASCII punctuation character with a backslash
//     (CommonMark 2.4: "Any ASCII punctuation character may be
//     backslash-escaped"), which leaves nothing that can start markup, an
//     entity, an autolink or a table cell; [MarkdownFence] and [MarkdownCode]
//     quote text verbatim with a fence or backtick string longer than the
//     longest run inside it (CommonMark 4.5 and 6.1), so a line of three
//     backticks in a TXT record cannot close the block.
//   - A suggested file name is a path to whoever uses it: [FileName] keeps the
//     last element only, without leading dots, separators or control characters.
package safetext

import (
	"strings"
	"unicode/utf8"
)

// Terminal returns s for one line of a terminal: every control character
// (line breaks and tabs included) is replaced by a visible stand-in, so the
// result moves the cursor only forward and emits no escape sequence.
func Terminal(s string) string { return terminal(s, false) }

// TerminalLines is Terminal for text of several lines: "\n" is kept (a
// "\r\n" becomes "\n"), everything else is replaced as by Terminal.
func TerminalLines(s string) string { return terminal(s, true) }

func terminal(s string, lines bool) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i, w := 0, 0; i < len(s); i += w {
		r, n := utf8.DecodeRuneInString(s[i:])
		w = n
		switch {
		case lines && r == '\n':
			b.WriteByte('\n')
		case lines && r == '\r' && i+1 < len(s) && s[i+1] == '\n':
			// the "\n" follows
		case harmless(r, n):
			b.WriteString(s[i : i+n])
		default:
			b.WriteRune(standIn(r))
		}
	}
	return b.String()
}

// isPlain reports whether s has nothing Terminal would replace: the common
// case costs one pass and no allocation.
func isPlain(s string) bool {
	for i, w := 0, 0; i < len(s); i += w {
		if c := s[i]; c >= 0x20 && c < 0x7f {
			w = 1
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		w = n
		if !harmless(r, n) {
			return false
		}
	}
	return true
}

// harmless reports whether a terminal shows r (n bytes of input) as itself.
func harmless(r rune, n int) bool {
	return !(r == utf8.RuneError && n <= 1) && r >= 0x20 && !(r >= 0x7f && r <= 0x9f) && !isBidiControl(r)
}

// standIn is what a terminal shows instead of a harmful r: a Unicode
// Control Picture (U+2400 block) for C0 and DEL, else U+FFFD (C1, invalid
// UTF-8, which could be an 8-bit C1 control, and bidirectional controls).
func standIn(r rune) rune {
	switch {
	case r >= 0 && r < 0x20:
		return 0x2400 + r // ␀ … ␟: ESC shows as ␛
	case r == 0x7f:
		return 0x2421 // ␡
	}
	return utf8.RuneError
}

// isBidiControl reports the explicit directional embeddings, overrides and
// isolates (Unicode UAX #9 2.1-2.4): "invoice\u202Efdp.exe" reads as
// "invoiceexe.pdf". The marks LRM, RLM and ALM are harmless and kept.
func isBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}
