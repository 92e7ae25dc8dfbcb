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
		total := 0
		for n := 0; ; n++ {
			raw, _, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			total += len(raw)
			if n > len(in)+1 {
				t.Fatal("more messages than bytes")
			}
		}
		if total > 2*len(in) { // LF becomes CRLF
			t.Fatalf("read %d bytes from %d", total, len(in))
		}
	})
}
