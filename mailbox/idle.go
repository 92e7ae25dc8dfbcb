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
//
// validity is the folder's UIDVALIDITY the caller keeps its messages under
// (its cache): when the server's differs, afterUID and the UIDs to come do
// not name the messages the caller thinks (RFC 3501 2.3.1.1), and Watch
// returns ErrFolderChanged before fetching anything. Arrivals obey the
// account's size limits like any fetch: a message announced larger than
// MaxMessageBytes is skipped, one that turns out larger ends the watch with
// ErrTooLarge, and messages are fetched in batches of DefaultBatchBytes.
func Watch(ctx context.Context, a Account, folder string, validity, afterUID uint32, onNew func(uid uint32, raw []byte)) error {
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
	m, err := connect(ctx, a, handler)
	if err != nil {
		return err
	}
	defer m.Close()
	st, err := m.Examine(folder)
	if err != nil {
		return fmt.Errorf("examine %s: %w", folder, err)
	}
	if validity != 0 && st.UIDValidity != validity {
		return ErrFolderChanged
	}
	last := afterUID
	fetchNew := func() error {
		list, err := m.List(last+1, 0)
		if err != nil {
			return err
		}
		var fresh []MessageInfo
		for _, mi := range list {
			if mi.UID > last && mi.Size <= m.msgLimit { // "n:*" includes the last message when nothing is newer
				fresh = append(fresh, mi)
			}
			last = max(last, mi.UID)
		}
		for len(fresh) > 0 {
			part := fresh[:BatchLen(fresh, 50, DefaultBatchBytes)]
			fresh = fresh[len(part):]
			uids := make([]uint32, len(part))
			for i, mi := range part {
				uids[i] = mi.UID
			}
			got, err := m.Messages(uids)
			if err != nil {
				return err
			}
			for _, uid := range uids {
				if raw, ok := got[uid]; ok {
					onNew(uid, raw)
				}
			}
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
