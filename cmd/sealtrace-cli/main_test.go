package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/zalando/go-keyring"

	"github.com/sealtrace/sealtrace/assets"
	"github.com/sealtrace/sealtrace/inspect"
	"github.com/sealtrace/sealtrace/internal/dkimkeys"
	"github.com/sealtrace/sealtrace/internal/testpeers/dnstest"
	"github.com/sealtrace/sealtrace/internal/testpeers/dovecottest"
	"github.com/sealtrace/sealtrace/mailbox"
)

func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var reps []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("a line is not one JSON object: %v\n%s", err, sc.Text())
		}
		reps = append(reps, m)
	}
	return reps
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"inspect"},
		{"inspect", "--format", "yaml", "x.eml"},
		{"inspect", "--now", "yesterday", "x.eml"},
		{"inspect", "--ip", "not-an-ip", "x.eml"},
		{"inspect", "--dns-zone", "a.zone", "--dns-server", "127.0.0.1:53", "x.eml"},
		{"inspect", "--no-such-flag", "x.eml"},
	} {
		code, _, stderr := runCLI(t, "", args...)
		if code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
		if stderr == "" {
			t.Errorf("%q: no message on stderr", args)
		}
	}
}

// The demo mailbox is evaluated offline at a fixed time; the expectations
// below are the ones its generator (assets/gen) designed each message for.
func TestDemoJSON(t *testing.T) {
	code, out, stderr := runCLI(t, "", "inspect", "--demo", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	reps := jsonLines(t, out)
	if len(reps) != 15 {
		t.Fatalf("%d reports, want 15", len(reps))
	}
	for _, key := range []string{"source", "message_id", "from_domain", "spf", "dkim", "dmarc", "arc", "claims", "hops", "dns"} {
		if _, ok := reps[0][key]; !ok {
			t.Errorf("report has no %q", key)
		}
	}
	type want struct{ spf, dkim, dmarc, disposition, arc string }
	wants := []want{
		{"pass", "pass", "pass", "none", "none"},       // all-pass-rsa
		{"pass", "pass", "pass", "none", "none"},       // all-pass-ed25519
		{"softfail", "pass", "pass", "none", "none"},   // spf-softfail
		{"fail", "fail", "fail", "reject", "pass"},     // list-footer-arc-rescue
		{"fail", "", "fail", "reject", "none"},         // spoofed-from-reject
		{"pass", "pass", "fail", "quarantine", "none"}, // strict-alignment
		{"pass", "permerror", "pass", "none", "none"},  // rotated-key
		{"pass", "pass", "pass", "none", "none"},       // length-tag-appended
		{"pass", "pass", "fail", "reject", "none"},     // esp-not-aligned
		{"pass", "pass", "pass", "none", "none"},       // six-hops-slow
		{"pass", "policy", "pass", "none", "none"},     // rsa-sha1-policy
		{"permerror", "pass", "pass", "none", "none"},  // spf-too-many-lookups
		{"none", "", "fail", "reject", "none"},         // nonexistent-subdomain (np=reject)
		{"pass", "pass", "pass", "none", "none"},       // pgp-notification
		{"pass", "pass", "pass", "none", "none"},       // clock-skew
	}
	for i, r := range reps {
		w := wants[i]
		spf := r["spf"].(map[string]any)["result"]
		dmarc := r["dmarc"].(map[string]any)
		arc := r["arc"].(map[string]any)["result"]
		dkim := ""
		if ds := r["dkim"].([]any); len(ds) > 0 {
			dkim = ds[0].(map[string]any)["result"].(string)
		}
		if spf != w.spf || dkim != w.dkim || dmarc["result"] != w.dmarc || dmarc["disposition"] != w.disposition || arc != w.arc {
			t.Errorf("%s: spf %v dkim %v dmarc %v/%v arc %v, want %+v", r["source"], spf, dkim, dmarc["result"], dmarc["disposition"], arc, w)
		}
	}
	// The rotated key: the receiver's pass is explained, not just contradicted.
	var explained bool
	for _, c := range reps[6]["claims"].([]any) {
		cm := c.(map[string]any)
		if cm["method"] == "dkim" && cm["result"] == "pass" && strings.Contains(cm["explanation"].(string), "rotated or removed") {
			explained = true
		}
	}
	if !explained {
		t.Errorf("rotated-key: the receiver's dkim=pass is not explained: %v", reps[6]["claims"])
	}
	// np= decided for the subdomain that does not exist.
	npStep := false
	for _, st := range reps[12]["dmarc"].(map[string]any)["steps"].([]any) {
		npStep = npStep || strings.Contains(st.(map[string]any)["what"].(string), "np=")
	}
	if !npStep {
		t.Error("nonexistent-subdomain: no step explains np=")
	}
	if sk := reps[14]["hops"].([]any)[1].(map[string]any)["clock_skew"]; sk != true {
		t.Errorf("clock-skew: the last hop is not flagged: %v", reps[14]["hops"])
	}
	// The PGP/MIME notification decrypts with the demo key and verifies.
	p, ok := reps[13]["pgp"].(map[string]any)
	if !ok || p["decrypted"] != true || p["signature"] != "good" || p["plaintext_sha256"] == "" {
		t.Errorf("pgp-notification: %v", reps[13]["pgp"])
	}
	if _, ok := reps[0]["pgp"]; ok {
		t.Error("a message without OpenPGP content has a pgp section")
	}
	// Six hops, one of them slow.
	hops := reps[9]["hops"].([]any)
	if len(hops) != 6 {
		t.Fatalf("six-hops-slow: %d hops", len(hops))
	}
	slow := 0
	for _, h := range hops {
		if h.(map[string]any)["delay_seconds"].(float64) > 40*60 {
			slow++
		}
	}
	if slow != 1 {
		t.Errorf("six-hops-slow: %d slow hops, want 1", slow)
	}
}

// The JSON of the CLI is the report of the inspect package, byte for byte.
func TestJSONIsTheReport(t *testing.T) {
	_, out, _ := runCLI(t, "", "inspect", "--demo", "--format", "json", "--workers", "1")
	first := strings.SplitN(out, "\n", 2)[0]
	z, err := assets.DemoResolver()
	if err != nil {
		t.Fatal(err)
	}
	raw, _, err := mailbox.NewMboxReader(bytes.NewReader(assets.DemoMbox)).Next()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := inspect.Inspect(context.Background(), raw, inspect.Options{Resolver: z, Source: "demo#1", Now: func() time.Time { return assets.DemoNow }})
	if err != nil {
		t.Fatal(err)
	}
	var a, b map[string]any
	want, _ := json.Marshal(rep)
	_ = json.Unmarshal(want, &a)
	_ = json.Unmarshal([]byte(first), &b)
	// Evidence times are wall-clock; everything else must match.
	a["dns"], b["dns"] = nil, nil
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Errorf("CLI JSON differs from the report:\n%s\n%s", jb, ja)
	}
}

func TestBadMessagesStillReportTheOthers(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.eml")
	bad := filepath.Join(dir, "bad.eml")
	mbox := filepath.Join(dir, "mixed.mbox")
	zone := filepath.Join(dir, "empty.zone")
	msg := "From: a@example.com\nSubject: hi\n\nbody\n"
	os.WriteFile(good, []byte(msg), 0o644)
	os.WriteFile(bad, []byte("this is not a mail message at all\x00\n"), 0o644)
	os.WriteFile(mbox, []byte("From x Mon Nov 23 10:00:00 2026\n"+msg+"\nFrom x Mon Nov 23 10:00:00 2026\nno header here\n\nFrom x Mon Nov 23 10:00:00 2026\n"+msg), 0o644)
	os.WriteFile(zone, []byte("example.com. 300 IN TXT \"v=spf1 -all\"\n"), 0o644)

	code, out, stderr := runCLI(t, "", "inspect", "--format", "json", "--dns-zone", zone, good, bad, filepath.Join(dir, "missing.eml"), mbox)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (some messages unreadable)", code)
	}
	reps := jsonLines(t, out)
	if len(reps) != 5 { // good, bad, 3 from the mbox (missing.eml has no report)
		t.Fatalf("%d reports, want 5:\n%s", len(reps), out)
	}
	for i, wantErr := range []bool{false, true, false, true, false} {
		_, hasErr := reps[i]["error"]
		if hasErr != wantErr {
			t.Errorf("report %d (%v): error present %v, want %v", i, reps[i]["source"], hasErr, wantErr)
		}
	}
	for _, s := range []string{"bad.eml", "missing.eml", "mixed.mbox#2"} {
		if !strings.Contains(stderr, s) {
			t.Errorf("stderr does not name %s:\n%s", s, stderr)
		}
	}
	// Standard input works, and the text format names what it checked.
	code, out, _ = runCLI(t, msg, "inspect", "--dns-zone", zone, "--colour", "never", "-")
	if code != 0 || !strings.Contains(out, "Message <stdin>") || !strings.Contains(out, "DMARC") || strings.Contains(out, "\x1b[") {
		t.Errorf("stdin text: exit %d\n%s", code, out)
	}
}

// --keyring and --passphrase-file: the demo mailbox read as a file, with the
// demo keys given as a user would give theirs.
func TestKeyringFlags(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys.asc")
	pass := filepath.Join(dir, "pass")
	wrong := filepath.Join(dir, "wrong")
	mbox := filepath.Join(dir, "demo.mbox")
	zone := filepath.Join(dir, "demo.zone")
	os.WriteFile(keys, assets.DemoKeys, 0o600)
	os.WriteFile(pass, []byte(assets.DemoPassphrase+"\n"), 0o600)
	os.WriteFile(wrong, []byte("not it\n"), 0o600)
	os.WriteFile(mbox, assets.DemoMbox, 0o644)
	os.WriteFile(zone, assets.DemoZone, 0o644)
	pgpOf := func(args ...string) map[string]any {
		t.Helper()
		code, out, stderr := runCLI(t, "", append([]string{"inspect", "--format", "json", "--dns-zone", zone, "--now", "2026-11-23T12:00:00Z"}, append(args, mbox)...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		for _, r := range jsonLines(t, out) {
			if p, ok := r["pgp"].(map[string]any); ok {
				return p
			}
		}
		t.Fatal("no pgp section")
		return nil
	}
	if p := pgpOf("--keyring", keys, "--passphrase-file", pass); p["decrypted"] != true || p["signature"] != "good" {
		t.Errorf("with the key: %v", p)
	}
	if p := pgpOf("--keyring", keys, "--passphrase-file", wrong); p["decrypted"] != false || !strings.Contains(p["error"].(string), "wrong passphrase") {
		t.Errorf("wrong passphrase: %v", p)
	}
	if p := pgpOf(); p["decrypted"] != false || !strings.Contains(p["error"].(string), "no private key") {
		t.Errorf("no keys: %v", p)
	}
	if code, _, _ := runCLI(t, "", "inspect", "--keyring", filepath.Join(dir, "missing.asc"), mbox); code != 2 {
		t.Errorf("a missing keyring: exit %d, want 2", code)
	}
}

// sealtrace-cli dane against NSD serving zones signed at test time.
func TestDaneCommand(t *testing.T) {
	z := dnstest.StartSignedZones(t)
	code, out, stderr := runCLI(t, "", "dane", "--dns-server", z.Addr, "--trust-anchor", z.Anchor, "--format", "json",
		"alice@secure.test", "nobody@nsec3.test", "alice@bogus.test", "alice@insecure.test")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	reps := jsonLines(t, out)
	want := []string{"secure", "absent_secure", "bogus", "insecure"}
	if len(reps) != len(want) {
		t.Fatalf("%d results", len(reps))
	}
	for i, r := range reps {
		if r["status"] != want[i] {
			t.Errorf("%s: %v, want %s", r["email"], r["status"], want[i])
		}
		for _, k := range []string{"email", "qname", "status", "steps"} {
			if _, ok := r[k]; !ok {
				t.Errorf("no %q in %v", k, r)
			}
		}
	}
	if reps[0]["key_fingerprint"] != z.KeyFpr {
		t.Errorf("fingerprint %v, want %s", reps[0]["key_fingerprint"], z.KeyFpr)
	}
	if code, _, _ := runCLI(t, "", "dane", "--trust-anchor", "/nonexistent", "a@b.example"); code != 2 {
		t.Errorf("a missing anchor file: exit %d, want 2", code)
	}
}

// --imap against a real Dovecot: the same reports as from the file, and
// the server's messages unchanged.
func TestIMAPFolder(t *testing.T) {
	var seeds []dovecottest.Seed
	r := mailbox.NewMboxReader(bytes.NewReader(assets.DemoMbox))
	for {
		raw, _, err := r.Next()
		if err != nil {
			break
		}
		seeds = append(seeds, dovecottest.Seed{Raw: raw})
	}
	d := dovecottest.Start(t, seeds)
	before := d.Snapshot(t)
	pin := d.Fingerprint // the test certificate is self-signed: pinned, as a user would
	t.Setenv("SEALTRACE_IMAP_PASSWORD", "secret")
	code, out, stderr := runCLI(t, "", "inspect", "--format", "json", "--demo", "--imap", "imaps://alice@"+d.IMAPSAddr+"/INBOX", "--pin-sha256", pin)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	reps := jsonLines(t, out)
	if len(reps) != 2*len(seeds) {
		t.Fatalf("%d reports for %d messages over IMAP and %d from the demo file", len(reps), len(seeds), len(seeds))
	}
	for i := range seeds {
		a, b := reps[i], reps[len(seeds)+i]
		if !strings.HasPrefix(a["source"].(string), "imap://127.0.0.1/INBOX;UIDVALIDITY=") {
			t.Errorf("source %v", a["source"])
		}
		for _, k := range []string{"spf", "dkim", "dmarc", "arc", "claims", "hops", "pgp"} {
			ja, _ := json.Marshal(a[k])
			jb, _ := json.Marshal(b[k])
			if string(ja) != string(jb) {
				t.Errorf("message %d, %s over IMAP differs from the file:\n%s\n%s", i+1, k, ja, jb)
			}
		}
	}
	if after := d.Snapshot(t); after != before {
		t.Error("the inspection changed the server's messages")
	}
	if strings.Contains(out+stderr, "secret") {
		t.Error("the password appears in the output")
	}
	// The password can come from the system keyring, as the desktop app keeps it.
	keyring.MockInit()
	t.Setenv("SEALTRACE_IMAP_PASSWORD", "")
	if err := (mailbox.OSKeyring{}).Set("alice@"+d.IMAPSAddr, "secret"); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := runCLI(t, "", "inspect", "--format", "json", "--imap", "imaps://alice@"+d.IMAPSAddr+"/INBOX", "--pin-sha256", pin, "--limit", "2"); code != 0 || len(jsonLines(t, out)) != 2 {
		t.Errorf("password from the keyring: exit %d, %s", code, stderr)
	}
	(mailbox.OSKeyring{}).Delete("alice@" + d.IMAPSAddr)
	if code, _, stderr := runCLI(t, "", "inspect", "--imap", "imaps://alice@"+d.IMAPSAddr+"/INBOX", "--pin-sha256", pin); code != 1 || !strings.Contains(stderr, "no password") {
		t.Errorf("no password anywhere: exit %d, %s", code, stderr)
	}
	t.Setenv("SEALTRACE_IMAP_PASSWORD", "secret")
	// --since: by the server's arrival date (the seeds arrived today).
	folder := "imaps://alice@" + d.IMAPSAddr + "/INBOX"
	tomorrow := time.Now().AddDate(0, 0, 1).Format("2006-01-02")
	if code, out, stderr := runCLI(t, "", "inspect", "--format", "json", "--imap", folder, "--pin-sha256", pin, "--since", tomorrow); code != 0 || len(jsonLines(t, out)) != 0 {
		t.Errorf("--since tomorrow: exit %d, %d reports, %s", code, len(jsonLines(t, out)), stderr)
	}
	if code, out, stderr := runCLI(t, "", "inspect", "--format", "json", "--imap", folder, "--pin-sha256", pin, "--since", "2000-01-01"); code != 0 || len(jsonLines(t, out)) != len(seeds) {
		t.Errorf("--since 2000-01-01: exit %d, %d reports, %s", code, len(jsonLines(t, out)), stderr)
	}
	if code, _, stderr := runCLI(t, "", "inspect", "--imap", folder, "--pin-sha256", pin, "--since", "last week"); code == 0 || !strings.Contains(stderr, "YYYY-MM-DD") {
		t.Errorf("--since 'last week': exit %d, %s", code, stderr)
	}
	// Without the pin, the self-signed certificate is refused with its fingerprint.
	code, _, stderr = runCLI(t, "", "inspect", "--imap", "imaps://alice@"+d.IMAPSAddr+"/INBOX")
	if code != 1 || !strings.Contains(stderr, pin) {
		t.Errorf("unpinned: exit %d, %s", code, stderr)
	}
	// Plaintext only when asked, and only to loopback; never a password in the URL.
	for _, args := range [][]string{
		{"inspect", "--imap", "imap://alice@mail.example.com/INBOX", "--insecure-plaintext"},
		{"inspect", "--imap", "imaps://alice:secret@127.0.0.1/INBOX"},
	} {
		if code, _, _ := runCLI(t, "", args...); code == 0 {
			t.Errorf("%v: accepted", args)
		}
	}
}

// 500 messages in a Dovecot folder, from the demo mailbox and signed at
// test time by dkimpy: every report over IMAP equals the report of the
// same message read from an mbox file (same zones, same evaluation time).
func TestIMAP500SameAsFile(t *testing.T) {
	dir := t.TempDir()
	keyFile, txt, err := dkimkeys.RSA(dir, "s500", "signed.example", 2048)
	if err != nil {
		t.Fatal(err)
	}
	zone := filepath.Join(dir, "signed.zone")
	if err := os.WriteFile(zone, []byte(txt.String()+"\n_dmarc.signed.example.\t300\tIN\tTXT\t\"v=DMARC1; p=reject\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// dkimpy signs 60 messages (a different body each).
	script := `import dkim, sys
key = open(sys.argv[1], 'rb').read()
for i in range(60):
    msg = ("From: News <news@signed.example>\r\nTo: alice@example.com\r\nSubject: signed %d\r\n"
           "Date: Mon, 23 Nov 2026 09:00:00 +0000\r\nMessage-ID: <%d@signed.example>\r\n\r\nBody %d\r\n" % (i, i, i)).encode()
    sig = dkim.sign(msg, b"s500", b"signed.example", key, canonicalize=(b"relaxed", b"relaxed"), include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
    sys.stdout.buffer.write(b"From dkimpy Mon Nov 23 09:00:00 2026\n" + (sig + msg).replace(b"\r\n", b"\n") + b"\n")
`
	signed, err := exec.Command("/usr/bin/python3", "-c", script, keyFile).Output()
	if err != nil {
		t.Fatalf("dkimpy (make test installs python3-dkim): %v", err)
	}
	var raws [][]byte
	for _, src := range [][]byte{signed, assets.DemoMbox} {
		r := mailbox.NewMboxReader(bytes.NewReader(src))
		for {
			raw, _, err := r.Next()
			if err != nil {
				break
			}
			raws = append(raws, raw)
		}
	}
	if len(raws) != 75 {
		t.Fatalf("%d messages made", len(raws))
	}
	var seeds []dovecottest.Seed
	var mbox bytes.Buffer
	for i := 0; len(seeds) < 500; i++ {
		raw := raws[i%len(raws)]
		seeds = append(seeds, dovecottest.Seed{Raw: raw})
		mbox.WriteString("From sealtrace Mon Nov 23 09:00:00 2026\n")
		mbox.Write(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")))
		mbox.WriteString("\n")
	}
	mboxFile := filepath.Join(dir, "same.mbox")
	if err := os.WriteFile(mboxFile, mbox.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	demoZone := filepath.Join(dir, "demo.zone")
	os.WriteFile(demoZone, assets.DemoZone, 0o644)
	d := dovecottest.Start(t, seeds)
	t.Setenv("SEALTRACE_IMAP_PASSWORD", "secret")
	common := []string{"inspect", "--format", "json", "--dns-zone", demoZone, "--dns-zone", zone, "--now", assets.DemoNow.Format(time.RFC3339)}
	code, overIMAP, stderr := runCLI(t, "", append(common, "--imap", "imaps://alice@"+d.IMAPSAddr+"/INBOX", "--pin-sha256", d.Fingerprint)...)
	if code > 1 {
		t.Fatalf("over IMAP: exit %d: %s", code, stderr)
	}
	code, fromFile, stderr := runCLI(t, "", append(common, mboxFile)...)
	if code > 1 {
		t.Fatalf("from the file: exit %d: %s", code, stderr)
	}
	a, b := jsonLines(t, overIMAP), jsonLines(t, fromFile)
	if len(a) != 500 || len(b) != 500 {
		t.Fatalf("%d reports over IMAP, %d from the file", len(a), len(b))
	}
	passing := 0
	for i := range a {
		for _, k := range []string{"spf", "dkim", "dmarc", "arc", "claims", "hops", "pgp", "dns"} {
			ja, _ := json.Marshal(a[i][k])
			jb, _ := json.Marshal(b[i][k])
			if k == "dns" { // the same answers, asked at another moment (the evidence's time is the wall clock)
				ja, jb = answersWithoutTime(t, a[i][k]), answersWithoutTime(t, b[i][k])
			}
			if string(ja) != string(jb) {
				t.Errorf("message %d, %s over IMAP differs from the file:\n%s\n%s", i+1, k, ja, jb)
			}
		}
		if a[i]["from_domain"] == "signed.example" && a[i]["dmarc"].(map[string]any)["result"] == "pass" {
			passing++
		}
	}
	want := 0
	for i := range 500 {
		if i%len(raws) < 60 { // dkimpy's come first in every round
			want++
		}
	}
	if passing != want {
		t.Errorf("%d of dkimpy's %d messages pass DMARC over IMAP", passing, want)
	}
}

func answersWithoutTime(t *testing.T, v any) []byte {
	t.Helper()
	list, _ := v.([]any)
	for _, x := range list {
		delete(x.(map[string]any), "time")
	}
	b, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The dane text output carries text from the command line, DNS and web
// servers: none of it reaches the terminal as control sequences.
func TestDaneTextHostile(t *testing.T) {
	srv := dnstest.StartFunc(t, func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeServerFailure)
		_ = w.WriteMsg(m)
	})
	_, out, _ := runCLI(t, "", "dane", "--dns-server", srv.Addr, "a\x1b]0;pwned\x07\x1b[2Kb@example.com")
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("control characters reached the terminal: %q", out)
	}
	if !strings.Contains(out, "error") {
		t.Errorf("a SERVFAIL is not reported as error: %q", out)
	}
}
