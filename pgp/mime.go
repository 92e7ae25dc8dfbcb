package pgp

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/textproto"
	"strings"
)

// A tiny MIME reader that keeps every part's exact bytes: a PGP/MIME
// signature covers the raw first part, headers included (RFC 3156 5), so
// a parser that decodes and re-encodes cannot be used.

// Limits on hostile structure.
const (
	maxParts = 1000
	maxDepth = 16
)

var errMIME = errors.New("pgp: malformed MIME")

// entity is one MIME entity: its header and its raw body.
type entity struct {
	raw    []byte // header and body, as in the message
	header textproto.MIMEHeader
	body   []byte
}

// parseEntity splits raw (CRLF line ends) into header and body.
func parseEntity(raw []byte) (*entity, error) {
	e := &entity{raw: raw, header: textproto.MIMEHeader{}}
	head, body, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		if bytes.HasPrefix(raw, []byte("\r\n")) {
			head, body = nil, raw[2:]
		} else {
			head, body = raw, nil
		}
	}
	e.body = body
	var name string
	for _, line := range strings.Split(string(head), "\r\n") {
		if line == "" {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if name != "" {
				vs := e.header[name]
				vs[len(vs)-1] += " " + strings.TrimSpace(line)
			}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			// The line is not quoted: inside decrypted content it is
			// secret, and errors go into the report and the cache.
			return nil, fmt.Errorf("%w: a header line (%d bytes) is not a field", errMIME, len(line))
		}
		name = textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(k))
		e.header[name] = append(e.header[name], strings.TrimSpace(v))
	}
	return e, nil
}

// mediaType returns the lower-case type and its parameters (text/plain
// when there is none, RFC 2045 5.2).
func (e *entity) mediaType() (string, map[string]string) {
	ct := e.header.Get("Content-Type")
	if ct == "" {
		return "text/plain", map[string]string{}
	}
	t, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(strings.Split(ct, ";")[0])), map[string]string{}
	}
	return t, params
}

// splitMultipart returns the raw bytes of each body part (RFC 2046 5.1.1):
// the CRLF before a delimiter belongs to the delimiter, not to the part.
func splitMultipart(body []byte, boundary string) ([][]byte, error) {
	if boundary == "" || len(boundary) > 200 {
		return nil, fmt.Errorf("%w: no usable boundary", errMIME)
	}
	delim := []byte("--" + boundary)
	var start int
	switch {
	case bytes.HasPrefix(body, delim):
		start = len(delim)
	default:
		i := bytes.Index(body, append([]byte("\r\n"), delim...))
		if i < 0 {
			return nil, fmt.Errorf("%w: the boundary %q never appears", errMIME, boundary)
		}
		start = i + 2 + len(delim)
	}
	var parts [][]byte
	for {
		// The rest of the delimiter line: "--" closes, else white space and CRLF.
		rest := body[start:]
		if bytes.HasPrefix(rest, []byte("--")) {
			return parts, nil
		}
		eol := bytes.Index(rest, []byte("\r\n"))
		if eol < 0 {
			return parts, nil // no content after the last delimiter
		}
		if len(bytes.Trim(rest[:eol], " \t")) != 0 {
			return nil, fmt.Errorf("%w: text after a boundary", errMIME)
		}
		partStart := start + eol + 2
		next := bytes.Index(body[partStart:], append([]byte("\r\n"), delim...))
		if next < 0 {
			// No closing delimiter: the part runs to the end (a truncated message).
			parts = append(parts, body[partStart:])
			return parts, nil
		}
		parts = append(parts, body[partStart:partStart+next])
		if len(parts) > maxParts {
			return nil, fmt.Errorf("%w: more than %d parts", errMIME, maxParts)
		}
		start = partStart + next + 2 + len(delim)
	}
}
