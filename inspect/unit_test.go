package inspect

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/sealtrace/sealtrace/internal/testpeers/dnstest"
	"github.com/sealtrace/sealtrace/resolver"
)

// RFC 6376 3.4.5's own example.
func TestCanonicalizationRFCExample(t *testing.T) {
	h1, h2 := []byte("A: X\r\n"), []byte("B : Y\t\r\n\tZ  \r\n")
	if got := string(canonHeader(h1, true)) + string(canonHeader(h2, true)); got != "a:X\r\nb:Y Z\r\n" {
		t.Errorf("relaxed header: %q", got)
	}
	if got := string(canonHeader(h2, false)); got != string(h2) {
		t.Errorf("simple header changed: %q", got)
	}
	body := []byte(" C \r\nD \t E\r\n\r\n\r\n")
	if got := string(canonBody(body, true)); got != " C\r\nD E\r\n" {
		t.Errorf("relaxed body: %q", got)
	}
	if got := string(canonBody(body, false)); got != " C \r\nD \t E\r\n" {
		t.Errorf("simple body: %q", got)
	}
	// Empty bodies (RFC 6376 3.4.3, 3.4.4).
	if got := string(canonBody(nil, false)); got != "\r\n" {
		t.Errorf("simple empty body: %q", got)
	}
	if got := string(canonBody([]byte("\r\n\r\n"), true)); got != "" {
		t.Errorf("relaxed empty body: %q", got)
	}
	if got := string(canonBody([]byte("no final newline"), true)); got != "no final newline\r\n" {
		t.Errorf("relaxed unterminated: %q", got)
	}
}

func TestParseTags(t *testing.T) {
	for _, c := range []struct {
		in      string
		lenient bool
		ok      bool
		tags    int
	}{
		{"v=1; a=rsa-sha256; d=example.com", false, true, 3},
		{"v=1; a=rsa-sha256;", false, true, 2},
		{" v = 1 ;\r\n\ta=rsa-sha256", false, true, 2},
		{"v=1;; a=x", false, false, 0},
		{"v=1;; a=x", true, true, 2},
		{"v=1; v=2", false, false, 0},
		{"v=1; novalue", false, false, 0},
		{"1v=1", false, false, 0},
		{"", false, true, 0},
	} {
		tl, err := parseTags(c.in, c.lenient)
		if (err == nil) != c.ok {
			t.Errorf("%q: error %v, want ok=%v", c.in, err, c.ok)
			continue
		}
		if err == nil && len(tl.names) != c.tags {
			t.Errorf("%q: %d tags, want %d", c.in, len(tl.names), c.tags)
		}
	}
}

func TestStripB(t *testing.T) {
	raw := []byte("DKIM-Signature: v=1; bh=abc=; b=SIG\r\n\tNATURE; d=x\r\n")
	if got := string(stripB(raw)); got != "DKIM-Signature: v=1; bh=abc=; b=; d=x\r\n" {
		t.Errorf("%q", got)
	}
	raw = []byte("DKIM-Signature:a=;;\r\n") // found by FuzzTags: no b= and a trailing ";;"
	if got := string(stripB(raw)); got != string(raw) {
		t.Errorf("%q", got)
	}
	raw = []byte("ARC-Seal: i=1; cv=none; b=SIG\r\n")
	if got := string(stripB(raw)); got != "ARC-Seal: i=1; cv=none; b=\r\n" {
		t.Errorf("%q", got)
	}
}

func TestParseReceived(t *testing.T) {
	for _, c := range []struct {
		in                      string
		from, rdns, ip, by, tls string
		time                    string
	}{
		{"from mail.example.com (mail.example.com [192.0.2.10]) by mx.receiver.test (Postfix) with ESMTPS id 4X (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)) for <b@receiver.test>; Mon, 23 Nov 2026 10:00:05 +0000",
			"mail.example.com", "mail.example.com", "192.0.2.10", "mx.receiver.test", "TLSv1.3 TLS_AES_256_GCM_SHA384", "2026-11-23T10:00:05Z"},
		{"from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41]) by mx.google.com with SMTPS id x2sor; Tue, 03 Jan 2017 12:32:02 -0800 (PST)",
			"mail-sor-f41.google.com", "mail-sor-f41.google.com", "209.85.220.41", "mx.google.com", "TLS (SMTPS)", "2017-01-03T12:32:02-08:00"},
		{"from [IPv6:2001:db8::1] (helo=client) by smtp.example.org with esmtpsa (TLS1.3) tls TLS_AES_128_GCM_SHA256 (Exim 4.96) (envelope-from <a@b>) id 1q; Mon, 23 Nov 2026 10:00:00 +0100",
			"[IPv6:2001:db8::1]", "", "2001:db8::1", "smtp.example.org", "TLSv1.3 TLS_AES_128_GCM_SHA256", "2026-11-23T10:00:00+01:00"},
		{"by 10.157.14.6 with HTTP; Tue, 3 Jan 2017 12:22:54 -0800 (PST)",
			"", "", "", "10.157.14.6", "none stated", "2017-01-03T12:22:54-08:00"},
		{"garbage without structure", "", "", "", "", "none stated", ""},
	} {
		h := parseReceived(c.in)
		if h.From != c.from || h.RDNS != c.rdns || h.IP != c.ip || h.By != c.by || h.TLS != c.tls || h.Time != c.time {
			t.Errorf("%q:\n got  from=%q rdns=%q ip=%q by=%q tls=%q time=%q\n want from=%q rdns=%q ip=%q by=%q tls=%q time=%q",
				c.in, h.From, h.RDNS, h.IP, h.By, h.TLS, h.Time, c.from, c.rdns, c.ip, c.by, c.tls, c.time)
		}
	}
}

func TestHopsDelayAndSkew(t *testing.T) {
	m, err := Parse([]byte("Received: from b (b [192.0.2.2]) by c; Mon, 23 Nov 2026 10:00:00 +0000\r\n" +
		"Received: from a (a [192.0.2.1]) by b; Mon, 23 Nov 2026 10:05:00 +0000\r\n" +
		"Date: Mon, 23 Nov 2026 10:04:00 +0000\r\nFrom: x@example.com\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	hops := parseHops(m)
	if len(hops) != 2 || hops[0].By != "b" || hops[1].By != "c" {
		t.Fatalf("hops %+v", hops)
	}
	if hops[0].DelaySeconds == nil || *hops[0].DelaySeconds != 60 || hops[0].ClockSkew {
		t.Errorf("first hop: %+v", hops[0])
	}
	if hops[1].DelaySeconds == nil || *hops[1].DelaySeconds != -300 || !hops[1].ClockSkew {
		t.Errorf("second hop should be flagged for clock skew: %+v", hops[1])
	}
}

// askLog is a source that notes the questions in the order they are asked.
type askLog struct {
	src   resolver.Resolver
	mu    sync.Mutex
	asked []string
}

func (a *askLog) Query(ctx context.Context, name string, qtype uint16) (*resolver.Answer, error) {
	a.mu.Lock()
	a.asked = append(a.asked, name)
	a.mu.Unlock()
	return a.src.Query(ctx, name, qtype)
}

func TestDMARCTreeWalk(t *testing.T) {
	z := dnstest.Zones(t,
		`$TTL 300`,
		`example.com. IN A 192.0.2.1`,
		`_dmarc.example.com. IN TXT "v=DMARC1; p=reject; sp=quarantine; np=reject"`,
		`sub.example.com. IN A 192.0.2.2`,
		`_dmarc.own.example.com. IN TXT "v=DMARC1; p=none"`,
		`_dmarc.psd. IN TXT "v=DMARC1; p=reject; psd=y"`,
		`_dmarc.org.psd. IN TXT "v=DMARC1; p=none; t=y"`,
		`_dmarc.test.example.net. IN TXT "v=DMARC1; p=reject; t=y"`,
		`_dmarc.multi.example. IN TXT "v=DMARC1; p=reject"`,
		`_dmarc.multi.example. IN TXT "v=DMARC1; p=none"`,
		`_dmarc.b.example.co.uk. IN TXT "v=DMARC1; p=quarantine"`,
	)
	ctx := context.Background()
	for _, c := range []struct {
		from        string
		policy      string
		disposition string
		org         string
		psl         string
		result      string
	}{
		{"example.com", "reject", "reject", "example.com", "", Fail},
		{"sub.example.com", "quarantine", "quarantine", "example.com", "", Fail},                        // sp=
		{"gone.example.com", "reject", "reject", "example.com", "", Fail},                               // np= (NXDOMAIN)
		{"x.own.example.com", "none", "none", "example.com", "", Fail},                                  // closest record applies; org is the highest
		{"shop.psd", "reject", "reject", "shop.psd", "", Fail},                                          // psd=y: org is one label below
		{"a.b.c.d.e.test.example.net", "reject", "quarantine", "test.example.net", "example.net", Fail}, // 8 labels: jump to 4
		{"test.example.net", "reject", "quarantine", "test.example.net", "example.net", Fail},           // t=y: one step less
		{"multi.example", "none", "none", "multi.example", "", None},                                    // two records: both ignored
		{"a.b.example.co.uk", "quarantine", "quarantine", "b.example.co.uk", "example.co.uk", Fail},
	} {
		src := &askLog{src: z}
		rec := resolver.NewRecorder(src, nil)
		r := checkDMARC(ctx, rec, c.from, SPFResult{Result: Fail}, nil)
		if r.Policy != c.policy || r.Disposition != c.disposition || r.OrgDomain != c.org || r.OrgDomainPSL != c.psl || r.Result != c.result {
			t.Errorf("%s: policy %s disposition %s org %s psl %q result %s; want %s %s %s %q %s", c.from,
				r.Policy, r.Disposition, r.OrgDomain, r.OrgDomainPSL, r.Result, c.policy, c.disposition, c.org, c.psl, c.result)
		}
		if c.from == "a.b.c.d.e.test.example.net" {
			// The order of the questions (the evidence is sorted by name).
			asked := src.asked
			want := "_dmarc.a.b.c.d.e.test.example.net. _dmarc.e.test.example.net. _dmarc.test.example.net. _dmarc.example.net."
			if got := strings.Join(asked[:4], " "); got != want {
				t.Errorf("tree walk asked %s\nwant %s", got, want)
			}
		}
	}
}

func TestDMARCAlignment(t *testing.T) {
	z := dnstest.Zones(t,
		`_dmarc.example.com. 300 IN TXT "v=DMARC1; p=reject"`,
		`_dmarc.strict.example. 300 IN TXT "v=DMARC1; p=reject; adkim=s; aspf=s"`,
	)
	ctx := context.Background()
	pass := func(d string) []DKIMResult { return []DKIMResult{{Domain: d, Result: Pass}} }
	for _, c := range []struct {
		from      string
		spf       SPFResult
		dkim      []DKIMResult
		spfA, dkA bool
	}{
		{"example.com", SPFResult{Result: Pass, Domain: "bounce.example.com"}, pass("mail.example.com"), true, true},
		{"strict.example", SPFResult{Result: Pass, Domain: "bounce.strict.example"}, pass("mail.strict.example"), false, false},
		{"strict.example", SPFResult{Result: Pass, Domain: "strict.example"}, pass("strict.example"), true, true},
		{"example.com", SPFResult{Result: Fail, Domain: "example.com"}, []DKIMResult{{Domain: "example.com", Result: Fail}}, false, false},
		{"example.com", SPFResult{Result: Pass, Domain: "esp.example.net"}, pass("esp.example.net"), false, false},
	} {
		r := checkDMARC(ctx, resolver.NewRecorder(z, nil), c.from, c.spf, c.dkim)
		if r.SPFAligned != c.spfA || r.DKIMAligned != c.dkA {
			t.Errorf("%s spf=%s dkim=%v: aligned spf %v dkim %v, want %v %v", c.from, c.spf.Domain, c.dkim, r.SPFAligned, r.DKIMAligned, c.spfA, c.dkA)
		}
		if want := boolResult(c.spfA || c.dkA); r.Result != want {
			t.Errorf("%s: result %s, want %s", c.from, r.Result, want)
		}
	}
}

func TestSPFStepsAndCounters(t *testing.T) {
	z := dnstest.Zones(t,
		`$TTL 300`,
		`example.com. IN TXT "v=spf1 include:a.example.com include:missing.example.com mx -all"`,
		`a.example.com. IN TXT "v=spf1 ip4:198.51.100.0/24 -all"`,
		`example.com. IN MX 10 mx.example.com.`,
		`mx.example.com. IN A 192.0.2.25`,
		`loop.example. IN TXT "v=spf1 include:loop.example -all"`,
	)
	msg := func(ip string) *Message {
		m, err := Parse([]byte("Return-Path: <a@example.com>\r\nReceived: from mx.example.com (mx.example.com [" + ip + "]) by mx.receiver.test; Mon, 23 Nov 2026 10:00:05 +0000\r\nFrom: a@example.com\r\n\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	ctx := context.Background()
	m := msg("192.0.2.25")
	r := checkSPF(ctx, m, parseHops(m), Options{}, resolver.NewRecorder(z, nil))
	// include:a (1, no match), include:missing (2, void 1, permerror per RFC 7208 5.2).
	if r.Result != PermError || r.Lookups != 2 || r.Void != 1 {
		t.Errorf("result %s lookups %d void %d", r.Result, r.Lookups, r.Void)
	}
	m = msg("198.51.100.7")
	r = checkSPF(ctx, m, parseHops(m), Options{}, resolver.NewRecorder(z, nil))
	if r.Result != Pass || r.Lookups != 1 || r.IP != "198.51.100.7" || r.MailFrom != "a@example.com" || r.HELO != "mx.example.com" {
		t.Errorf("%+v", r)
	}
	joined := ""
	for _, s := range r.Steps {
		joined += s.What + "\n"
	}
	for _, want := range []string{"Fetched the SPF record of example.com", "a.example.com", "DNS lookup 1 of 10", "SPF passes"} {
		if !strings.Contains(joined, want) {
			t.Errorf("steps do not say %q:\n%s", want, joined)
		}
	}
	r = checkSPF(ctx, m, parseHops(m), Options{MailFrom: "x@loop.example"}, resolver.NewRecorder(z, nil))
	if r.Result != PermError || r.Lookups < 10 {
		t.Errorf("include loop: %s after %d lookups", r.Result, r.Lookups)
	}
	// No Received field with an IP: nothing to check, and the step says how to give one.
	m2, _ := Parse([]byte("From: a@example.com\r\n\r\n"))
	r = checkSPF(ctx, m2, nil, Options{}, resolver.NewRecorder(z, nil))
	if r.Result != None || !strings.Contains(r.Steps[0].What, "--ip") {
		t.Errorf("%+v", r)
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		in   string
		want error
	}{
		{"", ErrEmpty},
		{"   \n\n", ErrEmpty},
		{"not a header\n\nbody", ErrBadHeader},
		{"quite Delivered-To: a@b\nnor this\n\nbody", ErrBadHeader}, // no field at all: not a message
		{"From: a@b\n" + strings.Repeat("X-Long: "+strings.Repeat("y", 1000)+"\n", 1100) + "\n", ErrHeaderTooLarge},
		{strings.Repeat("X-A: b\n", MaxHeaderFields+1) + "\n", ErrTooManyFields},
	} {
		_, err := Parse([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(c.want.Error(), "inspect: ")) {
			t.Errorf("%.40q: error %v, want %v", c.in, err, c.want)
		}
	}
	m, err := Parse([]byte("From: a@b\nSubject: only headers"))
	if err != nil || !m.NoSeparator || len(m.Fields) != 2 {
		t.Errorf("headers only: %v %+v", err, m)
	}
	m, err = Parse([]byte("From a@b Mon Nov 23 10:00:00 2026\nFrom: a@b\nSubject : obsolete space\n\nbody\n"))
	if err != nil || len(m.Fields) != 2 || m.Fields[1].Name != "Subject" || string(m.Body) != "body\r\n" {
		t.Errorf("mbox line, obsolete syntax: %v %+v", err, m)
	}
}

func TestFromDomain(t *testing.T) {
	for _, c := range []struct{ header, domain string }{
		{"From: Alice <alice@Example.COM>\r\n", "example.com"},
		{"From: a@example.com, b@example.com\r\n", "example.com"},
		{"From: a@example.com, b@other.example\r\n", ""},
		{"From: a@example.com\r\nFrom: b@example.com\r\n", ""},
		{"From: broken <<a@example.org\r\n", "example.org"},
		{"Subject: no from\r\n", ""},
	} {
		m, err := Parse([]byte(c.header + "\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		if d, _ := fromDomain(m); d != c.domain {
			t.Errorf("%q: %q, want %q", c.header, d, c.domain)
		}
	}
}
