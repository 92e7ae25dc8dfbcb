package inspect

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/miekg/dns"
	"github.com/sealtrace/sealtrace/internal/testpeers/dnstest"
	"github.com/sealtrace/sealtrace/resolver"
)

// Tests of issue 9's "bounded work" and "results that mean what they say":
// deterministic reports, the signature cap, the header index, the message
// deadline, DMARC temperror and d=/s= syntax.

// multiSigned returns plainMsg (with a Received field, so that SPF asks DNS
// too) signed by n domains d0.example … and the zone that publishes their
// keys, SPF and DMARC records.
func multiSigned(t testing.TB, n int) (string, *resolver.Zones) {
	t.Helper()
	z := resolver.NewZones()
	msg := "Received: from mail.example.com (mail.example.com [192.0.2.10]) by mx.receiver.test; Mon, 23 Nov 2026 10:00:05 +0000\r\n" + plainMsg
	for i := range n {
		d := fmt.Sprintf("d%d.example", i)
		var out bytes.Buffer
		if err := dkim.Sign(&out, strings.NewReader(msg), &dkim.SignOptions{Domain: d, Selector: "s1", Signer: testRSA}); err != nil {
			t.Fatal(err)
		}
		msg = out.String()
		z.Add(resolver.TXT("s1._domainkey."+d, rsaRecord(""), 300))
		z.Add(resolver.TXT("_dmarc."+d, "v=DMARC1; p=none", 300))
	}
	z.Add(resolver.TXT("example.com", "v=spf1 a mx include:spf.example.net ip4:192.0.2.0/24 -all", 300))
	z.Add(resolver.TXT("spf.example.net", "v=spf1 ip4:198.51.100.0/24 -all", 300))
	z.Add(resolver.TXT("_dmarc.example.com", "v=DMARC1; p=reject", 300))
	return msg, z
}

// The JSON report is the same bytes for the same message and evaluation
// time, although SPF, DKIM and ARC ask DNS concurrently (issue 9).
func TestReportJSONDeterministic(t *testing.T) {
	msg, z := multiSigned(t, 6)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	var first []byte
	for i := range 50 {
		// The evidence's times are the wall clock's: fixed here.
		rep, err := Inspect(context.Background(), []byte(msg), Options{Resolver: z, Now: func() time.Time { return now }, Clock: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = b
			if len(rep.DNS) < 8 {
				t.Fatalf("only %d DNS questions; the test needs several concurrent checks", len(rep.DNS))
			}
			continue
		}
		if !bytes.Equal(b, first) {
			t.Fatalf("run %d gave a different JSON report than run 0:\n%s\n---\n%s", i, first, b)
		}
	}
}

// countingSource counts the questions that reach DNS.
type countingSource struct {
	src resolver.Resolver
	mu  sync.Mutex
	n   map[string]int
}

func (c *countingSource) Query(ctx context.Context, name string, qtype uint16) (*resolver.Answer, error) {
	c.mu.Lock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[name]++
	c.mu.Unlock()
	return c.src.Query(ctx, name, qtype)
}

// A d= or s= that is not a domain name / selector is a permerror when the
// signature is read: no DNS question is ever made of markup such as
// `x](https://…)` (issue 9).
func TestDKIMDomainSyntax(t *testing.T) {
	z := resolver.NewZones()
	z.Add(resolver.TXT("s1._domainkey.example.com", rsaRecord(""), 300))
	sig := func(d, s string) string {
		return "DKIM-Signature: v=1; a=rsa-sha256; d=" + d + "; s=" + s + "; c=relaxed/relaxed; h=from; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA\r\n" + plainMsg
	}
	for _, c := range []struct{ d, s string }{
		{"x](https://evil.example/a.png)", "s1"},
		{"example.com", "x](https://evil.example/a.png)"},
		{"![](http://127.0.0.1:1/p.png)", "s1"},
		{"exa mple.com", "s1"},
		{"example..com", "s1"},
		{".example.com", "s1"},
		{"example.com", "s1.."},
		{"exa`mple.com", "s1"},
		{"example.com\\046evil", "s1"},
		{"a@example.com", "s1"},
		{"example.com", "s/1"},
		{strings.Repeat("a", 64) + ".example", "s1"},
		{strings.Repeat("abcdefghi.", 26) + "example", "s1"},
	} {
		src := &countingSource{src: z}
		m, err := Parse([]byte(sig(c.d, c.s)))
		if err != nil {
			t.Fatal(err)
		}
		res := verifyDKIM(context.Background(), m, newBodyHashes(m.Body), resolver.NewRecorder(src, nil), time.Now(), 0)
		if len(res) != 1 || res[0].Result != PermError {
			t.Errorf("d=%q s=%q: %+v, want permerror", c.d, c.s, res)
			continue
		}
		if len(src.n) != 0 {
			t.Errorf("d=%q s=%q: DNS was asked %v", c.d, c.s, src.n)
		}
		if !strings.Contains(res[0].Reason, "not a valid") {
			t.Errorf("d=%q s=%q: reason %q", c.d, c.s, res[0].Reason)
		}
	}
	// Valid forms still reach DNS: letters, digits, hyphens, underscores,
	// mixed case, and an internationalized domain (RFC 8616 3), asked as
	// its A-label.
	for _, c := range []struct{ d, s, asked string }{
		{"Example.COM", "s1", "s1._domainkey.example.com."},
		{"mail-1.example.com", "2024_01.k-2", "2024_01.k-2._domainkey.mail-1.example.com."},
		{"bücher.example", "s1", "s1._domainkey.xn--bcher-kva.example."},
	} {
		src := &countingSource{src: z}
		m, _ := Parse([]byte(sig(c.d, c.s)))
		res := verifyDKIM(context.Background(), m, newBodyHashes(m.Body), resolver.NewRecorder(src, nil), time.Now(), 0)
		if src.n[c.asked] != 1 {
			t.Errorf("d=%q s=%q: asked %v, want %s (result %s: %s)", c.d, c.s, src.n, c.asked, res[0].Result, res[0].Reason)
		}
	}
}

// temperror is not fail: a DNS failure in the DMARC walks, or an SPF/DKIM
// temperror for an identifier that would have aligned, leaves DMARC
// undecided (temperror) unless something aligned passed (issue 9, as mox's
// dmarc.Verify does).
func TestDMARCTempError(t *testing.T) {
	z := resolver.NewZones()
	z.Add(resolver.TXT("_dmarc.example.com", "v=DMARC1; p=reject", 300))
	src := faultyZones{Zones: z,
		servfail: map[string]bool{"_dmarc.broken.example.com.": true, "_dmarc.sub.example.com.": true},
		timeout:  map[string]bool{"_dmarc.slow.example.com.": true}}
	pass := func(d string) DKIMResult { return DKIMResult{Domain: d, Result: Pass} }
	temp := func(d string) DKIMResult { return DKIMResult{Domain: d, Result: TempError} }
	for _, c := range []struct {
		name string
		from string
		spf  SPFResult
		dkim []DKIMResult
		want string
	}{
		{"walk of the From domain fails above it", "a.sub.example.com", SPFResult{Result: Fail}, nil, TempError},
		{"walk of a DKIM domain fails (relaxed)", "example.com", SPFResult{Result: Fail}, []DKIMResult{pass("broken.example.com")}, TempError},
		{"walk of the SPF domain times out (relaxed)", "example.com", SPFResult{Result: Pass, Domain: "slow.example.com"}, nil, TempError},
		{"SPF temperror for the From domain", "example.com", SPFResult{Result: TempError, Domain: "example.com"}, nil, TempError},
		{"DKIM temperror for the From domain", "example.com", SPFResult{Result: Fail, Domain: "example.com"}, []DKIMResult{temp("example.com")}, TempError},
		{"DKIM temperror for a subdomain (relaxed)", "example.com", SPFResult{Result: Fail}, []DKIMResult{temp("mail.example.com")}, TempError},
		{"DKIM temperror, unrelated domain", "example.com", SPFResult{Result: Fail}, []DKIMResult{temp("evil.example")}, Fail},
		{"SPF temperror, unrelated domain", "example.com", SPFResult{Result: TempError, Domain: "evil.example"}, nil, Fail},
		{"aligned DKIM pass beside a temperror", "example.com", SPFResult{Result: TempError, Domain: "example.com"}, []DKIMResult{temp("example.com"), pass("example.com")}, Pass},
		{"exact match needs no walk", "example.com", SPFResult{Result: Fail}, []DKIMResult{pass("example.com")}, Pass},
	} {
		r := checkDMARC(context.Background(), resolver.NewRecorder(src, nil), c.from, c.spf, c.dkim)
		if r.Result != c.want {
			t.Errorf("%s: %s, want %s", c.name, r.Result, c.want)
			continue
		}
		last := r.Steps[len(r.Steps)-1]
		if c.want == TempError && (last.Result != TempError || !strings.Contains(last.What, "temperror")) {
			t.Errorf("%s: last step %+v", c.name, last)
		}
		if c.want == TempError && (r.Disposition != "none" || strings.Contains(last.What, "reject")) {
			t.Errorf("%s: a temperror says the receiver would reject: %s / %+v", c.name, r.Disposition, last)
		}
	}
}

// referenceSelect is RFC 6376 5.4.2 read plainly: for each name, scan the
// header from the bottom for the next unused instance.
func referenceSelect(m *Message, names []string) []int {
	var pos []int
	used := map[int]bool{}
	for _, name := range names {
		for i := len(m.Fields) - 1; i >= 0; i-- {
			if !used[i] && strings.EqualFold(m.Fields[i].Name, name) {
				used[i] = true
				pos = append(pos, i)
				break
			}
		}
	}
	return pos
}

// h= with 200,000 names over 4,000 header fields examines one candidate per
// name, not every field per name (issue 9); the fields chosen are the ones
// the plain reading of RFC 6376 5.4.2 chooses.
func TestSignedHeadersIndexed(t *testing.T) {
	var hdr strings.Builder
	for i := range 4000 {
		fmt.Fprintf(&hdr, "X-F%d: %d\r\n", i%500, i)
	}
	hdr.WriteString("From: a@example.com\r\n\r\nbody\r\n")
	m, err := Parse([]byte(hdr.String()))
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, 200000)
	for i := range 200000 {
		names = append(names, fmt.Sprintf("x-f%d", (i*7)%600)) // some absent, most repeated past their count
	}
	ix := indexFields(m)
	pos, probes := ix.selectFields(names)
	if probes > len(names) {
		t.Fatalf("%d fields examined for %d names over %d fields: the header is scanned per name", probes, len(names), len(m.Fields))
	}
	small := names[:3000]
	got, _ := ix.selectFields(small)
	if want := referenceSelect(m, small); !slices.Equal(got, want) {
		t.Fatalf("selected %v…, the reference %v…", got[:min(10, len(got))], want[:min(10, len(want))])
	}
	if len(pos) != 4000 {
		t.Errorf("%d fields selected, want all 4000", len(pos))
	}
	mixed, _ := Parse([]byte("A: 1\r\nb: 2\r\na: 3\r\nB: 4\r\nA: 5\r\n\r\n"))
	for _, h := range [][]string{{"a", "A", "a", "a"}, {"B", "b", "c", "b"}, {"b", "a", "B", "A"}} {
		got, _ := indexFields(mixed).selectFields(h)
		if want := referenceSelect(mixed, h); !slices.Equal(got, want) {
			t.Errorf("h=%v: %v, want %v", h, got, want)
		}
	}
}

// inflightSource tracks how many key lookups run at once; each waits a
// little, so that unbounded lookups would pile up.
type inflightSource struct {
	src           resolver.Resolver
	mu            sync.Mutex
	now, max, all int
}

func (s *inflightSource) Query(ctx context.Context, name string, qtype uint16) (*resolver.Answer, error) {
	if strings.Contains(name, "._domainkey.") {
		s.mu.Lock()
		s.now++
		s.all++
		s.max = max(s.max, s.now)
		s.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		defer func() { s.mu.Lock(); s.now--; s.mu.Unlock() }()
	}
	return s.src.Query(ctx, name, qtype)
}

// At most MaxDKIMSignatures signatures are evaluated (or Options'); the
// others are reported as not evaluated, with a step saying so, and cost no
// DNS question; key lookups run at most MaxKeyLookups at a time (issue 9).
func TestDKIMSignatureCap(t *testing.T) {
	msg, z := multiSigned(t, 15)
	for _, c := range []struct{ opt, want int }{{0, DefaultMaxDKIMSignatures}, {3, 3}} {
		src := &inflightSource{src: z}
		rep, err := Inspect(context.Background(), []byte(msg), Options{Resolver: src, MaxDKIMSignatures: c.opt})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.DKIM) != 15 {
			t.Fatalf("%d DKIM results, want one per signature (15)", len(rep.DKIM))
		}
		for i, d := range rep.DKIM {
			if i < c.want {
				if d.Result != Pass {
					t.Errorf("cap %d: signature %d (%s): %s (%s), want pass", c.want, i, d.Domain, d.Result, d.Reason)
				}
				continue
			}
			if d.Result != Neutral || !strings.Contains(d.Reason, "not evaluated") || d.Domain == "" ||
				len(d.Steps) != 1 || !strings.Contains(d.Steps[0].What, fmt.Sprintf("only the first %d", c.want)) {
				t.Errorf("cap %d: signature %d: %s (%s) %+v, want neutral, not evaluated, with a step", c.want, i, d.Result, d.Reason, d.Steps)
			}
		}
		if src.all != c.want {
			t.Errorf("cap %d: %d key lookups, want %d", c.want, src.all, c.want)
		}
		if src.max > MaxKeyLookups {
			t.Errorf("%d key lookups ran at once, more than %d", src.max, MaxKeyLookups)
		}
	}
}

// A per-message deadline bounds all DNS work: against a DNS server that
// never answers, every check that needs DNS ends as temperror with a step
// that names the deadline, and the report says why (issue 9). The
// assertions are on the words, not on the time taken.
func TestDNSDeadline(t *testing.T) {
	msg, _ := multiSigned(t, 2)
	var asked atomic.Int32
	srv := dnstest.StartFunc(t, func(w dns.ResponseWriter, req *dns.Msg) { asked.Add(1) }) // never answers
	src, err := resolver.NewServer(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	src.Timeout = time.Hour // only the message's deadline can end the wait
	rep, err := Inspect(context.Background(), []byte(msg), Options{Resolver: src, DNSDeadline: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if asked.Load() == 0 {
		t.Fatal("the server was never asked")
	}
	saysDeadline := func(check string, steps []Step) {
		t.Helper()
		for _, s := range steps {
			if s.Result == TempError && strings.Contains(s.What, "deadline") && strings.Contains(s.What, "300ms") {
				return
			}
		}
		t.Errorf("%s: no temperror step names the deadline: %+v", check, steps)
	}
	if rep.SPF.Result != TempError {
		t.Errorf("SPF %s, want temperror", rep.SPF.Result)
	}
	saysDeadline("spf", rep.SPF.Steps)
	for i, d := range rep.DKIM {
		if d.Result != TempError {
			t.Errorf("DKIM %d: %s (%s), want temperror", i, d.Result, d.Reason)
		}
		saysDeadline("dkim", d.Steps)
	}
	if rep.DMARC.Result != TempError {
		t.Errorf("DMARC %s, want temperror", rep.DMARC.Result)
	}
	saysDeadline("dmarc", rep.DMARC.Steps)
	if !slices.ContainsFunc(rep.Warnings, func(w string) bool { return strings.Contains(w, "deadline") }) {
		t.Errorf("no warning about the deadline: %q", rep.Warnings)
	}
}

// An ARC chain whose key cannot be fetched is temperror, not broken.
func TestARCKeyTempError(t *testing.T) {
	msg := "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=slow.example; s=s1; t=1700000000; b=AAAA\r\n" +
		"ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=slow.example; s=s1; h=from; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA\r\n" +
		"ARC-Authentication-Results: i=1; mx.slow.example; spf=pass smtp.mailfrom=example.com\r\n" + plainMsg
	m, err := Parse([]byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	src := faultyZones{Zones: resolver.NewZones(), timeout: map[string]bool{"s1._domainkey.slow.example.": true}}
	r := validateARC(context.Background(), m, newBodyHashes(m.Body), resolver.NewRecorder(src, nil))
	if r.Result != TempError {
		t.Errorf("ARC %s (%s), want temperror", r.Result, r.Reason)
	}
}

// prepare computes every l= of a canonicalization and hash in one pass over
// the body, and each prefix hash equals the hash of the canonical body cut
// at l (computed the plain way, one pass per l).
func TestBodyHashPrefixes(t *testing.T) {
	for _, body := range []string{"", "\r\n\r\n", "a  b \t\r\nc\r\n\r\n \r\n", "no final newline  ", strings.Repeat("line  with\tspace \r\n", 5000)} {
		var keys []bodyKey
		for _, relaxed := range []bool{false, true} {
			for _, hn := range []string{"sha1", "sha256"} {
				total := int64(len(canonBody([]byte(body), relaxed)))
				for _, l := range []int64{-1, 0, 1, total / 3, total / 2, total - 1, total, total + 1, total * 2} {
					keys = append(keys, bodyKey{relaxed, hn, l})
				}
			}
		}
		bh := newBodyHashes([]byte(body))
		bh.prepare(keys)
		for _, k := range keys {
			got, total, err := bh.sum(k.relaxed, k.hash, k.l)
			h := newHash(k.hash)
			var w io.Writer = h
			if k.l >= 0 {
				w = &limitWriter{w: h, n: k.l}
			}
			wantTotal := writeCanonBody(w, []byte(body), k.relaxed)
			if total != wantTotal {
				t.Fatalf("%q %+v: total %d, want %d", body, k, total, wantTotal)
			}
			if k.l > wantTotal {
				if err != errLTooLong {
					t.Errorf("%q %+v: %v, want errLTooLong", body, k, err)
				}
				continue
			}
			if err != nil || !bytes.Equal(got, h.Sum(nil)) {
				t.Errorf("%q %+v: wrong prefix hash (%v)", body, k, err)
			}
		}
		if p := bh.passes.Load(); p != 4 {
			t.Errorf("%q: %d passes over the body for 4 canonicalization/hash pairs and %d lengths", body, p, len(keys))
		}
	}
}

// The evaluation time (--now) never back-dates the DNS evidence: each answer
// says when it was really asked.
func TestEvidenceTimeIsWallClock(t *testing.T) {
	msg, z := multiSigned(t, 2)
	before := time.Now()
	past := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	rep, err := Inspect(context.Background(), []byte(msg), Options{Resolver: z, Now: func() time.Time { return past }})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.DNS) == 0 {
		t.Fatal("no DNS evidence")
	}
	for _, ev := range rep.DNS {
		if ev.Time.Before(before) {
			t.Errorf("%s %s is stamped %v, before the inspection began (%v): the evaluation time leaked into it", ev.Name, ev.Type, ev.Time, before)
		}
	}
}

// Pasted headers (no body at all): a DKIM signature is checked over its
// header fields only. It is neutral when they hold, never a "body hash
// mismatch" fail, and fail when a signed header was changed.
func TestHeadersOnlyDKIM(t *testing.T) {
	msg, z := multiSigned(t, 1)
	head := msg[:strings.Index(msg, "\r\n\r\n")+2] // the header section, without the blank line
	rep, err := Inspect(context.Background(), []byte(head), Options{Resolver: z})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.DKIM) != 1 || rep.DKIM[0].Result != Neutral || rep.DKIM[0].Code == CodeBodyHashMismatch {
		t.Fatalf("headers only: %+v", rep.DKIM)
	}
	changed := strings.Replace(head, "Subject: ", "Subject: Re: ", 1)
	if changed == head {
		t.Fatal("the test message has no Subject to change")
	}
	rep, _ = Inspect(context.Background(), []byte(changed), Options{Resolver: z})
	if rep.DKIM[0].Result != Fail || rep.DKIM[0].Code != CodeSignatureMismatch {
		t.Errorf("headers only, Subject changed: %s %s", rep.DKIM[0].Result, rep.DKIM[0].Reason)
	}
}
