package safetext

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// hostile is the seed of every test here: what a message, a DNS answer or
// a server can send.
var hostile = []string{
	"",
	"plain words",
	"DMARC \x1b]0;owned\x07\x1b[2KPASS",
	"\x1b[1;32mPASS\x1b[0m",
	"8-bit CSI \x9b2K and C1 \u009b2K and NEL \u0085",
	"line one\r\nline two\nthree\rfour\ttab\x00nul\x7fdel",
	"invoice\u202efdp.exe \u2066isolate\u2069",
	"![img](http://127.0.0.1:1/i.png) [link](http://127.0.0.1:1/l) <http://127.0.0.1:1/a> https://127.0.0.1:1/bare www.example.com mallory@example.com",
	"# heading",
	"heading #",
	"## h ##",
	"---",
	"- - -",
	"***",
	"+ plus",
	"= eq",
	"1) paren",
	"2026. year",
	"WwW.example.com and www.example.com",
	"xmpp:foo@example.com mailto:a@example.com",
	"$x^2$ math",
	"{#id .class}",
	"[^1] footnote",
	"(parenthesised, with commas; and /slashes/?)",
	"\"quoted\" 'single'",
	"- list",
	"1. ordered",
	"> quote",
	"| cell | cell |",
	"a | b",
	"*em* **strong** _u_ ~~strike~~",
	"&amp; &#x3C;script&#x3E; <script>alert(1)</script> <img src=x>",
	"```\n![i](http://127.0.0.1:1/f.png)\n```",
	"````` five and ``` three",
	"` one tick",
	"ends with tick`",
	"   ",
	" leading and trailing ",
	"\\ trailing backslash\\",
	"[x]: http://127.0.0.1:1/ref",
	"===",
	"    indented code",
	"\xff\xfe invalid \xc3",
	"ünïcödé 例子 ✓",
}

// noControl fails when s holds anything a terminal would act on.
func noControl(t *testing.T, what, s string, allowLF bool) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%s: invalid UTF-8 in %q", what, s)
	}
	for _, r := range s {
		if (r < 0x20 && !(allowLF && r == '\n')) || (r >= 0x7f && r <= 0x9f) || isBidiControl(r) {
			t.Errorf("%s: control %U left in %q", what, r, s)
		}
	}
}

func TestTerminal(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"DMARC \x1b]0;owned\x07\x1b[2KPASS", "DMARC ␛]0;owned␇␛[2KPASS"},
		{"a\r\nb\tc", "a␍␊b␉c"},
		{"\x9b2K", "\uFFFD2K"},
		{"\u009b2K", "\uFFFD2K"},
		{"x\u202ey", "x\uFFFDy"},
		{"del\x7f", "del␡"},
		{"ünïcödé ✓ \u200f", "ünïcödé ✓ \u200f"}, // RLM is a mark, not an override
	} {
		if got := Terminal(c.in); got != c.want {
			t.Errorf("Terminal(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got, want := TerminalLines("a\r\nb\nc\rd\x1b"), "a\nb\nc␍d␛"; got != want {
		t.Errorf("TerminalLines = %q, want %q", got, want)
	}
	for _, s := range hostile {
		noControl(t, "Terminal", Terminal(s), false)
		noControl(t, "TerminalLines", TerminalLines(s), true)
	}
}

// Plain text is returned as it is, without a copy.
func TestTerminalPlainNoAlloc(t *testing.T) {
	s := "v=spf1 ip4:198.51.100.0/26 -all ünïcödé"
	if n := testing.AllocsPerRun(100, func() { _ = Terminal(s) }); n != 0 {
		t.Errorf("Terminal of plain text allocates %.0f times", n)
	}
}

var gfm = goldmark.New(goldmark.WithExtensions(extension.GFM))

func render(t testing.TB, md string) string {
	t.Helper()
	var b bytes.Buffer
	if err := gfm.Convert([]byte(md), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// htmlText is how goldmark's HTML renderer writes text.
func htmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// checkMarkdown renders each escaper's output with a CommonMark renderer
// (goldmark, with GitHub's tables, autolinks and strikethrough) and demands
// that it renders as exactly the text given: no markup of any kind.
func checkMarkdown(t *testing.T, s string) {
	t.Helper()
	for prefix, wrap := range map[string]string{
		"# ": "<h1>C</h1>\n", "## ": "<h2>C</h2>\n", "- ": "<ul>\n<li>C</li>\n</ul>\n", "1. ": "<ol>\n<li>C</li>\n</ol>\n",
		"> ": "<blockquote>\n<p>C</p>\n</blockquote>\n", "": "<p>C</p>\n",
	} {
		for _, before := range []string{"x ", ""} {
			if s == "" && before == "" {
				continue // " y" alone: its space is not content
			}
			want := strings.Replace(wrap, "C", before+htmlText(Terminal(s))+" y", 1)
			if got := render(t, prefix+before+MarkdownText(s)+" y"); got != want {
				t.Errorf("MarkdownText(%q) after %q renders\n%s\nwant\n%s", s, prefix+before, got, want)
			}
		}
	}
	for _, before := range []string{"x ", ""} {
		if s == "" && before == "" {
			continue
		}
		table := render(t, "| a | b |\n| --- | --- |\n| "+before+MarkdownText(s)+" y | z |\n")
		if !strings.Contains(table, "<td>"+before+htmlText(Terminal(s))+" y</td>\n<td>z</td>") || strings.Count(table, "<td") != 2 {
			t.Errorf("MarkdownText(%q) in a table cell renders\n%s", s, table)
		}
	}
	wantCode := htmlText(Terminal(s))
	if got, want := render(t, "x "+MarkdownCode(s)+" y"), "<p>x <code>"+wantCode+"</code> y</p>\n"; got != want && s != "" {
		t.Errorf("MarkdownCode(%q) renders\n%s\nwant\n%s", s, got, want)
	}
	block := htmlText(strings.TrimRight(TerminalLines(s), "\n") + "\n")
	if got, want := render(t, MarkdownFence(s, "")+"after\n"), "<pre><code>"+block+"</code></pre>\n<p>after</p>\n"; got != want {
		t.Errorf("MarkdownFence(%q) renders\n%s\nwant\n%s", s, got, want)
	}
	// (A line of spaces in a list item may lose its spaces: blank is blank.)
	got, want := render(t, "- item\n"+MarkdownFence(s, "  ")+"\nafter\n"), "<pre><code>"+block+"</code></pre>\n</li>\n</ul>\n<p>after</p>\n"
	if !strings.HasSuffix(trimLines(got), trimLines(want)) || strings.Count(got, "<li>") != 1 {
		t.Errorf("MarkdownFence(%q) in a list item renders\n%s\nwant it to end\n%s", s, got, want)
	}
}

func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	return strings.Join(lines, "\n")
}

func TestMarkdown(t *testing.T) {
	for _, s := range hostile {
		checkMarkdown(t, s)
	}
	// The renderer used above does make links and images of the unescaped
	// text: the check would see them.
	if got := render(t, hostile[7]); !strings.Contains(got, "<img") || strings.Count(got, "<a href") < 4 {
		t.Errorf("the renderer makes no links here, so the test proves nothing:\n%s", got)
	}
	if got := MarkdownFence("a ```` b", ""); !strings.HasPrefix(got, "`````\n") {
		t.Errorf("the fence is not longer than the longest run of backticks:\n%s", got)
	}
}

func TestFileName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"report.pdf", "report.pdf"},
		{"../../.bashrc", "bashrc"},
		{`..\..\Windows\system32\evil.dll`, "evil.dll"},
		{"/etc/passwd", "passwd"},
		{".hidden", "hidden"},
		{"...", "attachment"},
		{"..", "attachment"},
		{"", "attachment"},
		{"dir/", "attachment"},
		{"a\x1b[2Kb\r\n.txt", "a[2Kb.txt"},
		{"invoice\u202efdp.exe", "invoicefdp.exe"},
		{"what?.txt", "what_.txt"},
		{"C:evil.txt", "C_evil.txt"},
		{"  spaced. . ", "spaced"},
		{"NUL.txt", "attachment"},
		{"com1", "attachment"},
		{"console.txt", "console.txt"},
		{"bad\xffutf8.txt", "badutf8.txt"},
		{"ünïcödé.txt", "ünïcödé.txt"},
	} {
		if got := FileName(c.in, "attachment"); got != c.want {
			t.Errorf("FileName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	long := strings.Repeat("é", 300) + ".pdf"
	if got := FileName(long, "x"); len(got) > 255 || !strings.HasSuffix(got, ".pdf") || !utf8.ValidString(got) {
		t.Errorf("a long name becomes %d bytes: %q", len(got), got)
	}
}

// checkFileName states what FileName promises for any input.
func checkFileName(t *testing.T, in string) {
	got := FileName(in, "attachment")
	if got == "" || len(got) > 255 || !utf8.ValidString(got) || strings.ContainsAny(got, `/\<>:"|?*`) ||
		strings.HasPrefix(got, ".") || strings.HasPrefix(got, " ") || strings.HasSuffix(got, ".") || strings.HasSuffix(got, " ") {
		t.Errorf("FileName(%q) = %q", in, got)
	}
	noControl(t, "FileName", got, false)
}

// checkJSON: the JSON of s, made safe, decodes to s and holds no raw
// control character.
func checkJSON(t *testing.T, s string) {
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	safe := JSON(raw)
	var back string
	if err := json.Unmarshal(safe, &back); err != nil || back != strings.Map(func(r rune) rune { return r }, s) {
		t.Errorf("JSON of %q decodes to %q, %v", s, back, err)
	}
	noControl(t, "JSON", string(safe), false)
}

func TestJSON(t *testing.T) {
	for _, s := range hostile {
		checkJSON(t, s)
	}
	if raw, _ := json.Marshal("\u009b2K\x7f\u202e"); !hasRawControl(raw) {
		t.Error("encoding/json escapes C1 itself now: JSON is not needed")
	}
}

func FuzzMarkdown(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		noControl(t, "Terminal", Terminal(s), false)
		noControl(t, "TerminalLines", TerminalLines(s), true)
		checkMarkdown(t, s)
		checkFileName(t, s)
		checkJSON(t, s)
	})
}

func BenchmarkTerminalPlain(b *testing.B) {
	s := strings.Repeat("v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA ", 16)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		Terminal(s)
	}
}

func BenchmarkTerminalHostile(b *testing.B) {
	s := strings.Repeat("DMARC \x1b]0;pwned\x07\x1b[2K\rPASS ", 32)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		Terminal(s)
	}
}

func BenchmarkMarkdownText(b *testing.B) {
	s := strings.Repeat("The DMARC record at _dmarc.example.com: v=DMARC1; p=reject ", 16)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		MarkdownText(s)
	}
}
