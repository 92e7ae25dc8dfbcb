package inspect

import (
	"fmt"
	"sort"
	"strings"

	"github.com/emersion/go-msgauth/authres"
)

// readClaims parses every Authentication-Results field (RFC 8601), top
// first. A field is trusted when its authserv-id is one of trusted, or, when
// trusted is empty, when it is the authserv-id of the topmost field: the one
// the receiving server added last (RFC 8601 5: only the receiver's own
// fields can be believed; anything below may have come with the message).
func readClaims(m *Message, trusted []string) ([]Claim, []string) {
	var claims []Claim
	var warnings []string
	trust := map[string]bool{}
	for _, t := range trusted {
		trust[strings.ToLower(t)] = true
	}
	for i, f := range m.All("Authentication-Results") {
		id, results, err := authres.Parse(f.Value())
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("an Authentication-Results field could not be read: %v", err))
			continue
		}
		id = strings.ToLower(id)
		if len(trusted) == 0 && i == 0 {
			trust[id] = true
		}
		for _, r := range results {
			c := Claim{AuthservID: id, Trusted: trust[id]}
			switch v := r.(type) {
			case *authres.SPFResult:
				c.Method, c.Result, c.Reason = "spf", string(v.Value), v.Reason
				c.Props = props("smtp.mailfrom", v.From, "smtp.helo", v.Helo)
			case *authres.DKIMResult:
				c.Method, c.Result, c.Reason = "dkim", string(v.Value), v.Reason
				c.Props = props("header.d", v.Domain, "header.i", v.Identifier)
			case *authres.DMARCResult:
				c.Method, c.Result, c.Reason = "dmarc", string(v.Value), v.Reason
				c.Props = props("header.from", v.From)
			case *authres.ARCResult:
				c.Method, c.Result = "arc", string(v.Value)
			case *authres.IPRevResult:
				c.Method, c.Result, c.Reason = "iprev", string(v.Value), v.Reason
				c.Props = props("policy.iprev", v.IP)
			case *authres.AuthResult:
				c.Method, c.Result, c.Reason = "auth", string(v.Value), v.Reason
			case *authres.GenericResult:
				if v.Method == "" || v.Value == "" {
					warnings = append(warnings, fmt.Sprintf("an Authentication-Results field of %s has a result without a method or value", orUnknown(id)))
					continue
				}
				c.Method, c.Result = v.Method, string(v.Value)
				var kv []string
				for k, p := range v.Params {
					kv = append(kv, k, p)
				}
				c.Props = props(kv...)
			default:
				continue
			}
			claims = append(claims, c)
		}
	}
	return claims, warnings
}

func props(kv ...string) string {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			parts = append(parts, kv[i]+"="+kv[i+1])
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// compareClaims sets, for each trusted claim, what Sealtrace finds now and,
// where the two differ, the likely reason.
func compareClaims(rep *Report) {
	for i := range rep.Claims {
		c := &rep.Claims[i]
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
				if c.Result != None {
					c.Comparison = "The receiver reports a DKIM signature that Sealtrace does not find in the message now: a signature field was removed after delivery."
				}
				continue
			}
			c.Ours = d.Result
			if c.Ours != c.Result {
				c.Comparison = explainDKIM(c, d)
			}
		case "dmarc":
			c.Ours = rep.DMARC.Result
			if c.Ours != c.Result {
				c.Comparison = fmt.Sprintf("DMARC depends on SPF and DKIM: it is %s now because SPF is %s and the aligned DKIM result is %v; see those checks for what changed since delivery.", c.Ours, rep.SPF.Result, rep.DMARC.DKIMAligned)
			}
		case "arc":
			c.Ours = rep.ARC.Result
			if c.Ours != c.Result {
				c.Comparison = "The receiver judged the ARC chain as it arrived; Sealtrace checks it with today's keys. A key removed since then, or a change to the message after delivery, explains a difference."
			}
		}
	}
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
	case c.Result == Pass && strings.HasPrefix(d.Reason, "no key"):
		return "The key was in DNS at delivery and is gone now: the domain rotated or removed it. The receiver's pass was right when it was made."
	case c.Result == Pass && strings.HasPrefix(d.Reason, "body hash mismatch"):
		return "The body changed after delivery (a mail client, filter or archive rewrote it): it verified when it arrived."
	case c.Result == Pass && strings.HasPrefix(d.Reason, "signature mismatch"):
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
	var d, id string
	for _, p := range strings.Fields(c.Props) {
		k, v, _ := strings.Cut(p, "=")
		switch k {
		case "header.d":
			d = strings.ToLower(v)
		case "header.i":
			id = strings.ToLower(domainOf(v))
		}
	}
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
