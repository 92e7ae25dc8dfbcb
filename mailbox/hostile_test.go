package mailbox

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A hostile IMAP server, spoken by hand on a loopback TCP port: it lies
// about sizes, answers with UIDs that were not asked for, never stops
// sending untagged responses, or goes silent. Each test says what the
// server does to one command; the server records every command it gets,
// so that the read-only rule is checked here too.

type hostileServer struct {
	addr     string
	validity uint32
	// answer answers one command (tag, upper-case name, the whole line);
	// it returns false to fall back to the ordinary answer.
	answer func(w *bufio.Writer, tag, cmd, line string) bool
	// accepted receives one value per connection accepted.
	accepted chan struct{}
	sent     atomic.Int64 // bytes written by hostile answers
	mu       sync.Mutex
	commands []string
	release  chan struct{} // closed when the test ends: silent answers return
	// hangUpAfter: the connection is closed after the answer to this
	// command (guarded by mu).
	hangUpAfter string
}

func (s *hostileServer) hangUp() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hangUpAfter
}

func startHostile(t *testing.T, answer func(w *bufio.Writer, tag, cmd, line string) bool) *hostileServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &hostileServer{addr: ln.Addr().String(), validity: 7, answer: answer, accepted: make(chan struct{}, 16), release: make(chan struct{})}
	var wg sync.WaitGroup
	t.Cleanup(func() { close(s.release); ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			select {
			case s.accepted <- struct{}{}:
			default:
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				go func() { <-s.release; c.Close() }()
				s.serve(c)
			}()
		}
	}()
	return s
}

func (s *hostileServer) serve(c net.Conn) {
	r := bufio.NewReader(c)
	w := bufio.NewWriter(c)
	if s.answer(w, "", "GREETING", "") {
		w.Flush()
		return
	}
	fmt.Fprintf(w, "* OK [CAPABILITY IMAP4rev1 IDLE] hostile ready\r\n")
	w.Flush()
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		tag, rest, _ := strings.Cut(line, " ")
		cmd, _, _ := strings.Cut(rest, " ")
		cmd = strings.ToUpper(cmd)
		if cmd == "UID" {
			_, more, _ := strings.Cut(rest, " ")
			sub, _, _ := strings.Cut(more, " ")
			cmd = "UID " + strings.ToUpper(sub)
		}
		s.mu.Lock()
		s.commands = append(s.commands, rest)
		s.mu.Unlock()
		if s.answer(w, tag, cmd, line) {
			if w.Flush() != nil || cmd == s.hangUp() {
				return
			}
			continue
		}
		switch cmd {
		case "CAPABILITY":
			fmt.Fprintf(w, "* CAPABILITY IMAP4rev1 IDLE\r\n%s OK done\r\n", tag)
		case "LOGIN":
			fmt.Fprintf(w, "%s OK logged in\r\n", tag)
		case "EXAMINE", "SELECT":
			fmt.Fprintf(w, "* 3 EXISTS\r\n* OK [UIDVALIDITY %d] ok\r\n* OK [UIDNEXT 10] ok\r\n%s OK [READ-ONLY] done\r\n", s.validity, tag)
		case "LOGOUT":
			fmt.Fprintf(w, "* BYE bye\r\n%s OK done\r\n", tag)
			w.Flush()
			return
		case "NOOP":
			fmt.Fprintf(w, "%s OK done\r\n", tag)
		default:
			fmt.Fprintf(w, "%s BAD not here\r\n", tag)
		}
		if w.Flush() != nil {
			return
		}
	}
}

// noWrites fails the test when a command could have changed the mailbox:
// only EXAMINE, and fetches that PEEK.
func (s *hostileServer) noWrites(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.commands {
		u := strings.ToUpper(c)
		for _, bad := range []string{"SELECT", "STORE", "COPY", "MOVE", "EXPUNGE", "APPEND", "CREATE", "DELETE", "RENAME"} {
			if strings.HasPrefix(u, bad+" ") || strings.HasPrefix(u, "UID "+bad+" ") {
				t.Errorf("the client sent %q", c)
			}
		}
		if strings.Contains(u, "BODY[") {
			t.Errorf("a fetch without PEEK: %q", c)
		}
	}
}

// stream writes n bytes of filler from one small buffer (the server must
// not be what holds memory in this test), until the client goes away.
func (s *hostileServer) stream(w *bufio.Writer, n int64) {
	buf := []byte(strings.Repeat("0123456789abcdef", 4096))
	for n > 0 {
		k := min(n, int64(len(buf)))
		if _, err := w.Write(buf[:k]); err != nil {
			return
		}
		s.sent.Add(k)
		n -= k
	}
}

func hostileAccount(s *hostileServer) Account {
	return Account{Server: s.addr, Security: Plaintext, Username: "alice", Password: "secret",
		MaxMessageBytes: 1 << 20, MaxCommandBytes: 4 << 20, IOTimeout: 10 * time.Minute}
}

// heapGrowth runs f and returns how many bytes it allocated (all
// goroutines: the hostile server's writes come from one fixed buffer).
func heapGrowth(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// The server announces a small message (RFC822.SIZE 120) and sends a
// 512 MiB literal: the fetch ends with ErrTooLarge after about
// MaxMessageBytes received, the memory allocated stays bounded, and the
// message is not returned.
func TestHostileLiteralLargerThanAnnounced(t *testing.T) {
	const huge = 512 << 20
	var s *hostileServer
	s = startHostile(t, func(w *bufio.Writer, tag, cmd, line string) bool {
		if cmd != "UID FETCH" {
			return false
		}
		if strings.Contains(line, "HEADER") {
			fmt.Fprintf(w, "* 1 FETCH (UID 5 RFC822.SIZE 120 FLAGS () BODY[HEADER] {20}\r\nSubject: small\r\n\r\n\r\n)\r\n%s OK done\r\n", tag)
			return true
		}
		fmt.Fprintf(w, "* 1 FETCH (UID 5 BODY[] {%d}\r\n", huge)
		s.stream(w, huge)
		return true
	})
	var raw []byte
	var err error
	grew := heapGrowth(func() {
		f, list, oerr := OpenFolder(context.Background(), hostileAccount(s), "INBOX")
		if oerr != nil {
			t.Fatal(oerr)
		}
		defer f.Close()
		if len(list) != 1 || list[0].Size != 120 {
			t.Fatalf("list: %+v", list)
		}
		raw, err = f.Message(5)
	})
	if !errors.Is(err, ErrTooLarge) || raw != nil {
		t.Errorf("got %d bytes, error %v; want ErrTooLarge", len(raw), err)
	}
	if grew > 32<<20 {
		t.Errorf("%d MiB allocated for a 1 MiB limit", grew>>20)
	}
	if sent := s.sent.Load(); sent >= huge {
		t.Errorf("the server could send all of its %d MiB", sent>>20)
	}
	t.Logf("allocated %d MiB; the server sent %d MiB of its %d MiB before the connection closed", grew>>20, s.sent.Load()>>20, huge>>20)
	s.noWrites(t)
}

// The server answers a fetch of UID 5 with UID 6: that message is not the
// one asked for, so nothing is returned, and the error says so.
func TestHostileOtherUID(t *testing.T) {
	s := startHostile(t, func(w *bufio.Writer, tag, cmd, line string) bool {
		if cmd != "UID FETCH" {
			return false
		}
		body := "Subject: not the one\r\n\r\nhello\r\n"
		fmt.Fprintf(w, "* 2 FETCH (UID 6 BODY[] {%d}\r\n%s)\r\n%s OK done\r\n", len(body), body, tag)
		return true
	})
	raw, err := FetchOne(context.Background(), hostileAccount(s), "INBOX", 7, 5)
	if err == nil || raw != nil || !strings.Contains(err.Error(), "no message with UID 5") {
		t.Errorf("got %q, %v", raw, err)
	}
	s.noWrites(t)
}

// The server never ends its answer to a search: untagged SEARCH responses
// without end. The command ends with ErrServerTooMuch after
// MaxCommandBytes, with bounded memory, and is not retried.
func TestHostileEndlessUntagged(t *testing.T) {
	const endless = 1 << 30
	var searches atomic.Int32
	var s *hostileServer
	s = startHostile(t, func(w *bufio.Writer, tag, cmd, line string) bool {
		if cmd != "UID SEARCH" {
			return false
		}
		searches.Add(1)
		buf := []byte(strings.Repeat("* SEARCH 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\r\n", 1024))
		for n := 0; n < endless; n += len(buf) {
			if _, err := w.Write(buf); err != nil {
				return true
			}
			s.sent.Add(int64(len(buf)))
		}
		return true
	})
	var err error
	grew := heapGrowth(func() {
		f, ferr := Examine(context.Background(), hostileAccount(s), "INBOX")
		if ferr != nil {
			t.Fatal(ferr)
		}
		defer f.Close()
		_, _, err = f.UIDs()
	})
	if !errors.Is(err, ErrServerTooMuch) {
		t.Errorf("UIDs: %v, want ErrServerTooMuch", err)
	}
	if grew > 64<<20 {
		t.Errorf("%d MiB allocated for a 4 MiB command limit", grew>>20)
	}
	if n := searches.Load(); n != 1 {
		t.Errorf("%d searches: a server that sends too much must not be asked again", n)
	}
	t.Logf("allocated %d MiB; the server sent %d MiB", grew>>20, s.sent.Load()>>20)
	s.noWrites(t)
}

// IDLE: a folder whose UIDVALIDITY is not the one the caller caches under
// is not fetched from at all; arrivals announced over the size limit are
// skipped; one that turns out larger than announced ends the watch with
// ErrTooLarge, and none reaches onNew.
func TestHostileIdle(t *testing.T) {
	var fetchedBodies atomic.Int32
	var s *hostileServer
	s = startHostile(t, func(w *bufio.Writer, tag, cmd, line string) bool {
		if cmd != "UID FETCH" {
			return false
		}
		if strings.Contains(line, "HEADER") { // the listing of what arrived: UID 8 is huge and says so, UID 9 lies
			fmt.Fprintf(w, "* 1 FETCH (UID 8 RFC822.SIZE %d FLAGS () BODY[HEADER] {4}\r\nA: b)\r\n", 900<<20)
			fmt.Fprintf(w, "* 2 FETCH (UID 9 RFC822.SIZE 100 FLAGS () BODY[HEADER] {4}\r\nA: b)\r\n%s OK done\r\n", tag)
			return true
		}
		fetchedBodies.Add(1)
		if strings.Contains(line, " 8 ") || strings.Contains(line, " 8:") || strings.Contains(line, ",8") {
			t.Errorf("the message announced over the limit was fetched: %q", line)
		}
		fmt.Fprintf(w, "* 2 FETCH (UID 9 BODY[] {%d}\r\n", 64<<20)
		s.stream(w, 64<<20)
		return true
	})
	var arrived []uint32
	onNew := func(uid uint32, raw []byte) { arrived = append(arrived, uid) }
	err := Watch(context.Background(), hostileAccount(s), "INBOX", 6, 7, onNew)
	if !errors.Is(err, ErrFolderChanged) || fetchedBodies.Load() != 0 {
		t.Errorf("UIDVALIDITY 7 on the server, 6 cached: %v, %d fetches", err, fetchedBodies.Load())
	}
	err = Watch(context.Background(), hostileAccount(s), "INBOX", 7, 7, onNew)
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("an arrival larger than announced: %v", err)
	}
	if len(arrived) != 0 {
		t.Errorf("onNew called for %v", arrived)
	}
	s.noWrites(t)
}

// Contexts: cancelling ends a connection waiting for its greeting, an
// EXAMINE, a fetch and the pause before a reconnection, at once (the
// server stays silent, the account's own timeouts are far away).
func TestHostileCancel(t *testing.T) {
	wait := func(t *testing.T, what string, errc chan error, cancel func(), s *hostileServer, ready <-chan struct{}) {
		t.Helper()
		<-ready
		cancel()
		select {
		case err := <-errc:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s: %v, want context.Canceled", what, err)
			}
		case <-time.After(30 * time.Second): // a safety net, far above the answer expected at once
			t.Fatalf("%s: still waiting after the context was cancelled", what)
		}
		s.noWrites(t)
	}
	silent := func(on string, reached chan struct{}) func(w *bufio.Writer, tag, cmd, line string) bool {
		return func(w *bufio.Writer, tag, cmd, line string) bool {
			if cmd != on {
				return false
			}
			close(reached)
			return true // and answer nothing
		}
	}

	t.Run("greeting", func(t *testing.T) {
		reached, never := make(chan struct{}), make(chan struct{})
		s := startHostile(t, func(w *bufio.Writer, tag, cmd, line string) bool {
			if cmd == "GREETING" {
				close(reached)
				<-never // no greeting until the test ends
			}
			return false
		})
		t.Cleanup(func() { close(never) })
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { _, err := Connect(ctx, hostileAccount(s)); errc <- err }()
		wait(t, "Connect", errc, cancel, s, reached)
	})
	t.Run("examine", func(t *testing.T) {
		reached := make(chan struct{})
		s := startHostile(t, silent("EXAMINE", reached))
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { _, err := Examine(ctx, hostileAccount(s), "INBOX"); errc <- err }()
		wait(t, "Examine", errc, cancel, s, reached)
	})
	t.Run("fetch", func(t *testing.T) {
		reached := make(chan struct{})
		s := startHostile(t, silent("UID FETCH", reached))
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { _, err := FetchOne(ctx, hostileAccount(s), "INBOX", 7, 5); errc <- err }()
		wait(t, "FetchOne", errc, cancel, s, reached)
	})
	t.Run("backoff", func(t *testing.T) {
		// The first search drops the connection; the fetcher then pauses
		// for an hour before it reconnects, unless the context ends.
		reached := make(chan struct{})
		s := startHostile(t, func(w *bufio.Writer, tag, cmd, line string) bool {
			if cmd != "UID SEARCH" {
				return false
			}
			fmt.Fprintf(w, "* BYE going away\r\n")
			return true
		})
		s.mu.Lock()
		s.hangUpAfter = "UID SEARCH"
		s.mu.Unlock()
		ctx, cancel := context.WithCancel(context.Background())
		f, err := Examine(ctx, hostileAccount(s), "INBOX")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		f.Backoff = []time.Duration{time.Hour}
		f.onBackoff = func() { close(reached) }
		errc := make(chan error, 1)
		go func() { _, _, err := f.UIDs(); errc <- err }()
		wait(t, "the pause before reconnecting", errc, cancel, s, reached)
		if f.Reconnects != 0 {
			t.Errorf("%d reconnections after the context ended", f.Reconnects)
		}
	})
}

// BatchLen: at most the count, at most the bytes announced, never zero.
func TestBatchLen(t *testing.T) {
	sizes := func(s ...int64) []MessageInfo {
		out := make([]MessageInfo, len(s))
		for i, n := range s {
			out[i] = MessageInfo{UID: uint32(i + 1), Size: n}
		}
		return out
	}
	for _, c := range []struct {
		list  []MessageInfo
		count int
		bytes int64
		want  int
	}{
		{sizes(), 50, 100, 0},
		{sizes(10, 10, 10), 50, 100, 3},
		{sizes(10, 10, 10), 2, 100, 2},
		{sizes(60, 30, 20), 50, 100, 2},
		{sizes(500, 1), 50, 100, 1}, // one message larger than a batch goes alone
		{sizes(1, 500), 50, 100, 1},
		{sizes(-5, 50, 50), 50, 100, 3}, // a negative size counts as nothing
	} {
		if got := BatchLen(c.list, c.count, c.bytes); got != c.want {
			t.Errorf("%v, %d, %d: %d, want %d", c.list, c.count, c.bytes, got, c.want)
		}
	}
}
