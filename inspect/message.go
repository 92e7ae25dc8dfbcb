package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/sealtrace/sealtrace/internal/lineend"
)

// Message is a parsed RFC 5322 message whose header fields keep their exact
// bytes, because DKIM and ARC canonicalization work on them (RFC 6376 3.4).
// Line ends are normalized to CRLF first: messages saved to disk usually
// have bare LF, and signatures are computed over the CRLF form (RFC 5322 2.1).
type Message struct {
	Fields []Field // in message order, top first
	Body   []byte  // after the empty line, CRLF line ends
	// NoSeparator is set when the message has no empty line after its header
	// (only headers, such as ones pasted from a ticket).
	NoSeparator bool
	// Warnings name the header lines that were not fields and were skipped.
	Warnings []string
	skipped  int
}

// maxSkippedWarnings bounds the warnings of skipped lines: a header of
// thousands of broken lines gets a few, then one that says there are more.
const maxSkippedWarnings = 10

// Field is one header field.
type Field struct {
	Name string // as written
	Raw  []byte // the whole field as received: name, colon, value, folding, final CRLF
}

// Value is the field's value after the colon, unfolded, not trimmed.
func (f Field) Value() string {
	i := bytes.IndexByte(f.Raw, ':')
	v := f.Raw[i+1:]
	v = bytes.TrimSuffix(v, []byte("\r\n"))
	return string(bytes.ReplaceAll(v, []byte("\r\n"), nil))
}

// Limits on what Parse accepts; past them the message is refused with a
// clear error rather than using unbounded time or memory.
const (
	MaxHeaderBytes  = 1 << 20
	MaxHeaderFields = 5000
	MaxMessageBytes = 64 << 20
)

// Parse errors.
var (
	ErrEmpty          = errors.New("inspect: the message is empty")
	ErrTooLarge       = errors.New("inspect: the message is too large")
	ErrHeaderTooLarge = errors.New("inspect: the header section is too large")
	ErrTooManyFields  = errors.New("inspect: the message has too many header fields")
	ErrBadHeader      = errors.New("inspect: malformed header")
)

// Parse splits raw into header fields and body.
func Parse(raw []byte) (*Message, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, ErrEmpty
	}
	if len(raw) > MaxMessageBytes {
		return nil, fmt.Errorf("%w: %d bytes, more than the %d MiB Sealtrace reads", ErrTooLarge, len(raw), MaxMessageBytes>>20)
	}
	raw = lineend.ToCRLF(raw)
	// An mbox "From " separator line is not part of the message.
	if bytes.HasPrefix(raw, []byte("From ")) {
		if i := bytes.Index(raw, []byte("\r\n")); i >= 0 {
			raw = raw[i+2:]
		}
	}
	m := &Message{}
	end := bytes.Index(raw, []byte("\r\n\r\n"))
	var head []byte
	switch {
	case bytes.HasPrefix(raw, []byte("\r\n")):
		head, m.Body = nil, raw[2:]
	case end < 0:
		head, m.NoSeparator = raw, true
		if !bytes.HasSuffix(head, []byte("\r\n")) {
			// A copy: raw may be a slice of the caller's larger buffer
			// (a bounce's returned header), whose next bytes are not ours.
			head = append(head[:len(head):len(head)], '\r', '\n')
		}
	default:
		head, m.Body = raw[:end+2], raw[end+4:]
	}
	if len(head) > MaxHeaderBytes {
		return nil, fmt.Errorf("%w: %d bytes, more than the %d KiB Sealtrace reads", ErrHeaderTooLarge, len(head), MaxHeaderBytes>>10)
	}
	line := 1
	for len(head) > 0 {
		// A field runs to a CRLF not followed by white space (RFC 5322 2.2.3).
		n := 0
		for {
			i := bytes.Index(head[n:], []byte("\r\n"))
			if i < 0 {
				n = len(head)
				break
			}
			n += i + 2
			if n >= len(head) || (head[n] != ' ' && head[n] != '\t') {
				break
			}
		}
		raw := head[:n]
		head = head[n:]
		colon := bytes.IndexByte(raw, ':')
		if colon <= 0 || bytes.ContainsAny(raw[:colon], " \t\r\n") && !isWSPName(raw[:colon]) {
			if line == 1 && len(m.Fields) == 0 && !bytes.Contains(raw, []byte(":")) {
				return nil, fmt.Errorf("%w: line 1 %q is not a header field (is this a mail message?)", ErrBadHeader, clip(raw))
			}
			// One broken line (a stray word before a field name, a line
			// without a colon) is skipped, not the whole message: RFC 5322
			// 3.6 fields around it are still readable, and a report that
			// names the line is more use than none. The skipped bytes are
			// no field, so DKIM and ARC never sign or see them.
			if len(m.Warnings) < maxSkippedWarnings {
				m.Warnings = append(m.Warnings, fmt.Sprintf("header line %d %q is not a header field (RFC 5322 2.2); it was skipped and the rest of the message inspected", line, clip(raw)))
			} else if len(m.Warnings) == maxSkippedWarnings {
				m.Warnings = append(m.Warnings, "more header lines that are not header fields were skipped")
			}
			m.skipped++
			if m.skipped > MaxHeaderFields {
				return nil, fmt.Errorf("%w: more than %d", ErrTooManyFields, MaxHeaderFields)
			}
			line += bytes.Count(raw, []byte("\r\n"))
			continue
		}
		if len(m.Fields) == MaxHeaderFields {
			return nil, fmt.Errorf("%w: more than %d", ErrTooManyFields, MaxHeaderFields)
		}
		name := strings.TrimRight(string(raw[:colon]), " \t")
		m.Fields = append(m.Fields, Field{Name: name, Raw: raw})
		line += bytes.Count(raw, []byte("\r\n"))
	}
	if len(m.Fields) == 0 && m.skipped > 0 {
		return nil, fmt.Errorf("%w: no line of the header is a header field (is this a mail message?)", ErrBadHeader)
	}
	return m, nil
}

// isWSPName accepts "Name :" (white space before the colon, obsolete syntax
// of RFC 5322 4.5 that real mail still carries).
func isWSPName(b []byte) bool {
	t := bytes.TrimRight(b, " \t")
	return len(t) > 0 && !bytes.ContainsAny(t, " \t\r\n")
}

func clip(b []byte) string {
	s := strings.TrimRight(string(b), "\r\n")
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return s
}

// Get returns the first field named name (case-insensitive), top first.
func (m *Message) Get(name string) (Field, bool) {
	for _, f := range m.Fields {
		if strings.EqualFold(f.Name, name) {
			return f, true
		}
	}
	return Field{}, false
}

// All returns the fields named name, top first.
func (m *Message) All(name string) []Field {
	var out []Field
	for _, f := range m.Fields {
		if strings.EqualFold(f.Name, name) {
			out = append(out, f)
		}
	}
	return out
}
