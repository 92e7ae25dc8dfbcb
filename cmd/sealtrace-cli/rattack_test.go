package main

import (
	"bytes"
	"context"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Attacks on "sealtrace-cli reports" found by h/rattack; each test failed
// before its fix.

// TestReportsMemoryLimit: main collects garbage at GOGC 400 (fast for
// inspect); a 65 MB report of 200k records, the most Limits allow, then
// peaked at 700 MB of RSS. reports sets a soft memory limit (unless
// GOMEMLIMIT says otherwise), measured at 295 MB for the same file.
func TestReportsMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	t.Setenv("GOMEMLIMIT", "")
	if code, _, stderr := runCLI(t, "", "reports", filepath.Join(ownReports, "agg-rfc7489.xml")); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if got := debug.SetMemoryLimit(-1); got != reportsMemoryLimit {
		t.Errorf("memory limit %d MiB, want %d MiB", got>>20, reportsMemoryLimit>>20)
	}
	// GOMEMLIMIT set: the user's word.
	debug.SetMemoryLimit(math.MaxInt64)
	t.Setenv("GOMEMLIMIT", "1GiB")
	runCLI(t, "", "reports", filepath.Join(ownReports, "agg-rfc7489.xml"))
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("with GOMEMLIMIT set, the limit was changed to %d", got)
	}
}

// interrupted runs reports with args and stdin, cancels its context once
// it is running, and says whether it returned (it is abandoned when not:
// the test fails rather than hangs).
func interrupted(t *testing.T, stdin io.Reader, args ...string) (code int, stderr string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, stdin, &out, &errb) }()
	time.Sleep(100 * time.Millisecond) // let it block (not a timing assertion)
	cancel()
	select {
	case code = <-done:
		return code, errb.String()
	case <-time.After(30 * time.Second):
		t.Fatalf("%q still blocked 30 s after Ctrl-C", args)
	}
	return
}

// TestReportsInterruptStdin: standard input that never ends (a pipe with
// no writer closing it) was read on after Ctrl-C, which main catches: the
// command could not be stopped. It now stops, exit 1, saying why.
func TestReportsInterruptStdin(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	code, stderr := interrupted(t, pr, "reports", "-")
	if code != 1 || !strings.Contains(stderr, "context canceled") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// TestReportsInterruptFIFO: a FIFO named as a FILE blocks in open until a
// writer comes; Ctrl-C now stops the command.
func TestReportsInterruptFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// Unblock the abandoned open at the end, whatever happened.
	defer func() {
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	}()
	code, stderr := interrupted(t, nil, "reports", fifo)
	if code != 1 || !strings.Contains(stderr, "context canceled") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
