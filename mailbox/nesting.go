package mailbox

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// go-imap parses a body structure (FETCH BODY or BODYSTRUCTURE, RFC 3501
// 7.4.2) by recursion, one level per parenthesis, and does so for any FETCH
// response, asked for or not. A server that sends a million "(" in a row
// overflows the stack, which is fatal to the whole program, long before
// the command's byte budget is spent. nestingGuard reads what go-imap reads
// (it is set as go-imap's DebugWriter, the one place that sees the bytes
// after TLS whatever the security, STARTTLS included) and fails the read
// once parentheses nest deeper than maxNesting on one response line.
//
// It follows just enough of the grammar (RFC 3501 9) not to count what is
// data: quoted strings (with their \" escapes) and literals ({n} or {n+}
// then CRLF then n octets: message bodies) are skipped; CRLF outside them
// ends a response line and the nesting. go-imap hands the writer its own
// commands too (the same writer gets what it sends); they are short
// balanced lines ending in CRLF, so they can only end a count early, never
// raise one. Nothing is kept: the password go-imap sends passes through
// and is forgotten.
type nestingGuard struct {
	mu      sync.Mutex // go-imap writes from its reader and its senders
	state   int
	depth   int
	n       int64 // literal length being read, then octets left of it
	tripped atomic.Bool
}

// maxNesting is far above what real mail needs (each multipart level or
// attached message adds one to three) and far below what the stack holds.
const maxNesting = 100

const (
	guardNormal = iota
	guardQuoted
	guardEscape
	guardLitLen // after "{": digits, "+", then "}"
	guardLitEnd // after "}": CRLF, then the literal
	guardLiteral
)

var errNesting = fmt.Errorf("%w: parentheses nested more than %d deep (a body structure no mail has)", ErrServerTooMuch, maxNesting)

// Write scans p; it fails, and keeps failing, once the nesting is too deep.
func (g *nestingGuard) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.tripped.Load() {
		return 0, errNesting
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch g.state {
		case guardNormal:
			switch c {
			case '(':
				g.depth++
				if g.depth > maxNesting {
					g.tripped.Store(true)
					return i, errNesting
				}
			case ')':
				if g.depth > 0 {
					g.depth--
				}
			case '"':
				g.state = guardQuoted
			case '{':
				g.state, g.n = guardLitLen, 0
			case '\n':
				g.depth = 0
			}
		case guardQuoted:
			switch c {
			case '\\':
				g.state = guardEscape
			case '"':
				g.state = guardNormal
			case '\n': // not a quoted string after all: start again
				g.state, g.depth = guardNormal, 0
			}
		case guardEscape:
			g.state = guardQuoted
		case guardLitLen:
			switch {
			case c >= '0' && c <= '9':
				if g.n < 1<<50 {
					g.n = g.n*10 + int64(c-'0')
				}
			case c == '+':
			case c == '}':
				g.state = guardLitEnd
			default:
				g.state = guardNormal
				i-- // read c again as ordinary text
			}
		case guardLitEnd:
			switch c {
			case '\r':
			case '\n':
				g.state = guardNormal
				if g.n > 0 {
					g.state = guardLiteral
				}
			default:
				g.state = guardNormal
				i--
			}
		case guardLiteral:
			k := min(g.n, int64(len(p)-i))
			g.n -= k
			i += int(k) - 1
			if g.n == 0 {
				g.state = guardNormal
			}
		}
	}
	return len(p), nil
}
