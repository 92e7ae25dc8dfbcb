package mailbox

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sealtrace/sealtrace/internal/testpeers/dovecottest"
)

// cuttingProxy forwards TCP to target and, once, cuts a connection after
// it has carried cutAfter bytes from the server.
type cuttingProxy struct {
	ln       net.Listener
	target   string
	cutAfter int64
	armed    atomic.Bool // bytes count only once armed
	cut      atomic.Bool
	conns    atomic.Int32
	// stall: instead of cutting, stop forwarding (the connection stays
	// open and silent) until the test ends.
	stall bool
	done  chan struct{}
}

func startProxy(t *testing.T, target string, cutAfter int64, stall bool) *cuttingProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cuttingProxy{ln: ln, target: target, cutAfter: cutAfter, stall: stall, done: make(chan struct{})}
	t.Cleanup(func() { ln.Close(); close(p.done) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.conns.Add(1)
			go p.serve(c)
		}
	}()
	return p
}

func (p *cuttingProxy) serve(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer server.Close()
	var once sync.Once
	stop := func() { once.Do(func() { client.Close(); server.Close() }) }
	go func() { io.Copy(server, client); stop() }()
	var n int64
	buf := make([]byte, 4096)
	for {
		k, err := server.Read(buf)
		if k > 0 {
			if p.armed.Load() && !p.cut.Load() && n+int64(k) > p.cutAfter {
				at := p.cutAfter - n
				if p.stall {
					// Silent, but open, between two FETCH responses (the
					// connection is plaintext on loopback): only a timeout
					// notices. (Inside a literal, go-imap reads the rest
					// from the caller's goroutine after its reader ended,
					// which the race detector reports.)
					i := bytes.Index(buf[at:k], []byte("\r\n* "))
					if i < 0 {
						n += int64(k)
						if _, werr := client.Write(buf[:k]); werr != nil {
							break
						}
						continue
					}
					p.cut.Store(true)
					client.Write(buf[:at+int64(i)+2])
					<-p.done
					stop()
					return
				}
				p.cut.Store(true)
				client.Write(buf[:at])
				stop() // the connection drops mid-fetch
				return
			}
			if p.armed.Load() {
				n += int64(k)
			}
			if _, werr := client.Write(buf[:k]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	stop()
}

// The connection drops in the middle of a fetch: the fetcher reconnects,
// resumes, and every message arrives once and whole; the server's messages
// stay as they were.
func TestFetcherSurvivesADroppedConnection(t *testing.T) {
	seeds := demoSeeds(t)
	for i := range seeds {
		seeds[i].Folder = ""
	}
	d := dovecottest.Start(t, seeds)
	before := d.Snapshot(t)
	// Once the folder is listed, cut after 6 KB of messages (the demo
	// mailbox is about 27 KB), inside a fetch.
	p := startProxy(t, d.IMAPSAddr, 6000, false)
	a := account(d, ImplicitTLS, p.ln.Addr().String())
	a.Server = p.ln.Addr().String()
	f, list, err := OpenFolder(context.Background(), a, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p.armed.Store(true)
	f.Backoff = []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}
	got := map[uint32][]byte{}
	for _, mi := range list {
		raw, err := f.Message(mi.UID)
		if err != nil {
			t.Fatalf("UID %d: %v", mi.UID, err)
		}
		if _, dup := got[mi.UID]; dup {
			t.Fatalf("UID %d fetched twice", mi.UID)
		}
		got[mi.UID] = raw
	}
	if len(got) != len(seeds) || !p.cut.Load() || f.Reconnects < 1 {
		t.Errorf("%d of %d messages, cut %v, %d reconnections", len(got), len(seeds), p.cut.Load(), f.Reconnects)
	}
	norm := func(b []byte) string { return strings.ReplaceAll(string(b), "\r\n", "\n") }
	want := map[string]bool{}
	for _, s := range seeds {
		want[norm(s.Raw)] = true
	}
	for uid, raw := range got {
		if !want[norm(raw)] {
			t.Errorf("UID %d is not one of the seeded messages (truncated?)", uid)
		}
	}
	if after := d.Snapshot(t); after != before {
		t.Error("the server's messages changed")
	}
}

// The server goes silent in the middle of a fetch, the connection staying
// open: the watchdog notices after IOTimeout, the fetcher reconnects, and
// the folder still completes with every message once. Also: Abort stops a
// fetch that waits on a silent server, and nothing reconnects after it.
func TestFetcherSurvivesAStall(t *testing.T) {
	seeds := demoSeeds(t)
	for i := range seeds {
		seeds[i].Folder = ""
	}
	d := dovecottest.Start(t, seeds)
	p := startProxy(t, d.IMAPAddr, 6000, true)
	a := account(d, Plaintext, p.ln.Addr().String())
	a.IOTimeout = 500 * time.Millisecond
	f, list, err := OpenFolder(context.Background(), a, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Backoff = []time.Duration{10 * time.Millisecond, 50 * time.Millisecond}
	p.armed.Store(true)
	uids := make([]uint32, len(list))
	for i, mi := range list {
		uids[i] = mi.UID
	}
	got, err := f.Messages(uids) // one command for the whole folder: the stall is inside it
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(seeds) || !p.cut.Load() || f.Reconnects != 1 {
		t.Errorf("%d of %d messages, stalled %v, %d reconnections (want 1)", len(got), len(seeds), p.cut.Load(), f.Reconnects)
	}
	for uid, raw := range got {
		if len(raw) < 200 {
			t.Errorf("UID %d: %d bytes", uid, len(raw))
		}
	}

	// Abort while a command waits on a silent server.
	q := startProxy(t, d.IMAPAddr, 2000, true)
	b := account(d, Plaintext, q.ln.Addr().String())
	b.IOTimeout = time.Hour // only Abort can end the wait
	g, _, err := OpenFolder(context.Background(), b, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	q.armed.Store(true)
	done := make(chan error, 1)
	go func() { _, err := g.Messages(uids); done <- err }()
	for !q.cut.Load() {
		time.Sleep(5 * time.Millisecond)
	}
	g.Abort()
	if err := <-done; !errors.Is(err, ErrAborted) {
		t.Errorf("after Abort: %v, want ErrAborted", err)
	}
	if g.Reconnects != 0 {
		t.Errorf("%d reconnections after Abort", g.Reconnects)
	}
}
