package inspect

import (
	"bytes"
	"strings"
)

// Canonicalization (RFC 6376 3.4), shared by DKIM and ARC (RFC 8617 5.1
// and 5.2 use DKIM's algorithms).

const (
	canonSimple  = "simple"
	canonRelaxed = "relaxed"
)

// canonHeader returns the canonical form of one field, with its CRLF.
func canonHeader(raw []byte, relaxed bool) []byte {
	if !relaxed {
		return raw
	}
	colon := bytes.IndexByte(raw, ':')
	name := strings.ToLower(strings.TrimRight(string(raw[:colon]), " \t"))
	out := make([]byte, 0, len(raw))
	out = append(out, name...)
	out = append(out, ':')
	out = appendRelaxedValue(out, raw[colon+1:])
	return append(out, '\r', '\n')
}

// appendRelaxedValue unfolds v, turns every run of white space into one
// space and removes white space at both ends (RFC 6376 3.4.2).
func appendRelaxedValue(out, v []byte) []byte {
	start := len(out)
	space := false
	for _, c := range v {
		switch c {
		case '\r', '\n':
			continue
		case ' ', '\t':
			space = true
			continue
		}
		if space && len(out) > start {
			out = append(out, ' ')
		}
		space = false
		out = append(out, c)
	}
	return out
}

// canonBody returns the canonical body (RFC 6376 3.4.3, 3.4.4).
func canonBody(body []byte, relaxed bool) []byte {
	if !relaxed {
		// Remove empty lines at the end; an empty body becomes one CRLF.
		b := body
		for bytes.HasSuffix(b, []byte("\r\n")) {
			b = b[:len(b)-2]
		}
		out := make([]byte, 0, len(b)+2)
		out = append(out, b...)
		return append(out, '\r', '\n')
	}
	out := make([]byte, 0, len(body))
	for len(body) > 0 {
		line := body
		rest := []byte(nil)
		if i := bytes.Index(body, []byte("\r\n")); i >= 0 {
			line, rest = body[:i], body[i+2:]
		}
		space := false
		for _, c := range line {
			if c == ' ' || c == '\t' {
				space = true
				continue
			}
			if space {
				out = append(out, ' ')
				space = false
			}
			out = append(out, c)
		}
		out = append(out, '\r', '\n')
		body = rest
	}
	// Remove empty lines at the end (3.4.4 b).
	for bytes.HasSuffix(out, []byte("\r\n\r\n")) {
		out = out[:len(out)-2]
	}
	if bytes.Equal(out, []byte("\r\n")) {
		return out[:0]
	}
	return out
}
