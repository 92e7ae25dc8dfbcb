package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sealtrace/sealtrace/inspect"
	"github.com/sealtrace/sealtrace/resolver"
)

// When a re-check evaluates the message (signature and key expiry, RFC
// 6376 3.5 x=; DNSSEC signature validity).
const (
	AtDelivery = "delivery" // the newest Received time: when it reached the mailbox
	AtHop      = "hop"      // the time one Received field records
	AtNow      = "now"      // the wall clock
)

// Recheck are the inputs a support engineer changes to inspect a message
// again: the evaluation time, the SPF inputs and the DNS source. A zero
// field keeps what the engine has (or what the message says).
type Recheck struct {
	Time string // AtDelivery, AtHop, AtNow; "": the engine's
	Hop  int    // with AtHop: which Received field, 1 = the oldest (report.hops order)
	// IP, HELO and MailFrom replace the SPF inputs found in the message.
	IP, HELO, MailFrom string
	// DNS, when set, replaces the DNS source (DNSServer, ZoneFiles with it).
	DNS       DNSMode
	DNSServer string
	ZoneFiles []string
}

// ErrNoTime is returned when the evaluation time asked for is not in the
// message.
var ErrNoTime = errors.New("the message does not say that time (no dated Received field)")

// EvalTime is the evaluation time rc asks for, read from the hops of prev
// (the report shown).
func (rc Recheck) EvalTime(prev *inspect.Report) (time.Time, string, error) {
	switch rc.Time {
	case AtNow:
		return time.Now(), "now", nil
	case AtDelivery:
		for i := len(prev.Hops) - 1; i >= 0; i-- {
			if t, err := time.Parse(time.RFC3339, prev.Hops[i].Time); err == nil {
				return t, fmt.Sprintf("at delivery (Received %d by %s)", i+1, orUnknownWord(prev.Hops[i].By)), nil
			}
		}
		return time.Time{}, "", ErrNoTime
	case AtHop:
		if rc.Hop < 1 || rc.Hop > len(prev.Hops) {
			return time.Time{}, "", fmt.Errorf("%w: there is no hop %d", ErrNoTime, rc.Hop)
		}
		h := prev.Hops[rc.Hop-1]
		t, err := time.Parse(time.RFC3339, h.Time)
		if err != nil {
			return time.Time{}, "", fmt.Errorf("%w: hop %d has no readable time", ErrNoTime, rc.Hop)
		}
		return t, fmt.Sprintf("as hop %d (%s) received it", rc.Hop, orUnknownWord(h.By)), nil
	}
	return time.Time{}, "", nil
}

// Recheck inspects raw again with the inputs rc changes; prev is the report
// shown (its hops give the evaluation time). The new report's recheck
// section says which inputs were used.
func (e *Engine) Recheck(ctx context.Context, raw []byte, source string, prev *inspect.Report, rc Recheck) (Result, error) {
	cfg := e.cfg
	// Keep the keys already read and the passphrase typed: only the inputs
	// named change.
	cfg.Keyring, cfg.KeyFiles, cfg.PassphraseFile, cfg.Passphrase = e.pgp.Keyring, nil, "", e.pgp.Passphrase
	in := &inspect.RecheckInputs{IP: rc.IP, HELO: rc.HELO, MailFrom: rc.MailFrom, TimeBasis: "as before"}
	t, basis, err := rc.EvalTime(prev)
	if err != nil {
		return Result{}, err
	}
	if !t.IsZero() {
		cfg.Now, in.TimeBasis = t, basis
	}
	if rc.IP != "" {
		cfg.IP = rc.IP
	}
	if rc.HELO != "" {
		cfg.HELO = rc.HELO
	}
	if rc.MailFrom != "" {
		cfg.MailFrom = rc.MailFrom
	}
	if rc.DNS != "" {
		cfg.Resolver, cfg.DNS, cfg.DNSServer, cfg.ZoneFiles = nil, rc.DNS, rc.DNSServer, rc.ZoneFiles
	}
	eng, err := New(cfg)
	if err != nil {
		return Result{}, err
	}
	if !cfg.Now.IsZero() {
		in.EvaluationTime = cfg.Now.UTC().Format(time.RFC3339)
	} else {
		in.EvaluationTime = time.Now().UTC().Format(time.RFC3339)
	}
	in.DNS = resolver.Describe(eng.Resolver()).String()
	r := eng.Inspect(ctx, raw, source)
	r.Report.Recheck = in
	return r, nil
}
