package main

import (
	"context"
	"fmt"
	"io"

	"github.com/sealtrace/sealtrace/internal/safetext"
	"github.com/sealtrace/sealtrace/pipeline"
)

// replayAll replays each bundle (with the what-if edits, when there are
// some) and prints its report. A bundle that cannot be read, or whose plain
// replay differs from its stored report, is an error: said on stderr,
// naming what differs.
func replayAll(ctx context.Context, eng *pipeline.Engine, files []string, edits []pipeline.Edit, p printer, stderr io.Writer) error {
	var failed error
	for _, f := range files {
		b, err := pipeline.ReadBundleFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "sealtrace-cli: %s: %s\n", safetext.Terminal(f), safetext.Terminal(err.Error()))
			failed = err
			continue
		}
		r, err := pipeline.WhatIf(ctx, b, eng.PGPOptions(), edits...)
		if err != nil {
			fmt.Fprintf(stderr, "sealtrace-cli: %s: %s\n", safetext.Terminal(f), safetext.Terminal(err.Error()))
			failed = err
			continue
		}
		if err := reportReplay(f, r, stderr); err != nil {
			failed = err
		}
		if err := p.print(r.Report); err != nil {
			return err
		}
	}
	return failed
}

// reportReplay says on stderr that a result was replayed, and returns its
// mismatch (a tampered bundle).
func reportReplay(name string, r pipeline.Result, stderr io.Writer) error {
	if r.Replay == nil {
		return nil
	}
	fmt.Fprintf(stderr, "sealtrace-cli: %s: %s\n", safetext.Terminal(name), safetext.Terminal(r.Replay.Banner()))
	return r.Replay.Mismatch
}

// saveBundle writes a result's bundle into dir and says where on stderr.
func saveBundle(dir string, r pipeline.Result, stderr io.Writer) error {
	if dir == "" || r.Bundle == nil {
		return nil
	}
	path, err := r.Bundle.WriteFile(dir)
	if err != nil {
		fmt.Fprintf(stderr, "sealtrace-cli: saving evidence: %s\n", safetext.Terminal(err.Error()))
		return err
	}
	fmt.Fprintf(stderr, "sealtrace-cli: evidence of %s saved to %s\n", safetext.Terminal(r.Report.Source), safetext.Terminal(path))
	return nil
}
