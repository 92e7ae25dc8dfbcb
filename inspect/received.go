package inspect

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"
)

// Received fields (RFC 5321 4.4): each server that handled the message
// added one at the top, so read bottom up they give the path. The grammar
// (RFC 5321 4.4 Stamp) is "from" Extended-Domain, "by" Domain, optional
// "via", "with", "id", "for" clauses, then ";" and the date; the
// Extended-Domain is the HELO name followed by a comment with the
// connecting client's address:
//
//	from helo (rdns [192.0.2.1])             Postfix, Sendmail, Gmail, Haraka
//	from rdns ([192.0.2.1] helo=name)        Exim ([ip] without rdns, port= before helo=)
//	from helo (192.0.2.1)                    Exchange, Microsoft 365, PowerMTA, IBM
//	from host (HELO name) (192.0.2.1)        qmail, Yahoo (user@192.0.2.1 after AUTH)
//	from host [192.0.2.1]                    ZoneMTA and others (no comment)
//
// Real servers stray from it (dates without ";", Go's time format, words the
// RFC does not have), so this reader looks for each part where servers put
// it and never fails: what it cannot find stays empty. The HELO name is
// chosen by the client and says nothing about where the connection came
// from, so an address given as a HELO argument is never taken as the
// connecting IP.

const tlsNone = "none stated"

// TLS statements, tried in order; each gives a version and/or a cipher.
var tlsForms = []struct {
	need            string // a word the field must hold (lower case) before the expression is tried
	re              *regexp.Regexp
	version, cipher int // submatch indexes; 0 = not given by this form
}{
	// Sendmail, Microsoft, Haraka: (version=TLSv1.2 cipher=X) / (version=TLS1_2, cipher=X)
	{"version=", regexp.MustCompile(`(?i)\bversion=(TLS[v0-9_.]*(?:/SSLv3)?|SSLv[23])[,;]?\s+cipher=([A-Za-z0-9_-]+)`), 1, 2},
	// Postfix: (using TLSv1.3 with cipher X (256/256 bits))
	{"using ", regexp.MustCompile(`(?i)\busing (TLSv?[0-9._]+|SSLv[23]) with cipher ([A-Za-z0-9_-]+)`), 1, 2},
	// Courier, old Exim, qmail-tls: (TLSv1.2:AES128-GCM-SHA256:128)
	{"(", regexp.MustCompile(`(?i)\((TLSv?[0-9._]+|SSLv[23]):([A-Za-z0-9_-]+)(?::[0-9]+)?\)`), 1, 2},
	// Exim 4.9x: with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384
	{"tls", regexp.MustCompile(`(?i)\((TLSv?[0-9._]+)\)\s+tls\s+([A-Za-z0-9_-]+)`), 1, 2},
	// (TLSv1.2 ECDHE-RSA-AES256-GCM-SHA384)
	{"tls", regexp.MustCompile(`\((TLSv?1[0-9._]*) ([A-Z0-9_-]+)\)`), 1, 2},
	// IronPort: with ESMTP/TLS/ECDHE-RSA-AES128-GCM-SHA256
	{"/tls/", regexp.MustCompile(`(?i)\bE?SMTPS?A?/TLS/([A-Za-z0-9_-]+)`), 0, 1},
	// a cipher alone
	{"cipher=", regexp.MustCompile(`(?i)\bcipher=([A-Za-z0-9_-]+)`), 0, 1},
	// a version alone: Exim (TLS1.3) / Sendmail version=TLSv1.3
	{"(", regexp.MustCompile(`(?i)(?:\bversion=|\()(TLSv?1(?:[._][0-9])?|SSLv3)\b`), 1, 0},
}

// reTLSWord finds TLS stated in words: Exchange's "(TLS)" and "over TLS
// secured channel", Exim's "tls" keyword.
var reTLSWord = regexp.MustCompile(`(?i)(?:^|[\s(])(?:TLS|SSL)(?:$|[\s)])`)

// tlsProtocols are the "with" keywords that mean the session used TLS
// (RFC 3848, RFC 8314 7.3, and Gmail's SMTPS).
var tlsProtocols = map[string]bool{"ESMTPS": true, "ESMTPSA": true, "SMTPS": true, "LMTPS": true, "LMTPSA": true, "UTF8SMTPS": true, "UTF8SMTPSA": true, "UTF8LMTPS": true, "UTF8LMTPSA": true}

// parseReceived reads one Received value. It never fails: what it cannot
// find stays empty.
func parseReceived(v string) Hop {
	v = strings.Join(strings.Fields(v), " ")
	h := Hop{Raw: v}
	clauses := v
	// RFC 5321 4.4: the date follows the last ";". Some servers write it
	// without the ";" (SendGrid, Sendmail after a TLS comment), so when
	// what follows the ";" is not a date, the end of the field is tried.
	var t time.Time
	ok := false
	if i := strings.LastIndexByte(v, ';'); i >= 0 {
		clauses = v[:i]
		t, ok = parseDate(v[i+1:])
	}
	if !ok {
		var at [2]int
		if t, at, ok = looseDate(clauses); ok {
			clauses = clauses[:at[0]] + " " + clauses[at[1]:]
		}
	}
	if ok {
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
			if h.From != "" || h.IP != "" || next == "" {
				continue
			}
			if next[0] != '(' { // "from (127.0.0.1) by": no host name
				h.From = next
				i++
			}
			// The rest of the from clause: comments and bare [ip] words,
			// up to the next clause keyword.
			j := i + 1
			for ; j < len(words) && !isClauseWord(words[j]); j++ {
			}
			readFromClause(&h, words[i+1:j])
			i = j - 1
		case "by":
			if h.By == "" && next != "" && next[0] != '(' {
				h.By = next
				i++
			}
		case "with":
			if h.With == "" && next != "" && next[0] != '(' {
				h.With = next
				i++
			}
		case "id":
			// RFC 5321 4.4: "id" names the receiving server's queue entry
			// (Postfix's queue ID, Exim's message id), the key to its logs.
			if h.ID == "" && next != "" && next[0] != '(' {
				h.ID = strings.Trim(next, "<>")
				i++
			}
		}
	}
	// The whole field: IBM writes its TLS comment after a ";" in the
	// "with" text.
	readTLS(&h, v)
	return h
}

// isClauseWord says whether w starts a clause of RFC 5321 4.4's Stamp.
func isClauseWord(w string) bool {
	switch strings.ToLower(w) {
	case "by", "via", "with", "id", "for":
		return true
	}
	return false
}

// readFromClause finds the connecting IP, the reverse-DNS name and the HELO
// name in what follows "from host". The IP is the first address that is not
// a HELO argument, in a comment or a bare [ip]; failing that, the host
// itself when it is an address literal (Exim writes [ip] there when the
// address has no reverse-DNS name, and qmail may write the bare address).
func readFromClause(h *Hop, rest []string) {
	ip := ""
	// The last bracketed address of the clause is the one the MTA wrote
	// for the connection ("helo (rdns [ip])"); an address the client put in
	// its HELO name ("x(192.0.2.10)", "x([192.0.2.10])") comes before it.
	lastBracketed := ""
	for ci, w := range rest {
		inner := w
		if strings.HasPrefix(w, "(") {
			inner = strings.TrimSuffix(strings.TrimPrefix(w, "("), ")")
		}
		// A nested comment ("(may be forged)") says nothing about the address.
		inner = stripComments(inner)
		toks := strings.Fields(inner)
		for k := 0; k < len(toks); k++ {
			tok := toks[k]
			low := strings.ToLower(tok)
			switch {
			case low == "helo" || low == "ehlo" || low == "lhlo":
				if k+1 < len(toks) {
					if h.HELO == "" {
						h.HELO = toks[k+1]
					}
					k++
				}
				continue
			case strings.HasPrefix(low, "helo=") || strings.HasPrefix(low, "ehlo="):
				if h.HELO == "" {
					h.HELO = tok[5:]
				}
				continue
			case strings.Contains(tok, "="):
				continue // port=, ident=, bits=
			}
			bracketed := strings.HasPrefix(tok, "[")
			if a := addrOf(tok); a != "" && bracketed {
				lastBracketed = a
			}
			if ip != "" {
				continue
			}
			// A bare address counts only when it is the whole comment
			// (Exchange's "(192.0.2.1)") or after "user@" (qmail); a
			// leading address in "(192.0.2.9 [192.0.2.1])" is a name.
			if a := addrOf(tok); a != "" && (bracketed || strings.Contains(tok, "@") || len(toks) == 1) {
				ip = a
				continue
			}
			if ci == 0 && k == 0 && strings.HasPrefix(w, "(") && h.RDNS == "" && strings.Contains(tok, ".") &&
				!strings.ContainsAny(tok, "[]@") && addrOf(tok) == "" {
				h.RDNS = strings.TrimSuffix(tok, ".")
			}
		}
	}
	if lastBracketed != "" {
		ip = lastBracketed
	}
	if ip == "" {
		ip = addrOf(h.From)
	}
	h.IP = ip
}

// addrOf returns the IP address written in tok ([ip], [IPv6:ip], ip,
// [ip]:port, ip:port, user@ip, with a zone or a trailing dot or comma), or "".
func addrOf(tok string) string {
	s := strings.TrimRight(tok, ".,;")
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return ""
		}
		s = s[1:end]
		if len(s) > 5 && strings.EqualFold(s[:5], "IPv6:") {
			s = s[5:]
		}
	} else if strings.Count(s, ":") == 1 {
		s = s[:strings.IndexByte(s, ':')] // 192.0.2.1:25
	}
	if i := strings.IndexByte(s, '%'); i >= 0 {
		s = s[:i]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return ""
	}
	return a.Unmap().String()
}

// stripComments removes parenthesized text (nested or not).
func stripComments(s string) string {
	if !strings.Contains(s, "(") {
		return s
	}
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '(':
			depth++
		case r == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// readTLS sets the hop's TLS fields from what the field states.
func readTLS(h *Hop, s string) {
	low := strings.ToLower(s)
	for _, f := range tlsForms {
		if !strings.Contains(low, f.need) {
			continue
		}
		m := f.re.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		if f.version > 0 {
			h.TLSVersion = normTLSVersion(m[f.version])
		}
		if f.cipher > 0 {
			h.TLSCipher = m[f.cipher]
		}
		break
	}
	on := h.TLSVersion != "" || h.TLSCipher != "" || tlsProtocols[strings.ToUpper(h.With)] ||
		(strings.Contains(low, "tls") || strings.Contains(low, "ssl")) && reTLSWord.MatchString(s) || strings.HasPrefix(strings.ToUpper(h.With), "ESMTPS")
	switch {
	case h.TLSVersion != "" || h.TLSCipher != "":
		h.TLS = strings.TrimSpace(h.TLSVersion + " " + h.TLSCipher)
	case tlsProtocols[strings.ToUpper(h.With)]:
		h.TLS = "TLS (" + h.With + ")" // RFC 3848: the S means the session used TLS
	case on:
		h.TLS = "TLS"
	default:
		h.TLS = tlsNone
	}
}

var reTLSNum = regexp.MustCompile(`(?i)^TLS ?v?(1)(?:[._]([0-3]))?$`)

// normTLSVersion writes TLS1_2, TLS1.2 and TLSv1.2 alike as TLSv1.2 (and
// TLS1 as TLSv1.0); other forms (TLSv1/SSLv3, SSLv3) stay as written.
func normTLSVersion(s string) string {
	m := reTLSNum.FindStringSubmatch(s)
	if m == nil {
		return s
	}
	if m[2] == "" {
		m[2] = "0"
	}
	return "TLSv" + m[1] + "." + m[2]
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

// parseHops returns the Received path oldest first, with the delay of each
// hop (from the previous hop with a known time, or from the Date field for
// the first) and clock skew flagged where a hop is earlier than the one
// before it. A hop whose time is unknown has no delay (nil), not 0.
func parseHops(m *Message) []Hop {
	fields := m.All("Received")
	hops := make([]Hop, 0, len(fields))
	for i := len(fields) - 1; i >= 0; i-- {
		hops = append(hops, parseReceived(fields[i].Value()))
	}
	var prev time.Time
	known := false
	if f, ok := m.Get("Date"); ok {
		prev, known = parseDate(f.Value())
	}
	for i := range hops {
		t, err := time.Parse(time.RFC3339, hops[i].Time)
		if err != nil {
			continue
		}
		if known {
			// Whole seconds from Unix times: no overflow for any year a
			// date can carry (time.Duration ends after 292 years).
			d := float64(t.Unix() - prev.Unix())
			hops[i].DelaySeconds = &d
			// A minute of difference is ordinary clock drift between servers.
			hops[i].ClockSkew = d < -60
		}
		prev, known = t, true
	}
	return hops
}

// Dates. RFC 5322 3.3 gives the form "[day-name ,] day month year hh:mm[:ss]
// zone"; 4.3 keeps the obsolete forms readers must still accept: two- and
// three-digit years, zone names (UT, GMT, EST, EDT, CST, CDT, MST, MDT, PST,
// PDT) and military letters, and comments anywhere. Go's net/mail reads a
// zone name it does not know as UTC ("PST" becomes +0000), which made false
// clock skew, so dates are read here. Besides RFC 5322, real servers write
// three-digit days ("029 Apr"), full month names, ctime order ("Apr 29
// 23:34:45 2005 +0000"), and Go's time.Time String form ("2018-04-22
// 02:54:17.028 +0000 UTC"). Fractions of a second are dropped.

var (
	reDate5322  = regexp.MustCompile(`(?i)^(?:[a-z]{3,9},?\s*)?(\d{1,3})\s*-?([a-z]{3,9})-?\s*(\d{2,4})\s+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:\s*([+-]\d{4}|[a-z]{1,5}))?(?:\s|$)`)
	reDateCtime = regexp.MustCompile(`(?i)^(?:[a-z]{3,9},?\s+)?([a-z]{3,9})\s+(\d{1,2})\s+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s+(\d{4})(?:\s+([+-]\d{4}|[a-z]{1,5}))?(?:\s|$)`)
	reDateISO   = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?(?:\s|$)`)
	// A date in a Received field that has no ";" before it: at the end
	// (SendGrid, Sendmail after a TLS comment; Go's form may carry its
	// monotonic clock reading "m=+8560828.24"), or in the middle ("at
	// <date> by", CrediShield).
	reLoose5322 = regexp.MustCompile(`(?i)(?:\b[a-z]{3},\s*)?\b\d{1,3}\s+[a-z]{3,9}\s+\d{4}\s+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s+(?:[+-]\d{4}\b|[a-z]{1,5}\b)(?:\s*\([^()]*\))?`)
	reLooseISO  = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?\s*(?:Z|[+-]\d{2}:?\d{2})(?:\s+[A-Z]{1,5}\b)?(?:\s+m=[+-][0-9.]+)?`)
)

var months = map[string]time.Month{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}

// obsZones are RFC 5322 4.3's zone names, in hours from UTC.
var obsZones = map[string]int{"UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7}

// parseDate reads a date in any of the forms above; ok is false when s
// holds none, or a date that does not exist.
func parseDate(s string) (time.Time, bool) {
	s = strings.Join(strings.Fields(stripComments(s)), " ")
	if m := reDate5322.FindStringSubmatch(s); m != nil {
		year, _ := strconv.Atoi(m[3])
		switch len(m[3]) {
		case 2: // RFC 5322 4.3
			if year < 50 {
				year += 2000
			} else {
				year += 1900
			}
		case 3:
			year += 1900
		}
		return makeDate(year, m[2], m[1], m[4], m[5], m[6], m[7])
	}
	if m := reDateCtime.FindStringSubmatch(s); m != nil {
		year, _ := strconv.Atoi(m[6])
		return makeDate(year, m[1], m[2], m[3], m[4], m[5], m[7])
	}
	if m := reDateISO.FindStringSubmatch(s); m != nil {
		year, _ := strconv.Atoi(m[1])
		mon, _ := strconv.Atoi(m[2])
		if mon < 1 || mon > 12 {
			return time.Time{}, false
		}
		zone := strings.Replace(m[7], ":", "", 1)
		return makeDate(year, time.Month(mon).String()[:3], m[3], m[4], m[5], m[6], zone)
	}
	return time.Time{}, false
}

func makeDate(year int, month, day, hh, mm, ss, zone string) (time.Time, bool) {
	mon, ok := months[strings.ToLower(month[:min(3, len(month))])]
	if !ok || year < 1 || year > 9999 {
		return time.Time{}, false
	}
	d, _ := strconv.Atoi(day)
	hour, _ := strconv.Atoi(hh)
	minute, _ := strconv.Atoi(mm)
	sec := 0
	if ss != "" {
		sec, _ = strconv.Atoi(ss)
	}
	if hour > 23 || minute > 59 || sec > 60 {
		return time.Time{}, false
	}
	if sec == 60 {
		sec = 59 // a leap second (RFC 5322 3.3 allows 60)
	}
	offset := 0
	switch {
	case zone == "":
		// RFC 5322 3.3 requires a zone: without one the instant is unknown.
		return time.Time{}, false
	case zone[0] == '+' || zone[0] == '-':
		zh, _ := strconv.Atoi(zone[1:3])
		zm, _ := strconv.Atoi(zone[3:5])
		if zm > 59 {
			return time.Time{}, false
		}
		offset = zh*3600 + zm*60
		if zone[0] == '-' {
			offset = -offset
		}
	default:
		// RFC 5322 4.3: known names have their offsets; military
		// letters and unknown names are taken as -0000 (UTC).
		offset = obsZones[strings.ToUpper(zone)] * 3600
	}
	loc := time.UTC
	if offset != 0 {
		loc = time.FixedZone("", offset)
	}
	t := time.Date(year, mon, d, hour, minute, sec, 0, loc)
	if t.Day() != d || t.Month() != mon {
		return time.Time{}, false // 30 Feb
	}
	return t, true
}

// looseDate finds the last date written in a Received field that has no
// ";" before it, and its place [start, end).
func looseDate(s string) (time.Time, [2]int, bool) {
	for _, re := range []*regexp.Regexp{reLoose5322, reLooseISO} {
		locs := re.FindAllStringIndex(s, -1)
		for i := len(locs) - 1; i >= 0; i-- {
			if t, ok := parseDate(s[locs[i][0]:locs[i][1]]); ok {
				return t, [2]int{locs[i][0], locs[i][1]}, true
			}
		}
	}
	return time.Time{}, [2]int{}, false
}

// The SPF boundary. SPF (RFC 7208 4.1) checks the address of the client
// that connected to the receiving organisation: the last hop into it. Hops
// above that one are the receiver's own servers (content filters on
// 127.0.0.1, Microsoft 365's internal 10.x, fe80:: and 2603:10b6:...
// hops), hops below it were written by the sender's side and are only its
// word. The boundary is found walking down from the newest hop:
//
//   - the newest hop's "by" and the trusted authserv-ids name the receiver;
//   - a hop whose client has no address, a private, loopback or link-local
//     one, or a name (reverse DNS, else HELO) in the receiver's domain is
//     internal: its client is the receiver's server too, so the walk goes on
//     below it and that server's domain joins the receiver's;
//   - the first hop from a public address outside the receiver is the
//     boundary;
//   - shared platforms whose inbound servers take mail from their own
//     outbound servers (Microsoft 365's Exchange Online Protection
//     frontends *.mail.protection.outlook.com, Gmail's mx.google.com) end
//     the walk at the hop into that inbound server, whoever the client is.
//
// An address given as a HELO argument is never used (readFromClause).

// inboundEdges are the inbound servers of shared platforms: a hop into one
// of them is where mail entered the platform's customer.
var inboundEdges = []struct {
	suffix, what string
}{
	{".mail.protection.outlook.com", "Microsoft 365 (Exchange Online Protection)"},
	{"mx.google.com", "Gmail"},
}

func inboundEdge(by string) string {
	b := strings.ToLower(strings.TrimSuffix(by, "."))
	for _, e := range inboundEdges {
		if b == strings.TrimPrefix(e.suffix, ".") || strings.HasSuffix(b, e.suffix) {
			return e.what
		}
	}
	return ""
}

// publicAddr says whether ip is an address a sender's server on the
// Internet can have: not private (RFC 1918, RFC 4193), loopback,
// link-local, unspecified, multicast or shared (RFC 6598 100.64/10).
func publicAddr(ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	return !(a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsUnspecified() || a.IsMulticast() ||
		a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || sharedSpace.Contains(a) || thisNetwork.Contains(a))
}

var (
	sharedSpace = netip.MustParsePrefix("100.64.0.0/10") // RFC 6598
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")     // RFC 791
)

// orgOf is the organisational domain of a host name (public suffix plus
// one label), or "" for an address literal or a name without a dot.
func orgOf(host string) string {
	h := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(host), "."))
	if i := strings.LastIndexByte(h, '@'); i >= 0 {
		h = h[i+1:] // user@host
	}
	if h == "" || !strings.Contains(h, ".") || strings.ContainsAny(h, "[]:@ ") || addrOf(h) != "" {
		return ""
	}
	org, err := publicsuffix.EffectiveTLDPlusOne(h)
	if err != nil {
		return ""
	}
	if sameOrg[org] != "" {
		return sameOrg[org]
	}
	return org
}

// sameOrg joins the domains one platform names its own servers under:
// Microsoft 365's internal hops go between *.prod.outlook.com,
// *.outlook.office365.com and *.prod.exchangelabs.com names of the same
// machines.
var sameOrg = map[string]string{"outlook.com": "outlook.com", "office365.com": "outlook.com", "exchangelabs.com": "outlook.com"}

// platformOrg are the organisations whose internal hops are told by their
// HELO names (see spfBoundary).
var platformOrg = map[string]bool{"outlook.com": true}

// spfBoundary returns the index in hops (oldest first) of the hop whose
// client address SPF checks, and why it was chosen; -1 when no hop names a
// public client address.
func spfBoundary(hops []Hop, authservIDs []string) (int, string) {
	if len(hops) == 0 {
		return -1, ""
	}
	recv := map[string]bool{}
	var names []string
	add := func(host string) {
		if o := orgOf(host); o != "" && !recv[o] {
			recv[o] = true
			names = append(names, o)
		}
	}
	for _, id := range authservIDs {
		add(id)
	}
	top := len(hops) - 1
	// RFC 8601 2.2: the authserv-id names the server that checked, so the
	// newest hop into a server of that name is the one it checked. The
	// search stops at the first hop, from the top, whose client is outside
	// the receiver (a public address that the receiver's reverse lookup
	// does not name as its own): fields below it came with the message, and
	// a sender could write one "by" the receiver's name from its chosen IP.
	for i := top; i >= 0; i-- {
		if i < top && publicAddr(hops[i+1].IP) && !ownClient(hops, i+1, recv) {
			break
		}
		for _, id := range authservIDs {
			if id != "" && strings.EqualFold(strings.TrimSuffix(hops[i].By, "."), strings.TrimSuffix(id, ".")) && publicAddr(hops[i].IP) {
				h := hops[i]
				return i, fmt.Sprintf("the IP address %s is the client that %s, the receiver named in the trusted Authentication-Results (authserv-id %s), recorded in its Received field (%d of %d, counted from the oldest)",
					h.IP, h.By, id, i+1, len(hops))
			}
		}
	}
	add(hops[top].By)
	var internal []string
	relay := -1 // the oldest hop from a public address named in the receiver's domain
	inside := true
	for i := top; i >= 0 && inside; i-- {
		h := hops[i]
		add(h.By)
		client := h.RDNS
		if client == "" {
			client = h.From
		}
		if edge := inboundEdge(h.By); edge != "" && publicAddr(h.IP) {
			return i, fmt.Sprintf("the IP address %s is where the message entered %s: %s received it from %s (Received field %d of %d, counted from the oldest)%s",
				h.IP, edge, h.By, orUnknown(client), i+1, len(hops), skipped(internal))
		}
		switch {
		case h.IP == "" || !publicAddr(h.IP):
			internal = append(internal, fmt.Sprintf("%s from %s [%s]", orUnknown(h.By), orUnknown(client), orNoAddr(h.IP)))
			add(client)
		case ownClient(hops, i, recv):
			// A public client counts as the receiver's own server by the
			// name the receiver looked up (reverse DNS). The HELO name is
			// the client's word, so it counts only on a platform whose
			// internal hops carry no looked-up name (Microsoft 365), or
			// when the path goes on from that server: the field below was
			// written by it ("by" the same name) and it is not relaying
			// to itself. A forger who names itself after the receiver's
			// server and writes matching older fields still gets through;
			// the step names the hop, and --ip overrides it.
			internal = append(internal, fmt.Sprintf("%s from %s [%s], a server of the receiver", orUnknown(h.By), client, h.IP))
			relay = i
		default:
			why := "the receiver"
			if len(names) > 0 {
				why = strings.Join(names, ", ")
			}
			return i, fmt.Sprintf("the IP address %s is the client that %s recorded in its Received field (%d of %d, counted from the oldest): the last hop into %s from outside%s",
				h.IP, orUnknown(h.By), i+1, len(hops), why, skipped(internal))
		}
		// The walk goes on only while the hop below hands the message to a
		// server of the receiver: this hop's client, or one of its domains
		// (any server while no domain of the receiver is known yet).
		if i > 0 {
			below := hops[i-1].By
			inside = len(recv) == 0 || recv[orgOf(below)] || orgOf(below) == "" || strings.EqualFold(strings.TrimSuffix(below, "."), strings.TrimSuffix(h.From, ".")) ||
				strings.EqualFold(strings.TrimSuffix(below, "."), strings.TrimSuffix(h.RDNS, "."))
		}
	}
	// No hop could be tied to the receiver (a path cut short, names
	// removed): the newest public client address that is not one of the
	// receiver's own servers, as a guess.
	for i := top; i >= 0; i-- {
		client := hops[i].RDNS
		if client == "" {
			client = hops[i].From
		}
		if publicAddr(hops[i].IP) && !recv[orgOf(client)] {
			return i, fmt.Sprintf("the IP address %s is the newest public client address in the Received fields (%s recorded it, field %d of %d, counted from the oldest); no hop could be told apart as the one into the receiver, so give --ip if this is not the right one",
				hops[i].IP, orUnknown(hops[i].By), i+1, len(hops))
		}
	}
	// Every public client is named in the receiver's domain (mail from the
	// receiver's own servers, such as its bounces): the oldest of them.
	if relay >= 0 {
		h := hops[relay]
		return relay, fmt.Sprintf("the IP address %s is the oldest public client address on the receiver's side (%s recorded it, field %d of %d, counted from the oldest): every hop into the receiver came from a server named in its own domain, so give --ip if this is not the right one",
			h.IP, orUnknown(h.By), relay+1, len(hops))
	}
	return -1, ""
}

// handsOn says whether the hop below hops[i] was written by the client of
// hops[i], a server other than the one that wrote hops[i].
func handsOn(hops []Hop, i int) bool {
	from := strings.TrimSuffix(hops[i].From, ".")
	return i > 0 && from != "" && strings.EqualFold(strings.TrimSuffix(hops[i-1].By, "."), from) &&
		!strings.EqualFold(strings.TrimSuffix(hops[i].By, "."), from)
}

func skipped(internal []string) string {
	if len(internal) == 0 {
		return ""
	}
	return "; the newer hops are the receiver's own (" + strings.Join(internal, "; ") + ")"
}

func orNoAddr(s string) string {
	if s == "" {
		return "no address"
	}
	return s
}

// ownClient says whether hop i's public client is a server of the receiver
// (whose domains recv holds): by the name the receiver looked up (reverse
// DNS), or, without one, by the HELO name where that can be believed (see
// spfBoundary).
func ownClient(hops []Hop, i int, recv map[string]bool) bool {
	h := hops[i]
	return recv[orgOf(h.RDNS)] || h.RDNS == "" && recv[orgOf(h.From)] && (platformOrg[orgOf(h.From)] || handsOn(hops, i))
}

// topAuthservID is the authserv-id of the newest Authentication-Results
// field (RFC 8601 2.2), or "" when it has none (Microsoft 365 writes
// "Authentication-Results: spf=pass ..." without one).
func topAuthservID(m *Message) string {
	f, ok := m.Get("Authentication-Results")
	if !ok || !receiverWroteTopAR(m) {
		return ""
	}
	return readAuthres(f.Value(), false).AuthservID // the claims reader, authres.go
}

// receiverWroteTopAR says whether the topmost Authentication-Results field
// can be taken as the receiver's own when no authserv-id is configured. It
// can when it stands above every Received field (the receiver adds it as it
// accepts the message), or when every Received field above it was written
// inside the same organisation as the field: by a server of its domain, from
// a client of its domain (by the name the receiver looked up; a HELO name
// only where the field carries no looked-up name at all, as Exchange
// writes), or from a private address. A field below a hop from outside came
// with the message: believing it would let the sender vouch for itself
// (RFC 8601 5, 7.1).
func receiverWroteTopAR(m *Message) bool {
	var above []Field
	for _, f := range m.Fields {
		if strings.EqualFold(f.Name, "Authentication-Results") {
			org := orgOf(readAuthres(f.Value(), false).AuthservID)
			for _, r := range above {
				h := parseReceived(r.Value())
				client := orgOf(h.RDNS)
				if client == "" && !strings.Contains(strings.ToLower(r.Value()), "unknown [") {
					client = orgOf(h.From)
				}
				inside := org != "" && (orgOf(h.By) == org || client == org) || h.IP != "" && !publicAddr(h.IP)
				if !inside {
					return false
				}
			}
			return true
		}
		if strings.EqualFold(f.Name, "Received") {
			above = append(above, f)
		}
	}
	return false
}
