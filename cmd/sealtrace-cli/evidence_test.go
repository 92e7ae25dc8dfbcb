package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sealtrace/sealtrace/assets"
)

// --save-evidence writes one bundle per message; --replay of each prints
// the same JSON report, byte for byte, with exit code 0; a bundle edited
// afterwards is detected (exit code 1, naming what differs); --what-if
// prints a report that says it is one.
func TestSaveReplayWhatIf(t *testing.T) {
	dir := t.TempDir()
	// The demo's OpenPGP keys, as a user gives them: the replay's OpenPGP
	// section is made with the keys given (a bundle carries none).
	pass := filepath.Join(dir, "..", "pass")
	os.WriteFile(pass, []byte(assets.DemoPassphrase+"\n"), 0o600)
	keys := []string{"--keyring", filepath.Join("..", "..", "assets", "demo", "demo-keys.asc"), "--passphrase-file", pass}
	code, out, errs := runCLI(t, "", append([]string{"inspect", "--demo", "--format", "json", "--save-evidence", dir}, keys...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.SplitAfter(out, "\n")
	lines = lines[:len(lines)-1]
	files, _ := filepath.Glob(filepath.Join(dir, "*.sealtrace.json"))
	if len(files) != len(lines) || len(files) < 10 {
		t.Fatalf("%d bundles for %d reports", len(files), len(lines))
	}
	for i, line := range lines {
		f := filepath.Join(dir, "demo#"+itoa(i+1)+".sealtrace.json")
		code, got, errs := runCLI(t, "", append([]string{"inspect", "--replay", f, "--format", "json"}, keys...)...)
		if code != 0 || got != line {
			t.Errorf("%s: exit %d, same JSON %v: %s", f, code, got == line, errs)
		}
		if !strings.Contains(errs, "Replayed from evidence recorded at") {
			t.Errorf("%s: no banner: %s", f, errs)
		}
	}

	// The first demo message passes SPF; its bundle now says it failed.
	f := filepath.Join(dir, "demo#1.sealtrace.json")
	data, _ := os.ReadFile(f)
	var b map[string]any
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	b["report"].(map[string]any)["spf"].(map[string]any)["result"] = "fail"
	data, _ = json.Marshal(b)
	bad := filepath.Join(t.TempDir(), "edited.sealtrace.json")
	os.WriteFile(bad, data, 0o600)
	code, _, errs = runCLI(t, "", "inspect", "--replay", bad)
	if code != 1 || !strings.Contains(errs, "changed after it was written") || !strings.Contains(errs, "spf: stored fail, replayed pass") {
		t.Errorf("edited bundle: exit %d: %s", code, errs)
	}
	// Given as a FILE, a bundle is replayed too, and checked the same way.
	if code, _, errs = runCLI(t, "", "inspect", bad); code != 1 || !strings.Contains(errs, "changed after it was written") {
		t.Errorf("edited bundle as FILE: exit %d: %s", code, errs)
	}

	code, out, errs = runCLI(t, "", "inspect", "--replay", f, "--what-if", "spf-lookups=11", "--what-if", "dkim-key=delete")
	if code != 0 || !strings.Contains(out, "WHAT-IF") || !strings.Contains(out, "SPF PERMERROR") || !strings.Contains(errs, "WHAT-IF") {
		t.Errorf("what-if: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = runCLI(t, "", "inspect", "--replay", f, "--what-if", "p=reject", "--format", "json")
	if code != 0 || !strings.Contains(out, `"what_if":{"edits":["p=reject"]`) {
		t.Errorf("what-if JSON: exit %d: %.300s", code, out)
	}
	for _, args := range [][]string{
		{"inspect", "--replay", f, "--what-if", "adkim=x"},
		{"inspect", "--demo", "--what-if", "p=reject"},
		{"inspect", "--demo", "--save-evidence", f /* a file, not a folder (a missing folder is made) */},
	} {
		if code, _, errs := runCLI(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2: %s", args, code, errs)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
