package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sealtrace/sealtrace/assets"
	"github.com/sealtrace/sealtrace/internal/testpeers/dovecottest"
	"github.com/sealtrace/sealtrace/mailbox"
)

// canonicalLines are the JSON objects of out without their "source" (nor
// the times of the DNS questions a failure report's inspection asked),
// each as JSON again, sorted.
func canonicalLines(t *testing.T, out string) []string {
	t.Helper()
	var lines []string
	for _, m := range jsonLines(t, out) {
		delete(m, "source")
		if o, ok := m["original"].(map[string]any); ok {
			delete(o, "source") // the carried message's inspection names the report's input too
			dnsLog, _ := o["dns"].([]any)
			for _, q := range dnsLog {
				if q, ok := q.(map[string]any); ok {
					delete(q, "time") // when each DNS question was asked
				}
			}
		}
		b, _ := json.Marshal(m)
		lines = append(lines, string(b))
	}
	sort.Strings(lines)
	return lines
}

// reports --imap against a real Dovecot: the reports of a folder are those
// of the same messages read as files (one copy of each), no message is
// fetched whole, nothing changes on the server; a failed login is exit 1
// with the files still reported; usage errors are exit 2.
func TestReportsIMAP(t *testing.T) {
	var seeds []dovecottest.Seed
	var files []string
	for _, name := range []string{"zip-body.eml", "tlsrpt.eml", "failure.eml", "failure-headers.eml"} {
		raw, err := os.ReadFile(filepath.Join(ownReports, name))
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, dovecottest.Seed{Folder: "Reports", Raw: raw})
		files = append(files, filepath.Join(ownReports, name))
	}
	// A second copy of the zipped report, and ordinary mail beside them.
	seeds = append(seeds, seeds[0])
	demo := mailbox.NewMboxReader(bytes.NewReader(assets.DemoMbox))
	for range 3 {
		raw, _, err := demo.Next()
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, dovecottest.Seed{Folder: "Reports", Raw: raw})
	}
	d := dovecottest.Start(t, seeds)
	before := d.Snapshot(t)
	zone := offlineZone(t)
	folder := "imaps://alice@" + d.IMAPSAddr + "/Reports"
	t.Setenv("SEALTRACE_IMAP_PASSWORD", "secret")

	code, overIMAP, stderr := runCLI(t, "", "reports", "--format", "json", "--dns-zone", zone, "--imap", folder, "--pin-sha256", d.Fingerprint)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	_, fromFiles, stderr := runCLI(t, "", append([]string{"reports", "--format", "json", "--dns-zone", zone}, files...)...)
	if stderr != "" {
		t.Fatal(stderr)
	}
	got, want := canonicalLines(t, overIMAP), canonicalLines(t, fromFiles)
	if len(got) != 4 || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("over IMAP (%d):\n%s\nfrom the files (%d):\n%s", len(got), strings.Join(got, "\n"), len(want), strings.Join(want, "\n"))
	}
	for _, m := range jsonLines(t, overIMAP) {
		if s, _ := m["source"].(string); !strings.HasPrefix(s, "imap://127.0.0.1/Reports;UIDVALIDITY=") {
			t.Errorf("source %q", s)
		}
	}
	for _, c := range d.Commands(t) {
		u := strings.ToUpper(c)
		if strings.Contains(u, "BODY[") || strings.Contains(u, "BODY.PEEK[]") || strings.HasPrefix(u, "SELECT ") {
			t.Errorf("the client sent %q", c)
		}
	}
	if after := d.Snapshot(t); after != before {
		t.Error("reading the reports changed the server's messages")
	}
	if strings.Contains(overIMAP, "secret") {
		t.Error("the password appears in the output")
	}

	// A wrong password: exit 1, said, and the files are still reported.
	t.Setenv("SEALTRACE_IMAP_PASSWORD", "wrong")
	code, out, stderr := runCLI(t, "", "reports", "--format", "json", "--dns-zone", zone, "--imap", folder, "--pin-sha256", d.Fingerprint, files[1])
	if code != 1 || !strings.Contains(stderr, "rejected the login") || len(jsonLines(t, out)) != 1 {
		t.Errorf("wrong password: exit %d, %d reports, %s", code, len(jsonLines(t, out)), stderr)
	}
	// Usage errors: exit 2, before any connection.
	for _, args := range [][]string{
		{"reports", "--imap", "imaps://alice:secret@127.0.0.1/INBOX"},
		{"reports", "--imap", "imap://alice@mail.example.com/INBOX", "--insecure-plaintext"},
		{"reports", "--pin-sha256", "abcd", "x.xml"},
	} {
		if code, _, _ := runCLI(t, "", args...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
}
