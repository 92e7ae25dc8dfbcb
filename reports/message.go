package reports

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"path"
	"strings"
	"time"
)

// maxParts bounds the parts of one multipart body and maxNesting the
// multiparts inside multiparts of one message: a report needs a handful.
const (
	maxParts   = 1000
	maxNesting = 10
)

// field is one header field, unfolded.
type field struct{ name, value string }

type header []field

func (h header) get(name string) string {
	for _, f := range h {
		if strings.EqualFold(f.name, name) {
			return f.value
		}
	}
	return ""
}

func (h header) all(name string) []string {
	var v []string
	for _, f := range h {
		if strings.EqualFold(f.name, name) {
			v = append(v, f.value)
		}
	}
	return v
}

// splitHeader parses the header fields of an RFC 5322 message or MIME part
// up to the first empty line and returns them with the body after it. It is
// lenient: a line that is no field and no continuation is skipped, so that
// one broken field does not hide the Content-Type after it.
func splitHeader(data []byte) (header, []byte) {
	var h header
	dropped := false // the last field was past maxFields: so are its continuations
	rest := data
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		var line []byte
		if i < 0 {
			line, rest = rest, nil
		} else {
			line, rest = rest[:i], rest[i+1:]
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			return h, rest
		}
		if line[0] == ' ' || line[0] == '\t' { // folded (RFC 5322 section 2.2.3)
			if len(h) > 0 && !dropped && len(h[len(h)-1].value) < 1<<16 {
				h[len(h)-1].value += " " + strings.TrimSpace(string(line))
			}
			continue
		}
		c := bytes.IndexByte(line, ':')
		if c <= 0 {
			continue
		}
		name := string(bytes.TrimSpace(line[:c]))
		if dropped = len(h) >= maxFields && (!mimeField(name) || h.get(name) != ""); dropped {
			continue
		}
		h = append(h, field{name, strings.TrimSpace(string(line[c+1:]))})
	}
	return h, nil
}

// maxFields is how many header fields splitHeader keeps; past them it
// keeps only the first of each MIME field that says where a report is: a
// message of 20M empty fields cost 1.5 GB. Real report messages have a
// few dozen.
const maxFields = 1000

func mimeField(name string) bool {
	return strings.EqualFold(name, "Content-Type") || strings.EqualFold(name, "Content-Transfer-Encoding") ||
		strings.EqualFold(name, "Content-Disposition")
}

// mediaType is the part's Content-Type, lower-cased, text/plain when it has
// none (RFC 2045 section 5.2), with its parameters.
func mediaType(h header) (string, map[string]string) {
	v := h.get("Content-Type")
	if v == "" {
		return "text/plain", nil
	}
	mt, params, err := mime.ParseMediaType(v)
	if err != nil && mt == "" {
		// A broken parameter list: the type before it still says a lot.
		mt = strings.ToLower(strings.TrimSpace(strings.SplitN(v, ";", 2)[0]))
	}
	return mt, params
}

// fileName is the part's name: Content-Disposition's filename, else
// Content-Type's name (RFC 2183, RFC 2231 handled by mime), base name only.
func fileName(h header, ctParams map[string]string) string {
	name := ""
	if _, p, err := mime.ParseMediaType(h.get("Content-Disposition")); err == nil {
		name = p["filename"]
	}
	if name == "" {
		name = ctParams["name"]
	}
	if name == "" {
		return ""
	}
	if dec, err := new(mime.WordDecoder).DecodeHeader(name); err == nil {
		name = dec
	}
	return path.Base(strings.ReplaceAll(name, "\\", "/"))
}

// decodeBody undoes the Content-Transfer-Encoding (RFC 2045 section 6).
// Base64 skips characters outside its alphabet (line breaks, and the stray
// ones some senders leave), as RFC 2045 section 6.8 says to.
func decodeBody(h header, body []byte) []byte {
	switch strings.ToLower(strings.TrimSpace(h.get("Content-Transfer-Encoding"))) {
	case "base64":
		clean := make([]byte, 0, len(body))
		for _, c := range body {
			if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' {
				clean = append(clean, c)
			}
		}
		out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
		n, _ := base64.RawStdEncoding.Decode(out, clean[:len(clean)/4*4+rawTail(len(clean))])
		return out[:n]
	case "quoted-printable":
		out, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		return out
	}
	return body
}

// rawTail is how many characters after the last whole group of four can be
// decoded (one alone cannot).
func rawTail(n int) int {
	if n%4 == 1 {
		return 0
	}
	return n % 4
}

// mbox splits an mbox file (RFC 4155: each message after a "From " line at
// the start of a line) and reads each message.
func (r *reader) mbox(name string, data []byte, depth int) {
	n := 0
	for len(data) > 0 {
		if r.full() {
			r.fail(fmt.Errorf("%s: %w: more than %d reports in one input; the rest skipped", name, ErrTooLarge, r.lim.MaxReports))
			return
		}
		// Drop the separator line, find the next one.
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			data = data[i+1:]
		} else {
			break
		}
		msg := data
		if i := bytes.Index(data, []byte("\nFrom ")); i >= 0 {
			msg, data = data[:i+1], data[i+1:]
		} else {
			data = nil
		}
		n++
		r.message(fmt.Sprintf("%s: message %d", name, n), unquoteFrom(msg), depth+1)
	}
	if n == 0 {
		// "From " and nothing after it (found by FuzzReadMessage).
		r.fail(fmt.Errorf("%s: %w: an mbox \"From \" line with no message after it", name, ErrNotReport))
	}
}

// unquoteFrom undoes the ">From " quoting of mboxrd (RFC 4155 section 2).
func unquoteFrom(msg []byte) []byte {
	if !bytes.Contains(msg, []byte("\n>From ")) && !bytes.Contains(msg, []byte("\n>>From ")) {
		return msg
	}
	lines := bytes.SplitAfter(msg, []byte("\n"))
	for i, l := range lines {
		t := bytes.TrimLeft(l, ">")
		if len(t) < len(l) && bytes.HasPrefix(t, []byte("From ")) {
			lines[i] = l[1:]
		}
	}
	return bytes.Join(lines, nil)
}

// message reads a whole message: the reports it carries as attachments or as
// its body, or the failure report it is.
func (r *reader) message(name string, data []byte, depth int) {
	if depth > r.lim.MaxDepth {
		r.fail(fmt.Errorf("%s: %w: containers nested more than %d deep", name, ErrTooLarge, r.lim.MaxDepth))
		return
	}
	h, body := splitHeader(data)
	before, errsBefore, droppedBefore := len(r.reps), len(r.errs), r.dropped[ErrNotReport]
	r.part(name, h, body, depth, 0)
	if len(r.reps) > before {
		r.dropped[ErrNotReport] = droppedBefore
		// The message carried a report: an attachment beside it that is no
		// report at all (a logo, a PDF notice) is not an error; one that
		// looked like a report and could not be read still is.
		kept := r.errs[:errsBefore]
		for _, err := range r.errs[errsBefore:] {
			if !errors.Is(err, ErrNotReport) {
				kept = append(kept, err)
			}
		}
		r.errs = kept
		return
	}
	if len(r.errs) == errsBefore && r.dropped[ErrNotReport] == droppedBefore {
		subj := h.get("Subject")
		if d, err := new(mime.WordDecoder).DecodeHeader(subj); err == nil {
			subj = d
		}
		r.fail(fmt.Errorf("%s: %w: the message (Subject %q) carries no report", name, ErrNotReport, clip(subj)))
	}
}

// part reads one MIME entity of a message.
func (r *reader) part(name string, h header, body []byte, depth, nesting int) {
	mt, params := mediaType(h)
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		if nesting >= maxNesting {
			r.fail(fmt.Errorf("%s: %w: multiparts nested more than %d deep", name, ErrTooLarge, maxNesting))
			return
		}
		parts := splitMultipart(body, params["boundary"])
		if mt == "multipart/report" && strings.EqualFold(params["report-type"], "feedback-report") {
			r.failure(name, h, parts)
			return
		}
		for _, p := range parts {
			ph, pb := splitHeader(p)
			r.part(name, ph, pb, depth, nesting+1)
		}
	case mt == "message/feedback-report":
		// Outside a multipart/report (a sender that got the structure
		// wrong): the fields alone are still a failure report.
		r.failure(name, h, [][]byte{append(headerBytes(h), body...)})
	case mt == "message/rfc822" || mt == "message/global":
		r.message(name+": attached message", decodeBody(h, body), depth+1)
	case strings.HasPrefix(mt, "text/") && mt != "text/xml":
		// The human-readable part. A few senders put the report itself in
		// a text part: read it when it looks like one, ignore it otherwise.
		b := decodeBody(h, body)
		if looksLikeReport(b) {
			n := fileName(h, params)
			if n == "" {
				n = mt + " part"
			}
			r.input(name+": "+n, b, depth+1)
		}
	case strings.HasPrefix(mt, "image/"), strings.HasPrefix(mt, "audio/"), strings.HasPrefix(mt, "video/"):
	default: // application/zip, application/gzip, application/tlsrpt+gzip, text/xml, application/octet-stream...
		n := fileName(h, params)
		if n == "" {
			n = mt + " part"
		}
		r.input(name+": "+n, decodeBody(h, body), depth+1)
	}
}

// looksLikeReport: an aggregate report's root element or a TLS report's
// organisation near the start of a text part (not an HTML page).
func looksLikeReport(b []byte) bool {
	head := b[:min(len(b), 4096)]
	switch sniff(b) {
	case formXML:
		return bytes.Contains(head, []byte("<feedback"))
	case formJSON:
		return bytes.Contains(head, []byte(`"organization-name"`))
	}
	return false
}

func headerBytes(h header) []byte {
	var b bytes.Buffer
	for _, f := range h {
		b.WriteString(f.name + ": " + f.value + "\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// splitMultipart returns the body parts between the boundary delimiters
// (RFC 2046 section 5.1.1): each starts after a "--boundary" line and ends
// before the line break that precedes the next delimiter. The preamble and
// epilogue are dropped; an unterminated last part runs to the end.
func splitMultipart(body []byte, boundary string) [][]byte {
	if boundary == "" {
		return nil
	}
	delim := []byte("--" + boundary)
	var parts [][]byte
	// Find the first delimiter at the start of a line.
	pos := -1
	if bytes.HasPrefix(body, delim) {
		pos = 0
	} else if i := bytes.Index(body, append([]byte("\n"), delim...)); i >= 0 {
		pos = i + 1
	}
	for pos >= 0 && len(parts) < maxParts {
		rest := body[pos+len(delim):]
		if bytes.HasPrefix(rest, []byte("--")) {
			break // the close delimiter
		}
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		rest = rest[i+1:]
		next := bytes.Index(rest, append([]byte("\n"), delim...))
		if next < 0 {
			parts = append(parts, rest)
			break
		}
		p := rest[:next]
		p = bytes.TrimSuffix(p, []byte("\r"))
		parts = append(parts, p)
		pos = len(body) - len(rest) + next + 1
	}
	return parts
}

// failure reads a multipart/report of report-type feedback-report: an ARF
// report (RFC 5965 section 2) with RFC 6591's authentication failure fields
// (RFC 9991 section 4 for DMARC). Its parts are the human-readable text, the
// message/feedback-report fields, and the original message (message/rfc822)
// or its header alone (text/rfc822-headers).
func (r *reader) failure(name string, h header, parts [][]byte) {
	f := &Failure{}
	rep := &Report{Kind: KindFailure, Source: name, Failure: f}
	sawFields := false
	for _, p := range parts {
		ph, pb := splitHeader(p)
		mt, _ := mediaType(ph)
		switch mt {
		case "message/feedback-report":
			if sawFields {
				rep.Errors = append(rep.Errors, "a second message/feedback-report part ignored")
				continue
			}
			sawFields = true
			feedbackFields(decodeBody(ph, pb), f, rep)
		case "message/rfc822", "message/global", "text/rfc822-headers", "message/rfc822-headers", "message/global-headers":
			if f.Original != nil {
				continue
			}
			f.Original = decodeBody(ph, pb)
			f.HeadersOnly = strings.HasSuffix(mt, "-headers")
		}
	}
	if !sawFields {
		r.fail(fmt.Errorf("%s: %w: multipart/report (feedback-report) without a message/feedback-report part", name, ErrMalformed))
		return
	}
	if f.Original == nil {
		rep.Errors = append(rep.Errors, "the report carries neither the original message nor its header")
	}
	r.add(rep)
}

// feedbackFields reads the fields of a message/feedback-report part (RFC
// 5965 section 3.1, RFC 6591 section 3.1).
func feedbackFields(b []byte, f *Failure, rep *Report) {
	fields, _ := splitHeader(bytes.TrimLeft(b, "\r\n"))
	f.FeedbackType = strings.ToLower(fields.get("Feedback-Type"))
	f.UserAgent = fields.get("User-Agent")
	f.Version = fields.get("Version")
	// Source-IP is an address (RFC 5965 section 3.2), which some reporters
	// follow with the host name in a comment: "192.0.2.1 (mx.example)".
	if ip := strings.Fields(fields.get("Source-IP")); len(ip) > 0 {
		f.SourceIP = strings.Trim(ip[0], "[]")
	}
	f.AuthenticationResults = fields.all("Authentication-Results")
	f.ReportedDomain = fields.get("Reported-Domain")
	f.AuthFailure = strings.ToLower(fields.get("Auth-Failure"))
	f.IdentityAlignment = strings.ToLower(fields.get("Identity-Alignment"))
	f.DeliveryResult = strings.ToLower(fields.get("Delivery-Result"))
	f.OriginalMailFrom = fields.get("Original-Mail-From")
	f.OriginalRcptTo = fields.all("Original-Rcpt-To")
	f.DKIMDomain = fields.get("DKIM-Domain")
	f.DKIMIdentity = fields.get("DKIM-Identity")
	f.DKIMSelector = fields.get("DKIM-Selector")
	f.DKIMCanonicalized = fields.get("DKIM-Canonicalized-Header")
	f.SPFDNS = fields.get("SPF-DNS")
	f.ReportedURI = fields.all("Reported-URI")
	if f.FeedbackType == "" {
		rep.Errors = append(rep.Errors, "no Feedback-Type field")
	}
	// Arrival-Date (RFC 5965 section 3.2; older reports say Received-Date).
	d := fields.get("Arrival-Date")
	if d == "" {
		d = fields.get("Received-Date")
	}
	f.ArrivalDateText = d
	if d != "" {
		if t, err := parseDate(d); err == nil {
			f.ArrivalDate = t
		} else {
			rep.Errors = append(rep.Errors, fmt.Sprintf("Arrival-Date %q unreadable", clip(d)))
		}
	}
}

// parseDate reads an RFC 5322 date-time, with a trailing comment such as
// "(GMT)" or "(UTC)" that net/mail does not always accept.
func parseDate(s string) (time.Time, error) {
	t, err := mail.ParseDate(s)
	if err != nil {
		if i := strings.LastIndexByte(s, '('); i > 0 {
			t, err = mail.ParseDate(strings.TrimSpace(s[:i]))
		}
	}
	return t.UTC(), err
}
