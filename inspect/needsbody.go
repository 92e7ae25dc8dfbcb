package inspect

import (
	"fmt"
	"strings"
)

// BodyNeed is one check that needed the body of a message that came as its
// header only (pasted headers, a bounce's text/rfc822-headers, a message
// over the size cap): what could not be decided, so that nobody reads a
// neutral as "fine".
type BodyNeed struct {
	Check string `json:"check"` // dkim, arc, pgp
	What  string `json:"what"`  // one sentence: what was and was not checked
}

// bodyNeeds lists, for a message without a body, the checks that needed
// it: each DKIM signature's body hash (RFC 6376 3.7, bh=), each ARC
// message signature's (RFC 8617 4.1.2), and OpenPGP content, which lives
// in the body (RFC 3156; inline, RFC 4880 7).
func bodyNeeds(m *Message, rep *Report) []BodyNeed {
	var out []BodyNeed
	for _, d := range rep.DKIM {
		out = append(out, BodyNeed{Check: "dkim", What: fmt.Sprintf(
			"DKIM d=%s s=%s: the body hash (bh=) needs the body; only the signature over the header fields was checked", orDash(d.Domain), orDash(d.Selector))})
	}
	for _, s := range rep.ARC.Sets {
		out = append(out, BodyNeed{Check: "arc", What: fmt.Sprintf(
			"ARC i=%d (%s): the ARC-Message-Signature covers the body, so it cannot match without it", s.Instance, orDash(s.Domain))})
	}
	ct := ""
	if f, ok := m.Get("Content-Type"); ok {
		ct = strings.ToLower(f.Value())
	}
	switch {
	case strings.Contains(ct, "application/pgp-signature") || strings.Contains(ct, "application/pgp-encrypted"):
		out = append(out, BodyNeed{Check: "pgp", What: "OpenPGP: the Content-Type says the message is signed or encrypted with OpenPGP (RFC 3156); the signature and the encrypted content are in the body, so neither was checked"})
	default:
		out = append(out, BodyNeed{Check: "pgp", What: "OpenPGP: a signature or encrypted content would be in the body, so none could be looked for"})
	}
	return out
}

// Words say the inputs of a re-check in one line.
func (rc *RecheckInputs) Words() string {
	s := "evaluated " + rc.TimeBasis + ", " + rc.EvaluationTime + "; DNS: " + rc.DNS
	if rc.IP != "" || rc.HELO != "" || rc.MailFrom != "" {
		s += fmt.Sprintf("; SPF inputs given: IP %s, HELO %s, MAIL FROM %s", orDash(rc.IP), orDash(rc.HELO), orDash(rc.MailFrom))
	}
	return s
}
