package reports

import (
	"context"
	"fmt"
	"net"

	"github.com/sealtrace/sealtrace/mailbox"
)

// IMAPResult is what FromIMAP read from a folder.
type IMAPResult struct {
	// Reports are the reports read, one copy of each (Report.Key), in the
	// order of the messages that carried them (by UID).
	Reports []*Report
	// Folder is what the server had: the parts fetched or cached (their
	// Data released once read), the messages without a report.
	Folder *mailbox.ReportFolder
	// Errors are the parts that could not be had or read; the other
	// reports are still returned.
	Errors []error
	// Duplicates counts the copies of a report already read (the same
	// report sent twice, or to two addresses of the folder).
	Duplicates int
}

// FromIMAP reads the DMARC and TLS reports of an IMAP folder, read-only
// (mailbox.FetchReports: SEARCH, BODYSTRUCTURE, BODY.PEEK of the report part
// only), reads each part with Read, and keeps the first copy of each report
// (Dedup) by organisation and report id (RFC 7489 7.2: a report id is unique per
// reporter; RFC 8460 4.3 the same for TLS reports). Failure reports have no
// id and are all kept. The error is the connection's (what was read before
// it failed is returned with it).
func FromIMAP(ctx context.Context, a mailbox.Account, folder string, o mailbox.ReportOptions, lim Limits) (*IMAPResult, error) {
	f, err := mailbox.FetchReports(ctx, a, folder, o)
	res := &IMAPResult{Folder: f}
	if f == nil {
		return res, err
	}
	host, _, _ := net.SplitHostPort(a.Server)
	var all []*Report
	for i := range f.Parts {
		p := &f.Parts[i]
		// An IMAP URL of the message (RFC 5092), as inspect names them.
		where := fmt.Sprintf("imap://%s/%s;UIDVALIDITY=%d/;UID=%d", host, folder, f.UIDValidity, p.UID)
		if p.Err != nil {
			res.Errors = append(res.Errors, fmt.Errorf("%s: %w", where, p.Err))
			continue
		}
		reps, rerr := Read(where+": "+p.Name, p.Data, lim)
		p.Data = nil // read: the reports hold what they need
		if rerr != nil {
			res.Errors = append(res.Errors, rerr)
		}
		all = append(all, reps...)
	}
	res.Reports = Dedup(all)
	res.Duplicates = len(all) - len(res.Reports)
	return res, err
}
