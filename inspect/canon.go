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

// writeCanonBody writes the canonical body to w (a hash, usually) and
// returns its length. No canonical copy of the body is built: runs of
// lines that canonicalization leaves alone (most of them) are written as
// they are, found with vectorized searches for what relaxed changes (a tab,
// two spaces, a space before CRLF).
func writeCanonBody(w io.Writer, body []byte, relaxed bool) int64 {
	cw := &countWriter{w: bufio.NewWriterSize(w, 32<<10)}
	defer cw.w.(*bufio.Writer).Flush()
	if !relaxed {
		// Remove empty lines at the end; an empty body becomes one CRLF.
		for bytes.HasSuffix(body, crlf) {
			body = body[:len(body)-2]
		}
		cw.Write(body)
		cw.Write(crlf)
		return cw.n
	}
	content := trimBlankTail(body)
	if len(content) == 0 {
		return 0
	}
	var scratch []byte
	next := [3]int{-2, -2, -2} // cached positions of the patterns below, -1 when none is left
	pats := [3][]byte{[]byte("\t"), []byte("  "), []byte(" \r\n")}
	pos := 0
	for pos < len(content) {
		dirty := -1
		for k, pat := range pats {
			if next[k] != -1 && next[k] < pos {
				if j := bytes.Index(content[pos:], pat); j < 0 {
					next[k] = -1
				} else {
					next[k] = pos + j
				}
			}
			if next[k] >= 0 && (dirty < 0 || next[k] < dirty) {
				dirty = next[k]
			}
		}
		if last := content[len(content)-1]; dirty < 0 && (last == ' ' || last == '\t') {
			dirty = len(content) - 1 // white space ending a last line without CRLF
		}
		if dirty < 0 {
			cw.Write(content[pos:])
			break
		}
		start := pos
		if k := bytes.LastIndex(content[pos:dirty], crlf); k >= 0 {
			start = pos + k + 2
		}
		end := len(content)
		if k := bytes.Index(content[dirty:], crlf); k >= 0 {
			end = dirty + k
		}
		cw.Write(content[pos:start]) // the clean lines before
		scratch = appendRelaxedLine(scratch[:0], content[start:end])
		cw.Write(scratch)
		if end < len(content) {
			cw.Write(crlf)
		}
		pos = end + 2
	}
	if !bytes.HasSuffix(content, crlf) {
		cw.Write(crlf)
	}
	return cw.n
}

// trimBlankTail returns body without its trailing lines that are empty or
// only white space (RFC 6376 3.4.4 b, after a).
func trimBlankTail(body []byte) []byte {
	end := len(body)
	for end > 0 {
		lineEnd := end
		if bytes.HasSuffix(body[:end], crlf) {
			lineEnd = end - 2
		}
		start := bytes.LastIndex(body[:lineEnd], crlf) + 2
		if start < 2 {
			start = 0
		}
		if len(bytes.Trim(body[start:lineEnd], " \t")) > 0 {
			return body[:end]
		}
		end = start
	}
	return body[:0]
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.w.Write(p)
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
