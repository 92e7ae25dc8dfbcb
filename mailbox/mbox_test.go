package mailbox

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func readAll(t testing.TB, in string) ([]string, []error) {
	r := NewMboxReader(strings.NewReader(in))
	var msgs []string
	var errs []error
	for n := 0; n < 10000; n++ {
		raw, _, err := r.Next()
		if errors.Is(err, io.EOF) {
			return msgs, errs
		}
		msgs = append(msgs, string(raw))
		errs = append(errs, err)
	}
	t.Fatal("the reader does not end")
	return nil, nil
}

func TestMbox(t *testing.T) {
	in := "From a@b Mon Nov 23 10:00:00 2026\nSubject: one\n\nline\n>From quoted\n>>From twice\n\n" +
		"From c@d Mon Nov 23 10:00:01 2026\nSubject: two\n\nbody\nFrom here, not a separator (no blank line before)\n"
	msgs, errs := readAll(t, in)
	if len(msgs) != 2 {
		t.Fatalf("%d messages: %q", len(msgs), msgs)
	}
	if msgs[0] != "Subject: one\r\n\r\nline\r\nFrom quoted\r\n>From twice\r\n" {
		t.Errorf("first: %q", msgs[0])
	}
	if !strings.HasSuffix(msgs[1], "From here, not a separator (no blank line before)\r\n") {
		t.Errorf("second: %q", msgs[1])
	}
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if msgs, _ := readAll(t, ""); len(msgs) != 0 {
		t.Errorf("empty file: %d messages", len(msgs))
	}
	if !IsMbox([]byte("From x")) || IsMbox([]byte("From: x")) {
		t.Error("IsMbox")
	}
}

// Many messages of many sizes, read in small and large blocks, give what the
// line-by-line reference gives.
func TestMboxAgainstReference(t *testing.T) {
	var b strings.Builder
	for i := range 300 {
		b.WriteString("From sender@example.com Mon Nov 23 10:00:00 2026\n")
		b.WriteString("Subject: " + strings.Repeat("s", i) + "\n\n")
		for j := range i % 17 {
			b.WriteString(strings.Repeat("x", j*31) + "\n")
			if j%5 == 1 {
				b.WriteString(">From quoted\n\n")
			}
		}
		b.WriteString("\n")
	}
	in := b.String()
	want := referenceMbox(in)
	for _, chunk := range []int{256 << 10, 4096, 13} {
		readChunk = chunk
		got, errs := readAll(t, in)
		if len(got) != 300 || strings.Join(got, "\x00") != strings.Join(want, "\x00") {
			t.Errorf("read %d bytes at a time: %d messages, differ from the reference", chunk, len(got))
		}
		for _, err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
	}
	readChunk = 256 << 10
	// Every span read again gives the same message.
	r := NewMboxReader(strings.NewReader(in))
	for i := 0; ; i++ {
		raw, _, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		start, end := r.Span()
		if again := Unquote([]byte(in[start:end])); string(again) != string(raw) {
			t.Fatalf("message %d: span [%d,%d) gives %q, want %q", i, start, end, again, raw)
		}
	}
}

func TestMboxTooLarge(t *testing.T) {
	big := "From a Mon Nov 23 10:00:00 2026\nSubject: big\n\n" + strings.Repeat(strings.Repeat("z", 1000)+"\n", MaxMessageBytes/1000+10) +
		"\nFrom a Mon Nov 23 10:00:00 2026\nSubject: small\n\nok\n"
	msgs, errs := readAll(t, big)
	if len(msgs) != 2 || !errors.Is(errs[0], ErrTooLarge) || errs[1] != nil || !strings.HasPrefix(msgs[1], "Subject: small") {
		t.Fatalf("%d messages, errors %v", len(msgs), errs)
	}
	// One line longer than the limit, without any newline.
	msgs, errs = readAll(t, "From a\n"+strings.Repeat("q", MaxMessageBytes+5))
	if len(msgs) != 1 || !errors.Is(errs[0], ErrTooLarge) {
		t.Fatalf("long line: %d messages, %v", len(msgs), errs)
	}
}

func FuzzMbox(f *testing.F) {
	f.Add([]byte("From a\nX: y\n\nbody\n\nFrom b\nX: z\n\n>From q\n"))
	f.Add([]byte("no separator\n"))
	f.Add([]byte("From \n\nFrom \n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewMboxReader(bytes.NewReader(in))
		total, n := 0, 0
		for ; ; n++ {
			raw, _, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			total += len(raw)
			if n > len(in)+1 {
				t.Fatal("more messages than bytes")
			}
		}
		// LF becomes CRLF, and a last line without one gets one.
		if total > 2*len(in)+2*n {
			t.Fatalf("read %d bytes from %d", total, len(in))
		}
		want := referenceMbox(string(in))
		for _, chunk := range []int{256 << 10, 7, 1} {
			readChunk = chunk
			got, _ := readAll(t, string(in))
			if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
				t.Fatalf("%q, read %d bytes at a time:\n got %q\nwant %q", in, chunk, got, want)
			}
		}
		readChunk = 256 << 10
	})
}

// referenceMbox reads an mbox line by line, as RFC 4155 describes it: a
// "From " line after an empty line (or first in the file) starts a
// message; the empty line before it is not part of the previous one.
func referenceMbox(in string) []string {
	var msgs []string
	var cur []string
	started := false
	lines := strings.SplitAfter(in, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	prevBlank := true
	flush := func(dropBlank bool) {
		if dropBlank && len(cur) > 0 && cur[len(cur)-1] == "\r\n" {
			cur = cur[:len(cur)-1]
		}
		msgs = append(msgs, strings.Join(cur, ""))
		cur = nil
	}
	for i, l := range lines {
		if strings.HasPrefix(l, "From ") && (prevBlank || i == 0) {
			if started {
				flush(true)
			}
			started = true
			prevBlank = false
			continue
		}
		started = true
		body := strings.TrimSuffix(strings.TrimSuffix(l, "\n"), "\r")
		if q := strings.TrimLeft(body, ">"); len(q) < len(body) && strings.HasPrefix(q, "From ") {
			body = body[1:]
		}
		cur = append(cur, body+"\r\n")
		prevBlank = strings.TrimSuffix(strings.TrimSuffix(l, "\n"), "\r") == ""
	}
	if started {
		flush(false)
	}
	return msgs
}
