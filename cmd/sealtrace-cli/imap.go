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

	"github.com/sealtrace/sealtrace/mailbox"
	"github.com/sealtrace/sealtrace/pipeline"
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
func inspectIMAP(ctx context.Context, eng *pipeline.Engine, fl imapFlags, p printer, stderr io.Writer) error {
	a, folder, err := parseIMAPURL(fl.url, fl.plaintext)
	if err != nil {
		return err
	}
	a.Password, err = imapPassword(a, stderr)
	if err != nil {
		return err
	}
	a.PinnedSHA256 = fl.pin
	if a.Security == mailbox.Plaintext {
		fmt.Fprintln(stderr, "sealtrace-cli: warning: plaintext IMAP: the password and the mail cross the connection unencrypted")
	}
	var since time.Time
	if fl.since != "" {
		if since, err = time.Parse("2006-01-02", fl.since); err != nil {
			return fmt.Errorf("--since %q: not a date (YYYY-MM-DD)", fl.since)
		}
	}
	fetcher, err := mailbox.Examine(a, folder)
	if err != nil {
		return err
	}
	defer fetcher.Close()
	defer context.AfterFunc(ctx, fetcher.Abort)() // Ctrl-C ends a command waiting on the server
	var uids []uint32
	if fl.since != "" {
		uids, err = fetcher.UIDsSince(since)
	} else {
		uids, _, err = fetcher.UIDs()
	}
	if err != nil {
		return err
	}
	if fl.limit > 0 && len(uids) > fl.limit {
		uids = uids[len(uids)-fl.limit:] // the newest
	}
	host, _, _ := net.SplitHostPort(a.Server)
	fctx, stop := context.WithCancel(ctx)
	f := &pipeline.Folder{Fetcher: fetcher, UIDs: uids, Name: "imap://" + host + "/" + folder}
	src := f.Source(fctx)
	defer f.Wait() // before the connection is closed
	defer stop()
	return inspectAll(ctx, eng, src, p, stderr)
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
