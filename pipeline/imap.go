package pipeline

import (
	"context"
	"fmt"
	"sync"

	"github.com/sealtrace/sealtrace/mailbox"
)

// Folder reads messages of an IMAP folder opened read-only (EXAMINE): their
// list data 500 per command (for the sizes), then whole messages 50 per
// command with BODY.PEEK, the next batch fetched while the last is
// inspected. Nothing on the server changes.
type Folder struct {
	Fetcher *mailbox.Fetcher
	UIDs    []uint32 // the messages to read, in this order
	Name    string   // imap://host/folder, for the items' names
	// HeadersOver, when above zero, is the size over which a message is
	// read as its header only (Item.Partial); when zero, a message over
	// mailbox.MaxMessageBytes is an ErrTooLarge item.
	HeadersOver int64
	// Cached, when set, gives a message kept from before: it is not fetched.
	Cached func(uid uint32) ([]byte, bool)
	// Fetched, when set, learns each message fetched (to keep it), on the
	// fetching goroutine.
	Fetched func(uid uint32, raw []byte)

	wg sync.WaitGroup
}

// Source starts fetching and returns the folder's messages as a Source.
// Fetching stops when ctx is done; Wait waits until it has.
func (f *Folder) Source(ctx context.Context) Source {
	const page, batch = 500, 50
	batches := make(chan []Item, 2)
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		defer close(batches)
		send := func(b []Item) bool {
			select {
			case batches <- b:
				return true
			case <-ctx.Done():
				return false
			}
		}
		uids := f.UIDs
		for len(uids) > 0 && ctx.Err() == nil {
			list, err := f.Fetcher.PageUIDs(uids[:min(page, len(uids))])
			if err != nil {
				send([]Item{{Source: f.Name, Err: err}})
				return
			}
			uids = uids[min(page, len(uids)):]
			for len(list) > 0 {
				part := list[:mailbox.BatchLen(list, batch, mailbox.DefaultBatchBytes)] // by count and by bytes
				list = list[len(part):]
				if !send(f.fetch(part)) {
					return
				}
			}
		}
	}()
	var cur []Item
	return SourceFunc(func(context.Context) (Item, bool) {
		for len(cur) == 0 {
			b, ok := <-batches
			if !ok {
				return Item{}, false
			}
			cur = b
		}
		it := cur[0]
		cur = cur[1:]
		return it, true
	})
}

// Wait returns when the fetching goroutine has ended (after the end of the
// folder, or after the context given to Source is done).
func (f *Folder) Wait() { f.wg.Wait() }

// fetch reads one batch: from the cache, whole, or as headers only.
func (f *Folder) fetch(part []mailbox.MessageInfo) []Item {
	got := map[uint32][]byte{}
	var want []uint32
	limit := f.HeadersOver
	if limit <= 0 {
		limit = mailbox.MaxMessageBytes
	}
	for _, mi := range part {
		if f.Cached != nil {
			if raw, ok := f.Cached(mi.UID); ok {
				got[mi.UID] = raw
				continue
			}
		}
		if mi.Size <= limit {
			want = append(want, mi.UID)
		}
	}
	if len(want) > 0 {
		fetched, err := f.Fetcher.Messages(want) // reconnects and resumes after a drop or a stall
		if err != nil {
			return []Item{{Source: f.Name, Err: err}}
		}
		for uid, raw := range fetched {
			got[uid] = raw
			if f.Fetched != nil {
				f.Fetched(uid, raw)
			}
		}
	}
	items := make([]Item, len(part))
	for i, mi := range part {
		it := Item{UID: mi.UID, Size: mi.Size, Source: fmt.Sprintf("%s;UIDVALIDITY=%d/;UID=%d", f.Name, f.Fetcher.UIDValidity(), mi.UID)}
		raw, ok := got[mi.UID]
		switch {
		case ok:
			it.Raw = raw
		case f.HeadersOver > 0:
			it.Raw, it.Partial = mi.Header, true
		case mi.Size > mailbox.MaxMessageBytes:
			it.Err = fmt.Errorf("%w (%d bytes)", mailbox.ErrTooLarge, mi.Size)
		default:
			it.Err = fmt.Errorf("the server sent no message for UID %d", mi.UID)
		}
		items[i] = it
	}
	return items
}
