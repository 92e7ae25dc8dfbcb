package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/sealtrace/sealtrace/inspect"
	"github.com/sealtrace/sealtrace/mailbox"
	"github.com/sealtrace/sealtrace/pgp"
)

// imapFlags are the inspect flags for a folder on an IMAP server.
type imapFlags struct {
	url       string
	limit     int
	since     string // YYYY-MM-DD
	plaintext bool
	pin       string
}

// parseIMAPURL reads imaps://USER@HOST[:PORT]/FOLDER (implicit TLS, 993) or
// imap://USER@HOST[:PORT]/FOLDER (STARTTLS, 143; plaintext only with
// --insecure-plaintext, and then only to a loopback address).
func parseIMAPURL(raw string, plaintext bool) (mailbox.Account, string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User == nil || u.User.Username() == "" {
		return mailbox.Account{}, "", fmt.Errorf("--imap %q is not imaps://USER@HOST[:PORT]/FOLDER", raw)
	}
	if _, set := u.User.Password(); set {
		return mailbox.Account{}, "", errors.New("--imap: do not put the password in the URL (it would land in shell history); use SEALTRACE_IMAP_PASSWORD")
	}
	a := mailbox.Account{Username: u.User.Username()}
	port := u.Port()
	switch u.Scheme {
	case "imaps":
		a.Security = mailbox.ImplicitTLS
		if port == "" {
			port = "993"
		}
	case "imap":
		a.Security = mailbox.StartTLS
		if plaintext {
			a.Security = mailbox.Plaintext
			if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
				return mailbox.Account{}, "", errors.New("--insecure-plaintext is allowed only to a loopback address: the password would cross the network unprotected")
			}
		}
		if port == "" {
			port = "143"
		}
	default:
		return mailbox.Account{}, "", fmt.Errorf("--imap: the scheme must be imaps or imap, not %q", u.Scheme)
	}
	a.Server = net.JoinHostPort(u.Hostname(), port)
	folder := strings.TrimPrefix(u.Path, "/")
	if folder == "" {
		folder = "INBOX"
	}
	return a, folder, nil
}

// inspectIMAP inspects a folder read-only: EXAMINE and BODY.PEEK only.
func inspectIMAP(ctx context.Context, f imapFlags, opts inspect.Options, pgpOpts pgp.Options, workers int, p printer, stderr io.Writer) error {
	a, folder, err := parseIMAPURL(f.url, f.plaintext)
	if err != nil {
		return err
	}
	a.Password, err = imapPassword(a, stderr)
	if err != nil {
		return err
	}
	a.PinnedSHA256 = f.pin
	if a.Security == mailbox.Plaintext {
		fmt.Fprintln(stderr, "sealtrace-cli: warning: plaintext IMAP: the password and the mail cross the connection unencrypted")
	}
	var since time.Time
	if f.since != "" {
		if since, err = time.Parse("2006-01-02", f.since); err != nil {
			return fmt.Errorf("--since %q: not a date (YYYY-MM-DD)", f.since)
		}
	}
	fetcher, err := mailbox.Examine(ctx, a, folder)
	if err != nil {
		return err
	}
	defer fetcher.Close()
	defer context.AfterFunc(ctx, fetcher.Abort)() // Ctrl-C ends a command waiting on the server
	var uids []uint32
	if f.since != "" {
		uids, err = fetcher.UIDsSince(since)
	} else {
		uids, _, err = fetcher.UIDs()
	}
	if err != nil {
		return err
	}
	if f.limit > 0 && len(uids) > f.limit {
		uids = uids[len(uids)-f.limit:] // the newest
	}
	host, _, _ := net.SplitHostPort(a.Server)
	return inspectAll(ctx, func(emit func([]byte, string, error) bool) {
		const page, batch = 500, 50 // list data per command (for the sizes), whole messages per command
		for len(uids) > 0 {
			list, err := fetcher.PageUIDs(uids[:min(page, len(uids))])
			uids = uids[min(page, len(uids)):]
			if err != nil {
				emit(nil, "imap://"+host+"/"+folder, err)
				return
			}
			for len(list) > 0 {
				part := list[:mailbox.BatchLen(list, batch, mailbox.DefaultBatchBytes)]
				list = list[len(part):]
				var want []uint32
				for _, mi := range part {
					if mi.Size <= mailbox.MaxMessageBytes {
						want = append(want, mi.UID)
					}
				}
				got, err := fetcher.Messages(want)
				for _, mi := range part {
					src := fmt.Sprintf("imap://%s/%s;UIDVALIDITY=%d/;UID=%d", host, folder, fetcher.UIDValidity(), mi.UID)
					raw, ok := got[mi.UID]
					merr := err
					switch {
					case mi.Size > mailbox.MaxMessageBytes:
						merr = fmt.Errorf("%w (%d bytes)", mailbox.ErrTooLarge, mi.Size)
					case merr == nil && !ok:
						merr = fmt.Errorf("the server sent no message for UID %d", mi.UID)
					}
					if !emit(raw, src, merr) {
						return
					}
				}
			}
		}
	}, opts, pgpOpts, workers, p, stderr)
}

// imapPassword finds the account's password: in the OS keyring (where the
// desktop app keeps it), in SEALTRACE_IMAP_PASSWORD, or asked on the
// terminal without echo. It is never logged or stored by the CLI.
func imapPassword(a mailbox.Account, stderr io.Writer) (string, error) {
	if mailbox.KeyringReachable() {
		if p, err := (mailbox.OSKeyring{}).Get(a.Key()); err == nil {
			return p, nil
		}
	}
	if p := os.Getenv("SEALTRACE_IMAP_PASSWORD"); p != "" {
		return p, nil
	}
	if fd := int(os.Stdin.Fd()); term.IsTerminal(fd) {
		fmt.Fprintf(stderr, "Password for %s@%s: ", a.Username, a.Server)
		p, err := term.ReadPassword(fd)
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		return string(p), nil
	}
	return "", errors.New("--imap: no password: not in the system keyring, SEALTRACE_IMAP_PASSWORD is not set, and there is no terminal to ask on")
}
