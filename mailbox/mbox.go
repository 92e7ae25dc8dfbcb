// Reading mbox files as a stream (RFC 4155): one message in memory at a
// time, so a 10,000-message file costs the memory of its largest message.

package mailbox

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MaxMessageBytes bounds one message read from a file.
const MaxMessageBytes = 64 << 20

// ErrTooLarge is returned for a message over MaxMessageBytes; the reader
// skips it and can go on with the next.
var ErrTooLarge = errors.New("mailbox: message too large")

// readChunk is how much is read at once (a variable so that tests can make
// separators straddle reads).
var readChunk = 256 << 10

// MboxReader reads the messages of an mbox file one at a time. It scans
// blocks for the separators ("From " after an empty line) instead of going
// line by line: the messages are copied in large runs.
type MboxReader struct {
	r     io.Reader
	buf   []byte // read but not yet returned
	eof   bool
	err   error
	index int
	base  int64 // the stream offset of buf[0]
	span  [2]int64
	begun bool // the first message's separator has been dealt with
	sep   bool // a separator was consumed: a message follows, if only an empty one
}

// NewMboxReader returns a reader of the mbox in r.
func NewMboxReader(r io.Reader) *MboxReader {
	return &MboxReader{r: r}
}

// IsMbox tells from the start of a file whether it is an mbox.
func IsMbox(head []byte) bool {
	return bytes.HasPrefix(head, []byte("From "))
}

// fill reads one more block; it reports whether anything was added.
func (m *MboxReader) fill() bool {
	if m.eof {
		return false
	}
	if cap(m.buf)-len(m.buf) < readChunk {
		nb := make([]byte, len(m.buf), 2*len(m.buf)+readChunk)
		copy(nb, m.buf)
		m.buf = nb
	}
	n, err := io.ReadFull(m.r, m.buf[len(m.buf):len(m.buf)+readChunk])
	m.buf = m.buf[:len(m.buf)+n]
	if err != nil {
		m.eof = true
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			m.err = err
		}
	}
	return n > 0
}

// Next returns the next message without its "From " separator line, with
// mboxrd quoting (">From ") undone and CRLF line ends. It returns io.EOF
// after the last one. The index counts messages from 1, skipped ones too.
func (m *MboxReader) Next() (raw []byte, index int, err error) {
	if !m.begun {
		m.begun = true
		for len(m.buf) < 5 && m.fill() {
		}
		if bytes.HasPrefix(m.buf, []byte("From ")) {
			if err := m.skipLine(); err != nil {
				return nil, m.index, err
			}
		}
	}
	if len(m.buf) == 0 && !m.fill() {
		if m.err != nil {
			return nil, m.index, m.err
		}
		if m.sep {
			m.sep = false
			m.index++
			m.span = [2]int64{m.base, m.base}
			return []byte{}, m.index, nil
		}
		return nil, m.index, io.EOF
	}
	m.sep = false
	// Find the separator: "\nFrom " right after an empty line.
	scanned, tooLarge, dropped := 0, false, 0
	end, next := -1, -1
	for end < 0 {
		i := bytes.Index(m.buf[scanned:], []byte("\nFrom "))
		if i >= 0 {
			p := scanned + i // the "\n" ending the empty line
			// p == 0: the message starts with an empty line (the separator
			// line before it is already consumed).
			if p == 0 || m.buf[p-1] == '\n' || (m.buf[p-1] == '\r' && (p == 1 || m.buf[p-2] == '\n')) {
				end, next = p, p+1
				break
			}
			scanned = p + 1
			continue
		}
		scanned = max(len(m.buf)-6, 0) // keep what a separator could start in
		if len(m.buf)+dropped > MaxMessageBytes {
			// Too large: keep scanning for the separator, holding only a tail.
			tooLarge = true
			keep := min(len(m.buf), 8)
			dropped += len(m.buf) - keep
			m.base += int64(len(m.buf) - keep)
			copy(m.buf, m.buf[len(m.buf)-keep:])
			m.buf = m.buf[:keep]
			scanned = 0
		}
		if !m.fill() {
			end = len(m.buf)
		}
	}
	m.index++
	tooLarge = tooLarge || end+dropped > MaxMessageBytes
	msg := m.buf[:end]
	if m.err != nil && next < 0 {
		return nil, m.index, m.err
	}
	if tooLarge {
		m.advance(next)
		if next >= 0 {
			if err := m.skipLine(); err != nil {
				return nil, m.index, err
			}
		}
		return nil, m.index, fmt.Errorf("%w: message %d is over %d MiB", ErrTooLarge, m.index, MaxMessageBytes>>20)
	}
	// The empty line before the separator belongs to the mbox: msg stops at
	// its end, so only the CR of a CRLF empty line is left to drop.
	if next >= 0 {
		msg = bytes.TrimSuffix(msg, []byte("\r"))
	}
	out := toCRLFUnquoted(msg)
	m.span = [2]int64{m.base, m.base + int64(len(msg))}
	m.advance(next)
	if next >= 0 {
		if err := m.skipLine(); err != nil {
			return nil, m.index, err
		}
	}
	return out, m.index, nil
}

// advance drops what was returned (up to next, or everything when next < 0).
func (m *MboxReader) advance(next int) {
	if next < 0 {
		m.base += int64(len(m.buf))
		m.buf = m.buf[:0]
		return
	}
	m.base += int64(next)
	n := copy(m.buf, m.buf[next:])
	m.buf = m.buf[:n]
}

// Span returns where the last message Next returned lies in the stream:
// its raw bytes (LF or CRLF, mboxrd-quoted) run from start to end. Read
// them again with Unquote to get what Next returned.
func (m *MboxReader) Span() (start, end int64) { return m.span[0], m.span[1] }

// Unquote turns a message's raw bytes from an mbox into what Next returns:
// CRLF line ends, mboxrd quoting undone.
func Unquote(raw []byte) []byte { return toCRLFUnquoted(raw) }

// skipLine drops the "From " separator line at the start of the buffer.
func (m *MboxReader) skipLine() error {
	m.sep = true
	for {
		if i := bytes.IndexByte(m.buf, '\n'); i >= 0 {
			m.advance(i + 1)
			return nil
		}
		if len(m.buf) > 64<<10 { // a separator line this long is not one
			return fmt.Errorf("mailbox: a \"From \" line of more than 64 KiB")
		}
		if !m.fill() {
			m.buf = m.buf[:0]
			return nil
		}
	}
}

// toCRLFUnquoted copies msg with CRLF line ends and mboxrd quoting undone
// (">From ", ">>From " lose one ">").
func toCRLFUnquoted(msg []byte) []byte {
	out := make([]byte, 0, len(msg)+len(msg)/32+2)
	for len(msg) > 0 {
		if msg[0] == '>' {
			j := 0
			for j < len(msg) && msg[j] == '>' {
				j++
			}
			if bytes.HasPrefix(msg[j:], []byte("From ")) {
				msg = msg[1:]
			}
		}
		i := bytes.IndexByte(msg, '\n')
		if i < 0 {
			out = append(out, bytes.TrimSuffix(msg, []byte("\r"))...)
			return append(out, '\r', '\n')
		}
		line := msg[:i]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		out = append(out, line...)
		out = append(out, '\r', '\n')
		msg = msg[i+1:]
	}
	return out
}
