package safetext

import (
	"strings"
	"unicode/utf8"
)

// maxFileName is the longest name most file systems take, in bytes.
const maxFileName = 255

// FileName returns a name to suggest when saving something that a message
// named: only the last element of the path (after "/" or "\"), without
// control characters, bidirectional overrides or invalid UTF-8, without
// leading dots (no hidden file, no "..") and without leading or trailing
// spaces and dots (which Windows drops), with the characters Windows forbids
// replaced by "_", and at most 255 bytes (the extension kept). When nothing
// is left the name is fallback.
func FileName(name, fallback string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for i, w := 0, 0; i < len(name); i += w {
		r, n := utf8.DecodeRuneInString(name[i:])
		w = n
		switch {
		case r == utf8.RuneError && n <= 1, r < 0x20, r >= 0x7f && r <= 0x9f, isBidiControl(r):
			// dropped: nothing of it should reach a file system or a dialog
		case strings.ContainsRune(`<>:"|?*`, r):
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
	}
	name = strings.TrimLeft(b.String(), ". ")
	name = strings.TrimRight(name, ". ")
	if len(name) > maxFileName {
		ext := ""
		if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= 16 {
			ext = name[i:]
		}
		name = truncate(name[:len(name)-len(ext)], maxFileName-len(ext)) + ext
	}
	if name == "" || isDeviceName(name) {
		return fallback
	}
	return name
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// isDeviceName reports the names Windows keeps for devices, whatever the
// extension ("NUL.txt" is the device too).
func isDeviceName(name string) bool {
	base, _, _ := strings.Cut(strings.ToUpper(name), ".")
	switch base {
	case "CON", "PRN", "AUX", "NUL":
		return true
	}
	return len(base) == 4 && (strings.HasPrefix(base, "COM") || strings.HasPrefix(base, "LPT")) && base[3] >= '1' && base[3] <= '9'
}
