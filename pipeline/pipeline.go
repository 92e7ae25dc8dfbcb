// Package pipeline is the one path a message takes through Sealtrace, for
// the desktop app and the command-line tool alike:
//
//	Source (files, mbox spans, pasted bytes, the demo, an IMAP folder)
//	  → Engine.Run: several workers, reports handed back in source order
//	  → inspect.Inspect (SPF, DKIM, DMARC, ARC, claims, hops)
//	  → the OpenPGP section joined (decrypt, verify, cross-check with DKIM)
//	  → the caller's emit (the CLI's printer, the app's list)
//
// A Config says where DNS answers come from (the system resolver, a given
// server, offline zone files, or a resolver made by the caller such as the
// demo's), which trust anchors the DNSSEC validator starts from (the IANA root
// anchors built into Sealtrace unless a file is named), which OpenPGP keys to
// use, which receivers' Authentication-Results to believe, and the
// evaluation time. New turns it into an Engine once: resolvers, validators
// and keyrings are built here and nowhere else.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/sealtrace/sealtrace/inspect"
	"github.com/sealtrace/sealtrace/pgp"
	"github.com/sealtrace/sealtrace/resolver"
)

// DNSMode says where DNS answers come from.
type DNSMode string

const (
	DNSSystem DNSMode = "system" // the system's servers (resolv.conf; the network adapters' on Windows)
	DNSServer DNSMode = "server" // Config.DNSServer
	DNSZones  DNSMode = "zones"  // Config.ZoneFiles only, offline
)

// Config is what an inspection depends on besides the message.
type Config struct {
	DNS       DNSMode
	DNSServer string   // HOST:PORT, for DNSServer
	ZoneFiles []string // RFC 1035 master files, for DNSZones
	// Resolver, when set, answers instead of DNS/DNSServer/ZoneFiles (the
	// demo's zone, a test's).
	Resolver resolver.Resolver
	// TrustAnchorFile holds DS or DNSKEY records to start DNSSEC validation
	// from; empty means the IANA root anchors built into Sealtrace.
	TrustAnchorFile string

	// OpenPGP: the keys of KeyFiles, or Keyring when set (the demo's), and
	// the passphrase that unlocks the private ones (Passphrase, or the first
	// line of PassphraseFile).
	KeyFiles       []string
	Keyring        *pgp.Keyring
	Passphrase     []byte
	PassphraseFile string

	// TrustedAuthservIDs are the receivers whose Authentication-Results are
	// believed; empty means the topmost field's authserv-id.
	TrustedAuthservIDs []string
	// Now is the evaluation time (signature expiry, key expiry); zero means
	// the wall clock at each inspection. It never back-dates DNS queries.
	Now time.Time
	// IP, HELO and MailFrom override the SPF inputs found in the message.
	IP, HELO, MailFrom string
	// Workers is how many messages are inspected at once; 0 means one per
	// core.
	Workers int
	// Evidence makes Run record an evidence bundle of each message
	// (Result.Bundle; see Engine.Record).
	Evidence bool
}

// Engine is a Config made ready to inspect: its resolver built and its keys
// read. It is safe for concurrent use.
type Engine struct {
	cfg     Config
	inspect inspect.Options
	pgp     pgp.Options
	workers int
}

// ErrConfig wraps every error New returns: a setting that cannot be used.
var ErrConfig = errors.New("pipeline: configuration")

// New builds the resolver and reads the keys cfg names.
func New(cfg Config) (*Engine, error) {
	e := &Engine{cfg: cfg, workers: cfg.Workers}
	if e.workers < 1 {
		e.workers = runtime.GOMAXPROCS(0)
	}
	res, err := cfg.DNSResolver()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	e.inspect = inspect.Options{Resolver: res, IP: cfg.IP, HELO: cfg.HELO, MailFrom: cfg.MailFrom, TrustedAuthservIDs: cfg.TrustedAuthservIDs}
	if !cfg.Now.IsZero() {
		t := cfg.Now
		e.inspect.Now = func() time.Time { return t }
	}
	if e.pgp, err = cfg.OpenPGP(); err != nil {
		return nil, err
	}
	return e, nil
}

// OpenPGP reads the keys and the passphrase the configuration names (the
// keys alone, without building a resolver: a passphrase typed later needs
// no DNS).
func (c Config) OpenPGP() (pgp.Options, error) {
	o := pgp.Options{Keyring: c.Keyring, Passphrase: c.Passphrase, Now: c.Now}
	if o.Keyring == nil && len(c.KeyFiles) > 0 {
		kr, err := pgp.LoadKeyring(c.KeyFiles...)
		if err != nil {
			return o, fmt.Errorf("%w: %w", ErrConfig, err)
		}
		o.Keyring = kr
	}
	if c.PassphraseFile != "" {
		data, err := os.ReadFile(c.PassphraseFile)
		if err != nil {
			return o, fmt.Errorf("%w: passphrase file: %w", ErrConfig, err)
		}
		line, _, _ := strings.Cut(string(data), "\n")
		o.Passphrase = []byte(strings.TrimRight(line, "\r"))
	}
	return o, nil
}

// DNSResolver builds the DNS source the configuration asks for: the one
// place that does.
func (c Config) DNSResolver() (resolver.Resolver, error) {
	if c.Resolver != nil {
		return c.Resolver, nil
	}
	switch c.DNS {
	case DNSZones:
		z := resolver.NewZones()
		for _, f := range c.ZoneFiles {
			if err := z.LoadFile(f); err != nil {
				return nil, err
			}
		}
		return z, nil
	case DNSServer:
		return resolver.NewServer(c.DNSServer)
	case DNSSystem, "":
		return resolver.NewSystem()
	}
	return nil, fmt.Errorf("unknown DNS mode %q", c.DNS)
}

// Validator builds a DNSSEC validator that asks the configured server (or
// the system's resolver) and starts from the configured trust anchors.
// Offline zone files carry no signatures, so with them the system resolver
// is asked.
func (c Config) Validator() (*resolver.Validator, error) {
	anchors, err := Anchors(c.TrustAnchorFile)
	if err != nil {
		return nil, err
	}
	var srv *resolver.Server
	if c.DNS == DNSServer {
		srv, err = resolver.NewServer(c.DNSServer)
	} else {
		srv, err = resolver.NewSystem()
	}
	if err != nil {
		return nil, err
	}
	v := &resolver.Validator{Server: srv, Anchors: anchors}
	if !c.Now.IsZero() {
		t := c.Now
		v.Now = func() time.Time { return t }
	}
	return v, nil
}

// Config returns the configuration the engine was built from.
func (e *Engine) Config() Config { return e.cfg }

// Resolver is the engine's DNS source.
func (e *Engine) Resolver() resolver.Resolver { return e.inspect.Resolver }

// PGPOptions are the OpenPGP keys and passphrase the engine uses.
func (e *Engine) PGPOptions() pgp.Options { return e.pgp }

// WithPassphrase returns a copy of the engine that unlocks private keys
// with p (a passphrase the user typed).
func (e *Engine) WithPassphrase(p []byte) *Engine {
	c := *e
	c.pgp.Passphrase = p
	return &c
}

// Result is one message's outcome: its report (always set), the decrypted
// OpenPGP content (shown on its own, never written anywhere), and the error
// that kept it from being read or inspected, if any.
type Result struct {
	Item      Item
	Report    *inspect.Report
	Plaintext []byte
	Err       error
	// Bundle is the message's evidence, when Config.Evidence asked for it.
	Bundle *Bundle
	// Replay is set when the result was replayed from an evidence bundle.
	Replay *ReplayInfo
}

// Inspect inspects one message and joins its OpenPGP section. The report is
// always set; when the message cannot be read it carries the error.
func (e *Engine) Inspect(ctx context.Context, raw []byte, source string) Result {
	o := e.inspect
	o.Source = source
	return inspectWith(ctx, raw, o, e.pgp)
}

// JoinPGP finds the OpenPGP content of raw again with opts (a passphrase
// typed after the first inspection), replaces rep's OpenPGP section, and
// returns the decrypted content.
func JoinPGP(rep *inspect.Report, raw []byte, opts pgp.Options) []byte {
	rep.PGP = nil
	if pr := attachPGP(rep, raw, opts); pr != nil {
		return pr.Plaintext
	}
	return nil
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Run inspects every message src yields, e.workers at a time, and calls
// emit with each result in the order src yielded them, from one goroutine.
// Only a bounded window of messages is in memory. A message that could not
// be read is emitted with its error (and a report that says it). Run stops
// when src ends, when emit returns false, or when ctx is done; it returns
// ctx's error in the last case.
func (e *Engine) Run(ctx context.Context, src Source, emit func(Result) bool) error {
	type job struct {
		it   Item
		done chan Result
	}
	// At most about 3 messages per worker are in memory at once.
	jobs := make(chan *job, e.workers)
	order := make(chan *job, e.workers*2)
	stop := make(chan struct{})
	go func() {
		defer close(jobs)
		defer close(order)
		for ctx.Err() == nil {
			it, ok := src.Next(ctx)
			if !ok {
				return
			}
			j := &job{it: it, done: make(chan Result, 1)}
			select {
			case order <- j:
			case <-stop:
				return
			}
			select {
			case jobs <- j:
			case <-stop:
				return
			}
		}
	}()
	for range e.workers {
		go func() {
			for j := range jobs {
				if j.it.Err != nil {
					j.done <- Result{Item: j.it, Err: j.it.Err, Report: &inspect.Report{Source: j.it.Source, Error: j.it.Err.Error()}}
					continue
				}
				var r Result
				switch {
				case j.it.Bundle != nil:
					var err error
					if r, err = e.Replay(ctx, j.it.Bundle); err != nil {
						r.Err = err
					}
				case e.cfg.Evidence:
					r, r.Bundle = e.Record(ctx, j.it.Raw, j.it.Source)
				default:
					r = e.Inspect(ctx, j.it.Raw, j.it.Source)
				}
				r.Item = j.it
				if j.it.Returned {
					markReturned(r.Report)
				}
				j.done <- r
			}
		}()
	}
	stopped := false
	for j := range order {
		if stopped {
			continue // drain: the reader ends at its next send
		}
		var r Result
		select {
		case r = <-j.done:
		case <-ctx.Done():
			close(stop)
			stopped = true
			continue
		}
		if !emit(r) {
			close(stop)
			stopped = true
		}
	}
	return ctx.Err()
}
