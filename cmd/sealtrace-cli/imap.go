package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/sealtrace/sealtrace/internal/safetext"
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

// inspectIMAP inspects a folder read-only: EXAMINE and BODY.PEEK only.
func inspectIMAP(ctx context.Context, eng *pipeline.Engine, fl imapFlags, p printer, stderr io.Writer, saveDir string) error {
	a, folder, err := mailbox.ParseURL(fl.url, fl.plaintext)
	if err != nil {
		return fmt.Errorf("--imap: %w", err)
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
	fetcher, err := mailbox.Examine(ctx, a, folder)
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
	return inspectAll(ctx, eng, src, p, stderr, saveDir)
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
		fmt.Fprintf(stderr, "Password for %s@%s: ", safetext.Terminal(a.Username), safetext.Terminal(a.Server))
		p, err := term.ReadPassword(fd)
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		return string(p), nil
	}
	return "", errors.New("--imap: no password: not in the system keyring, SEALTRACE_IMAP_PASSWORD is not set, and there is no terminal to ask on")
}
