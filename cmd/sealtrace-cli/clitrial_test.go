package main

import (
	"os"
	"path/filepath"
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
