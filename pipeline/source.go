package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/sealtrace/sealtrace/assets"
	"github.com/sealtrace/sealtrace/mailbox"
	"github.com/sealtrace/sealtrace/pgp"
)

// Item is one message a Source yields: its bytes (or why it could not be
// read), its name in reports, and how to read it again later.
type Item struct {
	Raw    []byte
	Source string // the message's name in its report: "file.mbox#3"
	Index  int    // 1-based position in its source
	Err    error  // it could not be read; Raw is nil
	// Load reads the message again (from its byte span, the cache or the
	// server), so a caller need not keep Raw.
	Load func() ([]byte, error)
	// IMAP: the message's UID and size, and whether Raw is its header only
	// (the message is over the size cap).
	UID     uint32
	Size    int64
	Partial bool
	// Tag is the caller's (the app's list row).
	Tag any
	// Bundle is set when the message comes from an evidence bundle: Run
	// replays it from the bundle's evidence instead of inspecting it.
	Bundle *Bundle
	// Returned says that the message came back inside a bounce (a
	// delivery status notification, RFC 3464): the one before it.
	Returned bool
}

// Source yields messages one at a time; ok is false at the end. A Source is
// read from one goroutine.
type Source interface {
	Next(ctx context.Context) (it Item, ok bool)
}

// SourceFunc adapts a function to Source.
type SourceFunc func(ctx context.Context) (Item, bool)

// Next calls f.
func (f SourceFunc) Next(ctx context.Context) (Item, bool) { return f(ctx) }

// Bytes yields messages held in memory (a pasted header block, a dropped
// file), named name#1, name#2, …, each followed by the messages it carries
// as attachments (see WithAttached).
func Bytes(name string, raws ...[]byte) Source {
	i := 0
	return WithAttached(SourceFunc(func(context.Context) (Item, bool) {
		if i == len(raws) {
			return Item{}, false
		}
		raw := raws[i]
		i++
		return Item{Raw: raw, Source: fmt.Sprintf("%s#%d", name, i), Index: i, Load: func() ([]byte, error) { return raw, nil }}, true
	}))
}

// WithAttached yields each message of src followed by the messages it
// carries as attachments (message/rfc822: "forwarded as attachment", which is
// how a support ticket often arrives). The outer message is the forwarder's;
// each attached one is inspected as a message of its own, named
// SOURCE/attached-N.
func WithAttached(src Source) Source {
	var queue []Item
	return SourceFunc(func(ctx context.Context) (Item, bool) {
		if len(queue) > 0 {
			it := queue[0]
			queue = queue[1:]
			return it, true
		}
		it, ok := src.Next(ctx)
		if !ok || it.Err != nil || !mayCarryMessages(it.Raw) {
			return it, ok
		}
		if bn, err := mailbox.ParseBounce(it.Raw); err == nil {
			// A bounce: the message it returns (whole, or its header
			// only) is inspected on its own, and nothing else in it.
			if raw := bn.Returned; len(raw) > 0 && looksLikeMessage(raw) {
				queue = append(queue, Item{Raw: raw, Source: it.Source + "/returned", Index: it.Index, Returned: true,
					Load: func() ([]byte, error) { return raw, nil }})
			}
			return it, ok
		}
		inner, err := mailbox.AttachedMessages(it.Raw)
		if err != nil {
			return it, ok
		}
		offered := 0
		for n, raw := range inner {
			if !looksLikeMessage(raw) {
				continue // a redacted or empty part: not a message to inspect
			}
			if offered == MaxAttachedMessages {
				break // each attached message has a DNS deadline of its own: bound their number
			}
			offered++
			queue = append(queue, Item{Raw: raw, Source: fmt.Sprintf("%s/attached-%d", it.Source, n+1), Index: it.Index,
				Load: func() ([]byte, error) { return raw, nil }})
		}
		return it, ok
	})
}

// looksLikeMessage says whether raw starts with a header field (RFC 5322
// 2.2: a name of printable characters other than ':', then ':').
func looksLikeMessage(raw []byte) bool {
	for i, c := range raw {
		switch {
		case c == ':':
			return i > 0
		case c < 33 || c > 126:
			return false
		}
	}
	return false
}

// MaxAttachedMessages is how many messages forwarded as attachments are
// inspected per message (a ticket carries one or two; a crafted message
// could carry hundreds, each costing a DNS deadline).
const MaxAttachedMessages = 10

// mayCarryMessages is a quick look at the header section before the MIME
// structure is walked: a message can carry another only when its own
// Content-Type is multipart/* or message/*, and most mail is neither.
func mayCarryMessages(raw []byte) bool {
	head := bytes.ToLower(raw[:headerEnd(raw)])
	return bytes.Contains(head, []byte("multipart/")) || bytes.Contains(head, []byte("message/"))
}

// headerEnd is where the header section of raw ends: at its first empty
// line (CRLF or LF), found without scanning the body.
func headerEnd(raw []byte) int {
	if bytes.HasPrefix(raw, []byte("\n")) || bytes.HasPrefix(raw, []byte("\r\n")) {
		return 0 // no header at all
	}
	limit := min(len(raw), 1<<20)
	for i := 0; i < limit; {
		j := bytes.IndexByte(raw[i:limit], '\n')
		if j < 0 {
			break
		}
		i += j + 1
		if i < len(raw) && raw[i] == '\n' || i+1 < len(raw) && raw[i] == '\r' && raw[i+1] == '\n' {
			return i
		}
	}
	return limit
}

// cfbMagic starts a Compound File (an Outlook .msg).
var cfbMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// Reader yields the message or the mbox that r holds (standard input). Its
// messages cannot be read again: Load returns what was read.
func Reader(name string, r io.Reader) Source {
	return WithAttached(stream(name, r, nil))
}

// File yields the message of an .eml file, the messages of an mbox file, or
// the transport headers and text of an Outlook .msg file, named by path as
// given; each can be read again from its byte span. The error is the file's:
// it cannot be opened.
func File(path string) (Source, error) {
	if IsBundleName(path) || looksLikeBundle(path) {
		return bundleFile(path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	s := WithAttached(stream(path, f, func(start, end int64) func() ([]byte, error) {
		return func() ([]byte, error) {
			g, err := os.Open(path)
			if err != nil {
				return nil, err
			}
			defer g.Close()
			buf := make([]byte, end-start)
			if _, err := g.ReadAt(buf, start); err != nil && !errors.Is(err, io.EOF) {
				return nil, err
			}
			return mailbox.Unquote(buf), nil
		}
	}))
	return SourceFunc(func(ctx context.Context) (Item, bool) {
		it, ok := s.Next(ctx)
		if !ok {
			f.Close()
		}
		return it, ok
	}), nil
}

// Demo is the embedded demo mailbox and the configuration it needs: its own
// DNS zone, evaluation time and OpenPGP key (the passphrase is shown in its
// teaching note). cfg is the user's configuration; the demo replaces its DNS
// source and time, and its keys unless cfg names some.
func Demo(cfg Config) (Source, Config, error) {
	z, err := assets.DemoResolver()
	if err != nil {
		return nil, cfg, fmt.Errorf("demo zone: %w", err)
	}
	cfg.Resolver, cfg.Now = z, assets.DemoNow
	if cfg.Keyring == nil && len(cfg.KeyFiles) == 0 && cfg.PassphraseFile == "" {
		kr, err := pgp.ReadKeyring(bytes.NewReader(assets.DemoKeys))
		if err != nil {
			return nil, cfg, fmt.Errorf("demo keys: %w", err)
		}
		cfg.Keyring, cfg.Passphrase = kr, []byte(assets.DemoPassphrase)
	}
	src := stream("demo", bytes.NewReader(assets.DemoMbox), func(start, end int64) func() ([]byte, error) {
		return func() ([]byte, error) { return mailbox.Unquote(assets.DemoMbox[start:end]), nil }
	})
	return src, cfg, nil
}

// stream yields the message or mbox in r. span makes the function that
// reads an mbox entry again from its byte span; nil keeps the bytes read.
func stream(name string, r io.Reader, span func(start, end int64) func() ([]byte, error)) Source {
	br := bufio.NewReaderSize(r, 64<<10)
	var mr *mailbox.MboxReader
	started, ended := false, false
	n := 0
	return SourceFunc(func(ctx context.Context) (Item, bool) {
		if ended || ctx.Err() != nil {
			return Item{}, false
		}
		if !started {
			started = true
			head, _ := br.Peek(5)
			if !mailbox.IsMbox(head) {
				ended = true
				raw, err := io.ReadAll(io.LimitReader(br, mailbox.MaxMessageBytes+1))
				if err == nil && len(raw) > mailbox.MaxMessageBytes {
					raw, err = nil, fmt.Errorf("%w: over %d MiB", mailbox.ErrTooLarge, mailbox.MaxMessageBytes>>20)
				}
				if err == nil && bytes.HasPrefix(raw, cfbMagic) {
					// An Outlook .msg: its transport headers are the
					// message as received (the body is Outlook's text).
					raw, err = mailbox.ReadOutlookMsg(bytes.NewReader(raw), int64(len(raw)))
					if err != nil {
						raw, err = nil, fmt.Errorf("reading the Outlook .msg file: %w", err)
					}
				}
				it := Item{Raw: raw, Source: name, Index: 1, Err: err}
				if err == nil {
					it.Load = func() ([]byte, error) { return raw, nil }
				}
				return it, true
			}
			mr = mailbox.NewMboxReader(br)
		}
		raw, idx, err := mr.Next()
		if errors.Is(err, io.EOF) {
			ended = true
			return Item{}, false
		}
		n++
		it := Item{Raw: raw, Source: fmt.Sprintf("%s#%d", name, idx), Index: n, Err: err}
		if err != nil {
			if !errors.Is(err, mailbox.ErrTooLarge) {
				ended = true // a read error: the rest of the file is unreachable
			}
			return it, true
		}
		if span != nil {
			it.Load = span(mr.Span())
		} else {
			it.Load = func() ([]byte, error) { return raw, nil }
		}
		return it, true
	})
}

// looksLikeBundle says whether the file at path starts as a bundle does (a
// bundle renamed to .json, or without an extension): a JSON object naming
// EvidenceFormat in its first 4 KiB. No message starts so.
func looksLikeBundle(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	head = bytes.TrimLeft(head[:n], " \t\r\n")
	return bytes.HasPrefix(head, []byte("{")) && bytes.Contains(head, []byte(`"`+EvidenceFormat+`"`))
}

// bundleFile yields the message of an evidence bundle with the bundle, so
// that Run replays it from the recorded evidence. A bundle that cannot be
// read is an item with its error (the file opened; its content is wrong).
func bundleFile(path string) (Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	b, err := ReadBundle(f)
	f.Close()
	done := false
	return SourceFunc(func(context.Context) (Item, bool) {
		if done {
			return Item{}, false
		}
		done = true
		if err != nil {
			return Item{Source: path, Index: 1, Err: err}, true
		}
		raw := b.Message
		return Item{Raw: raw, Source: path, Index: 1, Bundle: b, Load: func() ([]byte, error) { return raw, nil }}, true
	}), nil
}
