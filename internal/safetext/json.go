package safetext

import "fmt"

// JSON makes the output of encoding/json safe for a terminal without
// changing what it means: encoding/json escapes C0 controls (ESC included)
// but writes DEL, the C1 controls U+0080-U+009F (a terminal in UTF-8 mode
// can take U+009B for CSI) and the bidirectional overrides as they are.
// Those characters can only stand inside strings, so each is rewritten as
// its \uXXXX escape (RFC 8259 section 7); a decoder reads the same value.
func JSON(b []byte) []byte {
	if !hasRawControl(b) {
		return b
	}
	out := make([]byte, 0, len(b)+32)
	for i := 0; i < len(b); {
		if r, n := rawControl(b[i:]); n > 0 {
			out = fmt.Appendf(out, `\u%04x`, r)
			i += n
			continue
		}
		out = append(out, b[i])
		i++
	}
	return out
}

func hasRawControl(b []byte) bool {
	for i := range b {
		if _, n := rawControl(b[i:]); n > 0 {
			return true
		}
	}
	return false
}

// rawControl reports the control character b starts with, and its length
// in bytes (0 when it starts with none): DEL, C1 (UTF-8 C2 80-9F) or a
// bidirectional control (E2 80 AA-AE, E2 81 A6-A9).
func rawControl(b []byte) (rune, int) {
	switch {
	case b[0] == 0x7f:
		return 0x7f, 1
	case len(b) >= 2 && b[0] == 0xc2 && b[1] >= 0x80 && b[1] <= 0x9f:
		return rune(b[1]), 2
	case len(b) >= 3 && b[0] == 0xe2 && (b[1] == 0x80 || b[1] == 0x81):
		if r := rune(b[1]&0x3f)<<6 | rune(b[2]&0x3f) | 0x2000; b[2] >= 0x80 && b[2] <= 0xbf && isBidiControl(r) {
			return r, 3
		}
	}
	return 0, 0
}
