package mailbox

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/quotedprintable"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// DMARC and TLS reports in an IMAP folder, read without changing it.
//
// Receivers mail aggregate reports (RFC 7489 7.2.1.1, RFC 9990) with a
// subject "Report Domain: D Submitter: S Report-ID: I" and the report
// attached as .xml, .xml.gz or .zip (or the whole body, as Google sends
// it); TLS reports (RFC 8460 5.3) as multipart/report; report-type=tlsrpt
// with a TLS-Report-Domain header and an application/tlsrpt+gzip or +json
// part; failure reports (RFC 6591, RFC 9991) as multipart/report;
// report-type=feedback-report. A folder of them is mostly attachments, so
// nothing here reads a whole message: UID SEARCH finds the candidates,
// FETCH BODYSTRUCTURE says where the report is in each, and BODY.PEEK of
// that one section (capped by a partial fetch, RFC 3501 6.4.5
// "<origin.octets>", and on the bytes received) brings it. Nothing sets
// \Seen: the folder is EXAMINEd and every body fetch PEEKs.
//
// What was fetched is kept in the Cache beside the folder's messages,
// under the folder's name with reportsKey appended: the decoded part by
// UIDVALIDITY and UID, and an index record of what the BODYSTRUCTURE said
// (the section, its type and name, or that the message carries no report),
// and the UIDNEXT below which the folder was searched, so that a folder
// read again costs a header search of what arrived since, a search by UID
// of what is known (which the server answers from its index), and the
// fetch of what is new.

// DefaultReportPartBytes bounds one report part as received (before its
// transfer encoding is undone; decoding only shrinks it). Compressed
// aggregate reports are kilobytes; an uncompressed one from a large
// receiver a few megabytes.
const DefaultReportPartBytes = 32 << 20

// maxStructureBytes bounds the answer to one BODYSTRUCTURE fetch (a batch
// of structureBatch messages): a normal structure is a few hundred bytes
// per part. It also bounds how deeply a hostile server can nest
// parentheses, which go-imap parses by recursion.
const (
	maxStructureBytes = 2 << 20
	structureBatch    = 64
	// maxWalkParts is how many parts of one message are looked at.
	maxWalkParts = 500
)

// reportsKey is appended to a folder's name for its reports in the Cache,
// so that a report part is never mistaken for a whole message.
const reportsKey = "\x00reports"

// ReportOptions says which messages to look at and what to keep.
type ReportOptions struct {
	// Since keeps the messages that arrived on or after this day (SEARCH
	// SINCE, by the server's arrival date); zero: all.
	Since time.Time
	// MaxPartBytes bounds one report part (DefaultReportPartBytes when
	// zero).
	MaxPartBytes int64
	// Cache, when set, keeps the parts fetched and is read first.
	Cache *Cache
}

// ReportPart is the report one message carries.
type ReportPart struct {
	UID uint32
	// Section is the IMAP section fetched ("2", "1.2", "1" for a message
	// that is the report; "TEXT" for a message that is a multipart/report).
	Section   string
	MediaType string
	// Filename is the part's own name (Content-Disposition filename or
	// Content-Type name), base name only; empty when it has none.
	Filename string
	// Name is what to call it for a parser: Filename, or a name made from
	// the media type (report.xml.gz, report.zip, report.json, report.eml).
	Name string
	// Data is the part with its Content-Transfer-Encoding undone. For a
	// multipart/report (a failure or TLS report sent whole), it is a MIME
	// entity: the part's Content-Type header, a blank line, the body.
	Data   []byte
	Cached bool  // read from the Cache, not the server
	Err    error // the part could not be had (Data is nil)
}

// ReportFolder is what FetchReports found.
type ReportFolder struct {
	UIDValidity uint32
	UIDNext     uint32 // as EXAMINE said
	// Matched is how many messages the search found.
	Matched int
	Parts   []ReportPart
	// NoReport are the messages the search found that carry no report
	// part (a reply quoting a report's subject, say).
	NoReport []uint32
}

// ErrReportTooLarge is a report part larger than ReportOptions.MaxPartBytes.
var ErrReportTooLarge = errors.New("mailbox: the report part is larger than allowed")

// ErrReportEncoding is a report part whose transfer encoding is broken.
var ErrReportEncoding = errors.New("mailbox: the report part's transfer encoding is broken")

var errNoSection = errors.New("mailbox: the server did not send the section asked for")

// reportChoice is what a message's BODYSTRUCTURE said: where its report
// is, or that it has none. It is the index record kept in the Cache.
type reportChoice struct {
	None     bool   `json:"none,omitempty"`
	Part     []int  `json:"part,omitempty"`  // nil with Multi: the message's body
	Multi    bool   `json:"multi,omitempty"` // a multipart/report entity, fetched with its header
	Type     string `json:"type,omitempty"`
	Filename string `json:"filename,omitempty"`
	Encoding string `json:"enc,omitempty"`
	Size     uint32 `json:"size,omitempty"` // as announced
}

// ReportSearchCriteria are the messages that may carry a report: the
// report subjects ("Report Domain:" per RFC 7489 7.2.1.1 and RFC 8460 5.3,
// "Report domain:" as Google and others write it; SEARCH is meant to
// compare without case, but not every server does), the TLS-Report-Domain
// header (RFC 8460 5.3, present with any value), or a multipart/report
// body (RFC 6522: failure and TLS reports). since, when set, is ANDed.
func ReportSearchCriteria(since time.Time) *imap.SearchCriteria {
	or := func(a, b imap.SearchCriteria) imap.SearchCriteria {
		return imap.SearchCriteria{Or: [][2]imap.SearchCriteria{{a, b}}}
	}
	hdr := func(k, v string) imap.SearchCriteria {
		return imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: k, Value: v}}}
	}
	c := or(
		or(hdr("Subject", "Report Domain:"), hdr("Subject", "Report domain:")),
		or(hdr("TLS-Report-Domain", ""), hdr("Content-Type", "multipart/report")))
	c.Since = since
	return &c
}

// watermarkUID is the index record (no message has UID 0) that keeps the
// UIDNEXT below which the folder was searched for reports.
const watermarkUID = 0

// searchReportsFrom is SearchReports of the messages with a UID from from
// on (RFC 3501 6.4.4 UID search key; "from:*" also names the last message
// when none is that new, which is harmless).
func (m *IMAP) searchReportsFrom(since time.Time, from uint32) ([]uint32, error) {
	c := ReportSearchCriteria(since)
	c.UID = []imap.UIDSet{{imap.UIDRange{Start: imap.UID(from), Stop: 0}}}
	var d *imap.SearchData
	err := m.do(func() (err error) { d, err = m.c.UIDSearch(c, nil).Wait(); return err })
	if err != nil {
		return nil, err
	}
	return sortedUIDs(d)
}

// searchUIDs returns which of uids are still in the folder (and arrived on
// or after since, when set): a search the server answers from its index.
func (m *IMAP) searchUIDs(uids []uint32, since time.Time) ([]uint32, error) {
	c := &imap.SearchCriteria{UID: []imap.UIDSet{uidSet(uids)}, Since: since}
	var d *imap.SearchData
	err := m.do(func() (err error) { d, err = m.c.UIDSearch(c, nil).Wait(); return err })
	if err != nil {
		return nil, err
	}
	return sortedUIDs(d)
}

// SearchReports returns the UIDs of the examined folder's messages that
// may carry a report (ReportSearchCriteria), in order.
func (m *IMAP) SearchReports(since time.Time) ([]uint32, error) {
	var d *imap.SearchData
	err := m.do(func() (err error) {
		d, err = m.c.UIDSearch(ReportSearchCriteria(since), nil).Wait()
		return err
	})
	if err != nil {
		return nil, err
	}
	return sortedUIDs(d)
}

// withLimit runs cmd with a command byte budget other than the
// connection's.
func (m *IMAP) withLimit(limit int64, cmd func() error) error {
	old := m.cmdLimit
	m.cmdLimit = limit
	defer func() { m.cmdLimit = old }()
	return m.do(cmd)
}

// reportStructures fetches the BODYSTRUCTURE of each message and says
// where its report is.
func (m *IMAP) reportStructures(uids []uint32) (map[uint32]reportChoice, error) {
	out := make(map[uint32]reportChoice, len(uids))
	for len(uids) > 0 {
		n := min(len(uids), structureBatch)
		var msgs []*imapclient.FetchMessageBuffer
		err := m.withLimit(maxStructureBytes, func() (err error) {
			msgs, err = m.c.Fetch(uidSet(uids[:n]), &imap.FetchOptions{UID: true, BodyStructure: &imap.FetchItemBodyStructure{Extended: true}}).Collect()
			return err
		})
		if err != nil {
			return nil, err
		}
		asked := uids[:n]
		for _, msg := range msgs {
			uid := uint32(msg.UID)
			if !slices.Contains(asked, uid) || msg.BodyStructure == nil {
				continue // not ours, or said nothing
			}
			out[uid] = chooseReport(msg.BodyStructure)
		}
		uids = uids[n:]
	}
	return out, nil
}

// reportTypes are the media types a report travels as (RFC 7489 7.2.1.1:
// gzip or zip of the XML, or the XML itself; RFC 8460 6.4, 6.5: the TLS
// report JSON, gzipped or not). application/octet-stream counts when the
// file's name says it is a report.
var reportTypes = map[string]bool{
	"application/gzip": true, "application/x-gzip": true, "application/zip": true,
	"application/x-zip-compressed": true, "application/x-zip": true,
	"text/xml": true, "application/xml": true,
	"application/tlsrpt+json": true, "application/tlsrpt+gzip": true,
}

var reportExts = []string{".xml", ".xml.gz", ".gz", ".zip", ".json", ".json.gz"}

func reportLikeName(name string) bool {
	name = strings.ToLower(name)
	for _, e := range reportExts {
		if strings.HasSuffix(name, e) {
			return true
		}
	}
	return false
}

// chooseReport walks a BODYSTRUCTURE (at most maxWalkParts parts) and
// picks the report: a multipart/report holding a message/feedback-report
// (RFC 6591 2: a failure report, taken whole, with the message it carries),
// else the first part of a report type.
func chooseReport(bs imap.BodyStructure) reportChoice {
	var feedback, single *reportChoice
	seen := 0
	bs.Walk(func(p []int, part imap.BodyStructure) bool {
		seen++
		if seen > maxWalkParts || feedback != nil {
			return false
		}
		switch part := part.(type) {
		case *imap.BodyStructureMultiPart:
			if part.MediaType() != "multipart/report" {
				return true
			}
			for _, c := range part.Children {
				if c.MediaType() == "message/feedback-report" {
					feedback = &reportChoice{Part: slices.Clone(p), Multi: true, Type: "multipart/report"}
					return false
				}
			}
		case *imap.BodyStructureSinglePart:
			if single != nil {
				return true
			}
			mt := part.MediaType()
			name := path.Base(strings.ReplaceAll(part.Filename(), "\\", "/"))
			if name == "." || name == "/" {
				name = ""
			}
			if reportTypes[mt] || (mt == "application/octet-stream" && reportLikeName(name)) {
				single = &reportChoice{Part: slices.Clone(p), Type: mt, Filename: name,
					Encoding: strings.ToLower(part.Encoding), Size: part.Size}
			}
		}
		return true
	})
	switch {
	case feedback != nil:
		return *feedback
	case single != nil:
		return *single
	}
	return reportChoice{None: true}
}

func sectionName(p []int) string {
	s := make([]string, len(p))
	for i, n := range p {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ".")
}

// pendingPart is a report part to fetch.
type pendingPart struct {
	uid uint32
	ch  reportChoice
}

// Batches of report parts: messages whose report is at the same section
// are fetched in one command (most reports are section 2, an attachment,
// or 1, the whole body), so that a folder of thousands costs tens of
// round trips, not thousands; at most reportBatch messages and
// reportBatchBytes announced bytes a command. A multipart/report has no
// announced size and goes alone.
const (
	reportBatch      = 50
	reportBatchBytes = 16 << 20
)

func reportBatches(todo []pendingPart) [][]pendingPart {
	groups := map[string][]pendingPart{}
	var order []string
	for _, p := range todo {
		k := sectionName(p.ch.Part)
		if p.ch.Multi {
			k = "multi " + strconv.Itoa(int(p.uid)) // alone
		}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], p)
	}
	var out [][]pendingPart
	for _, k := range order {
		g := groups[k]
		for len(g) > 0 {
			n, total := 0, int64(0)
			for n < len(g) && n < reportBatch && (n == 0 || total+int64(g[n].ch.Size) <= reportBatchBytes) {
				total += int64(g[n].ch.Size)
				n++
			}
			out = append(out, g[:n])
			g = g[n:]
		}
	}
	return out
}

// fetchReportParts fetches one batch (the same section of each message),
// at most maxBytes of each part, and undoes each part's transfer encoding.
// errs holds what went wrong with one part (not sent, badly encoded); err
// is the command's, and then the connection is gone.
func (m *IMAP) fetchReportParts(batch []pendingPart, maxBytes int64) (data map[uint32][]byte, errs map[uint32]error, err error) {
	ch := batch[0].ch
	// The partial fetch asks the server for one byte more than allowed, so
	// that a part that is too large is told from one that fits.
	body := &imap.FetchItemBodySection{Part: ch.Part, Peek: true, Partial: &imap.SectionPartial{Offset: 0, Size: maxBytes + 1}}
	var head *imap.FetchItemBodySection
	if ch.Multi {
		if len(ch.Part) == 0 {
			// The message is the multipart/report: its body, and of its
			// header only what MIME needs to read it.
			body.Specifier = imap.PartSpecifierText
			head = &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true,
				HeaderFields: []string{"Content-Type", "Content-Transfer-Encoding", "MIME-Version"}}
		} else {
			head = &imap.FetchItemBodySection{Part: ch.Part, Specifier: imap.PartSpecifierMIME, Peek: true}
		}
	}
	sections := []*imap.FetchItemBodySection{body}
	if head != nil {
		sections = append([]*imap.FetchItemBodySection{head}, sections...)
	}
	byUID := make(map[uint32]reportChoice, len(batch))
	uids := make([]uint32, len(batch))
	// The command's budget: what the structures announced, and room for
	// the protocol; a multipart/report (no announced size) gets a part's
	// worth. A server that sends more is cut off.
	budget := int64(1<<20) + int64(len(batch))*4096
	for i, p := range batch {
		byUID[p.uid], uids[i] = p.ch, p.uid
		budget += int64(p.ch.Size)
	}
	if ch.Multi {
		budget += maxBytes + maxIndexRecord
	}
	bodies, heads := map[uint32][]byte{}, map[uint32][]byte{}
	err = m.withLimit(budget, func() error {
		cmd := m.c.Fetch(uidSet(uids), &imap.FetchOptions{UID: true, BodySection: sections})
		for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
			var uid uint32
			var b, h []byte
			for item := msg.Next(); item != nil; item = msg.Next() {
				switch it := item.(type) {
				case imapclient.FetchItemDataUID:
					uid = uint32(it.UID)
				case imapclient.FetchItemDataBodySection:
					if it.Literal == nil {
						continue
					}
					isHead := head != nil && it.Section != nil && (it.Section.Specifier == imap.PartSpecifierHeader || it.Section.Specifier == imap.PartSpecifierMIME)
					limit := maxBytes
					if isHead {
						limit = maxIndexRecord
					}
					d, err := io.ReadAll(io.LimitReader(it.Literal, limit+1))
					if err == nil && int64(len(d)) > limit {
						err = fmt.Errorf("%w: UID %d sent more than %d bytes for section %s (the structure announced %d)", ErrReportTooLarge, uid, limit, sectionName(ch.Part), byUID[uid].Size)
					}
					if err != nil {
						// As in Messages: the rest of the literal is not
						// read; the connection closes.
						m.Abort()
						io.Copy(io.Discard, it.Literal)
						cmd.Close()
						return err
					}
					if isHead {
						h = d
					} else {
						b = d
					}
				}
			}
			// A UID not asked for is not ours (go-imap hands it to this
			// command all the same).
			if _, ok := byUID[uid]; ok && b != nil {
				bodies[uid], heads[uid] = b, h
			}
		}
		return cmd.Close()
	})
	data, errs = map[uint32][]byte{}, map[uint32]error{}
	for _, u := range uids {
		b, ok := bodies[u]
		switch {
		case !ok && err != nil:
			errs[u] = err
		case !ok:
			errs[u] = fmt.Errorf("%w: section %s of UID %d", errNoSection, sectionName(ch.Part), u)
		case ch.Multi:
			// A MIME entity: its own header (Content-Type with the
			// boundary), then its body. A multipart is never
			// transfer-encoded (RFC 2045 6.4).
			h := bytes.TrimRight(heads[u], "\r\n")
			if len(h) == 0 {
				errs[u] = fmt.Errorf("%w: the MIME header of the report of UID %d", errNoSection, u)
				continue
			}
			out := make([]byte, 0, len(h)+4+len(b))
			data[u] = append(append(append(out, h...), "\r\n\r\n"...), b...)
		default:
			if d, derr := decodeTransfer(b, byUID[u].Encoding); derr != nil {
				errs[u] = derr
			} else {
				data[u] = d
			}
		}
	}
	return data, errs, err
}

// decodeTransfer undoes a Content-Transfer-Encoding (RFC 2045 6). The
// result is never longer than the input.
func decodeTransfer(b []byte, enc string) ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "base64":
		// Line breaks are skipped by the decoder; other white space some
		// senders leave at line ends is dropped first.
		clean := bytes.Map(func(r rune) rune {
			if r == ' ' || r == '\t' {
				return -1
			}
			return r
		}, b)
		clean = bytes.TrimRight(clean, "\r\n")
		out, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, bytes.NewReader(clean)))
		if err != nil {
			return nil, fmt.Errorf("%w: not valid base64: %v", ErrReportEncoding, err)
		}
		return out, nil
	case "quoted-printable":
		out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b)))
		if err != nil {
			return nil, fmt.Errorf("%w: not valid quoted-printable: %v", ErrReportEncoding, err)
		}
		return out, nil
	case "", "7bit", "8bit", "binary":
		return b, nil
	}
	return nil, fmt.Errorf("%w: unknown transfer encoding %q", ErrReportEncoding, enc)
}

// parserName is what a parser is told the part is called: its own name,
// else one made from its media type.
func (ch reportChoice) parserName() string {
	if ch.Filename != "" {
		return ch.Filename
	}
	switch ch.Type {
	case "multipart/report":
		return "report.eml"
	case "application/gzip", "application/x-gzip":
		return "report.xml.gz"
	case "application/zip", "application/x-zip-compressed", "application/x-zip":
		return "report.zip"
	case "application/tlsrpt+json":
		return "report.json"
	case "application/tlsrpt+gzip":
		return "report.json.gz"
	case "text/xml", "application/xml":
		return "report.xml"
	}
	if ext, _ := mime.ExtensionsByType(ch.Type); len(ext) > 0 {
		return "report" + ext[0]
	}
	return "report"
}

func (ch reportChoice) part(uid uint32, data []byte) ReportPart {
	sec := sectionName(ch.Part)
	if len(ch.Part) == 0 {
		sec = "TEXT"
	}
	return ReportPart{UID: uid, Section: sec, MediaType: ch.Type, Filename: ch.Filename, Name: ch.parserName(), Data: data}
}

// FetchReports reads the reports of folder, read-only: EXAMINE, UID SEARCH
// (ReportSearchCriteria), FETCH BODYSTRUCTURE of the messages found that
// the Cache does not know, and BODY.PEEK of each report part not cached.
// A part that cannot be had is returned with its Err, and the others are
// still read; a failure of the connection ends it with an error (and what
// was read so far).
func FetchReports(ctx context.Context, a Account, folder string, o ReportOptions) (*ReportFolder, error) {
	maxPart := o.MaxPartBytes
	if maxPart <= 0 {
		maxPart = DefaultReportPartBytes
	}
	m, err := Connect(ctx, a)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	st, err := m.Examine(folder)
	if err != nil {
		return nil, err
	}
	out := &ReportFolder{UIDValidity: st.UIDValidity, UIDNext: st.UIDNext}
	acct, key := a.Key(), folder+reportsKey
	known := map[uint32]reportChoice{}
	var searched uint32 // every message below this UID was searched before
	if o.Cache != nil {
		if v, recs := o.Cache.Index(acct, key); v == st.UIDValidity {
			for _, r := range recs {
				if r.UID == watermarkUID {
					if n, err := strconv.ParseUint(string(r.Data), 10, 32); err == nil {
						searched = uint32(n)
					}
					continue
				}
				var ch reportChoice
				if json.Unmarshal(r.Data, &ch) == nil {
					known[r.UID] = ch
				}
			}
		}
	}
	var uids []uint32
	if searched > 1 {
		// Searched before: the header search (which makes the server read
		// every message's header) only for what arrived since; of the
		// messages known, a search by UID (from the server's index) says
		// which are still there.
		uids, err = m.searchReportsFrom(o.Since, searched)
		if err == nil && len(known) > 0 {
			var still []uint32
			still, err = m.searchUIDs(slices.Sorted(maps.Keys(known)), o.Since)
			uids = append(uids, still...)
			slices.Sort(uids)
			uids = slices.Compact(uids)
		}
	} else {
		uids, err = m.SearchReports(o.Since)
	}
	if err != nil {
		return out, err
	}
	out.Matched = len(uids)
	var unknown []uint32
	for _, u := range uids {
		if _, ok := known[u]; !ok {
			unknown = append(unknown, u)
		}
	}
	if len(unknown) > 0 {
		got, err := m.reportStructures(unknown)
		if err != nil {
			return out, err
		}
		// What each structure said is kept now (a part not fetched below
		// is fetched next time by it); it will not change.
		var recs []IndexRecord
		for u, ch := range got {
			known[u] = ch
			b, _ := json.Marshal(ch)
			recs = append(recs, IndexRecord{UID: u, Data: b})
		}
		if o.Cache != nil && len(recs) > 0 {
			slices.SortFunc(recs, func(x, y IndexRecord) int { return cmp.Compare(x.UID, y.UID) })
			_ = o.Cache.AppendIndex(acct, key, st.UIDValidity, recs) // a cache that cannot be written only costs a fetch next time
		}
	}
	if o.Cache != nil && o.Since.IsZero() && st.UIDNext > 1 {
		// Every message below UIDNEXT was searched (without a date, so
		// for any date) and each one found has its structure kept.
		done := true
		for _, u := range uids {
			_, ok := known[u]
			done = done && ok
		}
		if done {
			_ = o.Cache.AppendIndex(acct, key, st.UIDValidity, []IndexRecord{{UID: watermarkUID, Data: []byte(strconv.FormatUint(uint64(st.UIDNext), 10))}})
		}
	}
	var todo []pendingPart
	for _, u := range uids {
		ch, ok := known[u]
		switch {
		case !ok:
			continue // the server gave no structure
		case ch.None:
			out.NoReport = append(out.NoReport, u)
			continue
		}
		if o.Cache != nil {
			if data, ok := o.Cache.Get(acct, key, st.UIDValidity, u); ok {
				p := ch.part(u, data)
				p.Cached = true
				out.Parts = append(out.Parts, p)
				continue
			}
		}
		if int64(ch.Size) > maxPart {
			// Announced too large: not asked for at all.
			p := ch.part(u, nil)
			p.Err = fmt.Errorf("%w: UID %d, section %s, announced %d bytes (at most %d)", ErrReportTooLarge, u, p.Section, ch.Size, maxPart)
			out.Parts = append(out.Parts, p)
			continue
		}
		todo = append(todo, pendingPart{u, ch})
	}
	defer func() { slices.SortFunc(out.Parts, func(x, y ReportPart) int { return cmp.Compare(x.UID, y.UID) }) }()
	batches := reportBatches(todo)
	for i, batch := range batches {
		data, errs, err := m.fetchReportParts(batch, maxPart)
		for _, pp := range batch {
			p := pp.ch.part(pp.uid, data[pp.uid])
			p.Err = errs[pp.uid]
			if p.Err == nil && o.Cache != nil && len(p.Data) > 0 {
				_ = o.Cache.Put(acct, key, st.UIDValidity, pp.uid, p.Data)
			}
			out.Parts = append(out.Parts, p)
		}
		if err != nil {
			var ierr *imap.Error
			if errors.As(err, &ierr) {
				continue // the server refused this command: the others may work
			}
			// The connection failed or was closed under it: what was
			// not fetched says so.
			for _, rest := range batches[i+1:] {
				for _, pp := range rest {
					p := pp.ch.part(pp.uid, nil)
					p.Err = fmt.Errorf("mailbox: not fetched: %w", err)
					out.Parts = append(out.Parts, p)
				}
			}
			return out, err
		}
	}
	return out, nil
}
