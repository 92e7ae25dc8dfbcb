package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealtrace/sealtrace/mailbox"
	"github.com/sealtrace/sealtrace/resolver"
)

func offline(t *testing.T, workers int) *Engine {
	t.Helper()
	e, err := New(Config{Resolver: resolver.NewZones(), Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func msg(i int) []byte {
	// Longer messages take longer: the workers finish out of order.
	return fmt.Appendf(nil, "From: a%d@example.com\r\nSubject: %d\r\n\r\n%s\r\n", i, i, strings.Repeat("x", (50-i%50)*2000))
}

// Reports come back in source order whatever order the workers finish in.
func TestRunKeepsOrder(t *testing.T) {
	var raws [][]byte
	for i := range 200 {
		raws = append(raws, msg(i))
	}
	var got []string
	err := offline(t, 8).Run(context.Background(), Bytes("mem", raws...), func(r Result) bool {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		got = append(got, r.Report.Source)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 200 {
		t.Fatalf("%d reports, want 200", len(got))
	}
	for i, s := range got {
		if want := fmt.Sprintf("mem#%d", i+1); s != want {
			t.Fatalf("report %d is %s, want %s", i, s, want)
		}
	}
}

// emit returning false stops the run; a cancelled context stops it too and
// says so.
func TestRunStops(t *testing.T) {
	var raws [][]byte
	for i := range 100 {
		raws = append(raws, msg(i))
	}
	n := 0
	offline(t, 4).Run(context.Background(), Bytes("mem", raws...), func(Result) bool { n++; return n < 3 })
	if n != 3 {
		t.Errorf("emit called %d times after returning false at 3", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n = 0
	err := offline(t, 4).Run(ctx, Bytes("mem", raws...), func(Result) bool {
		n++
		if n == 2 {
			cancel()
		}
		return true
	})
	if !errors.Is(err, context.Canceled) || n >= 100 {
		t.Errorf("cancelled run: err %v after %d reports", err, n)
	}
}

// A message that cannot be read is emitted with its error and a report that
// says it; the others are inspected.
func TestFileErrors(t *testing.T) {
	dir := t.TempDir()
	mbox := filepath.Join(dir, "x.mbox")
	good := "From: a@example.com\nSubject: hi\n\nbody\n"
	os.WriteFile(mbox, []byte("From x Mon Nov 23 10:00:00 2026\n"+good+"\nFrom x Mon Nov 23 10:00:00 2026\nno header here\n\nFrom x Mon Nov 23 10:00:00 2026\n"+good), 0o644)
	src, err := File(mbox)
	if err != nil {
		t.Fatal(err)
	}
	var errs []bool
	offline(t, 2).Run(context.Background(), src, func(r Result) bool {
		errs = append(errs, r.Err != nil)
		if r.Err != nil && r.Report.Error == "" {
			t.Errorf("%s: error %v not in the report", r.Report.Source, r.Err)
		}
		if r.Err == nil {
			raw, err := r.Item.Load()
			if err != nil || !strings.Contains(string(raw), "Subject: hi") {
				t.Errorf("%s: read again: %q %v", r.Report.Source, raw, err)
			}
		}
		return true
	})
	if fmt.Sprint(errs) != "[false true false]" {
		t.Errorf("errors %v, want [false true false]", errs)
	}
	if _, err := File(filepath.Join(dir, "missing.eml")); err == nil {
		t.Error("a missing file opened")
	}
	// Over the size limit: an error item, not a read of the whole.
	big := filepath.Join(dir, "big.eml")
	f, _ := os.Create(big)
	f.WriteString("From: a@example.com\n\n")
	f.Truncate(mailbox.MaxMessageBytes + 10)
	f.Close()
	src, _ = File(big)
	it, ok := src.Next(context.Background())
	if !ok || !errors.Is(it.Err, mailbox.ErrTooLarge) || it.Raw != nil {
		t.Errorf("big file: ok %v err %v raw %d bytes", ok, it.Err, len(it.Raw))
	}
}

// The built-in root anchors are the IANA root KSKs 20326 and 38696.
func TestBuiltInAnchors(t *testing.T) {
	rrs, err := Anchors("")
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, rr := range rrs {
		tags = append(tags, strings.Fields(rr.String())[4])
	}
	if fmt.Sprint(tags) != "[20326 38696]" {
		t.Errorf("key tags %v", tags)
	}
	if _, err := Anchors("/nonexistent/root.key"); err == nil {
		t.Error("a missing anchor file gave no error")
	}
}

// A configuration that cannot be used is ErrConfig, with the reason.
func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{
		{DNS: DNSZones, ZoneFiles: []string{"/nonexistent.zone"}},
		{DNS: "carrier pigeon"},
		{Resolver: resolver.NewZones(), KeyFiles: []string{"/nonexistent.asc"}},
		{Resolver: resolver.NewZones(), PassphraseFile: "/nonexistent"},
	} {
		if _, err := New(c); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v, want ErrConfig", c, err)
		}
	}
}

// A message forwarded as an attachment is inspected as a message of its own,
// right after the forwarder's.
func TestForwardedAsAttachment(t *testing.T) {
	inner := "From: bank@bank.example\r\nSubject: inner\r\nMessage-ID: <inner@bank.example>\r\n\r\nhello\r\n"
	outer := "From: support@example.org\r\nSubject: Fwd: inner\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" +
		"--b\r\nContent-Type: message/rfc822\r\n\r\n" + inner + "\r\n" +
		"--b\r\nContent-Type: message/rfc822\r\n\r\nREDACTED\r\n--b--\r\n" // an abuse report's redacted copy: no message
	var got []string
	offline(t, 2).Run(context.Background(), Bytes("ticket", []byte(outer)), func(r Result) bool {
		got = append(got, r.Report.Source+" "+r.Report.MessageID)
		return true
	})
	want := "[ticket#1  ticket#1/attached-1 <inner@bank.example>]"
	if fmt.Sprint(got) != want {
		t.Errorf("got %v, want %s", got, want)
	}
}

// At most MaxAttachedMessages attached messages are inspected per message.
func TestAttachedMessagesBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n")
	for i := range 50 {
		fmt.Fprintf(&b, "--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: x%d@example.org\r\nSubject: %d\r\n\r\nhi\r\n", i, i)
	}
	b.WriteString("--b--\r\n")
	n := 0
	offline(t, 2).Run(context.Background(), Bytes("many", []byte(b.String())), func(Result) bool { n++; return true })
	if n != 1+MaxAttachedMessages {
		t.Errorf("%d reports, want the outer one and %d attached", n, MaxAttachedMessages)
	}
}

func TestHeaderEnd(t *testing.T) {
	for raw, want := range map[string]int{
		"A: b\r\nC: d\r\n\r\nbody\n\nmore": 12, // the header, up to its empty line
		"A: b\nC: d\n\nbody":               10,
		"A: b\r\n":                         6,
		"":                                 0,
		"\r\nbody":                         0,
	} {
		if got := headerEnd([]byte(raw)); got != want {
			t.Errorf("headerEnd(%q) = %d, want %d", raw, got, want)
		}
	}
}
