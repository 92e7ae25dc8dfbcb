package mailbox

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
)

// Unit tests against go-imap's in-memory server, whose sessions are wrapped
// to record every command that could change a mailbox: the read-only rule
// is checked at the server's door, not only by looking at the result.

// watchedSession records what the client asked of the server.
type watchedSession struct {
	imapserver.Session
	mu     *sync.Mutex
	writes *[]string
}

func (s *watchedSession) wrote(what string) {
	s.mu.Lock()
	*s.writes = append(*s.writes, what)
	s.mu.Unlock()
}

func (s *watchedSession) Select(mailbox string, o *imap.SelectOptions) (*imap.SelectData, error) {
	if o == nil || !o.ReadOnly {
		s.wrote("SELECT " + mailbox + " (not EXAMINE)")
	}
	return s.Session.Select(mailbox, o)
}

func (s *watchedSession) Fetch(w *imapserver.FetchWriter, set imap.NumSet, o *imap.FetchOptions) error {
	for _, b := range o.BodySection {
		if !b.Peek {
			s.wrote("FETCH BODY[] without PEEK")
		}
	}
	return s.Session.Fetch(w, set, o)
}

func (s *watchedSession) Store(w *imapserver.FetchWriter, set imap.NumSet, f *imap.StoreFlags, o *imap.StoreOptions) error {
	s.wrote("STORE")
	return s.Session.Store(w, set, f, o)
}

func (s *watchedSession) Expunge(w *imapserver.ExpungeWriter, uids *imap.UIDSet) error {
	s.wrote("EXPUNGE")
	return s.Session.Expunge(w, uids)
}

func (s *watchedSession) Copy(set imap.NumSet, dest string) (*imap.CopyData, error) {
	s.wrote("COPY")
	return s.Session.Copy(set, dest)
}

func (s *watchedSession) Append(mailbox string, r imap.LiteralReader, o *imap.AppendOptions) (*imap.AppendData, error) {
	s.wrote("APPEND")
	return s.Session.Append(mailbox, r, o)
}

func (s *watchedSession) Create(mailbox string, o *imap.CreateOptions) error {
	s.wrote("CREATE")
	return s.Session.Create(mailbox, o)
}

func (s *watchedSession) Delete(mailbox string) error {
	s.wrote("DELETE")
	return s.Session.Delete(mailbox)
}

func (s *watchedSession) Rename(mailbox, to string, o *imap.RenameOptions) error {
	s.wrote("RENAME")
	return s.Session.Rename(mailbox, to, o)
}

type memServer struct {
	addr   string
	user   *imapmemserver.User
	mu     sync.Mutex
	writes []string
}

func startMemServer(t *testing.T) *memServer {
	t.Helper()
	mem := imapmemserver.New()
	m := &memServer{user: imapmemserver.NewUser("alice", "secret")}
	mem.AddUser(m.user)
	if err := m.user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	if err := m.user.Create("Archive", nil); err != nil {
		t.Fatal(err)
	}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &watchedSession{Session: mem.NewSession(), mu: &m.mu, writes: &m.writes}, nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIdle: {}},
		InsecureAuth: true, // loopback only, and the client must ask for plaintext
		Logger:       nopLogger{},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	m.addr = ln.Addr().String()
	return m
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}

// deliver adds a message as the server's own delivery would (not through
// a client session, so it is not counted as a write of ours).
func (m *memServer) deliver(t *testing.T, folder string, raw []byte, seen bool) {
	t.Helper()
	m.deliverAt(t, folder, raw, seen, time.Now())
}

func (m *memServer) deliverAt(t *testing.T, folder string, raw []byte, seen bool, at time.Time) {
	t.Helper()
	var flags []imap.Flag
	if seen {
		flags = []imap.Flag{imap.FlagSeen}
	}
	if _, err := m.user.Append(folder, bytes.NewReader(raw), &imap.AppendOptions{Flags: flags, Time: at}); err != nil {
		t.Fatal(err)
	}
}

func memMessage(i int) []byte {
	return fmt.Appendf(nil, "From: Bob <bob@example.org>\r\nTo: alice@example.com\r\nSubject: message %d\r\nDate: Mon, 23 Nov 2026 10:%02d:00 +0000\r\nMessage-ID: <%d@example.org>\r\n\r\nBody %d.\r\n", i, i, i, i)
}

func TestMemServerReadOnly(t *testing.T) {
	m := startMemServer(t)
	for i := 1; i <= 3; i++ {
		m.deliver(t, "INBOX", memMessage(i), i == 2)
	}
	m.deliver(t, "Archive", memMessage(4), false)
	status := func() string {
		var out []string
		for _, f := range []string{"INBOX", "Archive"} {
			d, err := m.user.Status(f, &imap.StatusOptions{NumMessages: true, NumUnseen: true})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s %d/%d", f, *d.NumMessages, *d.NumUnseen))
		}
		return strings.Join(out, ", ")
	}
	before := status()

	// Plaintext only when asked (loopback); the login goes through the
	// account's SASL hook (the place for XOAUTH2).
	a := Account{Server: m.addr, Security: Plaintext, Username: "alice", Password: "secret"}
	a.SASL = func() sasl.Client { return sasl.NewPlainClient("", "alice", "secret") }
	c, err := Connect(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	folders, err := c.Folders()
	if err != nil || len(folders) != 2 {
		t.Fatalf("folders: %v %v", folders, err)
	}
	unread, err := c.Unread([]string{"INBOX", "Archive", "Nowhere"})
	if err != nil || fmt.Sprint(unread) != "map[Archive:1 INBOX:2]" {
		t.Errorf("unread: %v %v", unread, err)
	}
	c.Close()

	f, err := Examine(context.Background(), Account{Server: m.addr, Security: Plaintext, Username: "alice", Password: "secret"}, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	uids, n, err := f.UIDs()
	if err != nil || len(uids) != 3 || n != 2 {
		t.Fatalf("UIDs %v, %d unread, %v", uids, n, err)
	}
	list, err := f.PageUIDs(uids)
	if err != nil || len(list) != 3 || list[1].Subject != "message 2" || !hasFlag(list[1].Flags, `\Seen`) || list[0].From != "bob@example.org" {
		t.Fatalf("list: %+v %v", list, err)
	}
	got, err := f.Messages(uids)
	if err != nil {
		t.Fatal(err)
	}
	for i, u := range uids {
		if !bytes.Equal(got[u], memMessage(i+1)) {
			t.Errorf("UID %d: %q", u, got[u])
		}
	}
	f.Close()

	// IDLE: a message delivered while watching arrives.
	ctx, cancel := context.WithCancel(context.Background())
	arrived := make(chan []byte, 1)
	watchErr := make(chan error, 1)
	go func() {
		watchErr <- Watch(ctx, Account{Server: m.addr, Security: Plaintext, Username: "alice", Password: "secret"}, "INBOX", f.UIDValidity(), uids[2], func(_ uint32, raw []byte) { arrived <- raw })
	}()
	time.Sleep(200 * time.Millisecond) // let it reach IDLE; delivered earlier it is found by the first look instead
	m.deliver(t, "INBOX", memMessage(5), false)
	select {
	case raw := <-arrived:
		if !bytes.Equal(raw, memMessage(5)) {
			t.Errorf("arrived: %q", raw)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the delivered message did not arrive")
	}
	cancel()
	<-watchErr

	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.writes) != 0 {
		t.Errorf("the client asked the server to change something: %v", m.writes)
	}
	// \Seen unchanged: only the delivered message is new (and unread).
	if after := status(); before != "INBOX 3/2, Archive 1/1" || after != "INBOX 4/3, Archive 1/1" {
		t.Errorf("before %s, after %s", before, after)
	}
}

func hasFlag(flags []string, f string) bool {
	for _, x := range flags {
		if strings.EqualFold(x, f) {
			return true
		}
	}
	return false
}

// A server that refuses the login: a clear error, naming the step.
func TestMemServerWrongPassword(t *testing.T) {
	m := startMemServer(t)
	_, err := Connect(context.Background(), Account{Server: m.addr, Security: Plaintext, Username: "alice", Password: "wrong"})
	if err == nil || !strings.Contains(err.Error(), "rejected the login") {
		t.Errorf("wrong password: %v", err)
	}
}

// SEARCH SINCE: the messages that arrived on or after a day.
func TestMemServerSince(t *testing.T) {
	m := startMemServer(t)
	day := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	for i := 1; i <= 4; i++ {
		m.deliverAt(t, "INBOX", memMessage(i), false, day.AddDate(0, 0, i-2)) // the 19th to the 22nd
	}
	f, err := Examine(context.Background(), Account{Server: m.addr, Security: Plaintext, Username: "alice", Password: "secret"}, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, _, _ := f.UIDs()
	got, err := f.UIDsSince(day)
	if err != nil || fmt.Sprint(got) != fmt.Sprint(all[1:]) {
		t.Errorf("since the 20th: %v %v (all %v)", got, err, all)
	}
}
