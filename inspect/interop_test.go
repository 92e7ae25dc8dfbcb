package inspect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/sealtrace/sealtrace/inspect"
	"github.com/sealtrace/sealtrace/internal/dkimkeys"
	"github.com/sealtrace/sealtrace/internal/testpeers/dnstest"
	"github.com/sealtrace/sealtrace/resolver"
)

// The interop tests check Sealtrace's verdicts against real peers: messages
// are signed at test time by dkimpy and OpenDKIM, dkimpy verifies them too,
// and both ask the same real DNS server on loopback.

// peer returns the path of a peer program, failing the test when it is
// missing: `make test` installs every peer, and a missing one must never
// turn into a silent skip.
func peer(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("peer %s is not installed (make test installs it): %v", name, err)
	}
	return p
}

// python3 is Debian's interpreter, which has python3-dkim (a pyenv python
// earlier on PATH would not).
func python3(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	return peer(t, "python3")
}

type testKeys struct {
	dir   string
	zones *resolver.Zones
}

func newTestKeys(t *testing.T) *testKeys {
	return &testKeys{dir: t.TempDir(), zones: resolver.NewZones()}
}

func txt(name, value string) dns.RR { return resolver.TXT(name, value, 300) }

// rsaKey makes a key, writes its private half for the signers and publishes
// the public half at sel._domainkey.domain.
func (k *testKeys) rsaKey(t *testing.T, sel, domain string, bits int) string {
	t.Helper()
	path, rr, err := dkimkeys.RSA(k.dir, sel, domain, bits)
	if err != nil {
		t.Fatal(err)
	}
	k.zones.Add(rr)
	return path
}

// edKey does the same for Ed25519 (RFC 8463).
func (k *testKeys) edKey(t *testing.T, sel, domain string) string {
	t.Helper()
	path, rr, err := dkimkeys.Ed25519(k.dir, sel, domain)
	if err != nil {
		t.Fatal(err)
	}
	k.zones.Add(rr)
	return path
}

const baseMessage = `Return-Path: <alice@example.com>
Received: from mail.example.com (mail.example.com [192.0.2.10])
	by mx.receiver.test with ESMTPS id 1234
	for <bob@receiver.test>; Mon, 23 Nov 2026 10:00:05 +0000
From: Alice <alice@example.com>
To: Bob <bob@receiver.test>
Subject: Quarterly numbers
Date: Mon, 23 Nov 2026 10:00:00 +0000
Message-ID: <interop-1@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hello Bob,

the  numbers   are attached.	Tabs and  spaces  vary.

Alice
`

type dkimpyCase struct {
	Name    string           `json:"name"`
	Message string           `json:"message"`
	Steps   []map[string]any `json:"steps"`
}

type dkimpyResult struct {
	Message string   `json:"message"`
	DKIM    []bool   `json:"dkim"`
	Errors  []string `json:"errors"` // dkimpy's exception per signature, "" when none
	ARC     string   `json:"arc"`
}

func runDkimpy(t *testing.T, dnsAddr string, cases []dkimpyCase) map[string]dkimpyResult {
	t.Helper()
	req, _ := json.Marshal(map[string]any{"dns": dnsAddr, "cases": cases})
	cmd := exec.Command(python3(t), "testdata/dkimpy.py")
	cmd.Stdin = bytes.NewReader(req)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dkimpy (python3-dkim, installed by make test): %v\n%s", err, stderr.String())
	}
	res := map[string]dkimpyResult{}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("dkimpy output: %v", err)
	}
	return res
}

func inspectVia(t *testing.T, dnsAddr string, msg string) *inspect.Report {
	t.Helper()
	srv, err := resolver.NewServer(dnsAddr)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := inspect.Inspect(context.Background(), []byte(msg), inspect.Options{Resolver: srv, Source: "interop"})
	if err != nil {
		t.Fatalf("inspect: %v", err)
	}
	return rep
}

func TestInteropDkimpy(t *testing.T) {
	keys := newTestKeys(t)
	rsaPath := keys.rsaKey(t, "rsa", "example.com", 2048)
	edPath := keys.edKey(t, "ed", "example.com")
	espPath := keys.rsaKey(t, "esp", "esp.example.net", 1024)
	listPath := keys.rsaKey(t, "list", "lists.example.org", 2048)
	list2Path := keys.rsaKey(t, "fwd", "forwarder.example", 2048)
	keys.zones.Add(txt("example.com", "v=spf1 ip4:192.0.2.0/24 -all"))
	keys.zones.Add(txt("_dmarc.example.com", "v=DMARC1; p=reject; adkim=r; aspf=r"))
	srv := dnstest.Start(t, keys.zones)

	dk := func(path, sel, domain, algo, canon string, extra map[string]any) map[string]any {
		m := map[string]any{"op": "dkim", "key": path, "selector": sel, "domain": domain, "algo": algo, "canon": canon}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	listAR := map[string]any{"op": "prepend", "text": "Authentication-Results: lists.example.org; dkim=pass header.d=example.com; spf=pass smtp.mailfrom=example.com\n"}
	footer := map[string]any{"op": "append_body", "text": "-- \nlist footer: unsubscribe at lists.example.org\n"}
	arc := func(path, sel, domain string) map[string]any {
		return map[string]any{"op": "arc", "key": path, "selector": sel, "domain": domain, "srv_id": domain}
	}

	type want struct {
		dkim      []string // Sealtrace's result per signature
		reasonHas []string // a piece of each signature's reason
		arc       string
		dmarc     string
		unsigned  int64 // body bytes after l= on signature 0
	}
	cases := []struct {
		c    dkimpyCase
		want want
	}{
		{dkimpyCase{Name: "rsa-relaxed", Steps: []map[string]any{dk(rsaPath, "rsa", "example.com", "rsa-sha256", "relaxed/relaxed", nil)}},
			want{dkim: []string{"pass"}, arc: "none", dmarc: "pass"}},
		{dkimpyCase{Name: "rsa-simple", Steps: []map[string]any{dk(rsaPath, "rsa", "example.com", "rsa-sha256", "simple/simple", nil)}},
			want{dkim: []string{"pass"}, arc: "none", dmarc: "pass"}},
		{dkimpyCase{Name: "rsa-relaxed-simple", Steps: []map[string]any{dk(rsaPath, "rsa", "example.com", "rsa-sha256", "relaxed/simple", nil)}},
			want{dkim: []string{"pass"}, arc: "none", dmarc: "pass"}},
		{dkimpyCase{Name: "ed25519", Steps: []map[string]any{dk(edPath, "ed", "example.com", "ed25519-sha256", "relaxed/relaxed", nil)}},
			want{dkim: []string{"pass"}, arc: "none", dmarc: "pass"}},
		{dkimpyCase{Name: "rsa-sha1", Steps: []map[string]any{dk(rsaPath, "rsa", "example.com", "rsa-sha1", "relaxed/relaxed", nil)}},
			want{dkim: []string{"policy"}, reasonHas: []string{"rsa-sha1"}, arc: "none", dmarc: "pass"}}, // SPF still aligns
		{dkimpyCase{Name: "two-signatures", Steps: []map[string]any{
			dk(rsaPath, "rsa", "example.com", "rsa-sha256", "relaxed/relaxed", nil),
			dk(edPath, "ed", "example.com", "ed25519-sha256", "relaxed/relaxed", nil)}},
			want{dkim: []string{"pass", "pass"}, arc: "none", dmarc: "pass"}},
		{dkimpyCase{Name: "esp-not-aligned", Steps: []map[string]any{dk(espPath, "esp", "esp.example.net", "rsa-sha256", "relaxed/relaxed", nil)}},
			want{dkim: []string{"pass"}, arc: "none", dmarc: "pass"}}, // SPF aligns; DKIM does not (checked below)
		{dkimpyCase{Name: "length-tag-appended", Steps: []map[string]any{
			dk(rsaPath, "rsa", "example.com", "rsa-sha256", "relaxed/relaxed", map[string]any{"length": true}),
			{"op": "append_body", "text": "APPENDED BY SOMEONE ELSE\n"}}},
			want{dkim: []string{"pass"}, reasonHas: []string{"l= leaves 26 body bytes unsigned"}, arc: "none", dmarc: "pass", unsigned: 26}},
		{dkimpyCase{Name: "body-changed", Steps: []map[string]any{dk(rsaPath, "rsa", "example.com", "rsa-sha256", "relaxed/relaxed", nil), footer}},
			want{dkim: []string{"fail"}, reasonHas: []string{"body hash mismatch"}, arc: "none", dmarc: "pass"}},
		{dkimpyCase{Name: "header-changed", Steps: []map[string]any{dk(rsaPath, "rsa", "example.com", "rsa-sha256", "relaxed/relaxed", nil),
			{"op": "replace", "old": "Subject: Quarterly numbers", "new": "Subject: Quarterly numbers (revised)"}}},
			want{dkim: []string{"fail"}, reasonHas: []string{"signature mismatch"}, arc: "none", dmarc: "pass"}},
		{dkimpyCase{Name: "arc-rescue", Steps: []map[string]any{
			dk(rsaPath, "rsa", "example.com", "rsa-sha256", "relaxed/relaxed", nil),
			footer, listAR, arc(listPath, "list", "lists.example.org")}},
			want{dkim: []string{"fail"}, reasonHas: []string{"body hash mismatch"}, arc: "pass", dmarc: "pass"}},
		{dkimpyCase{Name: "arc-two-hops", Steps: []map[string]any{
			dk(rsaPath, "rsa", "example.com", "rsa-sha256", "relaxed/relaxed", nil),
			footer, listAR, arc(listPath, "list", "lists.example.org"),
			{"op": "prepend", "text": "Authentication-Results: forwarder.example; arc=pass\n"},
			arc(list2Path, "fwd", "forwarder.example")}},
			want{dkim: []string{"fail"}, arc: "pass", dmarc: "pass"}},
		{dkimpyCase{Name: "arc-broken-after-seal", Steps: []map[string]any{
			dk(rsaPath, "rsa", "example.com", "rsa-sha256", "relaxed/relaxed", nil),
			footer, listAR, arc(listPath, "list", "lists.example.org"),
			{"op": "replace", "old": "Subject: Quarterly numbers", "new": "Subject: Quarterly numbers!"}}},
			want{dkim: []string{"fail"}, arc: "fail", dmarc: "pass"}},
	}
	var reqs []dkimpyCase
	for _, c := range cases {
		c.c.Message = baseMessage
		reqs = append(reqs, c.c)
	}
	peerRes := runDkimpy(t, srv.Addr, reqs)

	for _, c := range cases {
		t.Run(c.c.Name, func(t *testing.T) {
			pr, ok := peerRes[c.c.Name]
			if !ok {
				t.Fatal("dkimpy returned nothing for this case")
			}
			rep := inspectVia(t, srv.Addr, pr.Message)
			if len(rep.DKIM) != len(c.want.dkim) {
				t.Fatalf("%d DKIM results, want %d", len(rep.DKIM), len(c.want.dkim))
			}
			for i, d := range rep.DKIM {
				if d.Result != c.want.dkim[i] {
					t.Errorf("signature %d: %s (%s), want %s", i, d.Result, d.Reason, c.want.dkim[i])
				}
				// Agreement with the peer: dkimpy's True is our pass, or our
				// policy for rsa-sha1 (the crypto holds; RFC 8301 refuses it).
				if (d.Result == inspect.Pass || d.Result == inspect.Policy) != pr.DKIM[i] {
					t.Errorf("signature %d: Sealtrace %s, dkimpy %v", i, d.Result, pr.DKIM[i])
				}
				if i < len(c.want.reasonHas) && !strings.Contains(d.Reason, c.want.reasonHas[i]) {
					t.Errorf("signature %d: reason %q, want it to mention %q", i, d.Reason, c.want.reasonHas[i])
				}
			}
			if c.want.unsigned != 0 && rep.DKIM[0].UnsignedBytes != c.want.unsigned {
				t.Errorf("unsigned bytes %d, want %d", rep.DKIM[0].UnsignedBytes, c.want.unsigned)
			}
			if rep.ARC.Result != c.want.arc || rep.ARC.Result != pr.ARC {
				t.Errorf("ARC: Sealtrace %s (%s), dkimpy %s, want %s", rep.ARC.Result, rep.ARC.Reason, pr.ARC, c.want.arc)
			}
			if rep.DMARC.Result != c.want.dmarc {
				t.Errorf("DMARC %s, want %s", rep.DMARC.Result, c.want.dmarc)
			}
			if rep.SPF.Result != inspect.Pass || rep.SPF.IP != "192.0.2.10" {
				t.Errorf("SPF %s for %q, want pass for 192.0.2.10", rep.SPF.Result, rep.SPF.IP)
			}
			if c.c.Name == "esp-not-aligned" && rep.DMARC.DKIMAligned {
				t.Error("esp.example.net's signature counted as aligned with example.com")
			}
			if len(rep.DNS) == 0 {
				t.Error("no DNS evidence recorded")
			}
		})
	}
}

// TestInteropOpenDKIM has OpenDKIM's milter sign messages (driven by
// miltertest, as an MTA would), in two canonicalizations; Sealtrace and
// dkimpy verify them through the loopback DNS server.
// (opendkim-testmsg is not used: Debian 12's 2.11.0~beta2 corrupts the end
// of b= when it folds it.)
func TestInteropOpenDKIM(t *testing.T) {
	opendkim := peer(t, "opendkim")
	miltertest := peer(t, "miltertest")
	keys := newTestKeys(t)
	keyPath := keys.rsaKey(t, "odk", "example.com", 2048)
	keys.zones.Add(txt("example.com", "v=spf1 ip4:192.0.2.0/24 -all"))
	srv := dnstest.Start(t, keys.zones)

	headers := [][2]string{
		{"Return-Path", "<alice@example.com>"},
		{"From", "Alice <alice@example.com>"},
		{"To", "Bob <bob@receiver.test>"},
		{"Subject", "Quarterly   numbers"},
		{"Date", "Mon, 23 Nov 2026 10:00:00 +0000"},
		{"Message-ID", "<odk-1@example.com>"},
	}
	body := "Hello Bob,\r\n\r\nthe  numbers   are attached.\t \r\n\r\nAlice\r\n\r\n"

	var reqs []dkimpyCase
	for _, canon := range []string{"relaxed/simple", "simple/simple", "relaxed/relaxed"} {
		sig := opendkimSign(t, opendkim, miltertest, keyPath, canon, headers, body)
		var msg strings.Builder
		msg.WriteString("DKIM-Signature:" + strings.ReplaceAll(sig, "\n", "\r\n") + "\r\n")
		for _, h := range headers {
			msg.WriteString(h[0] + ": " + h[1] + "\r\n")
		}
		msg.WriteString("\r\n" + body)
		reqs = append(reqs,
			dkimpyCase{Name: canon, Message: msg.String(), Steps: []map[string]any{}},
			dkimpyCase{Name: canon + " tampered", Message: strings.Replace(msg.String(), "Alice\r\n", "Mallory\r\n", 1), Steps: []map[string]any{}})
	}
	peerRes := runDkimpy(t, srv.Addr, reqs)
	for _, c := range reqs {
		want := inspect.Pass
		if strings.HasSuffix(c.Name, "tampered") {
			want = inspect.Fail
		}
		rep := inspectVia(t, srv.Addr, c.Message)
		if len(rep.DKIM) != 1 {
			t.Fatalf("%s: %d signatures", c.Name, len(rep.DKIM))
		}
		got, pr := rep.DKIM[0], peerRes[c.Name]
		if got.Result != want || (got.Result == inspect.Pass) != pr.DKIM[0] {
			t.Errorf("%s: Sealtrace %s (%s), dkimpy %v, want %s", c.Name, got.Result, got.Reason, pr.DKIM[0], want)
		}
		if got.Canon != strings.Fields(c.Name)[0] {
			t.Errorf("%s: canonicalization %s", c.Name, got.Canon)
		}
	}
}

// opendkimSign starts OpenDKIM's milter on a Unix socket, feeds it one
// message through miltertest and returns the DKIM-Signature value it added.
func opendkimSign(t *testing.T, opendkim, miltertest, keyPath, canon string, headers [][2]string, body string) string {
	t.Helper()
	dir := t.TempDir()
	sock := filepath.Join(dir, "milter.sock")
	conf := filepath.Join(dir, "opendkim.conf")
	cfg := "Syslog no\nMode s\nDomain example.com\nSelector odk\nKeyFile " + keyPath +
		"\nSocket local:" + sock + "\nCanonicalization " + canon +
		"\nSignatureAlgorithm rsa-sha256\nBackground no\nRequireSafeKeys no\nPidFile " + filepath.Join(dir, "pid") + "\n"
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(opendkim, "-f", "-x", conf)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("opendkim: %v", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	var lua strings.Builder
	lua.WriteString("conn = mt.connect(\"local:" + sock + "\", 50, 0.1)\nif conn == nil then error(\"cannot connect to opendkim\") end\n")
	lua.WriteString("mt.macro(conn, SMFIC_CONNECT, \"j\", \"mta.example.com\")\nmt.conninfo(conn, \"localhost\", \"127.0.0.1\")\n")
	lua.WriteString("mt.macro(conn, SMFIC_MAIL, \"i\", \"QID1\")\nmt.mailfrom(conn, \"alice@example.com\")\nmt.rcptto(conn, \"bob@receiver.test\")\n")
	for _, h := range headers {
		lua.WriteString("mt.header(conn, " + luaQuote(h[0]) + ", " + luaQuote(h[1]) + ")\n")
	}
	lua.WriteString("mt.eoh(conn)\nmt.bodystring(conn, " + luaQuote(body) + ")\nmt.eom(conn)\n")
	lua.WriteString("io.write(mt.getheader(conn, \"DKIM-Signature\", 0))\nmt.disconnect(conn)\n")
	script := filepath.Join(dir, "sign.lua")
	if err := os.WriteFile(script, []byte(lua.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(miltertest, "-s", script).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "bh=") {
		t.Fatalf("miltertest: %v\n%s\nopendkim said:\n%s", err, out, logs.String())
	}
	return string(out)
}

// luaQuote makes a Lua string literal of s, byte for byte.
func luaQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "\\%d", s[i])
	}
	b.WriteByte('"')
	return b.String()
}
