package inspect

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// readClaims reads every Authentication-Results field (RFC 8601), top
// first, with Sealtrace's own reader (authres.go), which keeps what real
// receivers write and go-msgauth refuses. A field is trusted when its
// authserv-id is one of trusted, or, when trusted is empty, when it is the
// topmost field and the receiver's by its place (receiverWroteTopAR): the
// one the receiving server added last (RFC 8601 5: only
// the receiver's own fields can be believed; anything below may have come
// with the message). A field without an authserv-id (Microsoft 365) is
// trusted only as the topmost field itself: an empty id must not vouch for
// other fields that also lack one.
func readClaims(m *Message, trusted []string) ([]Claim, []string) {
	var claims []Claim
	var warnings []string
	trust := map[string]bool{}
	for _, t := range trusted {
		trust[strings.ToLower(t)] = true
	}
	defaultTop := len(trusted) == 0 && receiverWroteTopAR(m)
	for i, fl := range m.All("Authentication-Results") {
		f := readAuthres(fl.Value(), false)
		id := strings.ToLower(f.AuthservID)
		top := defaultTop && i == 0
		if top && id != "" {
			trust[id] = true
		}
		for _, r := range f.Results {
			claims = append(claims, claimOf(id, r, (id != "" && trust[id]) || top))
		}
		if len(f.Unread) > 0 {
			warnings = append(warnings, fmt.Sprintf("an Authentication-Results field of %s has parts that could not be read, kept as written: %s (the %d result(s) around them are kept)",
				AuthservLabel(id), strings.Join(quoteAll(f.Unread), ", "), len(f.Results)))
		} else if len(f.Results) == 0 && !f.NoResult {
			warnings = append(warnings, fmt.Sprintf("an Authentication-Results field of %s states no result", AuthservLabel(id)))
		}
	}
	return claims, warnings
}

// AuthservLabel names a claim's receiver for display: Microsoft 365 writes
// its fields without an authserv-id.
func AuthservLabel(id string) string {
	if id == "" {
		return "(no authserv-id: Microsoft 365 or Exchange)"
	}
	return id
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

// claimOf turns one read result into a claim.
func claimOf(id string, r arResult, trusted bool) Claim {
	c := Claim{AuthservID: id, Method: r.Method, Result: r.Result, Reason: r.Reason, Trusted: trusted,
		Comment: strings.Join(r.Comments, "; ")}
	if len(r.Props) > 0 {
		c.Properties = r.Props
		parts := make([]string, len(r.Props))
		for i, p := range r.Props {
			parts[i] = p.Key() + "=" + displayValue(p.Value)
		}
		sort.Strings(parts)
		c.Props = strings.Join(parts, " ")
	}
	return c
}

// displayValue quotes a value that would not read back as one word.
func displayValue(v string) string {
	if v != "" && !strings.ContainsAny(v, " \t\"();") {
		return v
	}
	if v == "" {
		return ""
	}
	return strconv.Quote(v)
}

// prop returns the value of a claim's property (case-insensitive key).
func (c *Claim) prop(key string) string {
	for _, p := range c.Properties {
		if strings.EqualFold(p.Key(), key) {
			return p.Value
		}
	}
	return ""
}

// compareClaims sets, for each trusted claim, what Sealtrace finds now and,
// where the two differ, the likely reason.
func compareClaims(rep *Report) {
	for i := range rep.Claims {
		c := &rep.Claims[i]
		if c.Method == "compauth" {
			// Microsoft's own verdict: Sealtrace has nothing to repeat, but
			// the reason code says what it was based on.
			c.Comparison = explainCompauth(c.Result, c.Reason)
			continue
		}
		if !c.Trusted {
			continue
		}
		switch c.Method {
		case "spf":
			c.Ours = rep.SPF.Result
			if c.Ours != c.Result {
				c.Comparison = explainSPF(c, rep.SPF)
			}
		case "dkim":
			d := matchDKIM(c, rep.DKIM)
			if d == nil {
				c.Ours = None
				switch c.Result {
				case Pass, Fail:
					// The receiver evaluated a signature it names.
					c.Comparison = "The receiver reports a DKIM signature that Sealtrace does not find in the message now: a signature field was removed after delivery, or the claim names a domain that no signature here has."
				case None, Neutral, PermError, Policy:
					if len(rep.DKIM) == 0 {
						c.Comparison = "Neither the receiver nor Sealtrace found a usable DKIM signature: they agree that none verified."
					}
				}
				continue
			}
			c.Ours = d.Result
			if c.Ours != c.Result {
				c.Comparison = explainDKIM(c, d)
			}
		case "dmarc":
			c.Ours = rep.DMARC.Result
			if c.Result == "bestguesspass" {
				c.Comparison = "bestguesspass is Microsoft's word, not RFC 8601's: the From domain publishes no DMARC record, and Microsoft guessed that one would have passed (SPF or DKIM aligned). DMARC itself was not applied."
				continue
			}
			if c.Ours != c.Result {
				c.Comparison = explainDMARC(rep)
			}
		case "arc":
			c.Ours = rep.ARC.Result
			if c.Ours != c.Result {
				c.Comparison = "The receiver judged the ARC chain as it arrived; Sealtrace checks it with today's keys. A key removed since then, or a change to the message after delivery, explains a difference."
			}
		}
	}
}

// explainCompauth explains Microsoft 365's composite authentication
// (compauth): its verdict on whether the From address is spoofed, from SPF,
// DKIM, DMARC, ARC and its own sender reputation. The reason code tells on
// what it was based (Microsoft's documentation of the anti-spam message
// headers); the last two digits of 1xx, 2xx, 4xx, 7xx and 9xx codes are
// internal.
func explainCompauth(result, reason string) string {
	const what = "compauth is Microsoft 365's composite authentication: its own verdict on whether the From address is forged, from SPF, DKIM, DMARC, ARC and sender reputation. Sealtrace cannot repeat it."
	var why string
	switch {
	case reason == "":
		why = "The field gives no reason code."
	case reason == "000":
		why = "Reason 000: the message failed explicit authentication: DMARC failed and the From domain's policy is quarantine or reject."
	case reason == "001":
		why = "Reason 001: the message failed implicit authentication: the From domain publishes no DMARC record (or a weak one: p=none, SPF ~all or ?all) and nothing else vouched for the sender."
	case reason == "002":
		why = "Reason 002: the receiving organisation forbids this sender and domain pair from sending spoofed mail (an administrator's setting)."
	case reason == "010":
		why = "Reason 010: DMARC failed with quarantine or reject, and the From domain is one of the receiving organisation's own domains (spoofing inside the organisation)."
	case reason == "130":
		why = "Reason 130: an ARC result vouched for the message: an intermediary Microsoft trusts found it authentic before it changed."
	case len(reason) == 3 && isDigits(reason):
		switch reason[0] {
		case '1', '7':
			why = "Reason " + reason + " (1xx or 7xx): the message passed composite authentication."
		case '2':
			why = "Reason " + reason + " (2xx): the message soft-passed implicit authentication."
		case '3':
			why = "Reason " + reason + " (3xx): the message was not checked for composite authentication."
		case '4', '9':
			why = "Reason " + reason + " (4xx or 9xx): the message bypassed composite authentication (an allow rule or a trusted path)."
		case '6':
			why = "Reason " + reason + " (6xx): the message failed implicit authentication, and the From domain is one of the receiving organisation's own domains."
		}
	}
	if why == "" {
		why = "Reason " + reason + " is not one Microsoft documents."
	}
	return what + " It says " + result + ". " + why
}

func explainDMARC(rep *Report) string {
	d := rep.DMARC
	switch {
	case d.Result == None && d.Record == "":
		return "Sealtrace finds no DMARC record for " + d.Domain + " now: the domain removed it since delivery, or (with offline zone files) the zones do not hold it."
	case d.Result == TempError:
		return "Sealtrace could not get every DNS answer DMARC needs now (temperror); the receiver could at delivery."
	}
	dkim := "no aligned DKIM signature passed"
	if d.DKIMAligned {
		dkim = "an aligned DKIM signature passed"
	}
	spf := "SPF " + rep.SPF.Result + ", not aligned"
	if d.SPFAligned {
		spf = "SPF passed, aligned"
	}
	return fmt.Sprintf("DMARC depends on SPF and DKIM: now %s and %s, so it is %s; see those checks for what changed since delivery.", spf, dkim, d.Result)
}

func explainSPF(c *Claim, now SPFResult) string {
	switch {
	case c.Result == TempError:
		return "At delivery the receiver could not reach DNS (temperror); Sealtrace could now."
	case now.Result == TempError:
		return "Sealtrace cannot reach DNS now (temperror); the receiver could at delivery."
	case now.IP == "":
		return "Sealtrace could not tell which IP address delivered the message, so it could not repeat the check; give it with --ip."
	}
	return fmt.Sprintf("Sealtrace checked %s for %s; the domain's SPF record may have changed since delivery, or the receiver used other inputs (IP, HELO, envelope sender).", now.IP, now.Domain)
}

func explainDKIM(c *Claim, d *DKIMResult) string {
	switch {
	case c.Result == Pass && d.Code == CodeNoKey:
		return "Sealtrace finds no key at the selector now: the domain has most likely rotated or removed it since delivery (or, with offline zone files, the zones do not hold it). The receiver's pass was probably right when it was made."
	case c.Result == Pass && d.Code == CodeBodyHashMismatch:
		return "The body changed after delivery (a mail client, filter or archive rewrote it): it verified when it arrived."
	case c.Result == Pass && d.Code == CodeSignatureMismatch:
		return "A signed header changed after delivery: it verified when it arrived."
	case c.Result == TempError:
		return "At delivery the receiver could not fetch the key (temperror); Sealtrace could now."
	case d.Result == TempError:
		return "Sealtrace cannot fetch the key now (temperror); the receiver could at delivery."
	case c.Result == Pass && d.Result == Policy:
		return "Sealtrace applies today's rules (" + d.Reason + "); the receiver accepted it."
	}
	return "The receiver and Sealtrace disagree: " + d.Reason + "."
}

// matchDKIM finds the signature a claim speaks of: by header.d, or by the
// domain of header.i.
func matchDKIM(c *Claim, sigs []DKIMResult) *DKIMResult {
	d := strings.ToLower(c.prop("header.d"))
	id := strings.ToLower(domainOf(c.prop("header.i")))
	if d == "" && id == "" {
		if len(sigs) == 1 {
			return &sigs[0] // the claim names no domain, but there is only one
		}
		return nil
	}
	var best *DKIMResult
	for i := range sigs {
		s := &sigs[i]
		if (d != "" && s.Domain == d) || (d == "" && id != "" && (s.Domain == id || strings.HasSuffix(id, "."+s.Domain))) {
			if best == nil || (best.Result != c.Result && s.Result == c.Result) {
				best = s
			}
		}
	}
	return best
}
