package mailbox

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Fetcher reads one folder's messages, one at a time, read-only. When the
// connection drops it reconnects with backoff and resumes at the message it
// was reading; if the folder's UIDVALIDITY changed meanwhile, the UIDs no
// longer mean the same messages and it stops with ErrFolderChanged.
type Fetcher struct {
	ctx        context.Context
	stop       func() bool // ends the watch on ctx
	acct       Account
	folder     string
	conn       *IMAP
	validity   uint32
	uidNext    uint32
	Reconnects int
	aborted    atomic.Bool
	mu         sync.Mutex // guards conn against Abort
	// Backoff is the wait before each reconnection attempt.
	Backoff   []time.Duration
	onBackoff func() // tests: called as a pause begins
}

// ErrFolderChanged is returned when UIDVALIDITY changed (RFC 3501 2.3.1.1).
var ErrFolderChanged = errors.New("mailbox: the folder was recreated on the server (UIDVALIDITY changed); open it again")

// OpenFolder connects, examines folder and lists its messages (see
// Examine for ctx).
func OpenFolder(ctx context.Context, a Account, folder string) (*Fetcher, []MessageInfo, error) {
	f, err := Examine(ctx, a, folder)
	if err != nil {
		return nil, nil, err
	}
	list, err := f.conn.List(1, 0)
	if err != nil {
		f.conn.Close()
		return nil, nil, err
	}
	return f, list, nil
}

// Examine connects and examines folder, without listing it. The Fetcher
// lives within ctx: when ctx ends, the connection closes, the command or
// the pause before a reconnection under way ends with ctx's error, and
// nothing reconnects (as after Abort). Close must still be called.
func Examine(ctx context.Context, a Account, folder string) (*Fetcher, error) {
	f := &Fetcher{ctx: ctx, acct: a, folder: folder, Backoff: []time.Duration{200 * time.Millisecond, time.Second, 3 * time.Second}}
	if err := f.connect(); err != nil {
		return nil, err
	}
	f.stop = context.AfterFunc(ctx, f.Abort)
	return f, nil
}

// UIDNext is the UID the next message will get: every message has a UID
// below it.
func (f *Fetcher) UIDNext() uint32 { return f.uidNext }

// PageUIDs lists the given messages, reconnecting as needed.
func (f *Fetcher) PageUIDs(uids []uint32) ([]MessageInfo, error) {
	var list []MessageInfo
	err := f.retry(func() (err error) { list, err = f.conn.ListUIDs(uids); return err })
	return list, err
}

// UIDs returns the folder's UIDs now, and how many messages are unread.
func (f *Fetcher) UIDs() (all []uint32, unread int, err error) {
	err = f.retry(func() (err error) { all, unread, err = f.conn.UIDs(); return err })
	return all, unread, err
}

// UIDsSince returns the UIDs of the messages that arrived on or after the
// day of since.
func (f *Fetcher) UIDsSince(since time.Time) (uids []uint32, err error) {
	err = f.retry(func() (err error) { uids, err = f.conn.UIDsSince(since); return err })
	return uids, err
}

// FetchOne fetches one whole message on its own connection (the message the
// user chose, when it is not at hand), provided the folder still has the
// given UIDVALIDITY.
func FetchOne(ctx context.Context, a Account, folder string, validity, uid uint32) ([]byte, error) {
	f, err := Examine(ctx, a, folder)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if f.UIDValidity() != validity {
		return nil, ErrFolderChanged
	}
	return f.Message(uid)
}

// retry runs op, and after a failure reconnects (with the backoff) and runs
// it again; a login failure, a changed folder, a server that sends too
// much, or the end of the context ends it at once.
func (f *Fetcher) retry(op func() error) error {
	err := op()
	for attempt := 0; err != nil && attempt < len(f.Backoff); attempt++ {
		if errors.Is(err, ErrFolderChanged) || errors.Is(err, ErrLogin) || errors.Is(err, ErrServerTooMuch) || errors.Is(err, ErrTooLarge) || errors.Is(err, ErrTooManyUIDs) {
			return err
		}
		if f.ctx.Err() != nil {
			return fmt.Errorf("mailbox: %w", f.ctx.Err())
		}
		if f.aborted.Load() {
			return ErrAborted
		}
		t := time.NewTimer(f.Backoff[attempt])
		if f.onBackoff != nil {
			f.onBackoff()
		}
		select {
		case <-f.ctx.Done():
			t.Stop()
			return fmt.Errorf("mailbox: %w", f.ctx.Err())
		case <-t.C:
		}
		f.conn.c.Close()
		if cerr := f.connect(); cerr != nil {
			err = cerr
			continue
		}
		f.Reconnects++
		err = op()
	}
	return err
}

func (f *Fetcher) connect() error {
	m, err := Connect(f.ctx, f.acct)
	if err != nil {
		return err
	}
	st, err := m.Examine(f.folder)
	if err != nil {
		m.Close()
		return fmt.Errorf("examine %s: %w", f.folder, err)
	}
	if f.validity != 0 && st.UIDValidity != f.validity {
		m.Close()
		return ErrFolderChanged
	}
	f.mu.Lock()
	f.validity, f.uidNext, f.conn = st.UIDValidity, st.UIDNext, m
	f.mu.Unlock()
	if f.aborted.Load() {
		m.Abort()
	}
	return nil
}

// UIDValidity of the folder.
func (f *Fetcher) UIDValidity() uint32 { return f.validity }

// Message returns a whole message (BODY.PEEK[]), reconnecting as needed.
func (f *Fetcher) Message(uid uint32) ([]byte, error) {
	out, err := f.Messages([]uint32{uid})
	if err != nil {
		return nil, err
	}
	raw, ok := out[uid]
	if !ok {
		return nil, fmt.Errorf("mailbox: no message with UID %d", uid)
	}
	return raw, nil
}

// Messages fetches several whole messages in one command, reconnecting as
// needed; a retry asks again for the whole batch, so nothing is counted
// twice.
func (f *Fetcher) Messages(uids []uint32) (map[uint32][]byte, error) {
	var out map[uint32][]byte
	err := f.retry(func() (err error) { out, err = f.conn.Messages(uids); return err })
	return out, err
}

// Close logs out.
func (f *Fetcher) Close() error {
	if f.stop != nil {
		f.stop()
	}
	return f.conn.Close()
}

// ErrAborted is what a command stopped by Abort returns.
var ErrAborted = errors.New("mailbox: stopped")

// Abort stops the command under way from another goroutine (Cancel): it
// returns ErrAborted, and nothing reconnects. Close must still be called.
func (f *Fetcher) Abort() {
	f.aborted.Store(true)
	f.mu.Lock()
	c := f.conn
	f.mu.Unlock()
	c.Abort()
}
