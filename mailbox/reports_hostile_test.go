package mailbox

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
)

// Hostile servers against FetchReports: a report part whose size lies, a
// part announced too large, and BODYSTRUCTURE answers that are huge (wide
// or deeply nested). Each stays within its byte bounds and memory.

// reportsHostile answers SEARCH with UID 5 (and 6), and BODYSTRUCTURE and
// body fetches with what the test gives.
func reportsHostile(t *testing.T, structure func(w *bufio.Writer, tag string) bool, body func(w *bufio.Writer, tag, line string) bool) *hostileServer {
	return startHostile(t, func(w *bufio.Writer, tag, cmd, line string) bool {
		switch {
		case cmd == "UID SEARCH":
			fmt.Fprintf(w, "* SEARCH 5 6\r\n%s OK done\r\n", tag)
			return true
		case cmd == "UID FETCH" && strings.Contains(line, "BODYSTRUCTURE"):
			return structure(w, tag)
		case cmd == "UID FETCH":
			return body(w, tag, line)
		}
		return false
	})
}

const gzipPart = `("application" "gzip" ("name" "r.xml.gz") NIL NIL "base64" %d NIL ("attachment" ("filename" "r.xml.gz")) NIL NIL)`

// The structure announces a 120-byte report part; the server sends 512 MiB
// for it. The fetch ends with ErrReportTooLarge after about MaxPartBytes
// received, in bounded memory, and the part is returned with the error and
// no data. UID 6, announced at 900 MiB, is never asked for (and said so).
func TestHostileReportPartLies(t *testing.T) {
	const huge = 512 << 20
	var bodies atomic.Int32
	var s *hostileServer
	s = reportsHostile(t, func(w *bufio.Writer, tag string) bool {
		fmt.Fprintf(w, "* 1 FETCH (UID 5 BODYSTRUCTURE ((\"text\" \"plain\" NIL NIL NIL \"7bit\" 10 1 NIL NIL NIL NIL)"+gzipPart+" \"mixed\" (\"boundary\" \"b\") NIL NIL NIL))\r\n", 120)
		fmt.Fprintf(w, "* 2 FETCH (UID 6 BODYSTRUCTURE "+gzipPart+")\r\n%s OK done\r\n", 900<<20, tag)
		return true
	}, func(w *bufio.Writer, tag, line string) bool {
		bodies.Add(1)
		if !strings.Contains(line, "UID FETCH 5 ") {
			fmt.Fprintf(w, "%s NO not that one\r\n", tag)
			return true
		}
		fmt.Fprintf(w, "* 1 FETCH (UID 5 BODY[2]<0> {%d}\r\n", huge)
		s.stream(w, huge)
		return true
	})
	var got *ReportFolder
	var err error
	grew := heapGrowth(func() {
		got, err = FetchReports(context.Background(), hostileAccount(s), "INBOX", ReportOptions{MaxPartBytes: 1 << 20})
	})
	if !errors.Is(err, ErrReportTooLarge) {
		t.Errorf("FetchReports: %v, want ErrReportTooLarge", err)
	}
	if got == nil || len(got.Parts) != 2 || got.Parts[0].UID != 5 || got.Parts[0].Data != nil || !errors.Is(got.Parts[0].Err, ErrReportTooLarge) ||
		!strings.Contains(got.Parts[0].Err.Error(), "announced 120") || got.Parts[1].UID != 6 || !strings.Contains(got.Parts[1].Err.Error(), "announced 943718400") {
		t.Errorf("parts: %+v", got)
	}
	if grew > 32<<20 {
		t.Errorf("%d MiB allocated for a 1 MiB part limit", grew>>20)
	}
	if sent := s.sent.Load(); sent >= huge {
		t.Errorf("the server could send all of its %d MiB", sent>>20)
	}
	if n := bodies.Load(); n != 1 {
		t.Errorf("%d body fetches: the part announced at 900 MiB must not be asked for", n)
	}
	t.Logf("allocated %d MiB; the server sent %d MiB of its %d MiB", grew>>20, s.sent.Load()>>20, huge>>20)
	s.noWrites(t)
}

// A part announced over the limit is reported, not fetched, and the next
// message's report is still read.
func TestHostileReportAnnouncedTooLarge(t *testing.T) {
	const xml = "<feedback/>"
	s := reportsHostile(t, func(w *bufio.Writer, tag string) bool {
		fmt.Fprintf(w, "* 1 FETCH (UID 5 BODYSTRUCTURE "+gzipPart+")\r\n", 900<<20)
		fmt.Fprintf(w, "* 2 FETCH (UID 6 BODYSTRUCTURE (\"text\" \"xml\" NIL NIL NIL \"7bit\" %d 1 NIL NIL NIL NIL))\r\n%s OK done\r\n", len(xml), tag)
		return true
	}, func(w *bufio.Writer, tag, line string) bool {
		if !strings.Contains(line, "UID FETCH 6 ") {
			fmt.Fprintf(w, "%s NO not that one\r\n", tag)
			return true
		}
		fmt.Fprintf(w, "* 2 FETCH (UID 6 BODY[1]<0> {%d}\r\n%s)\r\n%s OK done\r\n", len(xml), xml, tag)
		return true
	})
	got, err := FetchReports(context.Background(), hostileAccount(s), "INBOX", ReportOptions{MaxPartBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Parts) != 2 || !errors.Is(got.Parts[0].Err, ErrReportTooLarge) || string(got.Parts[1].Data) != xml || got.Parts[1].Name != "report.xml" {
		t.Errorf("parts: %+v", got.Parts)
	}
	s.noWrites(t)
}

// Huge BODYSTRUCTURE answers: a million parts side by side, and
// parentheses nested a million deep (go-imap parses them by recursion).
// Both end with ErrServerTooMuch once the structure's byte budget is
// spent, in bounded memory, and no body is fetched.
func TestHostileReportHugeStructure(t *testing.T) {
	for _, c := range []struct {
		name       string
		head, unit string
	}{
		{"wide", "(", `("text" "plain" NIL NIL NIL "7bit" 10 1 NIL NIL NIL NIL)`},
		{"deep", "", "("},
	} {
		t.Run(c.name, func(t *testing.T) {
			var bodies atomic.Int32
			var s *hostileServer
			s = reportsHostile(t, func(w *bufio.Writer, tag string) bool {
				fmt.Fprintf(w, "* 1 FETCH (UID 5 BODYSTRUCTURE %s", c.head)
				buf := []byte(strings.Repeat(c.unit, 4096))
				for n := 0; n < 64<<20; n += len(buf) {
					if _, err := w.Write(buf); err != nil {
						return true
					}
					s.sent.Add(int64(len(buf)))
				}
				return true
			}, func(w *bufio.Writer, tag, line string) bool {
				bodies.Add(1)
				fmt.Fprintf(w, "%s NO no\r\n", tag)
				return true
			})
			var err error
			grew := heapGrowth(func() {
				_, err = FetchReports(context.Background(), hostileAccount(s), "INBOX", ReportOptions{})
			})
			if !errors.Is(err, ErrServerTooMuch) {
				t.Errorf("FetchReports: %v, want ErrServerTooMuch", err)
			}
			if grew > 256<<20 {
				t.Errorf("%d MiB allocated for a %d MiB structure budget", grew>>20, maxStructureBytes>>20)
			}
			if bodies.Load() != 0 {
				t.Errorf("a body was fetched")
			}
			t.Logf("allocated %d MiB; the server sent %d MiB", grew>>20, s.sent.Load()>>20)
			s.noWrites(t)
		})
	}
}

// The server answers for messages not asked about: a structure for UID 9
// and a body for UID 9 in the same answers as UID 5's. Only UID 5's
// report is read, with its own bytes.
func TestHostileReportOtherUID(t *testing.T) {
	const mine, theirs = "<feedback>mine</feedback>", "<feedback>not asked for</feedback>"
	s := startHostile(t, func(w *bufio.Writer, tag, cmd, line string) bool {
		switch {
		case cmd == "UID SEARCH":
			fmt.Fprintf(w, "* SEARCH 5\r\n%s OK done\r\n", tag)
		case cmd == "UID FETCH" && strings.Contains(line, "BODYSTRUCTURE"):
			fmt.Fprintf(w, "* 9 FETCH (UID 9 BODYSTRUCTURE (\"text\" \"xml\" NIL NIL NIL \"7bit\" %d 1 NIL NIL NIL NIL))\r\n", len(theirs))
			fmt.Fprintf(w, "* 1 FETCH (UID 5 BODYSTRUCTURE (\"text\" \"xml\" NIL NIL NIL \"7bit\" %d 1 NIL NIL NIL NIL))\r\n%s OK done\r\n", len(mine), tag)
		case cmd == "UID FETCH":
			fmt.Fprintf(w, "* 9 FETCH (UID 9 BODY[1]<0> {%d}\r\n%s)\r\n", len(theirs), theirs)
			fmt.Fprintf(w, "* 1 FETCH (UID 5 BODY[1]<0> {%d}\r\n%s)\r\n%s OK done\r\n", len(mine), mine, tag)
		default:
			return false
		}
		return true
	})
	got, err := FetchReports(context.Background(), hostileAccount(s), "INBOX", ReportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Matched != 1 || len(got.Parts) != 1 || got.Parts[0].UID != 5 || string(got.Parts[0].Data) != mine {
		t.Errorf("parts: %+v", got.Parts)
	}
	s.noWrites(t)
}
