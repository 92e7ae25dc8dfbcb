package inspect_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/miekg/dns"
	"github.com/sealtrace/sealtrace/inspect"
	"github.com/sealtrace/sealtrace/internal/testpeers/dnstest"
)

// TestInteropDKIMResultWords checks the result words of two failures
// against dkimpy (issue 10), through the same loopback DNS server, and
// against the word OpenDKIM's verifier writes in Authentication-Results:
//   - a signature whose x= has passed: dkimpy refuses it while reading the
//     signature's tags (ValidationError "x= value is past"), before any key
//     or hash, so the signature cannot be evaluated: permerror (RFC 8601
//     2.7.1), not fail;
//   - an l= larger than the body (the body was cut after signing): dkimpy
//     hashes what there is and reports "body hash mismatch": fail, as RFC
//     6376 3.5 (l=) says the signature is invalid then.
func TestInteropDKIMResultWords(t *testing.T) {
	keys := newTestKeys(t)
	rsaPath := keys.rsaKey(t, "rsa", "example.com", 2048)
	keys.zones.Add(txt("example.com", "v=spf1 ip4:192.0.2.0/24 -all"))
	srv := dnstest.Start(t, keys.zones)

	// dkimpy cannot sign with x=; go-msgauth signs with the same key, two
	// days ago (past dkimpy's 10-hour leeway).
	pemBytes, err := os.ReadFile(rsaPath)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(pemBytes)
	priv, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	var expired bytes.Buffer
	msg := strings.ReplaceAll(strings.ReplaceAll(baseMessage, "\r\n", "\n"), "\n", "\r\n")
	if err := dkim.Sign(&expired, strings.NewReader(msg), &dkim.SignOptions{Domain: "example.com", Selector: "rsa", Signer: priv,
		Expiration: time.Now().Add(-48 * time.Hour)}); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		c        dkimpyCase
		want     string
		peerSays string
		odkSays  string // OpenDKIM's Authentication-Results, in part
	}{
		{dkimpyCase{Name: "x-past", Message: expired.String(), Steps: []map[string]any{}}, inspect.PermError, "x= value is past",
			"dkim=permerror"},
		{dkimpyCase{Name: "l-longer-than-body", Message: baseMessage, Steps: []map[string]any{
			{"op": "dkim", "key": rsaPath, "selector": "rsa", "domain": "example.com", "algo": "rsa-sha256", "canon": "relaxed/relaxed", "length": true},
			{"op": "replace", "old": "\r\nAlice\r\n", "new": "\r\n"}}}, inspect.Fail, "body hash mismatch",
			`dkim=fail reason="length tag value exceeds body size"`},
	}
	var reqs []dkimpyCase
	for _, c := range cases {
		reqs = append(reqs, c.c)
	}
	peerRes := runDkimpy(t, srv.Addr, reqs)
	for _, c := range cases {
		t.Run(c.c.Name, func(t *testing.T) {
			pr := peerRes[c.c.Name]
			if len(pr.DKIM) != 1 || pr.DKIM[0] || !strings.Contains(pr.Errors[0], c.peerSays) {
				t.Fatalf("dkimpy: %v %q, want a refusal saying %q", pr.DKIM, pr.Errors, c.peerSays)
			}
			rep := inspectVia(t, srv.Addr, pr.Message)
			if len(rep.DKIM) != 1 {
				t.Fatalf("%d DKIM results", len(rep.DKIM))
			}
			if got := rep.DKIM[0]; got.Result != c.want {
				t.Errorf("Sealtrace %s (%s), want %s where dkimpy says %q", got.Result, got.Reason, c.want, pr.Errors[0])
			}
			ar := opendkimVerify(t, keys, pr.Message, "rsa._domainkey.example.com")
			t.Logf("OpenDKIM: %s", ar)
			if !strings.Contains(ar, c.odkSays) || !strings.Contains(ar, "dkim="+c.want) {
				t.Errorf("OpenDKIM wrote %q, want it to say %s", ar, c.odkSays)
			}
		})
	}
}

// opendkimVerify has OpenDKIM's milter verify msg (Mode v, keys from a
// TestPublicKeys file made from the same zone records) and returns the
// Authentication-Results field it adds.
func opendkimVerify(t *testing.T, keys *testKeys, msg string, keyNames ...string) string {
	t.Helper()
	opendkim := peer(t, "opendkim")
	miltertest := peer(t, "miltertest")
	dir := t.TempDir()
	var pub strings.Builder
	for _, name := range keyNames {
		a, err := keys.zones.Query(context.Background(), name, dns.TypeTXT)
		if err != nil || len(a.TXT()) != 1 {
			t.Fatalf("no key at %s: %v", name, err)
		}
		pub.WriteString(name + " " + a.TXT()[0] + "\n")
	}
	sock := filepath.Join(dir, "milter.sock")
	files := map[string]string{
		"keys": pub.String(),
		"opendkim.conf": "Syslog no\nMode v\nSocket local:" + sock + "\nBackground no\nAuthservID mx.test\nTestPublicKeys " +
			filepath.Join(dir, "keys") + "\nPidFile " + filepath.Join(dir, "pid") + "\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(opendkim, "-f", "-x", filepath.Join(dir, "opendkim.conf"))
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("opendkim: %v", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	head, body, _ := strings.Cut(msg, "\r\n\r\n")
	var fields []string
	for _, line := range strings.Split(head, "\r\n") {
		if (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) && len(fields) > 0 {
			fields[len(fields)-1] += "\r\n" + line
		} else {
			fields = append(fields, line)
		}
	}
	var lua strings.Builder
	lua.WriteString("conn = mt.connect(\"local:" + sock + "\", 50, 0.1)\nif conn == nil then error(\"cannot connect to opendkim\") end\n")
	lua.WriteString("mt.macro(conn, SMFIC_CONNECT, \"j\", \"mx.test\")\nmt.conninfo(conn, \"localhost\", \"127.0.0.1\")\n")
	lua.WriteString("mt.macro(conn, SMFIC_MAIL, \"i\", \"QID1\")\nmt.mailfrom(conn, \"alice@example.com\")\nmt.rcptto(conn, \"bob@receiver.test\")\n")
	for _, f := range fields {
		name, value, _ := strings.Cut(f, ":")
		lua.WriteString("mt.header(conn, " + luaQuote(name) + ", " + luaQuote(strings.TrimPrefix(value, " ")) + ")\n")
	}
	lua.WriteString("mt.eoh(conn)\nmt.bodystring(conn, " + luaQuote(body) + ")\nmt.eom(conn)\n")
	lua.WriteString("io.write(mt.getheader(conn, \"Authentication-Results\", 0) or \"\")\nmt.disconnect(conn)\n")
	script := filepath.Join(dir, "verify.lua")
	if err := os.WriteFile(script, []byte(lua.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(miltertest, "-s", script).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "dkim=") {
		t.Fatalf("miltertest: %v\n%s\nopendkim said:\n%s", err, out, logs.String())
	}
	return strings.Join(strings.Fields(string(out)), " ")
}
