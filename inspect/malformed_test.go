package inspect_test

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/sealtrace/sealtrace/inspect"
	"github.com/sealtrace/sealtrace/internal/testpeers/dnstest"
	"github.com/sealtrace/sealtrace/resolver"
)

// The malformed-input corpus: each input gives a clear error in the report
// (or a report that says what is wrong) and a bounded amount of memory.
// Time is bounded by construction (limits in Parse, resolver timeouts) and
// is not asserted here: these machines are shared.
func TestMalformedCorpus(t *testing.T) {
	// A DNS server whose every TXT answer is about 64 KB.
	srv := dnstest.StartFunc(t, func(w dns.ResponseWriter, req *dns.Msg) {
		resp := new(dns.Msg)
		resp.SetReply(req)
		if w.RemoteAddr().Network() == "udp" {
			resp.Truncated = true
			_ = w.WriteMsg(resp)
			return
		}
		q := req.Question[0]
		for resp.Len() < 64000 {
			resp.Answer = append(resp.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET}, Txt: []string{strings.Repeat("v", 250)}})
		}
		_ = w.WriteMsg(resp)
	})
	hostile, _ := resolver.NewServer(srv.Addr)
	quiet := resolver.NewZones()

	signedHeader := "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s1; h=from; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA\r\n"
	for _, c := range []struct {
		name     string
		msg      string
		res      resolver.Resolver
		errHas   string // the report's error, when the message cannot be read
		checkHas string // otherwise, something the report must say
		maxAlloc uint64
	}{
		{name: "empty", msg: "", errHas: "empty", maxAlloc: 1 << 20},
		{name: "truncated mid-header", msg: "From: alice@example.com\r\nSubj", checkHas: `header line 2 "Subj" is not a header field`, maxAlloc: 4 << 20},
		{name: "no header/body separator", msg: "From: alice@example.com\r\nSubject: x", checkHas: "headers only", maxAlloc: 4 << 20},
		{name: "binary", msg: "\x00\x01\x02\xff\xfe", errHas: "not a header field", maxAlloc: 1 << 20},
		{name: "1 MB header line", msg: "From: a@example.com\r\nX-Big: " + strings.Repeat("a", 1<<20) + "\r\n\r\nbody", errHas: "header section is too large", maxAlloc: 16 << 20},
		{name: "10,000 headers", msg: strings.Repeat("X-H: v\r\n", 10000) + "From: a@example.com\r\n\r\n", errHas: "too many header fields", maxAlloc: 8 << 20},
		{name: "invalid base64 key", msg: signedHeader + "From: a@example.com\r\n\r\n",
			res: dnstest.Zones(t, `s1._domainkey.example.com. 300 IN TXT "v=DKIM1; p=@@@@"`), checkHas: "not valid base64", maxAlloc: 4 << 20},
		{name: "64 KB DNS answers", msg: signedHeader + "Return-Path: <a@example.com>\r\nReceived: from x (x [192.0.2.1]) by y; Mon, 23 Nov 2026 10:00:00 +0000\r\nFrom: a@example.com\r\n\r\n",
			res: hostile, checkHas: "dkim permerror the key record is malformed", maxAlloc: 64 << 20},
		{name: "deeply folded header", msg: "From: a@example.com\r\nSubject: x" + strings.Repeat("\r\n y", 50000) + "\r\n\r\n", checkHas: "", maxAlloc: 16 << 20},
		{name: "garbage tags", msg: "DKIM-Signature: ;;;===;;\r\nARC-Seal: i=0\r\nFrom: a@example.com\r\n\r\n", checkHas: "malformed", maxAlloc: 4 << 20},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := c.res
			if res == nil {
				res = quiet
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			rep, err := inspect.Inspect(context.Background(), []byte(c.msg), inspect.Options{Resolver: res})
			runtime.ReadMemStats(&after)
			if rep == nil {
				t.Fatal("no report")
			}
			if c.errHas != "" {
				if err == nil || !strings.Contains(rep.Error, c.errHas) {
					t.Errorf("error %v / report %q, want it to say %q", err, rep.Error, c.errHas)
				}
			} else {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if c.checkHas != "" && !strings.Contains(reportText(rep), c.checkHas) {
					t.Errorf("the report does not say %q:\n%s", c.checkHas, reportText(rep))
				}
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > c.maxAlloc {
				t.Errorf("allocated %d bytes, more than %d", got, c.maxAlloc)
			}
		})
	}
}

// reportText flattens what a user reads of a report.
func reportText(r *inspect.Report) string {
	var b strings.Builder
	b.WriteString(r.Error + "\n" + strings.Join(r.Warnings, "\n") + "\n")
	for _, d := range r.DKIM {
		b.WriteString("dkim " + d.Result + " " + d.Reason + "\n")
	}
	b.WriteString("arc " + r.ARC.Result + " " + r.ARC.Reason + "\n")
	for _, s := range append(append([]inspect.Step{}, r.SPF.Steps...), r.DMARC.Steps...) {
		b.WriteString(s.What + "\n")
	}
	return b.String()
}
