package mailbox

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sealtrace/sealtrace/assets"
	"github.com/sealtrace/sealtrace/internal/testpeers/dovecottest"
)

func demoSeeds(t *testing.T) []dovecottest.Seed {
	t.Helper()
	var seeds []dovecottest.Seed
	r := NewMboxReader(bytes.NewReader(assets.DemoMbox))
	for i := 0; ; i++ {
		raw, _, err := r.Next()
		if err != nil {
			break
		}
		folder := ""
		switch {
		case i%5 == 3:
			folder = "Archive"
		case i%5 == 4:
			folder = "Lists/Dev"
		}
		seeds = append(seeds, dovecottest.Seed{Folder: folder, Raw: raw, Seen: i%2 == 0})
	}
	if len(seeds) < 10 {
		t.Fatalf("%d demo messages", len(seeds))
	}
	return seeds
}

// Against a real Dovecot: TLS and STARTTLS, folders, list data, whole
// messages, and the proof that nothing changed on the server.
func TestDovecotReadOnly(t *testing.T) {
	seeds := demoSeeds(t)
	d := dovecottest.Start(t, seeds)
	before := d.Snapshot(t)

	for _, c := range []struct {
		sec  Security
		addr string
	}{{ImplicitTLS, d.IMAPSAddr}, {StartTLS, d.IMAPAddr}} {
		m, err := Connect(context.Background(), account(d, c.sec, c.addr))
		if err != nil {
			t.Fatalf("%s: %v", c.sec, err)
		}
		folders, err := m.Folders()
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, f := range folders {
			names[f.Name] = true
		}
		if !names["INBOX"] || !names["Archive"] || !names["Lists/Dev"] {
			t.Errorf("%s: folders %v", c.sec, folders)
		}
		total := 0
		for _, folder := range []string{"INBOX", "Archive", "Lists/Dev"} {
			st, err := m.Examine(folder)
			if err != nil {
				t.Fatalf("examine %s: %v", folder, err)
			}
			list, err := m.List(1, 0)
			if err != nil {
				t.Fatal(err)
			}
			if uint32(len(list)) != st.Messages || st.UIDValidity == 0 {
				t.Errorf("%s: %d listed, EXAMINE says %d", folder, len(list), st.Messages)
			}
			for _, mi := range list {
				if len(mi.Header) == 0 || mi.Subject == "" {
					t.Errorf("%s UID %d: no header or subject", folder, mi.UID)
				}
				got, err := m.Messages([]uint32{mi.UID})
				if err != nil {
					t.Fatal(err)
				}
				raw := got[mi.UID]
				found := false
				for _, s := range seeds {
					found = found || bytes.Equal(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")), bytes.ReplaceAll(s.Raw, []byte("\r\n"), []byte("\n")))
				}
				if !found {
					t.Errorf("%s UID %d: the message differs from the one seeded", folder, mi.UID)
				}
				total++
			}
		}
		if total != len(seeds) {
			t.Errorf("%s: %d messages read, %d seeded", c.sec, total, len(seeds))
		}
		m.Close()
	}
	if after := d.Snapshot(t); after != before {
		t.Errorf("the server's messages changed (flags or content):\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func TestDovecotErrors(t *testing.T) {
	d := dovecottest.Start(t, demoSeeds(t)[:1])
	a := account(d, ImplicitTLS, d.IMAPSAddr)
	a.Password = "wrong"
	if _, err := Connect(context.Background(), a); !errors.Is(err, ErrLogin) {
		t.Errorf("wrong password: %v", err)
	}
	// An untrusted certificate is refused with its fingerprint, and accepted
	// once pinned.
	a = account(d, ImplicitTLS, d.IMAPSAddr)
	a.RootCAs = nil
	_, err := Connect(context.Background(), a)
	var ce *CertError
	if !errors.As(err, &ce) || ce.Fingerprint != d.Fingerprint || !strings.Contains(ce.Subject, "localhost") {
		t.Fatalf("untrusted certificate: %v", err)
	}
	a.PinnedSHA256 = ce.Fingerprint
	m, err := Connect(context.Background(), a)
	if err != nil {
		t.Fatalf("pinned: %v", err)
	}
	m.Close()
	// Nothing listens: a connection error, said as such.
	a = account(d, ImplicitTLS, "127.0.0.1:1")
	if _, err := Connect(context.Background(), a); !errors.Is(err, ErrConnect) {
		t.Errorf("closed port: %v", err)
	}
}

func account(d *dovecottest.Server, sec Security, addr string) Account {
	return Account{Server: addr, Security: sec, Username: "alice", Password: "secret", RootCAs: d.Roots, Timeout: 5 * time.Second}
}

// IDLE: a message delivered while watching is fetched (read-only) and
// handed over once; the messages already there are not.
func TestWatchIDLE(t *testing.T) {
	seeds := demoSeeds(t)[:2]
	for i := range seeds {
		seeds[i].Folder = ""
	}
	d := dovecottest.Start(t, seeds)
	// The folder is read once first, as the app does before it watches:
	// Dovecot gives UIDs when it first scans the Maildir.
	f, list, err := OpenFolder(context.Background(), account(d, ImplicitTLS, d.IMAPSAddr), "INBOX")
	if err != nil || len(list) != 2 {
		t.Fatalf("%v, %d messages", err, len(list))
	}
	f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan []byte, 4)
	errc := make(chan error, 1)
	go func() {
		errc <- Watch(ctx, account(d, ImplicitTLS, d.IMAPSAddr), "INBOX", 0, 2, func(uid uint32, raw []byte) { got <- raw })
	}()
	// Delivered before or after the watcher enters IDLE, it must be seen:
	// Watch fetches what is new first, and Dovecot reports EXISTS in IDLE.
	arrived := demoSeeds(t)[5].Raw
	d.Deliver(t, "", arrived)
	select {
	case raw := <-got:
		if !bytes.Equal(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")), bytes.ReplaceAll(arrived, []byte("\r\n"), []byte("\n"))) {
			t.Errorf("the new message differs from the one delivered: %d vs %d bytes: %.80q", len(raw), len(arrived), raw)
		}
	case err := <-errc:
		t.Fatalf("the watcher stopped: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the delivered message was not seen")
	}
	select {
	case raw := <-got:
		t.Errorf("a second message was handed over: %.60q", raw)
	case <-time.After(300 * time.Millisecond):
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("the watcher ended with %v", err)
	}
}
