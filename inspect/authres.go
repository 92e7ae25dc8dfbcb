package inspect

import (
	"fmt"
	"strings"
)

// Authentication-Results (RFC 8601) and ARC-Authentication-Results
// (RFC 8617 4.1.1) as real receivers write them.
//
// The grammar (RFC 8601 2.2) is
//
//	authres-header = authserv-id [ CFWS authres-version ]
//	                 ( no-result / 1*resinfo ) [CFWS] CRLF
//	resinfo        = [CFWS] ";" methodspec [ CFWS reasonspec ] [ CFWS 1*propspec ]
//	methodspec     = [CFWS] method [CFWS] "=" [CFWS] result
//	reasonspec     = "reason" [CFWS] "=" [CFWS] value
//	propspec       = ptype [CFWS] "." [CFWS] property [CFWS] "=" pvalue
//
// where a comment (CFWS) or a quoted-string may hold ";". Real fields depart
// from it, and a reader that refuses them loses what the receiver said:
//   - Microsoft 365 and Exchange Online write no authserv-id at all
//     ("spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=example.com; …;
//     compauth=pass reason=100"), some put their id after each result
//     ("…; outlook.com; dkim=none …"), and add properties without a ptype
//     (dmarc=fail action=none);
//   - Yahoo (2010-2013) wrote "mta.yahoo.com  from=example.com;
//     domainkeys=neutral (no sig);  from=example.com; dkim=pass (ok)": the
//     From domain as a part of its own before each result;
//   - values after "= " (Fastmail: policy.authority-uri= https://…), empty
//     values (smtp.mail=), result words outside RFC 8601's list
//     (bestguesspass, timeout, skipped), methods of every kind (compauth,
//     sender-id, dkim-atps, x-ptr).
//
// readAuthres keeps every result it can read, keeps the parts it cannot read
// as written (the caller warns with them), and never fails as a whole.

const (
	maxAuthresLen     = 64 << 10 // a longer field is read up to here
	maxAuthresResults = 200      // results kept per field
)

// arField is one Authentication-Results field as read.
type arField struct {
	AuthservID string // as written; "" when the field has none (Microsoft 365)
	Version    string // authres-version, when stated
	Instance   int    // ARC-Authentication-Results i=, 0 otherwise
	NoResult   bool   // the field says "none": nothing was checked
	Results    []arResult
	Unread     []string // parts that could not be read, as written
}

// arResult is one resinfo: a method, its result and what qualifies it.
type arResult struct {
	Method   string // lower case, without its /version
	Result   string // lower case, as written even when RFC 8601 does not list it
	Reason   string // reasonspec value (compauth: the reason code)
	Comments []string
	Props    []ClaimProperty
}

// Key is the property as written before "=": "header.d", "action".
func (p ClaimProperty) Key() string {
	if p.Ptype == "" {
		return p.Property
	}
	return p.Ptype + "." + p.Property
}

// prop returns the value of the first property with key (case-insensitive).
func (r *arResult) prop(key string) (string, bool) {
	for _, p := range r.Props {
		if strings.EqualFold(p.Key(), key) {
			return p.Value, true
		}
	}
	return "", false
}

// arToken is a lexical item of one part (between two ";").
type arToken struct {
	kind  byte // 'w' word, 'q' quoted string, '=' equals, 'c' comment
	text  string
	space bool // whitespace or a comment came before it
}

// splitAuthres cuts a field value at the ";" that are outside comments and
// quoted strings (RFC 8601 2.2 with RFC 5322 3.2.2 and 3.2.4).
func splitAuthres(v string) []string {
	var parts []string
	depth, start := 0, 0
	quoted := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\' && (quoted || depth > 0):
			i++ // quoted-pair
		case quoted:
			if c == '"' {
				quoted = false
			}
		case c == '(':
			depth++
		case c == ')':
			if depth > 0 {
				depth--
			}
		case depth > 0:
		case c == '"':
			quoted = true
		case c == ';':
			parts = append(parts, v[start:i])
			start = i + 1
		}
	}
	return append(parts, v[start:])
}

// lexAuthres turns one part into tokens. A word after "=" runs to the next
// whitespace, comment or quote and may hold "=" and "@" (a local-part such as
// "bounce+x=example.org@example.com"); elsewhere "=" ends a word. An
// unterminated comment or quoted string runs to the end of the part.
func lexAuthres(p string) []arToken {
	var toks []arToken
	space := false
	afterEq := false
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			space = true
			i++
			continue
		case c == '(':
			depth, j := 0, i
			var b strings.Builder
			for ; j < len(p); j++ {
				d := p[j]
				if d == '\\' && j+1 < len(p) {
					j++
					b.WriteByte(p[j])
					continue
				}
				if d == '(' {
					depth++
					if depth == 1 {
						continue
					}
				}
				if d == ')' {
					depth--
					if depth == 0 {
						j++
						break
					}
				}
				b.WriteByte(d)
			}
			toks = append(toks, arToken{kind: 'c', text: strings.Join(strings.Fields(b.String()), " "), space: space})
			space = true // a comment separates like whitespace (CFWS)
			i = j
			continue
		case c == '"':
			j := i + 1
			var b strings.Builder
			for ; j < len(p) && p[j] != '"'; j++ {
				if p[j] == '\\' && j+1 < len(p) {
					j++
				}
				b.WriteByte(p[j])
			}
			toks = append(toks, arToken{kind: 'q', text: b.String(), space: space})
			i = min(j+1, len(p))
		case c == '=':
			toks = append(toks, arToken{kind: '=', text: "=", space: space})
			i++
			space, afterEq = false, true
			continue
		default:
			if afterEq && space && startsKeyEq(p[i:]) {
				afterEq = false // "smtp.mail= header.d=x": an empty value, then the next property
			}
			j := i
			for j < len(p) && !strings.ContainsRune(" \t\r\n(\"", rune(p[j])) && (afterEq || p[j] != '=') {
				j++
			}
			toks = append(toks, arToken{kind: 'w', text: p[i:j], space: space})
			i = j
		}
		space, afterEq = false, false
	}
	return toks
}

// startsKeyEq reports whether s starts with "key=" (no space before "=").
func startsKeyEq(s string) bool {
	k, _, ok := strings.Cut(s, "=")
	return ok && isKey(k)
}

// isKey reports whether s can be a method, ptype.property or bare key.
func isKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '/') {
			return false
		}
	}
	return true
}

// startsKV reports whether toks[i:] begins with "key =".
func startsKV(toks []arToken, i int) bool {
	return i+1 < len(toks) && (toks[i].kind == 'w' && isKey(toks[i].text)) && toks[i+1].kind == '='
}

// kvList reads "key = value" pairs and comments from toks. A value is a word
// or a quoted string; a key followed by "=" and then by another "key =", or
// by nothing, has an empty value (smtp.mail=). What is neither is returned
// as unread, as written.
func kvList(toks []arToken) (kvs [][2]string, comments []string, unread []string) {
	for i := 0; i < len(toks); {
		t := toks[i]
		switch {
		case t.kind == 'c':
			comments = append(comments, t.text)
			i++
		case startsKV(toks, i):
			key := t.text
			i += 2
			val := ""
			for i < len(toks) && toks[i].kind == 'c' {
				comments = append(comments, toks[i].text)
				i++
			}
			if i < len(toks) && (toks[i].kind == 'q' || toks[i].kind == 'w') && !(toks[i].space && startsKV(toks, i)) {
				val = toks[i].text
				i++
				// A word glued to a quoted string (or the reverse) is one value.
				for i < len(toks) && !toks[i].space && (toks[i].kind == 'q' || toks[i].kind == 'w') {
					val += toks[i].text
					i++
				}
			}
			kvs = append(kvs, [2]string{key, val})
		default:
			unread = append(unread, t.text)
			i++
		}
	}
	return kvs, comments, unread
}

// readAuthres reads an Authentication-Results value, or with aar an
// ARC-Authentication-Results value (which starts with "i=N;", RFC 8617
// 4.1.1). It never fails: what it cannot read is in Unread.
func readAuthres(v string, aar bool) arField {
	var f arField
	if len(v) > maxAuthresLen {
		f.Unread = append(f.Unread, fmt.Sprintf("(%d bytes after the first %d not read)", len(v)-maxAuthresLen, maxAuthresLen))
		v = v[:maxAuthresLen]
	}
	parts := splitAuthres(v)
	if aar && len(parts) > 0 {
		toks := lexAuthres(parts[0])
		if len(toks) == 3 && toks[0].kind == 'w' && strings.EqualFold(toks[0].text, "i") && toks[1].kind == '=' && toks[2].kind == 'w' {
			fmt.Sscan(toks[2].text, &f.Instance)
			parts = parts[1:]
		}
	}
	var pending []ClaimProperty // Yahoo's "from=x" parts, for the next result
	for n, part := range parts {
		toks := lexAuthres(part)
		var words []arToken
		for _, t := range toks {
			if t.kind != 'c' {
				words = append(words, t)
			}
		}
		if len(words) == 0 {
			continue // an empty part: ";;" or a trailing ";"
		}
		if n == 0 && !startsKV(words, 0) {
			// authserv-id [CFWS authres-version], then what Yahoo put
			// after them (RFC 8601 2.2).
			f.AuthservID = words[0].text
			rest := toks[1:]
			for len(rest) > 0 && rest[0].kind == 'c' {
				rest = rest[1:]
			}
			if len(rest) > 0 && rest[0].kind == 'w' && isDigits(rest[0].text) {
				f.Version = rest[0].text
				rest = rest[1:]
			}
			if len(rest) == 1 && rest[0].kind == 'w' && strings.EqualFold(rest[0].text, "none") {
				f.NoResult = true // RFC 8601 2.2 no-result on the same part
				continue
			}
			kvs, _, unread := kvList(rest)
			pending = append(pending, toProps(kvs)...)
			if len(unread) > 0 {
				f.Unread = append(f.Unread, strings.TrimSpace(part))
			}
			continue
		}
		if len(words) == 1 && words[0].kind == 'w' {
			switch {
			case strings.EqualFold(words[0].text, "none"):
				f.NoResult = true // RFC 8601 2.2 no-result
				continue
			case f.AuthservID == "" && strings.Contains(words[0].text, "."):
				// Microsoft writes its authserv-id after a result
				// ("header.d=none;outlook.com; dmarc=…"); it says nothing
				// about a result.
				continue
			}
		}
		if !startsKV(words, 0) {
			f.Unread = append(f.Unread, strings.TrimSpace(part))
			continue
		}
		kvs, comments, unread := kvList(toks)
		if len(unread) > 0 {
			f.Unread = append(f.Unread, strings.TrimSpace(part))
		}
		first := kvs[0][0]
		if strings.Contains(first, ".") || strings.EqualFold(first, "from") {
			// Properties without a method: Yahoo's "from=domain" before a
			// result, or a property cut from its result by a ";"
			// ("dkim=pass (ok); header.i=@example.com").
			ps := toProps(kvs)
			if strings.EqualFold(first, "from") || len(f.Results) == 0 {
				pending = append(pending, ps...)
			} else {
				last := &f.Results[len(f.Results)-1]
				last.Props = append(last.Props, ps...)
			}
			continue
		}
		if len(f.Results) >= maxAuthresResults {
			f.Unread = append(f.Unread, fmt.Sprintf("(results after the first %d not read)", maxAuthresResults))
			break
		}
		method, _, _ := strings.Cut(strings.ToLower(first), "/")
		r := arResult{Method: method, Result: strings.ToLower(kvs[0][1]), Comments: comments, Props: pending}
		pending = nil
		if r.Result == "" {
			f.Unread = append(f.Unread, strings.TrimSpace(part))
			continue
		}
		for _, kv := range kvs[1:] {
			if strings.EqualFold(kv[0], "reason") && r.Reason == "" {
				r.Reason = kv[1] // RFC 8601 2.2 reasonspec
				continue
			}
			r.Props = append(r.Props, toProps([][2]string{kv})...)
		}
		f.Results = append(f.Results, r)
	}
	return f
}

// toProps turns key=value pairs into properties: "header.d" is ptype header,
// property d (RFC 8601 2.2); a key without a dot has no ptype.
func toProps(kvs [][2]string) []ClaimProperty {
	out := make([]ClaimProperty, 0, len(kvs))
	for _, kv := range kvs {
		pt, pr, ok := strings.Cut(kv[0], ".")
		if !ok {
			pt, pr = "", kv[0]
		}
		out = append(out, ClaimProperty{Ptype: strings.ToLower(pt), Property: strings.ToLower(pr), Value: kv[1]})
	}
	return out
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
