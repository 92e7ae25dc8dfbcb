package pipeline

// Evidence bundles: one message's inspection with everything it rested on,
// in one JSON file a colleague can replay without the network.
//
// A bundle holds the inputs of the inspection (the message bytes, the SPF
// inputs the user gave, the evaluation time, the Authentication-Results
// receivers believed, and every DNS answer with its DNSSEC status and the
// time it was fetched) apart from its result (the report as JSON). A replay
// runs the inspection again from the inputs alone, through a
// resolver.Replay; the replayed report is compared byte for byte with the
// stored one, so a bundle changed after it was written (an answer, a
// verdict, a byte of the message) no longer agrees with itself and is
// reported as such. This is a consistency check, not a signature: someone
// who changes the inputs and stores the report of their replay makes a
// bundle that agrees with itself.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sealtrace/sealtrace/inspect"
	"github.com/sealtrace/sealtrace/internal/safetext"
	"github.com/sealtrace/sealtrace/mailbox"
	"github.com/sealtrace/sealtrace/pgp"
	"github.com/sealtrace/sealtrace/resolver"
)

// Version is Sealtrace's version, as FyneApp.toml says (a test checks that
// they agree); bundles record it.
const Version = "0.1.0"

// EvidenceFormat names the bundle format; EvidenceFormatVersion is its
// version. A reader refuses other versions rather than guess.
const (
	EvidenceFormat        = "sealtrace-evidence"
	EvidenceFormatVersion = 1
	// EvidenceExt ends a bundle's file name.
	EvidenceExt = ".sealtrace.json"
)

// Limits on a bundle read from anywhere (a bundle is hostile data): the file,
// and its DNS and report sections. The message itself is bounded by
// mailbox.MaxMessageBytes.
const (
	MaxBundleBytes       = mailbox.MaxMessageBytes/3*4 + 4 + MaxBundleDNSBytes + MaxBundleReportBytes + 64<<10
	MaxBundleDNSBytes    = 8 << 20
	MaxBundleReportBytes = 32 << 20
)

// Errors of bundles.
var (
	// ErrBundle wraps every reason a bundle cannot be read.
	ErrBundle = errors.New("evidence bundle")
	// ErrTampered is a bundle whose stored report differs from a replay of
	// its inputs: it was changed after it was written.
	ErrTampered = errors.New("the evidence bundle was changed after it was written")
)

// Bundle is one message's evidence. Its JSON is the .sealtrace.json file.
type Bundle struct {
	Format           string `json:"format"`         // EvidenceFormat
	FormatVersion    int    `json:"format_version"` // EvidenceFormatVersion
	SealtraceVersion string `json:"sealtrace_version"`
	// Recorded is when the bundle was made (the inspection's wall clock).
	Recorded time.Time `json:"recorded"`
	// Source names the message in its report.
	Source string `json:"source"`
	// EvaluationTime is the time the signatures and keys were judged at.
	EvaluationTime time.Time `json:"evaluation_time"`
	// Message is the message as inspected (base64 in JSON).
	Message []byte    `json:"message"`
	SPF     SPFInputs `json:"spf"`
	// TrustedAuthservIDs are the receivers whose Authentication-Results
	// were believed (empty: the topmost field's authserv-id).
	TrustedAuthservIDs []string `json:"trusted_authserv_ids,omitempty"`
	// DNS is every question asked and what was answered, with its DNSSEC
	// status and the time it was fetched: the inputs a replay answers from.
	DNS []resolver.Evidence `json:"dns"`
	// Report is the report as the inspection wrote it (inspect.Report.JSON,
	// without the final newline).
	Report json.RawMessage `json:"report"`
}

// SPFInputs are the SPF inputs (RFC 7208 4.1) of an inspection: those used
// (from the report) and where each came from: "given" (by the user, which a
// replay gives again), "message" (read from its Received fields and
// Return-Path, which a replay reads again), or "" (none found).
type SPFInputs struct {
	IP           string `json:"ip"`
	IPFrom       string `json:"ip_from"`
	HELO         string `json:"helo"`
	HELOFrom     string `json:"helo_from"`
	MailFrom     string `json:"mail_from"`
	MailFromFrom string `json:"mail_from_from"`
}

// Input origins of SPFInputs.
const (
	FromGiven   = "given"
	FromMessage = "message"
)

// ReplayInfo says that a result was replayed from a bundle, and how it
// compares with what the bundle recorded.
type ReplayInfo struct {
	Recorded time.Time // when the evidence was recorded
	Version  string    // the Sealtrace version that recorded it
	// Edits are the what-if edits applied (empty: a plain replay).
	Edits []string
	// Mismatch is ErrTampered (with what differs) when a plain replay does
	// not give the stored report; nil when it does, and for a what-if.
	Mismatch error
	// Bundle is the bundle replayed (before the edits).
	Bundle *Bundle
}

// Banner is the line to show above a replayed report.
func (ri *ReplayInfo) Banner() string {
	s := "Replayed from evidence recorded at " + ri.Recorded.UTC().Format("2006-01-02 15:04:05 MST")
	if ri.Version != "" {
		s += " by Sealtrace " + ri.Version
	}
	s += " (no network: every DNS answer is the recorded one)."
	if len(ri.Edits) > 0 {
		s += " WHAT-IF, with " + strings.Join(ri.Edits, ", ") + ": this is not what happened."
	}
	if ri.Mismatch != nil {
		s += " WARNING: " + ri.Mismatch.Error()
	}
	return s
}

// Record inspects raw as Inspect does and also returns its evidence bundle.
// The evaluation time is fixed once (the configured one, or now) so that it
// can be recorded.
func (e *Engine) Record(ctx context.Context, raw []byte, source string) (Result, *Bundle) {
	now := e.cfg.Now
	wall := time.Now().UTC()
	if now.IsZero() {
		now = wall
	}
	o := e.inspect
	o.Source = source
	o.Now = func() time.Time { return now }
	po := e.pgp
	po.Now = now
	r := inspectWith(ctx, raw, o, po)
	b := &Bundle{Format: EvidenceFormat, FormatVersion: EvidenceFormatVersion, SealtraceVersion: Version,
		Recorded: wall, Source: source, EvaluationTime: now.UTC(), Message: raw,
		TrustedAuthservIDs: slices.Clone(e.cfg.TrustedAuthservIDs), DNS: slices.Clone(r.Report.DNS)}
	if b.DNS == nil {
		b.DNS = []resolver.Evidence{}
	}
	b.SPF = spfInputs(r.Report.SPF, e.cfg)
	js, err := r.Report.JSON()
	if err != nil {
		return r, nil
	}
	b.Report = bytes.TrimSuffix(js, []byte("\n"))
	return r, b
}

// BundleOf makes the bundle of an inspection already made (the app's
// message, whose report holds its DNS evidence) without asking DNS again.
// The evaluation time is the configured one, else the time of the last DNS
// answer (the inspection ran then), else now; Verify-by-replay (Replay's
// Mismatch) says whether the bundle reproduces rep.
func BundleOf(rep *inspect.Report, raw []byte, cfg Config) (*Bundle, error) {
	if rep == nil || rep.Error != "" {
		return nil, fmt.Errorf("%w: the message was not inspected", ErrBundle)
	}
	js, err := rep.JSON()
	if err != nil {
		return nil, err
	}
	wall := time.Now().UTC()
	now := cfg.Now
	if now.IsZero() {
		for _, ev := range rep.DNS {
			if ev.Time.After(now) {
				now = ev.Time
			}
		}
	}
	if now.IsZero() {
		now = wall
	}
	b := &Bundle{Format: EvidenceFormat, FormatVersion: EvidenceFormatVersion, SealtraceVersion: Version,
		Recorded: wall, Source: rep.Source, EvaluationTime: now.UTC(), Message: bytes.Clone(raw),
		TrustedAuthservIDs: slices.Clone(cfg.TrustedAuthservIDs), DNS: slices.Clone(rep.DNS),
		SPF: spfInputs(rep.SPF, cfg), Report: bytes.TrimSuffix(js, []byte("\n"))}
	if b.DNS == nil {
		b.DNS = []resolver.Evidence{}
	}
	return b, nil
}

func spfInputs(s inspect.SPFResult, cfg Config) SPFInputs {
	from := func(given, used string) string {
		switch {
		case given != "":
			return FromGiven
		case used != "":
			return FromMessage
		}
		return ""
	}
	in := SPFInputs{IP: s.IP, HELO: s.HELO, MailFrom: s.MailFrom,
		IPFrom: from(cfg.IP, s.IP), HELOFrom: from(cfg.HELO, s.HELO), MailFromFrom: from(cfg.MailFrom, s.MailFrom)}
	if cfg.IP != "" {
		in.IP = cfg.IP // as given: the replay gives it again as it was
	}
	if cfg.HELO != "" {
		in.HELO = cfg.HELO
	}
	if cfg.MailFrom != "" {
		in.MailFrom = cfg.MailFrom
	}
	return in
}

// inspectWith is Engine.Inspect with the options given.
func inspectWith(ctx context.Context, raw []byte, o inspect.Options, po pgp.Options) Result {
	rep, err := inspect.Inspect(ctx, raw, o)
	r := Result{Report: rep, Err: err}
	if rep == nil {
		r.Report = &inspect.Report{Source: o.Source, Error: errText(err)}
	}
	if err == nil {
		if pr := attachPGP(rep, raw, po); pr != nil {
			r.Plaintext = pr.Plaintext
		}
		joinBounce(rep, raw)
	}
	return r
}

// Replay runs the inspection of b again from its inputs alone: its message,
// SPF inputs, evaluation time and recorded DNS answers (no network, no zone
// files). The OpenPGP section uses po's keys (a bundle carries none). The
// result's Replay says when the evidence was recorded and, when the
// replayed report is not the stored one byte for byte, what differs.
func Replay(ctx context.Context, b *Bundle, po pgp.Options) (Result, error) {
	r, err := replay(ctx, b, po)
	if err != nil {
		return r, err
	}
	r.Replay.Mismatch = b.compare(r.Report)
	if r.Replay.Mismatch == nil {
		r.Replay.Mismatch = b.compareSPFInputs(r.Report.SPF)
	}
	return r, nil
}

// compareSPFInputs checks the SPF inputs the bundle says it read from the
// message against those the replay read from it: the replay reads them
// again and does not use the bundle's, so an edit there would otherwise be
// ignored in silence while the replay says the bundle is as written.
func (b *Bundle) compareSPFInputs(s inspect.SPFResult) error {
	var diffs []string
	for _, f := range []struct{ name, from, bundle, replayed string }{
		{"ip", b.SPF.IPFrom, b.SPF.IP, s.IP},
		{"helo", b.SPF.HELOFrom, b.SPF.HELO, s.HELO},
		{"mail_from", b.SPF.MailFromFrom, b.SPF.MailFrom, s.MailFrom},
	} {
		if f.from != FromGiven && f.bundle != f.replayed {
			diffs = append(diffs, safetext.Terminal(fmt.Sprintf("spf.%s: the bundle says %q, its message gives %q", f.name, f.bundle, f.replayed)))
		}
	}
	if len(diffs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: its SPF inputs are not those of its message (%s)", ErrTampered, strings.Join(diffs, "; "))
}

// Replay is the package's Replay with the engine's OpenPGP keys.
func (e *Engine) Replay(ctx context.Context, b *Bundle) (Result, error) {
	return Replay(ctx, b, e.pgp)
}

func replay(ctx context.Context, b *Bundle, po pgp.Options) (Result, error) {
	rep, err := resolver.NewReplay(b.DNS)
	if err != nil {
		return Result{Report: &inspect.Report{Source: b.Source, Error: err.Error()}, Err: err}, fmt.Errorf("%w: %w", ErrBundle, err)
	}
	var stored struct {
		DNSSource resolver.SourceInfo `json:"dns_source"`
	}
	if json.Unmarshal(b.Report, &stored) == nil {
		rep.Source = stored.DNSSource
	}
	now := b.EvaluationTime
	o := inspect.Options{Resolver: rep, Source: b.Source, TrustedAuthservIDs: b.TrustedAuthservIDs,
		Now: func() time.Time { return now }}
	if b.SPF.IPFrom == FromGiven {
		o.IP = b.SPF.IP
	}
	if b.SPF.HELOFrom == FromGiven {
		o.HELO = b.SPF.HELO
	}
	if b.SPF.MailFromFrom == FromGiven {
		o.MailFrom = b.SPF.MailFrom
	}
	po.Now = now
	r := inspectWith(ctx, b.Message, o, po)
	r.Item = Item{Raw: b.Message, Source: b.Source, Index: 1, Bundle: b}
	r.Replay = &ReplayInfo{Recorded: b.Recorded, Version: b.SealtraceVersion, Bundle: b}
	return r, nil
}

// compare says whether rep is the stored report, byte for byte, and when
// it is not, which of its sections differ.
func (b *Bundle) compare(rep *inspect.Report) error {
	got, err := rep.JSON()
	if err != nil {
		return fmt.Errorf("%w: the replayed report cannot be written: %v", ErrTampered, err)
	}
	got = bytes.TrimSuffix(got, []byte("\n"))
	var want bytes.Buffer
	if err := json.Compact(&want, b.Report); err != nil {
		return fmt.Errorf("%w: its stored report is not JSON", ErrTampered)
	}
	if bytes.Equal(got, want.Bytes()) || sameJSON(got, want.Bytes()) {
		return nil
	}
	return fmt.Errorf("%w: its stored report differs from a replay of its inputs (%s)", ErrTampered, strings.Join(diffSections(want.Bytes(), got), ", "))
}

// diffSections names the top-level fields of two report objects that
// differ, with the stored and the replayed verdict where there is one.
func diffSections(stored, replayed []byte) []string {
	var a, b map[string]json.RawMessage
	if json.Unmarshal(stored, &a) != nil || json.Unmarshal(replayed, &b) != nil {
		return []string{"the whole report"}
	}
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	var out []string
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range keys {
			if !yield(k) {
				return
			}
		}
	}) {
		if bytes.Equal(a[k], b[k]) || sameJSON(a[k], b[k]) {
			continue
		}
		d := k
		if v1, v2 := verdictOf(a[k]), verdictOf(b[k]); v1 != v2 {
			d += fmt.Sprintf(": stored %s, replayed %s", orDash(v1), orDash(v2))
		}
		if k == "pgp" {
			d += " (the OpenPGP section depends on the keys given to the replay; a bundle carries none)"
		}
		out = append(out, safetext.Terminal(d))
	}
	if len(out) == 0 {
		out = []string{"formatting only"}
	}
	return out
}

// canonicalJSON re-encodes a JSON value in one form (keys sorted, Go's
// escaping, numbers as written), so a bundle that another tool only
// re-encoded (jq, an editor: indentation, key order, "<" for \u003c) is
// not taken for a changed one. nil when data is not JSON.
func canonicalJSON(data []byte) []byte {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return nil
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return out
}

// sameJSON says whether a and b are the same JSON value.
func sameJSON(a, b []byte) bool {
	ca, cb := canonicalJSON(a), canonicalJSON(b)
	return ca != nil && bytes.Equal(ca, cb)
}

func verdictOf(raw json.RawMessage) string {
	var v struct {
		Result string `json:"result"`
	}
	if json.Unmarshal(raw, &v) == nil && len(v.Result) < 32 {
		return v.Result
	}
	return ""
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Marshal writes the bundle as indented JSON.
func (b *Bundle) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(b); err != nil {
		return nil, err
	}
	return safetext.JSON(buf.Bytes()), nil
}

// FileName is a safe file name for the bundle: its source's last element
// and EvidenceExt ("demo#3.sealtrace.json").
func (b *Bundle) FileName() string {
	base := strings.TrimSuffix(filepath.Base(strings.ReplaceAll(b.Source, `\`, "/")), ".eml")
	return safetext.FileName(base+EvidenceExt, "message"+EvidenceExt)
}

// WriteFile writes the bundle into dir under FileName, never over an
// existing file (a second one gets "-2", "-3", … before the extension); it
// returns the path written.
func (b *Bundle) WriteFile(dir string) (string, error) {
	data, err := b.Marshal()
	if err != nil {
		return "", err
	}
	name := b.FileName()
	stem := strings.TrimSuffix(name, EvidenceExt)
	for n := 1; n < 1000; n++ {
		p := filepath.Join(dir, name)
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			name = fmt.Sprintf("%s-%d%s", stem, n+1, EvidenceExt)
			continue
		}
		if err != nil {
			return "", err
		}
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return p, err
	}
	return "", fmt.Errorf("%s: too many bundles of the same name", name)
}

// bundleWire is what ReadBundle decodes first: the large or nested parts
// are kept raw, so their sizes are checked before they are decoded.
type bundleWire struct {
	Format             string          `json:"format"`
	FormatVersion      int             `json:"format_version"`
	SealtraceVersion   string          `json:"sealtrace_version"`
	Recorded           time.Time       `json:"recorded"`
	Source             string          `json:"source"`
	EvaluationTime     time.Time       `json:"evaluation_time"`
	Message            string          `json:"message"`
	SPF                SPFInputs       `json:"spf"`
	TrustedAuthservIDs []string        `json:"trusted_authserv_ids"`
	DNS                json.RawMessage `json:"dns"`
	Report             json.RawMessage `json:"report"`
}

// ReadBundle reads a bundle from r, at most MaxBundleBytes, and checks its
// shape: the format and version, the message's base64 and size, the sizes
// of its sections, and that its DNS answers read back (resolver.NewReplay).
// Every error wraps ErrBundle and says what is wrong.
func ReadBundle(r io.Reader) (*Bundle, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrBundle, safetext.Terminal(fmt.Sprintf(format, a...)))
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxBundleBytes+1))
	if err != nil {
		return nil, bad("reading: %v", err)
	}
	if len(data) > MaxBundleBytes {
		return nil, bad("over %d MiB", MaxBundleBytes>>20)
	}
	var w bundleWire
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&w); err != nil {
		return nil, bad("not a bundle's JSON: %.200s", err.Error())
	}
	if dec.More() {
		return nil, bad("more than one JSON value")
	}
	switch {
	case w.Format != EvidenceFormat:
		return nil, bad("format is %.40q, not %q", w.Format, EvidenceFormat)
	case w.FormatVersion != EvidenceFormatVersion:
		return nil, bad("format version %d; this Sealtrace reads version %d", w.FormatVersion, EvidenceFormatVersion)
	case len(w.Source) > 4096, len(w.SealtraceVersion) > 64, len(w.TrustedAuthservIDs) > 64:
		return nil, bad("a field is absurdly long")
	case len(w.DNS) > MaxBundleDNSBytes:
		return nil, bad("its DNS section is over %d MiB", MaxBundleDNSBytes>>20)
	case len(w.Report) > MaxBundleReportBytes:
		return nil, bad("its report is over %d MiB", MaxBundleReportBytes>>20)
	case len(w.Report) == 0 || w.Report[0] != '{':
		return nil, bad("it has no report")
	case w.EvaluationTime.IsZero():
		return nil, bad("it has no evaluation time")
	}
	for _, s := range []string{w.SPF.IPFrom, w.SPF.HELOFrom, w.SPF.MailFromFrom} {
		if s != "" && s != FromGiven && s != FromMessage {
			return nil, bad("an SPF input comes from %.20q (given, message or empty)", s)
		}
	}
	if len(w.Message) > mailbox.MaxMessageBytes/3*4+4 {
		return nil, bad("its message is over %d MiB", mailbox.MaxMessageBytes>>20)
	}
	msg, err := base64.StdEncoding.DecodeString(w.Message)
	if err != nil {
		return nil, bad("its message is not base64: %v", err)
	}
	if len(msg) == 0 {
		return nil, bad("it has no message")
	}
	var report bytes.Buffer
	if err := json.Compact(&report, w.Report); err != nil {
		return nil, bad("its report: %v", err)
	}
	b := &Bundle{Format: w.Format, FormatVersion: w.FormatVersion, SealtraceVersion: w.SealtraceVersion, Recorded: w.Recorded,
		Source: w.Source, EvaluationTime: w.EvaluationTime, Message: msg, SPF: w.SPF, TrustedAuthservIDs: w.TrustedAuthservIDs,
		Report: report.Bytes()}
	if b.DNS, err = readEvidence(w.DNS); err != nil {
		return nil, bad("its DNS section: %v", err)
	}
	if _, err := resolver.NewReplay(b.DNS); err != nil {
		return nil, bad("%v", strings.TrimPrefix(err.Error(), "resolver: "))
	}
	return b, nil
}

// readEvidence decodes the DNS section one question at a time, counting, so
// that an absurd count is refused before it is held.
func readEvidence(raw json.RawMessage) ([]resolver.Evidence, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return []resolver.Evidence{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('[') {
		return nil, errors.New("not a list")
	}
	out := []resolver.Evidence{}
	for dec.More() {
		if len(out) == resolver.MaxEvidence {
			return nil, fmt.Errorf("more than %d questions", resolver.MaxEvidence)
		}
		var ev resolver.Evidence
		if err := dec.Decode(&ev); err != nil {
			return nil, fmt.Errorf("question %d: %.200s", len(out)+1, err.Error())
		}
		out = append(out, ev)
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return out, nil
}

// ReadBundleFile reads the bundle at path.
func ReadBundleFile(path string) (*Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadBundle(f)
}

// IsBundleName says whether a file name is a bundle's (ends with
// EvidenceExt, in any case).
func IsBundleName(name string) bool {
	return strings.HasSuffix(strings.ToLower(name), EvidenceExt)
}
