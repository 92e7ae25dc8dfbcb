package inspect

import (
	"net/mail"
	"net/netip"
	"regexp"
	"strings"
	"time"
)

// Received fields (RFC 5321 4.4): each server that handled the message
// added one at the top, so read bottom up they give the path.

var (
	reIPBracket = regexp.MustCompile(`\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]`)
	reTLSPostfx = regexp.MustCompile(`(?i)using (TLSv?[0-9._]+)(?: with cipher ([A-Za-z0-9_-]+))?`)
	reTLSVers   = regexp.MustCompile(`(?i)version=(TLS[0-9_.v]+)(?:[ ,;]+cipher=([A-Za-z0-9_-]+))?`)
)

// tlsProtocols are the "with" keywords that mean the session used TLS
// (RFC 3848, RFC 8314 7.3, and Gmail's SMTPS).
var tlsProtocols = map[string]bool{"ESMTPS": true, "ESMTPSA": true, "SMTPS": true, "LMTPS": true, "LMTPSA": true, "UTF8SMTPS": true, "UTF8SMTPSA": true, "UTF8LMTPS": true, "UTF8LMTPSA": true}

// parseReceived reads one Received value. It never fails: what it cannot
// find stays empty.
func parseReceived(v string) Hop {
	v = strings.Join(strings.Fields(v), " ")
	h := Hop{Raw: v}
	clauses, date := v, ""
	if i := strings.LastIndexByte(v, ';'); i >= 0 {
		clauses, date = v[:i], strings.TrimSpace(v[i+1:])
	}
	if t, err := mail.ParseDate(date); err == nil {
		h.Time = t.Format(time.RFC3339)
	}
	words := tokenizeReceived(clauses)
	for i := 0; i < len(words); i++ {
		w := strings.ToLower(words[i])
		next := ""
		if i+1 < len(words) {
			next = words[i+1]
		}
		switch w {
		case "from":
			if h.From == "" && next != "" && next[0] != '(' {
				h.From = next
				i++
				// The comment after the name: (rdns [ip]) or ([ip]).
				if i+1 < len(words) && strings.HasPrefix(words[i+1], "(") {
					c := words[i+1]
					if m := reIPBracket.FindStringSubmatch(c); m != nil {
						h.IP = cleanIP(m[1])
					}
					inner := strings.Fields(strings.Trim(c, "()"))
					if len(inner) > 0 && strings.Contains(inner[0], ".") && !strings.ContainsAny(inner[0], "[=") {
						h.RDNS = strings.TrimSuffix(inner[0], ".")
					}
					i++
				}
				if h.IP == "" && strings.HasPrefix(h.From, "[") {
					if m := reIPBracket.FindStringSubmatch(h.From); m != nil {
						h.IP = cleanIP(m[1])
					}
				}
			}
		case "by":
			if h.By == "" && next != "" && next[0] != '(' {
				h.By = next
				i++
			}
		case "with":
			if h.With == "" && next != "" {
				h.With = next
				i++
			}
		}
	}
	if m := reTLSPostfx.FindStringSubmatch(v); m != nil {
		h.TLS = strings.TrimSpace(m[1] + " " + m[2])
	} else if m := reTLSVers.FindStringSubmatch(v); m != nil {
		h.TLS = strings.TrimSpace(m[1] + " " + m[2])
	} else if w := strings.ToUpper(h.With); tlsProtocols[w] {
		h.TLS = "TLS (" + h.With + ")" // RFC 3848: the S means the session used TLS
	}
	if h.TLS == "" {
		h.TLS = "none stated"
	}
	return h
}

// tokenizeReceived splits on spaces but keeps each parenthesized comment
// (which may nest) as one word.
func tokenizeReceived(s string) []string {
	var out []string
	depth := 0
	start := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '(':
			if depth == 0 {
				if start >= 0 {
					out = append(out, s[start:i])
				}
				start = i
			}
			depth++
		case c == ')' && depth > 0:
			depth--
			if depth == 0 {
				out = append(out, s[start:i+1])
				start = -1
			}
		case c == ' ' && depth == 0:
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
		default:
			if start < 0 {
				start = i
			}
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

func cleanIP(s string) string {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return ""
	}
	return a.Unmap().String()
}

// parseHops returns the Received path oldest first, with the delay of each
// hop (from the previous hop, or from the Date field for the first) and
// clock skew flagged where a hop is earlier than the one before it.
func parseHops(m *Message) []Hop {
	fields := m.All("Received")
	hops := make([]Hop, 0, len(fields))
	for i := len(fields) - 1; i >= 0; i-- {
		hops = append(hops, parseReceived(fields[i].Value()))
	}
	var prev time.Time
	if f, ok := m.Get("Date"); ok {
		if t, err := mail.ParseDate(strings.TrimSpace(f.Value())); err == nil {
			prev = t
		}
	}
	for i := range hops {
		t, err := time.Parse(time.RFC3339, hops[i].Time)
		if err != nil {
			continue
		}
		if !prev.IsZero() {
			d := t.Sub(prev).Seconds()
			hops[i].DelaySeconds = d
			// A minute of difference is ordinary clock drift between servers.
			hops[i].ClockSkew = d < -60
		}
		prev = t
	}
	return hops
}
