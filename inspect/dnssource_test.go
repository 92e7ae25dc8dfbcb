package inspect

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/sealtrace/sealtrace/internal/testpeers/dnstest"
	"github.com/sealtrace/sealtrace/resolver"
)

// serveBroken starts a real DNS server on loopback that answers from z,
// except rcode for the names in broken.
func serveBroken(t *testing.T, z *resolver.Zones, rcode int, broken ...string) string {
	t.Helper()
	return dnstest.StartFunc(t, func(w dns.ResponseWriter, req *dns.Msg) {
		q := req.Question[0]
		m := new(dns.Msg)
		for _, b := range broken {
			if strings.EqualFold(q.Name, dns.Fqdn(b)) {
				m.SetRcode(req, rcode)
				_ = w.WriteMsg(m)
				return
			}
		}
		a, err := z.Query(context.Background(), q.Name, q.Qtype)
		if err != nil {
			m.SetRcode(req, dns.RcodeServerFailure)
			_ = w.WriteMsg(m)
			return
		}
		m.SetRcode(req, a.Rcode)
		m.Answer = a.Records
		_ = w.WriteMsg(m)
	}).Addr
}

// The report names the DNS source that answered, and a SERVFAIL for the
// DKIM key is told apart from NXDOMAIN and from an unreachable server: in
// the evidence's outcome, in the step's words, and it is temperror, never
// fail (RFC 6376 6.1.2).
func TestReportNamesDNSSource(t *testing.T) {
	msg, z := multiSigned(t, 1)
	addr := serveBroken(t, z, dns.RcodeServerFailure, "s1._domainkey.d0.example")
	srv, err := resolver.NewServer(addr)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Inspect(context.Background(), []byte(msg), Options{Resolver: srv})
	if err != nil {
		t.Fatal(err)
	}
	if rep.DNSSource.Kind != resolver.SourceServer || rep.DNSSource.Detail != addr {
		t.Errorf("dns_source %+v, want server %s", rep.DNSSource, addr)
	}
	if len(rep.DKIM) != 1 || rep.DKIM[0].Result != TempError {
		t.Fatalf("DKIM with the key's server failing: %+v", rep.DKIM)
	}
	var keyEv *resolver.Evidence
	for i, ev := range rep.DNS {
		if ev.Name == "s1._domainkey.d0.example." {
			keyEv = &rep.DNS[i]
		}
	}
	if keyEv == nil || keyEv.Outcome != resolver.OutcomeServFail {
		t.Fatalf("key evidence %+v", keyEv)
	}
	j, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		DNSSource struct{ Kind, Detail string } `json:"dns_source"`
		DNS       []struct{ Outcome string }    `json:"dns"`
	}
	if err := json.Unmarshal(j, &back); err != nil {
		t.Fatal(err)
	}
	if back.DNSSource.Kind != "server" || back.DNSSource.Detail != addr {
		t.Errorf("JSON dns_source %+v", back.DNSSource)
	}
	for _, ev := range back.DNS {
		if ev.Outcome == "" {
			t.Errorf("JSON evidence without an outcome: %s", j)
		}
	}
	if txt := rep.Text(false); !strings.Contains(txt, "DNS: the DNS server ("+addr+")") {
		t.Errorf("text does not name the DNS source:\n%s", txt)
	}
	md := rep.Markdown()
	if !strings.Contains(md, "DNS answers from: the DNS server") || !strings.Contains(md, "## DNS answers") || !strings.Contains(md, "the server failed (SERVFAIL)") {
		t.Errorf("Markdown lacks the DNS source or answers:\n%s", md)
	}

	// The same message against zone files only: NXDOMAIN for the key is a
	// missing key (permerror), the source says zone files.
	z2 := resolver.NewZones()
	if err := z2.Load(strings.NewReader("$ORIGIN example.com.\n@ 300 IN TXT \"v=spf1 -all\"\n"), "", "offline.zone"); err != nil {
		t.Fatal(err)
	}
	rep2, _ := Inspect(context.Background(), []byte(msg), Options{Resolver: z2})
	if rep2.DNSSource.Kind != resolver.SourceZones || rep2.DNSSource.Detail != "offline.zone" {
		t.Errorf("zones source %+v", rep2.DNSSource)
	}
	if rep2.DKIM[0].Result != PermError || rep2.DKIM[0].Code != CodeNoKey {
		t.Errorf("NXDOMAIN key: %s %s", rep2.DKIM[0].Result, rep2.DKIM[0].Code)
	}
}

// A server that cannot be reached (nothing listens on its port) makes the
// checks temperror and the step says "could not reach DNS", not a timeout
// and not a missing record.
func TestOfflineIsNotTimeoutOrMissing(t *testing.T) {
	msg, _ := multiSigned(t, 1)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close() // nothing listens there now: ICMP port unreachable
	srv, _ := resolver.NewServer(addr)
	rep, err := Inspect(context.Background(), []byte(msg), Options{Resolver: srv})
	if err != nil {
		t.Fatal(err)
	}
	if rep.DKIM[0].Result != TempError || rep.DMARC.Result == Fail {
		t.Errorf("offline: DKIM %s, DMARC %s", rep.DKIM[0].Result, rep.DMARC.Result)
	}
	var details bytes.Buffer
	for _, s := range rep.DKIM[0].Steps {
		details.WriteString(s.Detail + "\n")
	}
	if !strings.Contains(details.String(), "could not reach DNS") || strings.Contains(details.String(), "TIMEOUT") {
		t.Errorf("offline key lookup words:\n%s", details.String())
	}
	for _, ev := range rep.DNS {
		if ev.Outcome != resolver.OutcomeOffline {
			t.Errorf("%s %s: outcome %s", ev.Name, ev.Type, ev.Outcome)
		}
	}
}

// A DNS answer is the sender's text: a TXT record that tries to close the
// Markdown fence and add a link and an image stays inside its fence.
func TestMarkdownDNSHostileRecord(t *testing.T) {
	msg, z := multiSigned(t, 1)
	evil := "v=spf1 -all\n```\n# Pwned\n![x](https://evil.example/t.png) [click](https://evil.example) <script>alert(1)</script>"
	z.Add(resolver.TXT("d0.example", evil, 300))
	rep, err := Inspect(context.Background(), []byte(msg), Options{Resolver: z})
	if err != nil {
		t.Fatal(err)
	}
	rep.DNS = append(rep.DNS, resolver.Evidence{Name: "evil.example.", Type: "TXT", Rcode: "NOERROR", Outcome: resolver.OutcomeAnswer, Answers: []string{evil}})
	md := rep.Markdown()
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "# Pwned") || strings.HasPrefix(strings.TrimSpace(line), "<script") {
			t.Errorf("the record escaped its fence: %q\n%s", line, md)
		}
	}
	one := EvidenceMarkdown(rep.DNS[len(rep.DNS)-1])
	if strings.Count(one, "\n") < 3 || strings.Contains(one, "\n# Pwned") {
		t.Errorf("one record's Markdown:\n%s", one)
	}
}
