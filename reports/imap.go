package reports

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"slices"

	"github.com/sealtrace/sealtrace/mailbox"
)

// IMAPResult is what FromIMAP read from a folder.
type IMAPResult struct {
	// Reports are the reports read, one copy of each (Report.Key), in the
	// order of the messages that carried them (by UID).
	Reports []*Report
	// Folder is what the server had: the parts fetched or cached (without
	// their Data: each was read as it came), the messages without a
	// report; nil when the connection or the folder failed.
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
	res := &IMAPResult{}
	host, _, _ := net.SplitHostPort(a.Server)
	type read struct {
		uid  uint32
		reps []*Report
	}
	var all []read
	// Each part is read as it arrives and its bytes let go: only the
	// reports are kept.
	o.Each = func(p mailbox.ReportPart) {
		// An IMAP URL of the message (RFC 5092), as inspect names them.
		where := fmt.Sprintf("imap://%s/%s;UIDVALIDITY=%d/;UID=%d", host, folder, p.UIDValidity, p.UID)
		if p.Err != nil {
			res.Errors = append(res.Errors, fmt.Errorf("%s: %w", where, p.Err))
			return
		}
		reps, rerr := Read(where+": "+p.Name, p.Data, lim)
		if rerr != nil {
			res.Errors = append(res.Errors, rerr)
		}
		all = append(all, read{p.UID, reps})
	}
	f, err := mailbox.FetchReports(ctx, a, folder, o)
	res.Folder = f
	// The first copy by UID is kept, whatever order the parts came in.
	slices.SortStableFunc(all, func(x, y read) int { return cmp.Compare(x.uid, y.uid) })
	var reps []*Report
	for _, r := range all {
		reps = append(reps, r.reps...)
	}
	res.Reports = Dedup(reps)
	res.Duplicates = len(reps) - len(res.Reports)
	return res, err
}
