package mailbox

import (
	"bytes"
	"errors"
	"mime"
	"slices"
	"strings"
)

// Bounces: a delivery status notification (DSN, RFC 3464) is a
// multipart/report (RFC 6522) with report-type=delivery-status. Its parts
// are, in order, a text for people, a message/delivery-status part (one
// group of per-message fields, then one group per recipient), and
// optionally the returned message: whole (message/rfc822) or its header
// only (text/rfc822-headers, what Postfix sends for RET=HDRS and many
// servers send by default). RFC 6533 adds the message/global-* forms for
// internationalised mail. A support engineer who receives a bounce wants the
// returned message inspected: it is the message as the sender's side sent
// it, with its own signatures.

// Bounds on a hostile DSN.
const (
	maxDSNStatusBytes = 64 << 10 // the delivery-status part read
	maxDSNRecipients  = 100      // per-recipient groups kept
	maxDSNFieldBytes  = 1000     // one field's value kept
)

// ErrNotBounce is returned by ParseBounce for a message that is no
// delivery status notification.
var ErrNotBounce = errors.New("the message is not a delivery status notification (multipart/report; report-type=delivery-status)")

// Bounce is what a delivery status notification says.
type Bounce struct {
	ReportingMTA string            // Reporting-MTA (RFC 3464 2.2.2), without its type
	Recipients   []BounceRecipient // the per-recipient groups, at most maxDSNRecipients
	// Returned is the returned message, or its header only when
	// HeadersOnly (text/rfc822-headers); nil when the DSN carries neither.
	Returned    []byte
	HeadersOnly bool
}

// BounceRecipient is one per-recipient group (RFC 3464 2.3).
type BounceRecipient struct {
	FinalRecipient string // Final-Recipient, without its type (2.3.2)
	Action         string // failed, delayed, delivered, relayed, expanded (2.3.3)
	Status         string // the RFC 3463 code: 5.1.1 (2.3.4)
	RemoteMTA      string // Remote-MTA, without its type (2.3.5)
	DiagnosticCode string // Diagnostic-Code, as written: "smtp; 550 5.1.1 …" (2.3.6)
}

// ParseBounce reads the DSN in raw: at the top, or inside a multipart
// (some gateways wrap it), within the MIME walker's bounds. The returned
// message is the part's body exactly as it is in raw (so that DKIM verifies
// on it), or decoded when a transfer encoding was put on it.
func ParseBounce(raw []byte) (*Bounce, error) {
	w := &dsnWalker{}
	w.entity(raw, 0)
	if w.found == nil {
		if w.err != nil {
			return nil, w.err
		}
		return nil, ErrNotBounce
	}
	return w.found, nil
}

type dsnWalker struct {
	found *Bounce
	parts int
	err   error
}

func (w *dsnWalker) entity(e []byte, depth int) {
	w.parts++
	if w.found != nil {
		return
	}
	if w.parts > maxMIMEParts {
		w.err = errors.New("the message has too many MIME parts")
		return
	}
	hdr, body := splitEntity(e)
	mt, params := mediaType(headerValue(hdr, "Content-Type"))
	if !strings.HasPrefix(mt, "multipart/") {
		return
	}
	if depth >= maxMIMEDepth {
		w.err = errors.New("the message's MIME parts are nested too deeply")
		return
	}
	b := params["boundary"]
	if b == "" {
		return
	}
	parts := splitMultipart(body, b)
	if mt == "multipart/report" && strings.EqualFold(strings.TrimSpace(params["report-type"]), "delivery-status") {
		w.found = readReport(parts)
		return
	}
	for _, p := range parts {
		if w.entity(p, depth+1); w.found != nil || w.err != nil {
			return
		}
	}
}

// mediaType is the lower-case media type and its parameters; a type that
// mime cannot parse is cut at its first ';'.
func mediaType(ct string) (string, map[string]string) {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0]))
		params = map[string]string{}
		// The parameters one by one, so that one bad one does not hide
		// report-type or boundary.
		for _, p := range strings.Split(ct, ";")[1:] {
			k, v, ok := strings.Cut(p, "=")
			if ok {
				params[strings.ToLower(strings.TrimSpace(k))] = strings.Trim(strings.TrimSpace(v), `"`)
			}
		}
	}
	return mt, params
}

// readReport reads the parts of a multipart/report of delivery-status.
// The order is RFC 6522's, but parts are recognised by type, not place:
// real senders add parts (an HTML text, a second copy).
func readReport(parts [][]byte) *Bounce {
	bn := &Bounce{}
	for _, p := range parts {
		hdr, body := splitEntity(p)
		mt, _ := mediaType(headerValue(hdr, "Content-Type"))
		cte := headerValue(hdr, "Content-Transfer-Encoding")
		switch mt {
		case "message/delivery-status", "message/global-delivery-status":
			if len(body) > maxDSNStatusBytes {
				body = body[:maxDSNStatusBytes]
			}
			readStatus(bn, decodePart(body, cte))
		case "message/rfc822", "message/global":
			if bn.Returned == nil || bn.HeadersOnly {
				if m := decodePart(body, cte); len(m) > 0 {
					bn.Returned, bn.HeadersOnly = m, false
				}
			}
		case "text/rfc822-headers", "message/global-headers":
			if bn.Returned == nil {
				if m := headerOnly(decodePart(body, cte)); len(m) > 0 {
					bn.Returned, bn.HeadersOnly = m, true
				}
			}
		}
	}
	return bn
}

// headerOnly cuts a returned header block at its first empty line, and the
// empty lines after it: inspected with a separator and no body, its DKIM
// signatures would be checked over an empty body and fail; without one,
// the checks know that they have the header only.
func headerOnly(h []byte) []byte {
	hdr, _ := splitEntity(h)
	// Clipped: an append by a reader must not write into the bounce.
	return slices.Clip(bytes.TrimRight(hdr, "\r\n"))
}

// readStatus reads the field groups of a delivery-status body (RFC 3464
// 2.1): the per-message group, then one per recipient, separated by empty
// lines.
func readStatus(bn *Bounce, body []byte) {
	body = bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n"))
	groups := strings.Split(string(body), "\n\n")
	for gi, g := range groups {
		fields := statusFields(g)
		if len(fields) == 0 {
			continue
		}
		if gi == 0 || fields["reporting-mta"] != "" {
			if v := fields["reporting-mta"]; v != "" && bn.ReportingMTA == "" {
				bn.ReportingMTA = typed(v)
			}
			if fields["final-recipient"] == "" && fields["original-recipient"] == "" {
				continue
			}
		}
		if len(bn.Recipients) == maxDSNRecipients {
			return
		}
		r := BounceRecipient{
			FinalRecipient: typed(fields["final-recipient"]),
			Action:         strings.ToLower(fields["action"]),
			Status:         fields["status"],
			RemoteMTA:      typed(fields["remote-mta"]),
			DiagnosticCode: fields["diagnostic-code"],
		}
		if r.FinalRecipient == "" {
			r.FinalRecipient = typed(fields["original-recipient"])
		}
		bn.Recipients = append(bn.Recipients, r)
	}
}

// statusFields reads one group's fields, unfolded, names lower case; the
// first of a repeated name counts.
func statusFields(g string) map[string]string {
	out := map[string]string{}
	last := ""
	for _, l := range strings.Split(g, "\n") {
		l = strings.TrimRight(l, "\r")
		if l == "" {
			continue
		}
		if (l[0] == ' ' || l[0] == '\t') && last != "" {
			if len(out[last]) < maxDSNFieldBytes {
				out[last] = clip(out[last] + " " + strings.TrimSpace(l))
			}
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			last = ""
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		if _, seen := out[k]; seen {
			last = ""
			continue
		}
		out[k], last = clip(strings.TrimSpace(v)), k
	}
	return out
}

func clip(s string) string {
	if len(s) > maxDSNFieldBytes {
		return s[:maxDSNFieldBytes]
	}
	return s
}

// typed drops the type of a typed field ("rfc822; a@b" → "a@b", RFC 3464
// 2.1.2), keeping a value that has none.
func typed(v string) string {
	if _, rest, ok := strings.Cut(v, ";"); ok {
		return strings.TrimSpace(rest)
	}
	return strings.TrimSpace(v)
}
