package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/sealtrace/sealtrace/mailbox"
	"github.com/sealtrace/sealtrace/reports"
)

// reportsIMAP reads the reports of an IMAP folder read-only (EXAMINE, UID
// SEARCH, BODYSTRUCTURE, BODY.PEEK of the report parts only) and emits
// them, one copy of each report. The account is given as for inspect
// --imap (URL, password from the keyring, SEALTRACE_IMAP_PASSWORD or the
// terminal, --pin-sha256, --insecure-plaintext). since, when set, is also
// asked of the server (SEARCH SINCE, by arrival date): a report arrives
// after its period ends, so no report whose period ends on or after since
// is left out by it. A part that cannot be had or read is complained
// about, and the others are emitted; a connection that fails is the
// error.
func reportsIMAP(ctx context.Context, fl imapFlags, since time.Time, lim reports.Limits, stderr io.Writer, complain func(error), emit func([]*reports.Report) error) error {
	a, folder, err := mailbox.ParseURL(fl.url, fl.plaintext)
	if err != nil {
		return fmt.Errorf("--imap: %w", err)
	}
	if a.Password, err = imapPassword(a, stderr); err != nil {
		return err
	}
	a.PinnedSHA256 = fl.pin
	if a.Security == mailbox.Plaintext {
		fmt.Fprintln(stderr, "sealtrace-cli: warning: plaintext IMAP: the password and the mail cross the connection unencrypted")
	}
	res, err := reports.FromIMAP(ctx, a, folder, mailbox.ReportOptions{Since: since}, lim)
	for _, e := range res.Errors {
		complain(e)
	}
	if eerr := emit(res.Reports); eerr != nil {
		return eerr
	}
	return err
}
