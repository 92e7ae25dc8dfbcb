package mailbox

import (
	"context"
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
)

// Watch keeps a read-only connection on folder in IDLE (RFC 2177) and calls
// onNew with each message that arrives after afterUID, fetched with
// BODY.PEEK[]. It returns when ctx ends, or with the error that stopped it.
// IDLE is renewed every 25 minutes, as RFC 2177 asks of clients.
func Watch(ctx context.Context, a Account, folder string, afterUID uint32, onNew func(uid uint32, raw []byte)) error {
	changed := make(chan struct{}, 1)
	handler := &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				select {
				case changed <- struct{}{}:
				default:
				}
			}
		},
	}
	m, err := connect(a, handler)
	if err != nil {
		return err
	}
	defer m.Close()
	if _, err := m.Examine(folder); err != nil {
		return fmt.Errorf("examine %s: %w", folder, err)
	}
	last := afterUID
	fetchNew := func() error {
		list, err := m.List(last+1, 0)
		if err != nil {
			return err
		}
		var uids []uint32
		for _, mi := range list {
			if mi.UID > last { // "n:*" includes the last message when nothing is newer
				uids = append(uids, mi.UID)
			}
		}
		if len(uids) == 0 {
			return nil
		}
		got, err := m.Messages(uids) // one FETCH for all that arrived
		if err != nil {
			return err
		}
		for _, uid := range uids {
			if raw, ok := got[uid]; ok {
				onNew(uid, raw)
			}
			last = uid
		}
		return nil
	}
	if err := fetchNew(); err != nil { // what arrived between the listing and now
		return err
	}
	for {
		var idle *imapclient.IdleCommand
		err := m.do(func() (err error) { idle, err = m.c.Idle(); return err })
		if err != nil {
			return fmt.Errorf("mailbox: IDLE: %w", err)
		}
		select {
		case <-ctx.Done():
			idle.Close()
			idle.Wait()
			return ctx.Err()
		case <-changed:
		case <-time.After(25 * time.Minute):
		}
		if err := m.do(func() error {
			if err := idle.Close(); err != nil {
				return err
			}
			return idle.Wait()
		}); err != nil {
			return err
		}
		if err := fetchNew(); err != nil {
			return err
		}
	}
}
