// Package hostile builds a message, and the DNS zone it is checked against,
// whose every field an attacker controls: each one carries Markdown that
// would load an image or make a link, and terminal escape sequences that
// would rewrite the screen. Tests show it in every view and output of
// Sealtrace and demand that none of it is obeyed. Test fixture only.
package hostile

import (
	"fmt"
	"mime"
	"strings"
)

// Fixture is the message and zone for one test's image server.
type Fixture struct {
	// Server is the host (127.0.0.1:PORT) of the test's image server: every
	// image and link in the message and the zone points at it, so a request
	// there means that something from them was rendered as markup.
	Server string
}

// URL is an image or link target on the test's server, named after the
// field that carries it (the server's log then says which field leaked).
func (f Fixture) URL(field string) string {
	return "http://" + f.Server + "/" + field + ".png"
}

// md is Markdown that is both an image and a link, plus an autolink and a
// bare URL, for one field.
func (f Fixture) md(field string) string {
	return fmt.Sprintf("![%s](%s) [%s](%s) <%s> %s", field, f.URL(field), field, f.URL(field+"-link"), f.URL(field+"-auto"), f.URL(field+"-bare"))
}

// SubjectText is the decoded Subject: an OSC sequence that sets the window
// title, an erase-line, a carriage return, SGR codes, a C1 CSI (U+009B),
// DEL, and Markdown.
func (f Fixture) SubjectText() string {
	return "DMARC \x1b]0;pwned\x07\x1b[2K\rPASS \x1b[32mgreen\x1b[0m \u009b2K\x7f " + f.md("subject")
}

// Domain is the From domain; the zone answers for it.
const Domain = "hostile.example"

// Message is the hostile message, with CRLF line ends.
func (f Fixture) Message() []byte {
	subject := mime.BEncoding.Encode("UTF-8", f.SubjectText())
	lines := []string{
		"Return-Path: <m@" + Domain + ">",
		"Authentication-Results: mx." + Domain + "; spf=pass smtp.mailfrom=m@" + Domain + " (" + f.md("ar-comment") + ");",
		"  dkim=pass header.d=" + Domain + " header.s=\"" + f.md("ar-selector") + "\";",
		"  x-" + f.URL("ar-method") + "=pass",
		"Received: from out.hostile.example (out.hostile.example [192.0.2.1]) by mx." + Domain + " (" + f.md("received") + ") with ESMTPS; Mon, 23 Nov 2026 10:00:05 +0000",
		"ARC-Seal: i=1; a=rsa-sha256; cv=none; d=" + Domain + "; s=sel; b=AAAA",
		"ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=" + Domain + "; s=sel; h=from:subject; bh=AAAA; b=AAAA",
		"ARC-Authentication-Results: i=1; " + f.md("aar") + "; spf=pass",
		"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=" + Domain + "; s=sel; h=from:subject:x-folded; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA",
		"DKIM-Signature: v=1; a=rsa-sha256; d=" + Domain + "; s=" + f.md("selector") + "; h=from; bh=AAAA; b=AAAA",
		"DKIM-Signature: v=1; a=rsa-sha256; d=x](" + f.URL("d") + "); s=s; h=from; bh=AAAA; b=AAAA",
		"From: \"" + f.md("from") + "\" <m@" + Domain + ">",
		"To: you@example.com",
		"Subject: " + subject,
		"Message-ID: <" + strings.ReplaceAll(f.md("msgid"), " ", "") + "@" + Domain + ">",
		"Date: Mon, 23 Nov 2026 10:00:00 +0000",
		"X-Folded: " + f.md("folded-1"),
		"  ```",
		"  " + f.md("folded-2"),
		"MIME-Version: 1.0",
		"Content-Type: text/plain; charset=utf-8",
		"",
		"-----BEGIN PGP SIGNED MESSAGE-----",
		"Hash: SHA256",
		"",
		"\x1b]0;body\x07 " + f.md("body"),
		"-----BEGIN PGP SIGNATURE-----",
		"",
		"iQEzBAEBCAAdFiEE" + strings.Repeat("A", 40),
		"-----END PGP SIGNATURE-----",
		"",
	}
	return []byte(strings.Join(lines, "\r\n"))
}

// Zone is an RFC 1035 master file for the message's DNS. Each name has,
// beside its record, a TXT record of three backticks (a report that shows
// one record a line then has a line that closes a Markdown code fence), one
// of Markdown, and one with escape sequences (and a record with a line
// break and ESC in it, for a resolver that passes bytes through).
func (f Fixture) Zone() string {
	var lines []string
	add := func(name, record, field string) {
		for _, txt := range []string{
			record,
			"```",
			f.md(field),
			"\x1b[2K\x1b]8;;" + f.URL(field+"-osc8") + "\x07click\x1b]8;;\x07",
			"x\n```\n" + f.md(field+"-nl"),
		} {
			lines = append(lines, name+" 300 IN TXT "+zoneString(txt))
		}
	}
	lines = append(lines, "$ORIGIN "+Domain+".", "@ 300 IN SOA ns."+Domain+". h."+Domain+". 1 3600 600 86400 300")
	add("@", "v=spf1 ip4:192.0.2.0/24 -all", "spf")
	add("sel._domainkey", "v=DKIM1; k=rsa; p=MIIB", "dkim-key")
	add("_dmarc", "v=DMARC1; p=reject; rua=mailto:d@"+Domain, "dmarc")
	return strings.Join(lines, "\n") + "\n"
}

// zoneString quotes s as TXT character-strings of at most 200 bytes (RFC
// 1035 3.3.14 and 5.1): bytes outside printable ASCII, quotes, semicolons
// and backslashes as \DDD.
func zoneString(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		n := min(len(s), 200)
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('"')
		for i := 0; i < n; i++ {
			c := s[i]
			if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
				fmt.Fprintf(&b, "\\%03d", c)
			} else {
				b.WriteByte(c)
			}
		}
		b.WriteByte('"')
		s = s[n:]
	}
	return b.String()
}
