package inspect

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/sealtrace/sealtrace/resolver"
)

// Fuzz targets for every parser of untrusted input. Seeds come from the
// test tables; cases the fuzzer found are kept in testdata/fuzz.

var resultWords = map[string]bool{Pass: true, Fail: true, SoftFail: true, Neutral: true, None: true, TempError: true, PermError: true, Policy: true}

func FuzzParse(f *testing.F) {
	for _, s := range []string{plainMsg, "", "From: a\n\nb", "From a b\nX: y\n", "A: b\r\n\tc\r\n\r\n", "a : b\n\n", "\r\n\r\nbody"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(raw)
		if err != nil {
			return
		}
		total := len(m.Body)
		for _, fl := range m.Fields {
			if !strings.HasSuffix(string(fl.Raw), "\r\n") || fl.Name == "" {
				t.Fatalf("field %q", fl.Raw)
			}
			total += len(fl.Raw)
			_ = fl.Value()
			_ = canonHeader(fl.Raw, true)
		}
		_ = canonBody(m.Body, true)
		_ = canonBody(m.Body, false)
	})
}

func FuzzTags(f *testing.F) {
	for _, s := range []string{"v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=AAAA; b=AAAA",
		"a=;;", // found: stripB ran past the end of a field ending in ";;"
		"v=DKIM1; k=ed25519; p=", "i=1; cv=none; b=x", "=", ";"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = parseTags(s, false)
		_, _ = parseTags(s, true)
		_, _ = parseKey(s)
		_, _ = parseDMARC(s)
		for _, name := range []string{"DKIM-Signature", "ARC-Message-Signature", "ARC-Seal"} {
			fl := Field{Name: name, Raw: []byte(name + ":" + s + "\r\n")}
			sig, perr := parseSigCommon(fl, name != "ARC-Seal")
			if sig == nil {
				t.Fatal("nil signature")
			}
			if perr != nil && !resultWords[perr.result] {
				t.Fatalf("result %q", perr.result)
			}
			_ = stripB(fl.Raw)
		}
		_, _ = arcInstance(s, true)
		_, _ = arcInstance(s, false)
	})
}

func FuzzReceived(f *testing.F) {
	for _, s := range []string{
		"from a (b [192.0.2.1]) by c with ESMTPS; Mon, 23 Nov 2026 10:00:00 +0000",
		"from [IPv6:::1] (helo=x) by y (Exim) tls TLS_AES; Mon, 2 Jan 2006 15:04:05 -0700",
		"((((", "from", "by (x) with", ";;;",
	} {
		f.Add(s)
	}
	for _, c := range receivedForms {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h := parseReceived(s)
		if h.TLS == "" {
			t.Fatal("TLS must always be said")
		}
		// The IP is an address, written somewhere in the field.
		if h.IP != "" {
			a, err := netip.ParseAddr(h.IP)
			if err != nil || a.String() != h.IP {
				t.Fatalf("IP %q is not an address in canonical form", h.IP)
			}
		}
		if h.Time != "" {
			if _, err := time.Parse(time.RFC3339, h.Time); err != nil {
				t.Fatalf("time %q: %v", h.Time, err)
			}
		}
		if (h.TLSVersion != "" || h.TLSCipher != "") && h.TLS == tlsNone {
			t.Fatalf("TLS %q with version %q cipher %q", h.TLS, h.TLSVersion, h.TLSCipher)
		}
	})
}

// FuzzInspect runs the whole inspection (with SPF input derivation, DKIM,
// ARC, DMARC, claims) on arbitrary messages against an offline zone.
func FuzzInspect(f *testing.F) {
	z := resolver.NewZones()
	_ = z.Load(strings.NewReader(`example.com. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 ~all"
_dmarc.example.com. 300 IN TXT "v=DMARC1; p=reject"
s1._domainkey.example.com. 300 IN TXT "v=DKIM1; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB"
`), "", "fuzz")
	for _, s := range []string{
		plainMsg,
		"Return-Path: <a@example.com>\r\nReceived: from x (x [192.0.2.9]) by mx; Mon, 23 Nov 2026 10:00:00 +0000\r\nAuthentication-Results: mx; spf=pass smtp.mailfrom=a@example.com; dkim=pass header.d=example.com\r\nFrom: a@example.com\r\n\r\nhi\r\n",
		"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s1; h=from; l=1; bh=AAAA; b=AAAA\r\nFrom: a@example.com\r\n\r\nhi\r\n",
		"ARC-Seal: i=1; a=rsa-sha256; cv=none; d=example.com; s=s1; b=AAAA\r\nARC-Message-Signature: i=1; a=rsa-sha256; d=example.com; s=s1; h=from; bh=AAAA; b=AAAA\r\nARC-Authentication-Results: i=1; mx; spf=pass\r\nFrom: a@example.com\r\n\r\n",
	} {
		f.Add([]byte(s), "")
	}
	f.Add([]byte(plainMsg), "192.0.2.1")
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw []byte, ip string) {
		rep, err := Inspect(context.Background(), raw, Options{Resolver: z, IP: ip, Now: func() time.Time { return now }})
		if rep == nil {
			t.Fatal("nil report")
		}
		if err != nil {
			if rep.Error == "" {
				t.Fatal("error not in the report")
			}
			return
		}
		for _, r := range []string{rep.SPF.Result, rep.DMARC.Result, rep.ARC.Result} {
			if !resultWords[r] {
				t.Fatalf("result %q", r)
			}
		}
		for _, d := range rep.DKIM {
			if !resultWords[d.Result] || len(d.Steps) == 0 {
				t.Fatalf("dkim %+v", d)
			}
		}
	})
}

// referenceRelaxedBody is RFC 6376 3.4.4 written as plainly as possible,
// line by line, to check the fast canonicalization against.
func referenceRelaxedBody(body []byte) []byte {
	lines := strings.Split(string(body), "\r\n")
	if strings.HasSuffix(string(body), "\r\n") {
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		l = strings.Join(strings.FieldsFunc(l, func(r rune) bool { return r == ' ' || r == '\t' }), " ")
		if len(lines[i]) > 0 && (lines[i][0] == ' ' || lines[i][0] == '\t') && l != "" {
			l = " " + l // leading white space becomes one space, it is not removed
		}
		lines[i] = l
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return nil
	}
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}

func FuzzCanonBody(f *testing.F) {
	for _, s := range []string{" C \r\nD \t E\r\n\r\n\r\n", "", "\r\n", "a", "a ", " \t \r\n", "x\r\n \r\n\t\r\ny  z\r\n\r\n", "a\rb  \r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got := canonBody(body, true)
		want := referenceRelaxedBody(body)
		if string(got) != string(want) {
			t.Fatalf("relaxed %q:\n got %q\nwant %q", body, got, want)
		}
		for _, l := range []int64{0, 1, int64(len(got) / 2)} {
			bh := newBodyHashes(body)
			if _, total, err := bh.sum(true, "sha256", l); err == nil && total != int64(len(got)) {
				t.Fatalf("total %d, canonical length %d", total, len(got))
			}
		}
	})
}
