// Command gen makes the embedded demo mailbox: it generates keys, has
// dkimpy (a real DKIM/ARC signer) sign each demo message, and writes
// assets/demo/demo.mbox and the offline zone assets/demo/demo.zone with the
// keys, SPF and DMARC records the messages need, and the demo's reports
// folder assets/demo/reports (reports.go). Run it with `make demo` from the
// repository root; the output is committed, so the demo never changes unless
// regenerated. `go run ./assets/gen reports` rewrites only the reports, from
// the committed mailbox.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/sealtrace/sealtrace/assets"
	"github.com/sealtrace/sealtrace/internal/dkimkeys"
	"github.com/sealtrace/sealtrace/internal/dnsserve"
	"github.com/sealtrace/sealtrace/resolver"
)

type step = map[string]any

type demo struct {
	name  string
	note  string
	msg   string
	steps []step
	after string // header lines the receiver added after signing (Received, A-R)
}

type generator struct {
	dir     string
	zones   *resolver.Zones
	rrs     []dns.RR
	pgpKeys []byte // the demo user's secret key and the demo sender's public key, armored
}

func main() {
	log.SetFlags(0)
	if len(os.Args) == 2 && os.Args[1] == "reports" {
		// Only the reports folder, from the committed mailbox: no re-signing.
		mbox, err := os.ReadFile("assets/demo/demo.mbox")
		if err != nil {
			log.Fatal(err)
		}
		writeReports(mbox)
		return
	}
	tmp, err := os.MkdirTemp("", "sealtrace-demo")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	g := &generator{dir: tmp, zones: resolver.NewZones()}

	bankKey := g.rsaKey("s2026", "bank.example")
	shopKey := g.edKey("ed2026", "shop.example")
	shopSub := g.rsaKey("mail", "mail.shop.example")
	listKey := g.rsaKey("arc", "lists.example.org")
	espKey := g.rsaKey("esp1", "esp.example.net")
	clubKey := g.rsaKey("club", "club.example")
	travelKey := g.rsaKey("t1", "travel.example")
	newsKey := g.rsaKey("old2025", "news.example")
	g.removeKey("old2025", "news.example") // rotated away after delivery

	g.txt("bank.example", "v=spf1 ip4:198.51.100.0/26 -all")
	g.txt("_dmarc.bank.example", "v=DMARC1; p=reject; np=reject; rua=mailto:dmarc@bank.example")
	g.txt("shop.example", "v=spf1 ip4:198.51.100.80 ~all")
	g.txt("_dmarc.shop.example", "v=DMARC1; p=quarantine; adkim=s; aspf=s")
	g.txt("bounce.shop.example", "v=spf1 ip4:198.51.100.80 -all")
	g.txt("lists.example.org", "v=spf1 ip4:192.0.2.25 -all")
	g.txt("esp.example.net", "v=spf1 ip4:203.0.113.0/24 -all")
	g.txt("club.example", "v=spf1 ip4:198.51.100.120 -all")
	g.txt("_dmarc.club.example", "v=DMARC1; p=none")
	g.txt("travel.example", "v=spf1 include:_spf.travel.example -all")
	g.txt("_spf.travel.example", "v=spf1 ip4:192.0.2.140 ip4:192.0.2.141 -all")
	g.txt("_dmarc.travel.example", "v=DMARC1; p=reject")
	g.txt("news.example", "v=spf1 ip4:198.51.100.160 -all")
	widgetsKey := g.rsaKey("w1", "widgets.example")
	g.txt("widgets.example", "v=spf1 include:s1.widgets.example -all")
	for i := 1; i <= 11; i++ { // eleven nested includes: one DNS lookup too many
		next := fmt.Sprintf("include:s%d.widgets.example -all", i+1)
		if i == 11 {
			next = "ip4:198.51.100.200 -all"
		}
		g.txt(fmt.Sprintf("s%d.widgets.example", i), "v=spf1 "+next)
	}
	g.txt("_dmarc.widgets.example", "v=DMARC1; p=quarantine")
	fbKey := g.rsaKey("fbdemo", "facebookmail.com")
	g.txt("facebookmail.com", "v=spf1 ip4:192.0.2.60/30 -all")
	g.txt("_dmarc.facebookmail.com", "v=DMARC1; p=reject")
	g.txt("_dmarc.news.example", "v=DMARC1; p=none")

	now := assets.DemoNow
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC1123Z) }
	pgpMsg := g.pgpNotification(at(-15 * time.Minute))
	dk := func(key, sel, domain, algo string, extra step) step {
		s := step{"op": "dkim", "key": key, "selector": sel, "domain": domain, "algo": algo, "canon": "relaxed/relaxed"}
		for k, v := range extra {
			s[k] = v
		}
		return s
	}
	received := func(from, ip, by string, d time.Duration) string {
		return fmt.Sprintf("Received: from %s (%s [%s])\n\tby %s (Postfix) with ESMTPS id 4Xb%02d\n\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\n\tfor <you@demo.sealtrace>; %s\n", from, from, ip, by, int(d.Minutes())%100, at(d))
	}
	ar := func(s string) string { return "Authentication-Results: mx.demo.sealtrace;\n\t" + s + "\n" }
	body := "Hello,\n\nthis is a demonstration message of the Sealtrace demo mailbox.\n\nRegards\n"

	demos := []demo{
		{name: "all-pass-rsa", note: "Everything passes: SPF for the sending IP, an RSA DKIM signature by bank.example, and DMARC because both are aligned with the From domain.",
			msg:   header("Your statement is ready", "Bank Example <statements@bank.example>", "<stmt-1@bank.example>", "statements@bank.example", at(-3*time.Hour)) + body,
			steps: []step{dk(bankKey, "s2026", "bank.example", "rsa-sha256", nil)},
			after: received("out1.bank.example", "198.51.100.10", "mx.demo.sealtrace", -3*time.Hour+5*time.Second) + ar("spf=pass smtp.mailfrom=statements@bank.example;\n\tdkim=pass header.d=bank.example;\n\tdmarc=pass header.from=bank.example")},
		{name: "all-pass-ed25519", note: "An Ed25519 DKIM signature (RFC 8463): a short key, a short signature, the same checks.",
			msg:   header("Order 1042 shipped", "Shop Example <orders@shop.example>", "<order-1042@shop.example>", "orders@shop.example", at(-170*time.Minute)) + body,
			steps: []step{dk(shopKey, "ed2026", "shop.example", "ed25519-sha256", nil)},
			after: received("mta.shop.example", "198.51.100.80", "mx.demo.sealtrace", -170*time.Minute+3*time.Second) + ar("spf=pass smtp.mailfrom=orders@shop.example;\n\tdkim=pass header.d=shop.example;\n\tdmarc=pass header.from=shop.example")},
		{name: "spf-softfail", note: "SPF soft-fails: the message came from an IP that shop.example does not list (~all). DKIM still passes and is aligned, so DMARC passes.",
			msg:   header("Your basket misses you", "Shop Example <news@shop.example>", "<basket-7@shop.example>", "news@shop.example", at(-160*time.Minute)) + body,
			steps: []step{dk(shopKey, "ed2026", "shop.example", "ed25519-sha256", nil)},
			after: received("relay.partner.example", "192.0.2.77", "mx.demo.sealtrace", -160*time.Minute+9*time.Second) + ar("spf=softfail smtp.mailfrom=news@shop.example;\n\tdkim=pass header.d=shop.example;\n\tdmarc=pass header.from=shop.example")},
		{name: "list-footer-arc-rescue", note: "A mailing list added a footer, so the author's DKIM signature no longer verifies (the body changed). The list sealed the message with ARC first: its seal shows that DKIM passed when the list received it.",
			msg: header("Meeting notes", "Bank Example Staff <staff@bank.example>", "<notes-3@bank.example>", "staff@bank.example", at(-2*time.Hour)) + body,
			steps: []step{dk(bankKey, "s2026", "bank.example", "rsa-sha256", nil),
				{"op": "append_body", "text": "-- \nYou are subscribed to staff-talk@lists.example.org\n"},
				{"op": "prepend", "text": "Authentication-Results: lists.example.org; dkim=pass header.d=bank.example; spf=pass smtp.mailfrom=staff@bank.example; dmarc=pass header.from=bank.example\n"},
				{"op": "arc", "key": listKey, "selector": "arc", "domain": "lists.example.org", "srv_id": "lists.example.org"}},
			after: received("mail.lists.example.org", "192.0.2.25", "mx.demo.sealtrace", -2*time.Hour+40*time.Second) + ar("spf=fail smtp.mailfrom=staff@bank.example;\n\tdkim=fail (body hash mismatch) header.d=bank.example;\n\tarc=pass;\n\tdmarc=fail header.from=bank.example")},
		{name: "spoofed-from-reject", note: "Someone else wrote bank.example in the From field. There is no signature, and SPF fails for the IP that delivered it: DMARC fails and bank.example asks receivers to reject such mail.",
			msg:   header("Urgent: verify your account", "Bank Example Security <security@bank.example>", "<x81@mailer.invalid>", "security@bank.example", at(-90*time.Minute)) + body,
			after: received("dsl-203-0-113-66.isp.example", "203.0.113.66", "mx.demo.sealtrace", -90*time.Minute+1*time.Second) + ar("spf=fail smtp.mailfrom=security@bank.example;\n\tdkim=none;\n\tdmarc=fail (p=reject) header.from=bank.example")},
		{name: "strict-alignment", note: "Strict alignment: shop.example publishes adkim=s and aspf=s. The signature (mail.shop.example) and the envelope sender (bounce.shop.example) both pass, but neither equals shop.example exactly, so DMARC fails; with relaxed alignment it would pass.",
			msg:   header("Survey", "Shop Example <survey@shop.example>", "<survey-9@shop.example>", "survey@bounce.shop.example", at(-80*time.Minute)) + body,
			steps: []step{dk(shopSub, "mail", "mail.shop.example", "rsa-sha256", nil)},
			after: received("mta.shop.example", "198.51.100.80", "mx.demo.sealtrace", -80*time.Minute+2*time.Second) + ar("spf=pass smtp.mailfrom=survey@bounce.shop.example;\n\tdkim=pass header.d=mail.shop.example;\n\tdmarc=fail header.from=shop.example")},
		{name: "rotated-key", note: "At delivery the receiver said DKIM passed. Since then news.example removed the key (selector old2025) from DNS, so the signature cannot be checked any more: the receiver's claim was right when it was made.",
			msg:   header("Weekly digest", "News Example <digest@news.example>", "<digest-48@news.example>", "digest@news.example", at(-70*time.Minute)) + body,
			steps: []step{dk(newsKey, "old2025", "news.example", "rsa-sha256", nil)},
			after: received("out.news.example", "198.51.100.160", "mx.demo.sealtrace", -70*time.Minute+4*time.Second) + ar("spf=pass smtp.mailfrom=digest@news.example;\n\tdkim=pass header.d=news.example;\n\tdmarc=pass header.from=news.example")},
		{name: "length-tag-appended", note: "The signature has l=: it covers only the first part of the body. Text was appended afterwards and the signature still passes; Sealtrace counts the unsigned bytes, which anyone could have added.",
			msg: header("Club newsletter", "Club Example <letters@club.example>", "<letter-5@club.example>", "letters@club.example", at(-60*time.Minute)) + body,
			steps: []step{dk(clubKey, "club", "club.example", "rsa-sha256", step{"length": true}),
				{"op": "append_body", "text": "\nPS: claim your prize at http://prize.invalid/\n"}},
			after: received("mail.club.example", "198.51.100.120", "mx.demo.sealtrace", -60*time.Minute+2*time.Second) + ar("spf=pass smtp.mailfrom=letters@club.example;\n\tdkim=pass header.d=club.example;\n\tdmarc=pass header.from=club.example")},
		{name: "esp-not-aligned", note: "An email service provider sent this for bank.example but signed with its own domain, esp.example.net, and used its own envelope sender. Both pass, neither is aligned with bank.example: DMARC fails.",
			msg:   header("Spring offers", "Bank Example <offers@bank.example>", "<c-2231@esp.example.net>", "bounces+2231@esp.example.net", at(-50*time.Minute)) + body,
			steps: []step{dk(espKey, "esp1", "esp.example.net", "rsa-sha256", nil)},
			after: received("o1.esp.example.net", "203.0.113.9", "mx.demo.sealtrace", -50*time.Minute+3*time.Second) + ar("spf=pass smtp.mailfrom=bounces+2231@esp.example.net;\n\tdkim=pass header.d=esp.example.net;\n\tdmarc=fail header.from=bank.example")},
		{name: "six-hops-slow", note: "The message crossed six servers. One hop took 47 minutes (a queue at the outbound relay); SPF is checked for the last hop into the receiver, through an include: of travel.example.",
			msg:   header("Your itinerary", "Travel Example <trips@travel.example>", "<trip-77@travel.example>", "trips@travel.example", at(-40*time.Minute-50*time.Minute)) + body,
			steps: []step{dk(travelKey, "t1", "travel.example", "rsa-sha256", nil)},
			after: received("edge2.travel.example", "192.0.2.141", "mx.demo.sealtrace", -40*time.Minute) +
				"Received: from relay.travel.example (relay.travel.example [10.1.0.5])\n\tby edge2.travel.example with ESMTPS; " + at(-41*time.Minute) + "\n" +
				"Received: from queue.travel.example (queue.travel.example [10.1.0.4])\n\tby relay.travel.example with ESMTP; " + at(-88*time.Minute) + "\n" +
				"Received: from app3.travel.example (app3.travel.example [10.1.0.3])\n\tby queue.travel.example with ESMTP; " + at(-89*time.Minute) + "\n" +
				"Received: from build.travel.example (build.travel.example [10.1.0.2])\n\tby app3.travel.example with ESMTP; " + at(-89*time.Minute-30*time.Second) + "\n" +
				"Received: by build.travel.example with local; " + at(-90*time.Minute) + "\n" +
				ar("spf=pass smtp.mailfrom=trips@travel.example;\n\tdkim=pass header.d=travel.example;\n\tdmarc=pass header.from=travel.example")},
		{name: "rsa-sha1-policy", note: "The signature uses rsa-sha1. The signature itself is intact, but RFC 8301 forbids accepting SHA-1 any more, so DKIM says \"policy\". SPF is aligned, so DMARC still passes.",
			msg:   header("Membership renewal", "Club Example <members@club.example>", "<renew-12@club.example>", "members@club.example", at(-35*time.Minute)) + body,
			steps: []step{dk(clubKey, "club", "club.example", "rsa-sha1", nil)},
			after: received("mail.club.example", "198.51.100.120", "mx.demo.sealtrace", -35*time.Minute+2*time.Second) + ar("spf=pass smtp.mailfrom=members@club.example;\n\tdkim=pass header.d=club.example;\n\tdmarc=pass header.from=club.example")},
		{name: "spf-too-many-lookups", note: "widgets.example nests eleven include: records; SPF allows ten DNS lookups, so the check stops with permerror. DKIM still passes and is aligned, so DMARC passes.",
			msg:   header("Invoice 2026-118", "Widgets Example <billing@widgets.example>", "<inv-118@widgets.example>", "billing@widgets.example", at(-30*time.Minute)) + body,
			steps: []step{dk(widgetsKey, "w1", "widgets.example", "rsa-sha256", nil)},
			after: received("mta.widgets.example", "198.51.100.200", "mx.demo.sealtrace", -30*time.Minute+2*time.Second) + ar("spf=permerror smtp.mailfrom=billing@widgets.example;\n\tdkim=pass header.d=widgets.example;\n\tdmarc=pass header.from=widgets.example")},
		{name: "nonexistent-subdomain", note: "The From domain billing.bank.example does not exist in DNS. bank.example publishes np=reject, its policy for subdomains that do not exist: DMARC fails and a receiver would reject the message.",
			msg:   header("Your bill", "Bank Billing <alerts@billing.bank.example>", "<b-9@mailer.invalid>", "alerts@billing.bank.example", at(-25*time.Minute)) + body,
			after: received("vps-203-0-113-80.host.example", "203.0.113.80", "mx.demo.sealtrace", -25*time.Minute+1*time.Second) + ar("spf=none smtp.mailfrom=alerts@billing.bank.example;\n\tdkim=none;\n\tdmarc=fail (p=reject) header.from=billing.bank.example")},
		{name: "pgp-notification", note: "A PGP/MIME notification in the style of Facebook's: encrypted to you and signed inside the encryption by the sender's OpenPGP key, and DKIM-signed by facebookmail.com. The demo's private key is in the app (user you@demo.sealtrace, passphrase " + assets.DemoPassphrase + "); Sealtrace decrypts it, checks the signature and that the signer's domain matches the DKIM domain. The decrypted text is shown in the PGP tab, apart from the rest.",
			msg:   pgpMsg,
			steps: []step{dk(fbKey, "fbdemo", "facebookmail.com", "rsa-sha256", step{"headers": []string{"from", "to", "subject", "date", "message-id", "mime-version", "content-type"}})},
			after: received("mx-out.facebookmail.com", "192.0.2.61", "mx.demo.sealtrace", -15*time.Minute+2*time.Second) + ar("spf=pass smtp.mailfrom=notification@facebookmail.com;\n\tdkim=pass header.d=facebookmail.com;\n\tdmarc=pass header.from=facebookmail.com")},
		{name: "clock-skew", note: "All checks pass, but the hops disagree about the time: the last hop is stamped ten minutes before the one it came from. One of the servers' clocks is wrong; Sealtrace marks the hop.",
			msg:   header("Match report", "Club Example <results@club.example>", "<match-3@club.example>", "results@club.example", at(-20*time.Minute)) + body,
			steps: []step{dk(clubKey, "club", "club.example", "rsa-sha256", nil)},
			after: received("out.club.example", "198.51.100.120", "mx.demo.sealtrace", -29*time.Minute) +
				"Received: from app.club.example (app.club.example [10.2.0.7])\n\tby out.club.example with ESMTP; " + at(-19*time.Minute) + "\n" +
				ar("spf=pass smtp.mailfrom=results@club.example;\n\tdkim=pass header.d=club.example;\n\tdmarc=pass header.from=club.example")},
	}

	srv, stop, err := dnsserve.Serve(g.zones)
	if err != nil {
		log.Fatal(err)
	}
	defer stop()
	var cases []map[string]any
	for _, d := range demos {
		cases = append(cases, map[string]any{"name": d.name, "message": d.msg, "steps": nonNil(d.steps)})
	}
	req, _ := json.Marshal(map[string]any{"dns": srv.Addr, "now": now.Add(-3 * time.Hour).Unix(), "cases": cases})
	cmd := exec.Command("/usr/bin/python3", "inspect/testdata/dkimpy.py")
	cmd.Stdin = bytes.NewReader(req)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		log.Fatalf("dkimpy: %v (run from the repository root; make demo installs python3-dkim)", err)
	}
	var signed map[string]struct {
		Message string `json:"message"`
	}
	if err := json.Unmarshal(out, &signed); err != nil {
		log.Fatal(err)
	}

	var mbox bytes.Buffer
	for _, d := range demos {
		msg := strings.ReplaceAll(signed[d.name].Message, "\r\n", "\n")
		full := "X-Sealtrace-Demo: " + d.name + "\nX-Sealtrace-Note: " + d.note + "\n" + d.after + msg
		fmt.Fprintf(&mbox, "From MAILER-DAEMON %s\n", now.Format("Mon Jan _2 15:04:05 2006"))
		for _, line := range strings.SplitAfter(full, "\n") {
			if strings.HasPrefix(strings.TrimLeft(line, ">"), "From ") {
				mbox.WriteString(">") // mboxrd quoting
			}
			mbox.WriteString(line)
		}
		if !strings.HasSuffix(full, "\n") {
			mbox.WriteString("\n")
		}
		mbox.WriteString("\n")
	}
	if err := os.WriteFile("assets/demo/demo.mbox", mbox.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("assets/demo/demo-keys.asc", g.pgpKeys, 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("assets/demo/demo.zone", g.zoneFile(), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("wrote %d demo messages and %d DNS records\n", len(demos), len(g.rrs))
	writeReports(mbox.Bytes())
}

func nonNil(s []step) []step {
	if s == nil {
		return []step{}
	}
	return s
}

func header(subject, from, msgid, returnPath, date string) string {
	return "Return-Path: <" + returnPath + ">\nFrom: " + from + "\nTo: You <you@demo.sealtrace>\nSubject: " + subject +
		"\nDate: " + date + "\nMessage-ID: " + msgid + "\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n"
}

func (g *generator) add(rr dns.RR) {
	g.rrs = append(g.rrs, rr)
	g.zones.Add(rr)
}

func (g *generator) txt(name, value string) {
	g.add(resolver.TXT(name, value, 3600))
}

func (g *generator) rsaKey(sel, domain string) string {
	path, rr, err := dkimkeys.RSA(g.dir, sel, domain, 2048)
	if err != nil {
		log.Fatal(err)
	}
	g.add(rr)
	return path
}

func (g *generator) edKey(sel, domain string) string {
	path, rr, err := dkimkeys.Ed25519(g.dir, sel, domain)
	if err != nil {
		log.Fatal(err)
	}
	g.add(rr)
	return path
}

// removeKey leaves the key out of the written zone (the signature is made,
// then the key "rotated away").
func (g *generator) removeKey(sel, domain string) {
	name := dns.Fqdn(sel + "._domainkey." + domain)
	kept := g.rrs[:0]
	for _, rr := range g.rrs {
		if rr.Header().Name != name {
			kept = append(kept, rr)
		}
	}
	g.rrs = kept
}

func (g *generator) zoneFile() []byte {
	var b bytes.Buffer
	b.WriteString("; The offline DNS of Sealtrace's demo mailbox, made by assets/gen (make demo).\n")
	lines := make([]string, 0, len(g.rrs))
	for _, rr := range g.rrs {
		lines = append(lines, rr.String())
	}
	sort.Strings(lines)
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	return b.Bytes()
}

// pgpNotification has GnuPG make two demo keys (the reader's, locked with
// the demo passphrase, and the sender's) and a notification encrypted to the
// reader and signed by the sender, wrapped as PGP/MIME (RFC 3156 4).
func (g *generator) pgpNotification(date string) string {
	home, err := os.MkdirTemp("", "gpg")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(home)
	defer exec.Command("gpgconf", "--homedir", home, "--kill", "all").Run()
	gpg := func(stdin string, args ...string) []byte {
		// The keys and the signature are made a day before the demo's
		// evaluation time: OpenPGP is evaluated at that time too, and a key
		// made after it is not yet valid.
		made := assets.DemoNow.Add(-24*time.Hour).UTC().Format("20060102T150405") + "!"
		cmd := exec.Command("gpg", append([]string{"--homedir", home, "--batch", "--yes", "--pinentry-mode", "loopback", "--trust-model", "always", "--faked-system-time", made}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			log.Fatalf("gpg %v: %v (make demo installs gnupg)", args, err)
		}
		return out
	}
	gpg("", "--passphrase", assets.DemoPassphrase, "--quick-gen-key", "Sealtrace Demo Reader <you@demo.sealtrace>", "future-default", "default", "0")
	gpg("", "--passphrase", "", "--quick-gen-key", "Facebook demo key <security@facebookmail.com>", "future-default", "default", "0")
	g.pgpKeys = append(gpg("", "--passphrase", assets.DemoPassphrase, "--armor", "--export-secret-keys", "you@demo.sealtrace"),
		gpg("", "--armor", "--export", "security@facebookmail.com")...)
	inner := "Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n" +
		"--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHi,\r\n\r\nsomeone logged in to your account from a new device (Firefox on Linux).\r\nIf this was you, there is nothing to do.\r\n" +
		"--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hi,</p><p>someone logged in to your account from a new device (Firefox on Linux).</p><img src=\"https://tracker.invalid/pixel.gif\">\r\n" +
		"--alt--\r\n"
	armored := gpg(inner, "--armor", "--encrypt", "--sign", "-r", "you@demo.sealtrace", "-u", "security@facebookmail.com")
	return "Return-Path: <notification@facebookmail.com>\nFrom: Facebook <security@facebookmail.com>\nTo: You <you@demo.sealtrace>\n" +
		"Subject: Login alert (encrypted)\nDate: " + date + "\nMessage-ID: <login-alert-1@facebookmail.com>\nMIME-Version: 1.0\n" +
		"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"enc\"\n\n" +
		"--enc\nContent-Type: application/pgp-encrypted\nContent-Description: PGP/MIME version identification\n\nVersion: 1\n\n" +
		"--enc\nContent-Type: application/octet-stream; name=\"encrypted.asc\"\nContent-Description: OpenPGP encrypted message\nContent-Disposition: inline; filename=\"encrypted.asc\"\n\n" +
		string(armored) + "\n--enc--\n"
}
