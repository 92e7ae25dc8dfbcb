package inspect

import (
	"context"
	"fmt"
	"net"
	"strings"

	"blitiri.com.ar/go/spf"
	"github.com/sealtrace/sealtrace/resolver"
	"github.com/sealtrace/sealtrace/trace"
)

// spfInputs are what an SPF check needs (RFC 7208 4.1), and where each came
// from, for the report.
type spfInputs struct {
	ip       net.IP
	helo     string
	mailFrom string
	why      []string
}

// deriveSPFInputs takes the inputs from opts where given, else from the
// message: the connecting IP and HELO name from the Received field of the
// last hop into the receiving organisation (spfBoundary), the envelope
// sender from Return-Path (RFC 5321 4.4).
func deriveSPFInputs(m *Message, hops []Hop, opts Options) spfInputs {
	in := spfInputs{helo: opts.HELO, mailFrom: opts.MailFrom}
	if opts.IP != "" {
		in.ip = net.ParseIP(opts.IP)
		in.why = append(in.why, "the IP address "+opts.IP+" was given for this check, not read from the message")
	} else {
		ids := opts.TrustedAuthservIDs
		if len(ids) == 0 {
			ids = []string{topAuthservID(m)}
		}
		if pick, why := spfBoundary(hops, ids); pick >= 0 {
			h := hops[pick]
			in.ip = net.ParseIP(h.IP)
			in.why = append(in.why, why)
			if in.helo == "" {
				// The HELO name: Exim's helo= and qmail's (HELO x) apart
				// from the host; elsewhere the host is the HELO name.
				in.helo = h.HELO
				if in.helo == "" && addrOf(h.From) == "" {
					in.helo = h.From
				}
				if in.helo != "" {
					in.why = append(in.why, "the HELO name "+in.helo+" comes from the same Received field")
				}
			}
		}
	}
	if in.helo != "" && opts.HELO != "" {
		in.why = append(in.why, "the HELO name "+opts.HELO+" was given for this check, not read from the message")
	}
	if in.mailFrom == "" {
		if f, ok := m.Get("Return-Path"); ok {
			rp := strings.TrimSpace(f.Value())
			rp = strings.TrimSuffix(strings.TrimPrefix(rp, "<"), ">")
			in.mailFrom = rp
			if rp == "" {
				in.why = append(in.why, "Return-Path is empty (<>), a bounce: SPF checks the HELO name instead")
			} else {
				in.why = append(in.why, "the envelope sender (MAIL FROM) "+rp+" comes from the Return-Path field the receiving server added")
			}
		}
	} else {
		in.why = append(in.why, "the envelope sender "+in.mailFrom+" was given for this check, not read from the message")
	}
	return in
}

func orUnknown(s string) string {
	if s == "" {
		return "an unnamed server"
	}
	return s
}

// checkSPF runs the SPF check with blitiri.com.ar/go/spf through the
// recorder, and turns each DNS lookup it made into a step.
func checkSPF(ctx context.Context, m *Message, hops []Hop, opts Options, rec *resolver.Recorder) SPFResult {
	in := deriveSPFInputs(m, hops, opts)
	r := SPFResult{Result: None, HELO: in.helo, MailFrom: in.mailFrom, Steps: []Step{}}
	step := func(what, result, detail, rfc string) {
		r.Steps = append(r.Steps, Step{Check: "spf", What: what, Result: result, Detail: detail, RFC: rfc})
	}
	if in.ip == nil {
		step("SPF asks whether the connecting server's IP address may send mail for the sender's domain, but no Received field names that IP address. Give it with --ip to check SPF.",
			None, "", "RFC 7208 4.1")
		return r
	}
	r.IP = in.ip.String()
	sender := in.mailFrom
	if sender == "" || !strings.Contains(sender, "@") {
		if in.helo == "" {
			step("There is neither an envelope sender nor a HELO name to check.", None, "", "RFC 7208 2.4")
			return r
		}
		// RFC 7208 2.4: a null sender is checked as postmaster@HELO.
		sender = "postmaster@" + in.helo
	}
	r.Domain = strings.ToLower(domainOf(sender))
	// The question has no result of its own: an information step.
	r.Steps = append(r.Steps, trace.Info("spf", fmt.Sprintf("SPF asks: may %s send mail for %s? %s.", r.IP, r.Domain, capitalize(strings.Join(in.why, "; "))), "", "RFC 7208 4.1"))

	tr := &spfTracer{rec: rec, domain: r.Domain, ip: in.ip}
	var decided string
	trace := func(format string, a ...any) {
		// Only the field that decided is taken from the trace; its text is
		// not shown (the library does not promise a format).
		if len(a) >= 1 && strings.HasPrefix(format, "%q ") {
			if f, ok := a[0].(string); ok {
				decided = f
			}
		}
		if strings.HasPrefix(format, "all:") {
			decided = "all"
		}
	}
	res, err := spf.CheckHostWithSender(in.ip, in.helo, sender,
		spf.WithContext(ctx), spf.WithResolver(tr), spf.WithTraceFunc(trace))
	r.Result = string(res)
	r.Record, r.Lookups, r.Void = tr.record, tr.lookups, tr.void
	r.Steps = append(r.Steps, tr.steps...)
	step(spfConclusion(res, err, decided, r), r.Result, fmt.Sprintf("DNS lookups counted: %d of 10; void lookups: %d of 2", tr.lookups, tr.void), spfRFC(res))
	return r
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func spfRFC(res spf.Result) string {
	switch res {
	case spf.Pass:
		return "RFC 7208 8.3"
	case spf.Fail:
		return "RFC 7208 8.4"
	case spf.SoftFail:
		return "RFC 7208 8.5"
	case spf.Neutral:
		return "RFC 7208 8.2"
	case spf.TempError:
		return "RFC 7208 8.6"
	case spf.PermError:
		return "RFC 7208 8.7"
	}
	return "RFC 7208 8.1"
}

func spfConclusion(res spf.Result, err error, decided string, r SPFResult) string {
	by := ""
	if decided != "" {
		by = " The deciding term was \"" + decided + "\"."
	}
	switch res {
	case spf.Pass:
		return fmt.Sprintf("SPF passes: %s is allowed to send mail for %s.%s", r.IP, r.Domain, by)
	case spf.Fail:
		return fmt.Sprintf("SPF fails: %s says %s is NOT allowed to send its mail.%s", r.Domain, r.IP, by)
	case spf.SoftFail:
		return fmt.Sprintf("SPF soft-fails: %s says %s is probably not allowed to send its mail, but asks receivers not to reject it outright.%s", r.Domain, r.IP, by)
	case spf.Neutral:
		return fmt.Sprintf("SPF is neutral: %s makes no statement about %s.%s", r.Domain, r.IP, by)
	case spf.None:
		return fmt.Sprintf("SPF has no answer: %s publishes no SPF record.", r.Domain)
	case spf.TempError:
		return fmt.Sprintf("SPF could not be checked because of a temporary DNS problem (%v); a receiver would try again later.", err)
	case spf.PermError:
		return fmt.Sprintf("SPF is broken for %s: its record cannot be evaluated (%v).", r.Domain, err)
	}
	return string(res)
}

// spfTracer is the resolver the SPF library asks. It counts the lookups the
// way RFC 7208 4.6.4 does (the first TXT record is free; address lookups of
// MX hosts and PTR names are not counted) and records each as a step.
type spfTracer struct {
	rec     *resolver.Recorder
	ip      net.IP
	domain  string
	record  string
	txts    int
	lookups int
	void    int
	mxHosts map[string]bool
	ptrs    map[string]bool
	steps   []Step
}

func (t *spfTracer) add(what string, counted bool, err error, n int, detail string) {
	// A lookup has no result word (the verdict is the last step's): its
	// kind says whether it found something (ok), nothing (info), or could
	// not ask (temperror).
	kind, result := trace.KindOK, ""
	if n == 0 {
		kind = trace.KindInfo
	}
	if counted {
		t.lookups++
		what += fmt.Sprintf(" (DNS lookup %d of 10)", t.lookups)
		if n == 0 && (err == nil || isNotFoundErr(err)) {
			t.void++
			what += fmt.Sprintf("; it found nothing (void lookup %d of 2)", t.void)
		}
	}
	if err != nil && !isNotFoundErr(err) {
		kind, result = trace.KindTempError, TempError
	}
	t.steps = append(t.steps, Step{Check: "spf", What: what, Kind: kind, Result: result, Detail: detail, RFC: "RFC 7208 4.6.4"})
}

func isNotFoundErr(err error) bool {
	de, ok := err.(*net.DNSError)
	return ok && de.IsNotFound
}

func (t *spfTracer) LookupTXT(ctx context.Context, name string) ([]string, error) {
	txts, err := t.rec.LookupTXT(ctx, name)
	var rec string
	for _, s := range txts {
		if strings.HasPrefix(strings.ToLower(s), "v=spf1") {
			rec = s
		}
	}
	t.txts++
	n := strings.TrimSuffix(name, ".")
	switch {
	case rec != "" && t.txts == 1:
		t.record = rec
		t.add("Fetched the SPF record of "+n+": "+rec, false, err, 1, explainTerms(rec, t.ip))
	case rec != "":
		t.add("Followed include/redirect to "+n+", whose SPF record is: "+rec, true, err, 1, explainTerms(rec, t.ip))
	case t.txts == 1:
		t.add("Looked for the SPF record of "+n+" and found none.", false, err, 0, errText(err))
	default:
		t.add("Followed include/redirect to "+n+", which has no SPF record.", true, err, 0, errText(err))
	}
	return txts, err
}

func (t *spfTracer) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	mxs, err := t.rec.LookupMX(ctx, name)
	var hosts []string
	if t.mxHosts == nil {
		t.mxHosts = map[string]bool{}
	}
	for _, mx := range mxs {
		hosts = append(hosts, mx.Host)
		t.mxHosts[strings.ToLower(strings.TrimSuffix(mx.Host, "."))] = true
	}
	t.add("Looked up the mail servers (MX) of "+strings.TrimSuffix(name, ".")+" for an mx term: "+listOrNone(hosts), true, err, len(mxs), errText(err))
	return mxs, err
}

func (t *spfTracer) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	addrs, err := t.rec.LookupIPAddr(ctx, host)
	var ips []string
	for _, a := range addrs {
		ips = append(ips, a.IP.String())
	}
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if t.mxHosts[h] || t.ptrs[h] {
		t.add("Looked up the addresses of "+h+": "+listOrNone(ips), false, err, len(ips), errText(err))
	} else {
		t.add("Looked up the addresses of "+h+" for an a or exists term: "+listOrNone(ips), true, err, len(ips), errText(err))
	}
	return addrs, err
}

func (t *spfTracer) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	names, err := t.rec.LookupAddr(ctx, addr)
	if t.ptrs == nil {
		t.ptrs = map[string]bool{}
	}
	for _, n := range names {
		t.ptrs[strings.ToLower(strings.TrimSuffix(n, "."))] = true
	}
	t.add("Looked up the name of "+addr+" (PTR) for a ptr term, which RFC 7208 5.5 discourages: "+listOrNone(names), true, err, len(names), errText(err))
	return names, err
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// explainTerms says what each term of a record means, left to right, as a
// receiver evaluates them (RFC 7208 4.6): ip4/ip6 are matched here against
// the IP; the others need DNS, and the lookup steps say what they found.
func explainTerms(record string, ip net.IP) string {
	var lines []string
	decided := false // an ip4/ip6 term matched: the terms after it are not evaluated
	for _, term := range strings.Fields(record)[1:] {
		if decided {
			lines = append(lines, term+": not reached (an earlier term decided)")
			continue
		}
		q, mech := "+", term
		if strings.ContainsRune("+-~?", rune(term[0])) {
			q, mech = term[:1], term[1:]
		}
		verdict := map[string]string{"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}[q]
		lower := strings.ToLower(mech)
		var what string
		switch {
		case strings.HasPrefix(lower, "ip4:") || strings.HasPrefix(lower, "ip6:"):
			cidr := mech[4:]
			if !strings.Contains(cidr, "/") {
				if strings.HasPrefix(lower, "ip4:") {
					cidr += "/32"
				} else {
					cidr += "/128"
				}
			}
			_, nw, err := net.ParseCIDR(cidr)
			switch {
			case err != nil:
				what = "is not a valid address range (a permanent error)"
			case nw.Contains(ip):
				what = fmt.Sprintf("covers %s: it matches, and the result is %s", ip, verdict)
				decided = true
			default:
				what = fmt.Sprintf("does not cover %s", ip)
			}
		case lower == "all":
			what = "matches every IP that got this far: the result is " + verdict
		case strings.HasPrefix(lower, "include:"):
			what = "asks the SPF record of " + mech[8:] + "; if that one passes, this term matches (" + verdict + ")"
		case lower == "a" || strings.HasPrefix(lower, "a:") || strings.HasPrefix(lower, "a/"):
			what = "matches if the IP is an address (A/AAAA) of the domain named; result " + verdict
		case lower == "mx" || strings.HasPrefix(lower, "mx:") || strings.HasPrefix(lower, "mx/"):
			what = "matches if the IP is one of the domain's mail servers (MX); result " + verdict
		case strings.HasPrefix(lower, "exists:"):
			what = "matches if the name exists in DNS; result " + verdict
		case lower == "ptr" || strings.HasPrefix(lower, "ptr:"):
			what = "matches on the IP's reverse DNS name (discouraged by RFC 7208 5.5); result " + verdict
		case strings.HasPrefix(lower, "redirect="):
			what = "if nothing else matched, the record of " + mech[9:] + " decides instead"
		case strings.HasPrefix(lower, "exp="):
			what = "names an explanation for failures (no effect on the result)"
		default:
			what = "is not a term Sealtrace explains"
		}
		lines = append(lines, term+": "+what)
	}
	return strings.Join(lines, "\n")
}
