package mailbox

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestNestingGuard(t *testing.T) {
	deep := strings.Repeat("(", maxNesting+1)
	for _, c := range []struct {
		name, in string
		trips    bool
	}{
		{"deep", "* 1 FETCH (BODYSTRUCTURE " + deep, true},
		{"deep in pieces", "* 1 FETCH (BODY " + deep[:50] + "\x00" + deep[50:], true},
		{"at the limit", "* 1 FETCH " + strings.Repeat("(", maxNesting) + strings.Repeat(")", maxNesting) + "\r\n", false},
		// Data is not structure: a message body (a literal), a quoted
		// string with escapes, lines that each open a little.
		{"literal", fmt.Sprintf("* 1 FETCH (UID 5 BODY[] {%d}\r\n%s)\r\n", len(deep)+2, deep+"\r\n"), false},
		{"non-synchronizing literal", fmt.Sprintf("* 1 FETCH (BODY[] {%d+}\r\n%s)\r\n", len(deep), deep), false},
		{"quoted", `* LIST () "/" "a\"` + deep + `"` + "\r\n", false},
		{"lines", strings.Repeat("* 1 FETCH (((((\r\n", 100), false},
		{"a literal of its own lines", fmt.Sprintf("* 1 FETCH (BODY[] {%d}\r\n%s)\r\n* 2 FETCH %s", len(deep), deep, deep), true},
		{"a brace that is not a literal", "* OK {abc " + deep, true},
	} {
		g := &nestingGuard{}
		var err error
		// Byte by byte and whole: the state carries across writes.
		for _, part := range bytes.Split([]byte(c.in), []byte("\x00")) {
			if _, err = g.Write(part); err != nil {
				break
			}
		}
		g2 := &nestingGuard{}
		var err2 error
		for i := 0; i < len(c.in) && err2 == nil; i++ {
			if c.in[i] != 0 {
				_, err2 = g2.Write([]byte{c.in[i]})
			}
		}
		if (err != nil) != c.trips || (err2 != nil) != c.trips {
			t.Errorf("%s: %v / %v, want tripped %v", c.name, err, err2, c.trips)
		}
		if c.trips && !errors.Is(err, ErrServerTooMuch) {
			t.Errorf("%s: %v is not ErrServerTooMuch", c.name, err)
		}
	}
}

// A body structure nested a million deep, sent unasked in answer to the
// listing of a folder (go-imap parses any FETCH response's BODY): before
// the guard this overflowed the stack, which ends the program; now the
// command fails with ErrServerTooMuch.
func TestHostileUnaskedDeepStructure(t *testing.T) {
	var s *hostileServer
	s = startHostile(t, func(w *bufio.Writer, tag, cmd, line string) bool {
		if cmd != "UID FETCH" {
			return false
		}
		fmt.Fprintf(w, "* 1 FETCH (UID 5 BODY ")
		buf := []byte(strings.Repeat("(", 4096))
		for n := 0; n < 2<<20; n += len(buf) {
			if _, err := w.Write(buf); err != nil {
				return true
			}
		}
		return true
	})
	_, _, err := OpenFolder(context.Background(), hostileAccount(s), "INBOX")
	if !errors.Is(err, ErrServerTooMuch) {
		t.Errorf("OpenFolder: %v, want ErrServerTooMuch", err)
	}
	s.noWrites(t)
}

func FuzzNestingGuard(f *testing.F) {
	f.Add([]byte("* 1 FETCH (BODY[] {3}\r\n(((\r\n)\r\n"))
	f.Add([]byte(`* LIST () "/" "a\"(("` + "\r\n"))
	f.Add([]byte("* 1 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1) \"mixed\"))\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		g := &nestingGuard{}
		n, err := g.Write(b)
		// It trips only on more than maxNesting "(" in what it read.
		if err != nil && bytes.Count(b[:n+1], []byte("(")) <= maxNesting {
			t.Fatalf("tripped after %d bytes with %d parentheses", n, bytes.Count(b[:n+1], []byte("(")))
		}
		if err == nil && n != len(b) {
			t.Fatalf("wrote %d of %d", n, len(b))
		}
	})
}
