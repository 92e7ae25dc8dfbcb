package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README's example `inspect --demo --save-evidence lesson/` names a
// folder that does not exist yet: it is made (a user following the README
// got a usage error); a path that is a file is still refused.
func TestSaveEvidenceMakesFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lesson") + string(filepath.Separator)
	code, _, errs := runCLI(t, "", "inspect", "--demo", "--format", "json", "--save-evidence", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "demo#6.sealtrace.json")); err != nil {
		t.Fatalf("no bundle: %v", err)
	}
	file := filepath.Join(t.TempDir(), "afile")
	os.WriteFile(file, nil, 0o600)
	code, _, errs = runCLI(t, "", "inspect", "--demo", "--save-evidence", file)
	if code != 2 || !strings.Contains(errs, "not a folder") {
		t.Errorf("a file as folder: exit %d: %s", code, errs)
	}
}

// A bundle only re-encoded by another JSON tool (jq, an editor: indented,
// "<" written as itself instead of \u003c) holds the same evidence: its
// replay is not "changed after it was written".
func TestReplayReencodedBundle(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := runCLI(t, "", "inspect", "--demo", "--format", "json", "--save-evidence", dir); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	data, err := os.ReadFile(filepath.Join(dir, "demo#1.sealtrace.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(buf.Bytes(), data) || !bytes.Contains(buf.Bytes(), []byte("<stmt-1@bank.example>")) {
		t.Fatal("the re-encoded bundle should differ in bytes")
	}
	f := filepath.Join(dir, "jq.sealtrace.json")
	os.WriteFile(f, buf.Bytes(), 0o600)
	code, _, errs := runCLI(t, "", "inspect", "--replay", f, "--format", "json")
	if code != 0 || strings.Contains(errs, "changed after it was written") {
		t.Errorf("re-encoded bundle: exit %d: %s", code, errs)
	}
}

// --limit, --since, --pin-sha256 and --insecure-plaintext shape an IMAP
// folder only; given without --imap they were ignored in silence (all 15
// demo messages for --limit 2): a usage error says so.
func TestIMAPOnlyFlagsNeedIMAP(t *testing.T) {
	for _, f := range [][]string{{"--limit", "2"}, {"--since", "2026-01-01"}, {"--pin-sha256", "ab"}, {"--insecure-plaintext"}} {
		code, out, errs := runCLI(t, "", append([]string{"inspect", "--demo"}, f...)...)
		if code != 2 || !strings.Contains(errs, f[0]) || !strings.Contains(errs, "--imap") || out != "" {
			t.Errorf("%v: exit %d, %d bytes out: %s", f, code, len(out), errs)
		}
	}
}

// A failure report without Auth-Failure (optional in RFC 6591 3.1; real
// reporters leave it out) was headed "... failed -": the headline says the
// report does not name the check.
func TestReportsFailureWithoutAuthFailure(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(ownReports, "failure.eml"))
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, l := range strings.SplitAfter(string(data), "\n") {
		if !strings.HasPrefix(strings.ToLower(l), "auth-failure:") {
			kept = append(kept, l)
		}
	}
	if len(kept) == len(strings.SplitAfter(string(data), "\n")) {
		t.Fatal("failure.eml has no Auth-Failure line to remove")
	}
	f := filepath.Join(t.TempDir(), "noauthfailure.eml")
	os.WriteFile(f, []byte(strings.Join(kept, "")), 0o600)
	code, out, errs := runCLI(t, "", "reports", "--dns-zone", offlineZone(t), f)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if strings.Contains(out, "failed -") || !strings.Contains(out, "a message from 203.0.113.99 failed authentication (the report does not say which check)") {
		t.Errorf("headline:\n%s", out)
	}
}

// Headers pasted from a ticket often start with a blank line; read as they
// were, the header was empty and everything went to the body ("no From
// field", "no Received fields", exit 0). Blank lines before the header on
// standard input are skipped, and stderr says so.
func TestStdinLeadingBlankLines(t *testing.T) {
	hdr := "Received: from mta.shop.example (mta.shop.example [198.51.100.80])\r\n" +
		"\tby mx.demo.sealtrace with ESMTPS id 1; Mon, 23 Nov 2026 10:40:02 +0000\r\n" +
		"From: Shop <orders@shop.example>\r\nSubject: pasted\r\nMessage-ID: <p-1@shop.example>\r\n\r\n"
	code, out, errs := runCLI(t, "\r\n  \n\r\n"+hdr, "inspect", "--format", "json", "--dns-zone", offlineZone(t), "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, `"from_domain":"shop.example"`) || !strings.Contains(out, `"ip":"198.51.100.80"`) {
		t.Errorf("the pasted header was not read: %.400s", out)
	}
	if !strings.Contains(errs, "3 blank lines before the header") {
		t.Errorf("no note of the skipped lines: %s", errs)
	}
	// Without blank lines: no note.
	if _, _, errs := runCLI(t, hdr, "inspect", "--format", "json", "--dns-zone", offlineZone(t), "-"); strings.Contains(errs, "blank line") {
		t.Errorf("a note without blank lines: %s", errs)
	}
}

// FuzzSkipLeadingBlankLines: what is skipped is whole blank lines only, and
// the rest comes out byte for byte.
func FuzzSkipLeadingBlankLines(f *testing.F) {
	for _, s := range []string{"", "\n", "\r\n \t\r\nFrom: a\r\n", "  x\n", "From: a\n\nbody", strings.Repeat("\n", 5000) + "x"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r, n := skipLeadingBlankLines(bytes.NewReader(in))
		rest, err := io.ReadAll(r)
		if err != nil || !bytes.HasSuffix(in, rest) {
			t.Fatalf("rest is not the input's end: %v", err)
		}
		skipped := in[:len(in)-len(rest)]
		if bytes.Count(skipped, []byte("\n")) != n || len(bytes.Trim(skipped, " \t\r\n")) != 0 || (n > 0 && skipped[len(skipped)-1] != '\n') {
			t.Fatalf("skipped %q as %d lines", skipped, n)
		}
	})
}

// A reporter that gives no DKIM selector or SPF scope (scope is gone from
// RFC 9990's schema; Amazon SES leaves out the selector) made CSV cells such
// as "example.com/=pass"; the "/" part is left out when empty.
func TestReportsCSVAuthWithoutSelectorOrScope(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(ownReports, "agg-rfc7489.xml"))
	if err != nil {
		t.Fatal(err)
	}
	s := regexp.MustCompile(`<(scope|selector)>[^<]*</(scope|selector)>`).ReplaceAllString(string(data), "")
	if s == string(data) {
		t.Fatal("no scope or selector to remove")
	}
	f := filepath.Join(t.TempDir(), "noscope.xml")
	os.WriteFile(f, []byte(s), 0o600)
	code, out, errs := runCLI(t, "", "reports", "--format", "csv", f)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if strings.Contains(out, "/=") || !strings.Contains(out, "sealtrace.example=pass") {
		t.Errorf("auth cells:\n%s", out)
	}
}

// A bundle whose SPF inputs say they were read from the message, edited by
// hand to another IP address, replayed with the message's address and
// exit 0: the edit was ignored in silence. It is a changed bundle.
func TestReplayEditedSPFInputs(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := runCLI(t, "", "inspect", "--demo", "--format", "json", "--save-evidence", dir); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "demo#1.sealtrace.json"))
	var b map[string]any
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	spf := b["spf"].(map[string]any)
	if spf["ip_from"] != "message" || spf["ip"] != "198.51.100.10" {
		t.Fatalf("unexpected SPF inputs: %v", spf)
	}
	spf["ip"] = "203.0.113.1"
	data, _ = json.Marshal(b)
	f := filepath.Join(dir, "edited.sealtrace.json")
	os.WriteFile(f, data, 0o600)
	code, _, errs := runCLI(t, "", "inspect", "--replay", f)
	if code != 1 || !strings.Contains(errs, "changed after it was written") || !strings.Contains(errs, "203.0.113.1") {
		t.Errorf("edited SPF input: exit %d: %s", code, errs)
	}
}
