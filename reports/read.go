package reports

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// Read reads every report in one input: data as it arrived (XML, gzip, zip,
// JSON, an RFC 5322 message or an mbox of them), name its file or part name
// (used in Report.Source and as a hint when the bytes alone do not say).
//
// The reports returned are always usable, whether or not an error is also
// returned: the error says what in the input could not be read (a message
// of an mbox that carries no report, a zip member that is not XML), wrapping
// ErrNotReport, ErrMalformed or ErrTooLarge; the reports found elsewhere in
// the input are still returned. What was skipped inside one report is in
// that report's Errors instead.
func Read(name string, data []byte, lim Limits) ([]*Report, error) {
	r := newReader(lim)
	r.input(name, data, 0)
	return r.reps, r.err()
}

// ReadFile is Read of the file at path, reading at most Limits.MaxInput
// bytes of it.
func ReadFile(path string, lim Limits) ([]*Report, error) {
	lim = lim.withDefaults()
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, lim.MaxInput+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(data)) > lim.MaxInput {
		return nil, fmt.Errorf("%s: %w: more than %d bytes", path, ErrTooLarge, lim.MaxInput)
	}
	return Read(path, data, lim)
}

// Walk reads every path: a file with ReadFile, a folder with every regular
// file under it (sub-folders included, hidden files and folders skipped, in
// lexical order). fn is called once per file with its reports and its error
// (see Read); when fn returns an error the walk stops and returns it. Walk
// also stops when ctx is done, returning ctx's error.
func Walk(ctx context.Context, paths []string, lim Limits, fn func(path string, reps []*Report, err error) error) error {
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return err
		}
		st, err := os.Stat(p)
		if err != nil {
			if err := fn(p, nil, err); err != nil {
				return err
			}
			continue
		}
		if !st.IsDir() {
			reps, err := ReadFile(p, lim)
			if err := fn(p, reps, err); err != nil {
				return err
			}
			continue
		}
		var files []string
		werr := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				files = append(files, path) // reported by ReadFile below
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if path != p && len(d.Name()) > 0 && d.Name()[0] == '.' {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				files = append(files, path)
			}
			return nil
		})
		if werr != nil {
			if err := fn(p, nil, werr); err != nil {
				return err
			}
		}
		sort.Strings(files)
		for _, f := range files {
			if err := ctx.Err(); err != nil {
				return err
			}
			reps, err := ReadFile(f, lim)
			if err := fn(f, reps, err); err != nil {
				return err
			}
		}
	}
	return nil
}

// ReadDir is Walk over one folder collecting every report; the error joins
// the errors of the files that could not be (wholly) read.
func ReadDir(dir string, lim Limits) ([]*Report, error) {
	var all []*Report
	var errs []error
	err := Walk(context.Background(), []string{dir}, lim, func(path string, reps []*Report, err error) error {
		all = append(all, reps...)
		if err != nil {
			errs = append(errs, err)
		}
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	return all, errors.Join(errs...)
}

// reader gathers the reports and errors of one input, spending its budget of
// decompressed bytes across every archive in it.
type reader struct {
	lim    Limits
	budget int64 // decompressed bytes still allowed
	reps   []*Report
	errs   []error
}

func newReader(lim Limits) *reader {
	lim = lim.withDefaults()
	return &reader{lim: lim, budget: lim.MaxDecompressed}
}

func (r *reader) err() error { return errors.Join(r.errs...) }

func (r *reader) fail(err error) { r.errs = append(r.errs, err) }

func (r *reader) input(name string, data []byte, depth int) {
	r.fail(fmt.Errorf("%s: %w (reader not written yet)", name, ErrNotReport))
}
