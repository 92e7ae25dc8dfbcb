package inspect

import (
	"bufio"
	"bytes"
	"io"
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

var crlf = []byte("\r\n")

// relaxedClean tells whether relaxed canonicalization leaves line as it is:
// no tab, no run of spaces, no space at the end. The checks are vectorized,
// which makes most lines cost a copy.
func relaxedClean(line []byte) bool {
	n := len(line)
	return (n == 0 || line[n-1] != ' ') && !bytes.Contains(line, []byte("\t")) && !bytes.Contains(line, []byte("  "))
}

// appendRelaxedLine appends line with every run of white space made one
// space and white space at its end removed (RFC 6376 3.4.4 a).
func appendRelaxedLine(out, line []byte) []byte {
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
	return out
}

// canonBody returns the canonical body (RFC 6376 3.4.3, 3.4.4).
func canonBody(body []byte, relaxed bool) []byte {
	var b bytes.Buffer
	writeCanonBody(&b, body, relaxed)
	return b.Bytes()
}

// writeCanonBody writes the canonical body to w (a hash, usually) through a
// fixed buffer, so that no canonical copy of a large body is ever built, and
// returns its length.
func writeCanonBody(w io.Writer, body []byte, relaxed bool) int64 {
	bw := bufio.NewWriterSize(w, 32<<10)
	defer bw.Flush()
	if !relaxed {
		// Remove empty lines at the end; an empty body becomes one CRLF.
		for bytes.HasSuffix(body, crlf) {
			body = body[:len(body)-2]
		}
		bw.Write(body)
		bw.Write(crlf)
		return int64(len(body)) + 2
	}
	var n int64
	var scratch []byte
	pendingEmpty := 0 // empty lines are written only when content follows (3.4.4 b)
	for len(body) > 0 {
		line := body
		rest := []byte(nil)
		if i := bytes.Index(body, crlf); i >= 0 {
			line, rest = body[:i], body[i+2:]
		}
		body = rest
		if !relaxedClean(line) {
			scratch = appendRelaxedLine(scratch[:0], line)
			line = scratch
		}
		if len(line) == 0 {
			pendingEmpty++
			continue
		}
		for ; pendingEmpty > 0; pendingEmpty-- {
			bw.Write(crlf)
			n += 2
		}
		bw.Write(line)
		bw.Write(crlf)
		n += int64(len(line)) + 2
	}
	return n
}

// limitWriter passes on the first n bytes and drops the rest (l=).
type limitWriter struct {
	w io.Writer
	n int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.n <= 0 {
		return len(p), nil
	}
	q := p
	if int64(len(q)) > l.n {
		q = q[:l.n]
	}
	l.n -= int64(len(q))
	_, err := l.w.Write(q)
	return len(p), err
}
