package main

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/sealtrace/sealtrace/internal/testpeers/hostile"
)

// writeHostile writes the hostile message and its zone; its links point at
// a port nothing listens on (no output of the CLI is ever fetched from).
func writeHostile(t *testing.T) (h hostile.Fixture, eml, zone string) {
	t.Helper()
	h = hostile.Fixture{Server: "127.0.0.1:9"}
	dir := t.TempDir()
	eml, zone = filepath.Join(dir, "hostile.eml"), filepath.Join(dir, "hostile.zone")
	if err := os.WriteFile(eml, h.Message(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(zone, []byte(h.Zone()), 0o644); err != nil {
		t.Fatal(err)
	}
	return h, eml, zone
}

// checkTerminalSafe fails for anything in out a terminal would obey other
// than a line break and the SGR codes in allowed.
func checkTerminalSafe(t *testing.T, out string, allowed []string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Error("the output is not valid UTF-8 (a stray byte can be an 8-bit C1 control)")
	}
	rest := out
	for _, code := range allowed {
		rest = strings.ReplaceAll(rest, code, "")
	}
	for i, r := range rest {
		if (r < 0x20 && r != '\n') || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			t.Errorf("control character %U at byte %d: %q", r, i, rest[max(0, i-40):min(len(rest), i+40)])
			return
		}
	}
}

// Text output: a Subject carrying ESC ] 0 ; … BEL (window title), ESC [ 2 K
// (erase line), CR and SGR codes, DNS records and Authentication-Results
// with escape sequences: the only escape sequences in the output are the
// CLI's own SGR codes, and what the message said is still visible.
func TestTextOutputHostile(t *testing.T) {
	_, eml, zone := writeHostile(t)
	sgr := []string{"\x1b[0m", "\x1b[1m", "\x1b[32m", "\x1b[31m", "\x1b[33m", "\x1b[2m"} // reset, bold, green, red, yellow, dim
	code, out, stderr := runCLI(t, "", "inspect", "--dns-zone", zone, "--colour", "always", eml)
	if code > 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "\x1b[32m") {
		t.Fatal("--colour always wrote no colour: the check below would prove nothing")
	}
	checkTerminalSafe(t, out, sgr)
	if !strings.Contains(out, "Subject: DMARC ␛]0;pwned␇␛[2K␍PASS") {
		t.Errorf("the subject is not shown with its controls made visible:\n%s", out)
	}
	_, out, _ = runCLI(t, "", "inspect", "--dns-zone", zone, "--colour", "never", eml)
	checkTerminalSafe(t, out, nil)
	if strings.Contains(out, "\x1b") {
		t.Error("--colour never writes ESC")
	}
}

// JSON output is for machines, but it lands in terminals too: no control
// character is written raw, and the subject decodes to what the message
// said.
func TestJSONOutputHostile(t *testing.T) {
	h, eml, zone := writeHostile(t)
	code, out, stderr := runCLI(t, "", "inspect", "--dns-zone", zone, "--format", "json", eml)
	if code > 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	checkTerminalSafe(t, out, nil)
	reps := jsonLines(t, out)
	if len(reps) != 1 || reps[0]["subject"] != h.SubjectText() {
		t.Errorf("the subject does not decode to what the message said: %q", reps[0]["subject"])
	}
}

var (
	reImgOrLink = regexp.MustCompile(`(?i)<img|<a |<script|<iframe`)
	rePre       = regexp.MustCompile(`(?s)<pre><code>(.*?)</code></pre>`)
)

// Markdown output: rendered by a CommonMark renderer (goldmark, with
// GitHub's tables and autolinks, and Debian's cmark when it is installed),
// the report of the hostile message has no image, no link and no raw HTML
// (the report itself has none, so each would come from the message), and a
// TXT record of three backticks stays inside its code block.
func TestMarkdownOutputHostile(t *testing.T) {
	h, eml, zone := writeHostile(t)
	code, out, stderr := runCLI(t, "", "inspect", "--dns-zone", zone, "--format", "markdown", eml)
	if code > 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	checkTerminalSafe(t, out, nil)
	renderers := map[string]func(string) string{"goldmark": func(md string) string {
		var b bytes.Buffer
		if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert([]byte(md), &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}}
	if path, err := exec.LookPath("cmark"); err == nil {
		renderers["cmark"] = func(md string) string {
			cmd := exec.Command(path)
			cmd.Stdin = strings.NewReader(md)
			html, err := cmd.Output()
			if err != nil {
				t.Fatal(err)
			}
			return string(html)
		}
	}
	for name, render := range renderers {
		html := render(out)
		if m := reImgOrLink.FindAllString(html, -1); len(m) > 0 {
			t.Errorf("%s: the report renders %d images, links or HTML elements: %q", name, len(m), m)
		}
		// Each record of the DMARC answer is inside one and the same block.
		inBlock := false
		for _, m := range rePre.FindAllStringSubmatch(html, -1) {
			if strings.Contains(m[1], "v=DMARC1") && strings.Contains(m[1], "\n  ```\n") && strings.Contains(m[1], "![dmarc]("+h.URL("dmarc")+")") {
				inBlock = true
			}
		}
		if !inBlock {
			t.Errorf("%s: the DMARC record's answer is not one code block with its backticks inside:\n%s", name, html)
		}
		if !strings.Contains(html, "Authentication report: DMARC ␛]0;pwned␇␛[2K␍PASS") {
			t.Errorf("%s: the subject is not shown as text", name)
		}
	}
}

// An IMAP server's words reach the terminal without its control sequences:
// a refusal that carries ESC ] 0 ; … BEL and ESC [ 2 J is printed as text.
func TestIMAPServerWordsHostile(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.Write([]byte("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n"))
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					tag, _, _ := strings.Cut(line, " ")
					c.Write([]byte(tag + " NO [AUTHENTICATIONFAILED] \x1b]0;PWNED\x07\x1b[2J\x1b[1;32mall good\xc2\x9b31m\r\n"))
				}
			}()
		}
	}()
	t.Setenv("SEALTRACE_IMAP_PASSWORD", "x")
	code, _, stderr := runCLI(t, "", "inspect", "--imap", "imap://u@"+ln.Addr().String()+"/INBOX", "--insecure-plaintext")
	if code == 0 {
		t.Fatal("a refused login gave exit 0")
	}
	if strings.ContainsAny(stderr, "\x1b\x07\u009b") {
		t.Errorf("the server's control sequences reached the terminal: %q", stderr)
	}
	if !strings.Contains(stderr, "all good") {
		t.Errorf("the server's words are not shown: %q", stderr)
	}
}
