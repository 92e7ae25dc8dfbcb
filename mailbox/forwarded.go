package mailbox

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"strings"
)

// Messages forwarded "as attachment": a user who reports a suspicious
// message often forwards it as a message/rfc822 part (RFC 2046 5.2.1), so
// that the outer message is the forwarder's and the one to inspect is
// inside, with its own header fields and signatures intact.

// Bounds on what AttachedMessages walks: hostile input must not make it
// recurse or allocate without end.
const (
	maxMIMEDepth     = 20   // nested multiparts
	maxMIMEParts     = 2000 // parts visited in all
	maxAttachedCount = 100  // messages returned
)

// ErrNoAttachedMessage is returned when a message has no message/rfc822
// part.
var ErrNoAttachedMessage = errors.New("the message has no attached message (message/rfc822 part)")

// AttachedMessages returns the messages attached to raw as message/rfc822
// (or message/global, RFC 6532 3.7) parts, in order, outermost first. Each
// is the part's body exactly as it is in raw: the bytes between the blank
// line that ends the part's header and the line break before the next
// boundary delimiter (RFC 2046 5.1.1), so that DKIM and ARC verify on it as
// on the original. A part that was base64 or quoted-printable encoded
// (RFC 2046 forbids it, some clients do it) is decoded. Attached messages
// inside attached messages are not returned: call again on one of them.
func AttachedMessages(raw []byte) ([][]byte, error) {
	w := &mimeWalker{}
	w.entity(raw, 0)
	if len(w.found) == 0 {
		if w.err != nil {
			return nil, w.err
		}
		return nil, ErrNoAttachedMessage
	}
	return w.found, nil
}

type mimeWalker struct {
	found [][]byte
	parts int
	err   error
}

// entity looks at one MIME entity (a header and a body).
func (w *mimeWalker) entity(e []byte, depth int) {
	w.parts++
	if len(w.found) >= maxAttachedCount {
		return
	}
	if w.parts > maxMIMEParts {
		w.err = errors.New("the message has too many MIME parts")
		return
	}
	hdr, body := splitEntity(e)
	ct := headerValue(hdr, "Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0]))
	}
	switch {
	case mt == "message/rfc822" || mt == "message/global":
		// A part, or the whole entity (a .eml that some clients save as a
		// message/rfc822 wrapper): its body is the message.
		if m := decodePart(body, headerValue(hdr, "Content-Transfer-Encoding")); len(m) > 0 {
			w.found = append(w.found, m)
		}
	case strings.HasPrefix(mt, "multipart/"):
		if depth >= maxMIMEDepth {
			w.err = errors.New("the message's MIME parts are nested too deeply")
			return
		}
		if b := params["boundary"]; b != "" {
			for _, p := range splitMultipart(body, b) {
				w.entity(p, depth+1)
			}
		}
	}
}

// splitEntity cuts an entity at the first empty line (CRLF or LF). An
// entity that starts with an empty line has no header.
func splitEntity(e []byte) (hdr, body []byte) {
	if bytes.HasPrefix(e, []byte("\r\n")) {
		return nil, e[2:]
	}
	if bytes.HasPrefix(e, []byte("\n")) {
		return nil, e[1:]
	}
	for i := 0; i < len(e); {
		j := bytes.IndexByte(e[i:], '\n')
		if j < 0 {
			return e, nil
		}
		next := i + j + 1
		if next < len(e) && e[next] == '\n' {
			return e[:next], e[next+1:]
		}
		if next+1 < len(e) && e[next] == '\r' && e[next+1] == '\n' {
			return e[:next], e[next+2:]
		}
		i = next
	}
	return e, nil
}

// headerValue returns the unfolded value of the first field name in hdr.
func headerValue(hdr []byte, name string) string {
	lines := strings.Split(strings.ReplaceAll(string(hdr), "\r\n", "\n"), "\n")
	for i, l := range lines {
		k, v, ok := strings.Cut(l, ":")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), name) || strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") {
			continue
		}
		for _, c := range lines[i+1:] {
			if !strings.HasPrefix(c, " ") && !strings.HasPrefix(c, "\t") {
				break
			}
			v += " " + strings.TrimSpace(c)
		}
		return strings.TrimSpace(v)
	}
	return ""
}

// splitMultipart returns the body parts of a multipart body (RFC 2046
// 5.1.1): what lies between delimiter lines "--boundary", up to the close
// delimiter "--boundary--". The line break before a delimiter belongs to
// the delimiter, not to the part.
func splitMultipart(body []byte, boundary string) [][]byte {
	delim := []byte("--" + boundary)
	var parts [][]byte
	start := -1 // where the current part's content starts
	for i := 0; i < len(body); {
		lineEnd := bytes.IndexByte(body[i:], '\n')
		var line []byte
		next := len(body)
		if lineEnd >= 0 {
			line, next = body[i:i+lineEnd], i+lineEnd+1
		} else {
			line = body[i:]
		}
		trimmed := bytes.TrimRight(line, " \t\r")
		if bytes.HasPrefix(trimmed, delim) {
			rest := trimmed[len(delim):]
			if len(rest) == 0 || bytes.Equal(rest, []byte("--")) {
				if start >= 0 {
					end := i
					// The CRLF (or LF) before the delimiter is the delimiter's.
					if end > start && body[end-1] == '\n' {
						end--
						if end > start && body[end-1] == '\r' {
							end--
						}
					}
					parts = append(parts, body[start:end])
				}
				if len(rest) == 2 {
					return parts
				}
				start = next
				if len(parts) >= maxMIMEParts {
					return parts
				}
			}
		}
		i = next
	}
	// No close delimiter: the last part runs to the end.
	if start >= 0 && start < len(body) {
		parts = append(parts, body[start:])
	}
	return parts
}

// decodePart undoes a transfer encoding that RFC 2046 5.2.1 does not allow
// on message/rfc822 but that clients write anyway. Identity encodings (7bit,
// 8bit, binary, none) return the bytes as they are.
func decodePart(body []byte, cte string) []byte {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		clean := bytes.Map(func(r rune) rune {
			if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
				return -1
			}
			return r
		}, body)
		out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
		n, err := base64.StdEncoding.Decode(out, clean)
		if err != nil {
			return nil
		}
		return out[:n]
	case "quoted-printable":
		out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		if err != nil {
			return nil
		}
		return out
	}
	return body
}
