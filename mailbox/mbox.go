// Package mailbox holds Sealtrace's message sources. This file reads mbox
// files as a stream (RFC 4155): one message in memory at a time, so a
// 10,000-message file costs the memory of its largest message.
package mailbox

import (
	"bufio"
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

// MboxReader reads the messages of an mbox file one at a time.
type MboxReader struct {
	r       *bufio.Reader
	pending []byte // the "From " line that started the next message
	index   int
	done    bool
}

// NewMboxReader returns a reader of the mbox in r.
func NewMboxReader(r io.Reader) *MboxReader {
	return &MboxReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// IsMbox tells from the start of a file whether it is an mbox.
func IsMbox(head []byte) bool {
	return bytes.HasPrefix(head, []byte("From "))
}

// Next returns the next message without its "From " separator line, with
// mboxrd quoting (">From ") undone and CRLF line ends. It returns io.EOF after the last one.
// The index counts messages from 1, including skipped ones.
func (m *MboxReader) Next() (raw []byte, index int, err error) {
	if m.done {
		return nil, m.index, io.EOF
	}
	var buf bytes.Buffer
	tooLarge := false
	started := m.pending != nil
	m.pending = nil
	prevBlank := true
	for {
		line, rerr := m.r.ReadSlice('\n')
		if rerr == bufio.ErrBufferFull {
			// A very long line: keep reading it in pieces.
			if !tooLarge {
				buf.Write(line)
			}
			for rerr == bufio.ErrBufferFull {
				line, rerr = m.r.ReadSlice('\n')
				if !tooLarge {
					buf.Write(line)
				}
				if buf.Len() > MaxMessageBytes {
					tooLarge = true
					buf.Reset()
				}
			}
			prevBlank = false
			if rerr != nil && rerr != io.EOF {
				return nil, m.index, rerr
			}
			if rerr == io.EOF {
				m.done = true
				break
			}
			continue
		}
		if len(line) > 0 && bytes.HasPrefix(line, []byte("From ")) && prevBlank {
			if started {
				m.pending = append([]byte(nil), line...)
				break
			}
			started = true
			if rerr == io.EOF {
				m.done = true
				break
			}
			continue
		}
		if len(line) > 0 {
			if !started {
				started = true // not an mbox separator: take the file as it is
			}
			if !tooLarge {
				writeCRLF(&buf, unquoteFrom(line))
			}
			if buf.Len() > MaxMessageBytes {
				tooLarge = true
				buf.Reset()
			}
			prevBlank = len(bytes.TrimRight(line, "\r\n")) == 0
		}
		if rerr == io.EOF {
			m.done = true
			break
		}
		if rerr != nil {
			return nil, m.index, rerr
		}
	}
	if !started && buf.Len() == 0 {
		return nil, m.index, io.EOF
	}
	m.index++
	if tooLarge {
		return nil, m.index, fmt.Errorf("%w: message %d is over %d MiB", ErrTooLarge, m.index, MaxMessageBytes>>20)
	}
	// The blank line before the next "From " belongs to the mbox, not the message.
	out := buf.Bytes()
	if m.pending != nil && bytes.HasSuffix(out, []byte("\r\n\r\n")) {
		out = out[:len(out)-2]
	}
	return out, m.index, nil
}

// writeCRLF writes one line with a CRLF end, whatever end it had: RFC 5322
// messages use CRLF, mbox files usually LF.
func writeCRLF(buf *bytes.Buffer, line []byte) {
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	buf.Write(line)
	buf.WriteString("\r\n")
}

// unquoteFrom undoes mboxrd quoting: ">From ", ">>From " lose one ">".
func unquoteFrom(line []byte) []byte {
	i := 0
	for i < len(line) && line[i] == '>' {
		i++
	}
	if i > 0 && bytes.HasPrefix(line[i:], []byte("From ")) {
		return line[1:]
	}
	return line
}
