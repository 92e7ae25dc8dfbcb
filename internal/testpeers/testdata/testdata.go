// Package testdata finds third-party test data that may not be copied into
// this repository (the ARC test suite, real providers' messages, real DMARC
// and TLS reports). It is found through one variable:
//
//	SEALTRACE_TESTDATA=/path/to/testdata   (default: ../shared/testdata beside the repository)
//
// With CI=true a missing folder fails the test; elsewhere the test is skipped
// with a message that says where to put it.
package testdata

import (
	"os"
	"path/filepath"
	"testing"
)

// Var is the environment variable that names the test-data folder.
const Var = "SEALTRACE_TESTDATA"

// Dir returns the folder sub (for example "arc_test_suite") of the test data,
// failing (CI) or skipping (elsewhere) the test when it is absent.
func Dir(t testing.TB, sub string) string {
	t.Helper()
	root := os.Getenv(Var)
	if root == "" {
		root = filepath.Join(repoRoot(t), "..", "shared", "testdata")
	}
	p := filepath.Join(root, sub)
	if _, err := os.Stat(p); err != nil {
		msg := "third-party test data " + p + " is absent: set " + Var +
			" to a folder holding arc_test_suite/, realworld/ and reports/ (see README, Developing)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; d != "/" && d != "."; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
	}
	t.Fatal("testdata: repository root (go.mod) not found")
	return ""
}
