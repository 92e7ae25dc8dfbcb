package reports

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"unicode/utf16"
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
// bytes of it (ReadStream).
func ReadFile(path string, lim Limits) ([]*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// A regular file says its size: its buffer is then allocated once
	// (growing it by appending kept two copies of a large file).
	var size int64 = -1
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	return ReadStream(path, f, size, lim)
}

// ReadStream is Read of what rd yields (a file, standard input), reading
// at most Limits.MaxInput bytes, or Limits.MaxDecompressed when the input
// is one XML or JSON document. size is its length when known (a regular
// file), else -1. Its head says first whether it is a report's form at
// all: a file of something else, a device or a pipe of garbage is refused
// after 512 bytes, and one known too large is refused unread.
func ReadStream(name string, rd io.Reader, size int64, lim Limits) ([]*Report, error) {
	lim = lim.withDefaults()
	if size > lim.MaxInput {
		return nil, fmt.Errorf("%s: %w: more than %d bytes (Limits.MaxInput)", name, ErrTooLarge, lim.MaxInput)
	}
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(rd, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	limit, what := lim.MaxInput, "Limits.MaxInput"
	switch sniff(unBOM(head[:n])) {
	case formUnknown:
		if n == sniffLen {
			return nil, fmt.Errorf("%s: %w: neither XML, JSON, gzip, zip nor a mail message", name, ErrNotReport)
		}
	case formXML, formJSON:
		// One document, which Read holds to MaxDecompressed: a stream of
		// "<feedback>" that never ends is refused there, not at MaxInput.
		limit, what = min(limit, lim.MaxDecompressed), "Limits.MaxDecompressed"
	}
	tooLarge := fmt.Errorf("%s: %w: more than %d bytes (%s)", name, ErrTooLarge, limit, what)
	if size > limit {
		return nil, tooLarge
	}
	var buf bytes.Buffer
	// bytes.MinRead: ReadFrom wants that much room even for the read that
	// finds the end, and would double the buffer to get it.
	buf.Grow(int(max(size, int64(n))) + bytes.MinRead)
	buf.Write(head[:n])
	if _, err := buf.ReadFrom(io.LimitReader(rd, limit+1-int64(buf.Len()))); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if int64(buf.Len()) > limit {
		return nil, tooLarge
	}
	return Read(name, buf.Bytes(), lim)
}

// sniffLen is how much of a file ReadFile reads before deciding whether it
// may be a report (sniff needs the first line of a header at most).
const sniffLen = 512

// Walk reads every path: a file with ReadFile, a folder with every regular
// file under it and every link to one (sub-folders included, links to
// folders not followed, hidden files and folders skipped, in lexical
// order). fn is called once per file with its reports and its error
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
			reps, err := readFileCtx(ctx, p, lim)
			if ctx.Err() != nil {
				return ctx.Err()
			}
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
			} else if d.Type()&fs.ModeSymlink != 0 {
				// A link to a report file is read; a link to a folder is
				// not followed (".." would be a loop), nor one to a device.
				if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() {
					files = append(files, path)
				}
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
			reps, err := readFileCtx(ctx, f, lim)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err := fn(f, reps, err); err != nil {
				return err
			}
		}
	}
	return nil
}

// readFileCtx is ReadFile, given up when ctx is done: opening a FIFO blocks
// until a writer comes, and a device or a pipe may never end (the read
// left behind ends with the process, or when the FIFO gets a writer).
func readFileCtx(ctx context.Context, path string, lim Limits) ([]*Report, error) {
	type result struct {
		reps []*Report
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		reps, err := ReadFile(path, lim)
		ch <- result{reps, err}
	}()
	select {
	case res := <-ch:
		return res.reps, res.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
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
	// dropped counts the errors beyond maxErrors by kind (ErrNotReport,
	// ErrMalformed, ErrTooLarge; nil for any other).
	dropped map[error]int
}

// maxErrors is how many errors one input keeps: an mbox of a million empty
// messages or a zip of a million empty members is a million errors, which
// joined made a string of 200 MB. The rest are counted.
const maxErrors = 100

var errKinds = []error{ErrNotReport, ErrMalformed, ErrTooLarge}

func newReader(lim Limits) *reader {
	lim = lim.withDefaults()
	return &reader{lim: lim, budget: lim.MaxDecompressed, dropped: map[error]int{}}
}

func (r *reader) err() error {
	n, kinds := 0, []any{}
	format := "and %d more problems in this input, not shown"
	for _, k := range append(errKinds, nil) {
		if r.dropped[k] > 0 {
			n += r.dropped[k]
			if k != nil {
				format += " (%w)"
				kinds = append(kinds, k)
			}
		}
	}
	if n == 0 {
		return errors.Join(r.errs...)
	}
	return errors.Join(append(r.errs, fmt.Errorf(format, append([]any{n}, kinds...)...))...)
}

func (r *reader) fail(err error) {
	if len(r.errs) < maxErrors {
		r.errs = append(r.errs, err)
		return
	}
	for _, k := range errKinds {
		if errors.Is(err, k) {
			r.dropped[k]++
			return
		}
	}
	r.dropped[nil]++
}

// add keeps a report unless the input already gave MaxReports.
func (r *reader) add(rep *Report) bool {
	if len(r.reps) >= r.lim.MaxReports {
		r.fail(fmt.Errorf("%s: %w: more than %d reports in one input; the rest skipped", rep.Source, ErrTooLarge, r.lim.MaxReports))
		return false
	}
	r.reps = append(r.reps, rep)
	return true
}

func (r *reader) full() bool { return len(r.reps) >= r.lim.MaxReports }

// input sniffs data and reads it as what it is. name is where it came from
// (file, archive member, message part); depth counts the containers around
// it.
func (r *reader) input(name string, data []byte, depth int) {
	if depth > r.lim.MaxDepth {
		r.fail(fmt.Errorf("%s: %w: containers nested more than %d deep", name, ErrTooLarge, r.lim.MaxDepth))
		return
	}
	if r.full() {
		return
	}
	data = unBOM(data)
	switch sniff(data) {
	case formEmpty:
		r.fail(fmt.Errorf("%s: %w: empty", name, ErrNotReport))
	case formGzip:
		r.gzip(name, data, depth)
	case formZip:
		r.zip(name, data, depth)
	case formXML, formJSON:
		// Decoding costs several times the document: the largest real
		// reports are a few MB.
		if int64(len(data)) > r.lim.MaxDecompressed {
			r.fail(fmt.Errorf("%s: %w: a document of %d bytes, more than Limits.MaxDecompressed (%d)", name, ErrTooLarge, len(data), r.lim.MaxDecompressed))
		} else if sniff(data) == formXML {
			r.xml(name, data)
		} else {
			r.json(name, data)
		}
	case formMbox:
		r.mbox(name, data, depth)
	case formMessage:
		r.message(name, data, depth)
	default:
		r.fail(fmt.Errorf("%s: %w: neither XML, JSON, gzip, zip nor a mail message", name, ErrNotReport))
	}
}

// unBOM drops a UTF-8 byte order mark (encoding/json refuses it) and turns
// UTF-16 with a byte order mark, which some Windows servers write, into
// UTF-8 (encoding/xml reads UTF-8 only; the declaration's encoding="UTF-16"
// is then accepted by charsetReader as already done).
func unBOM(data []byte) []byte {
	switch {
	case bytes.HasPrefix(data, []byte("\xef\xbb\xbf")):
		return data[3:]
	case len(data) >= 2 && (data[0] == 0xff && data[1] == 0xfe || data[0] == 0xfe && data[1] == 0xff):
		order := binary.ByteOrder(binary.LittleEndian)
		if data[0] == 0xfe {
			order = binary.BigEndian
		}
		u := make([]uint16, 0, len(data)/2)
		for i := 2; i+1 < len(data); i += 2 {
			u = append(u, order.Uint16(data[i:]))
		}
		return []byte(string(utf16.Decode(u)))
	}
	return data
}

type form int

const (
	formUnknown form = iota
	formEmpty
	formGzip
	formZip
	formXML
	formJSON
	formMbox
	formMessage
)

// sniff says what data is from its first bytes: the names senders give
// (.xml.gz holding a zip, .txt holding XML) are hints at best.
func sniff(data []byte) form {
	switch {
	case len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b: // RFC 1952 section 2.3.1
		return formGzip
	case bytes.HasPrefix(data, []byte("PK\x03\x04")), bytes.HasPrefix(data, []byte("PK\x05\x06")): // zip local header, empty archive
		return formZip
	case bytes.HasPrefix(data, []byte("From ")): // mbox (RFC 4155)
		return formMbox
	}
	t := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	switch {
	case len(t) == 0:
		return formEmpty
	case t[0] == '<':
		return formXML
	case t[0] == '{':
		return formJSON
	case looksLikeHeader(data):
		return formMessage
	}
	return formUnknown
}

// looksLikeHeader: the first line is an RFC 5322 header field (a field name
// of printable ASCII without a colon or space, then a colon).
func looksLikeHeader(data []byte) bool {
	line := data
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		line = data[:i]
	}
	c := bytes.IndexByte(line, ':')
	if c <= 0 {
		return false
	}
	for _, b := range line[:c] {
		if b <= ' ' || b > '~' {
			return false
		}
	}
	return true
}

// decompressed reads what rd yields within the input's remaining budget of
// decompressed bytes; beyond it, ErrTooLarge after reading at most one byte
// more than the budget (a bomb is never expanded whole).
func (r *reader) decompressed(rd io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(rd, r.budget+1))
	if int64(len(data)) > r.budget {
		r.budget = 0
		return nil, fmt.Errorf("%w: decompresses to more than %d bytes (Limits.MaxDecompressed)", ErrTooLarge, r.lim.MaxDecompressed)
	}
	r.budget -= int64(len(data))
	return data, err
}

func (r *reader) gzip(name string, data []byte, depth int) {
	br := bytes.NewReader(data)
	zr, err := gzip.NewReader(br)
	if err != nil {
		r.fail(fmt.Errorf("%s: %w: gzip: %v", name, ErrMalformed, err))
		return
	}
	// Member by member (RFC 1952 section 2.2: a file may hold several):
	// what follows the last one and is not a gzip header is junk some
	// senders leave (zero padding), ignored and said, not a broken stream.
	zr.Multistream(false)
	var out []byte
	junk := 0
	for {
		var more []byte
		more, err = r.decompressed(zr)
		if out == nil {
			out = more // the usual single member: no copy
		} else {
			out = append(out, more...)
		}
		if err != nil || br.Len() == 0 {
			break
		}
		if rest := data[len(data)-br.Len():]; len(rest) < 2 || rest[0] != 0x1f || rest[1] != 0x8b {
			junk = len(rest)
			break
		}
		if err = zr.Reset(br); err != nil {
			break
		}
		zr.Multistream(false)
	}
	if junk > 0 && err == nil {
		n := len(r.reps)
		defer func() {
			for _, rep := range r.reps[n:] {
				rep.Errors = append(rep.Errors, fmt.Sprintf("%d bytes after the gzip data ignored", junk))
			}
		}()
	}
	inner := name // the file that held the report, whatever its layers
	switch {
	case errors.Is(err, ErrTooLarge):
		r.fail(fmt.Errorf("%s: %w", name, err))
		return
	case err != nil:
		// A truncated stream: what came out before the break may still hold
		// whole records (read what is readable), but the input is broken.
		r.fail(fmt.Errorf("%s: %w: gzip stream broken after %d bytes: %v", name, ErrMalformed, len(out), err))
		if len(out) == 0 {
			return
		}
		n := len(r.reps)
		r.input(inner, out, depth+1)
		for _, rep := range r.reps[n:] {
			rep.Errors = append(rep.Errors, fmt.Sprintf("the gzip stream is truncated after %d bytes: what followed is lost", len(out)))
		}
		return
	}
	r.input(inner, out, depth+1)
}

func (r *reader) zip(name string, data []byte, depth int) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		r.fail(fmt.Errorf("%s: %w: zip: %v", name, ErrMalformed, err))
		return
	}
	if len(zr.File) == 0 {
		r.fail(fmt.Errorf("%s: %w: empty zip archive", name, ErrNotReport))
		return
	}
	for _, f := range zr.File {
		if r.full() {
			r.fail(fmt.Errorf("%s: %w: more than %d reports in one input; the rest skipped", name, ErrTooLarge, r.lim.MaxReports))
			return
		}
		if f.FileInfo().IsDir() {
			continue
		}
		member := name + ": " + f.Name
		// The declared size is the sender's word; refuse early when it is
		// already too large, and count the real bytes anyway.
		if f.UncompressedSize64 > uint64(r.budget) {
			r.fail(fmt.Errorf("%s: %w: declares %d bytes, more than the %d left of Limits.MaxDecompressed", member, ErrTooLarge, f.UncompressedSize64, r.budget))
			continue
		}
		rc, err := f.Open()
		if err != nil {
			r.fail(fmt.Errorf("%s: %w: zip: %v", member, ErrMalformed, err))
			continue
		}
		out, err := r.decompressed(rc)
		rc.Close()
		if err != nil {
			if errors.Is(err, ErrTooLarge) {
				r.fail(fmt.Errorf("%s: %w", member, err))
			} else {
				r.fail(fmt.Errorf("%s: %w: zip: %v", member, ErrMalformed, err))
			}
			continue
		}
		r.input(member, out, depth+1)
	}
}
