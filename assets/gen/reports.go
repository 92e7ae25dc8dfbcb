package main

// The demo's reports folder: what receivers would have sent the owners of the
// demo's domains in the days before DemoNow. The senders are the demo
// messages' sending IPs, so that the app can link a failing source to the
// messages it sent. Everything is written by this file (no signer is
// needed), with fixed times in the gzip and zip headers, so that
// `go run ./assets/gen reports` writes the same bytes every time.

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"html"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sealtrace/sealtrace/assets"
)

const reportsDir = "assets/demo/reports"

// aggRow is one <record> of an aggregate report.
type aggRow struct {
	ip, disposition, dkim, spf string // policy_evaluated
	count                      int
	headerFrom, envelopeFrom   string
	reasons                    [][2]string // type, comment
	dkimAuth                   [][3]string // domain, selector, result
	spfAuth                    [2]string   // domain, result (scope mfrom)
}

// aggReport is one aggregate report: one receiver, one day, one domain.
type aggReport struct {
	org, email, id string
	day            time.Time
	schema         string // "rfc7489" or "rfc9990"
	domain         string
	policy         [][2]string // policy_published, in schema order
	rows           []aggRow
	file           string // .xml, .xml.gz or .zip
}

// The demo's senders, as the demo mailbox has them (assets/gen/main.go).
var (
	bankOut   = aggRow{ip: "198.51.100.10", disposition: "none", dkim: "pass", spf: "pass", headerFrom: "bank.example", envelopeFrom: "bank.example", dkimAuth: [][3]string{{"bank.example", "s2026", "pass"}}, spfAuth: [2]string{"bank.example", "pass"}}
	bankESP   = aggRow{ip: "203.0.113.9", disposition: "reject", dkim: "fail", spf: "fail", headerFrom: "bank.example", envelopeFrom: "esp.example.net", dkimAuth: [][3]string{{"esp.example.net", "esp1", "pass"}}, spfAuth: [2]string{"esp.example.net", "pass"}}
	bankList  = aggRow{ip: "192.0.2.25", disposition: "none", dkim: "fail", spf: "fail", headerFrom: "bank.example", envelopeFrom: "bank.example", dkimAuth: [][3]string{{"bank.example", "s2026", "fail"}}, spfAuth: [2]string{"bank.example", "fail"}}
	bankSpoof = aggRow{ip: "203.0.113.66", disposition: "reject", dkim: "fail", spf: "fail", headerFrom: "bank.example", envelopeFrom: "bank.example", spfAuth: [2]string{"bank.example", "fail"}}
	bankNoSub = aggRow{ip: "203.0.113.80", disposition: "reject", dkim: "fail", spf: "fail", headerFrom: "billing.bank.example", envelopeFrom: "billing.bank.example", spfAuth: [2]string{"billing.bank.example", "none"}}
	shopOut   = aggRow{ip: "198.51.100.80", disposition: "none", dkim: "pass", spf: "pass", headerFrom: "shop.example", envelopeFrom: "shop.example", dkimAuth: [][3]string{{"shop.example", "ed2026", "pass"}}, spfAuth: [2]string{"shop.example", "pass"}}
	shopSub   = aggRow{ip: "198.51.100.80", disposition: "quarantine", dkim: "fail", spf: "fail", headerFrom: "shop.example", envelopeFrom: "bounce.shop.example", dkimAuth: [][3]string{{"mail.shop.example", "mail", "pass"}}, spfAuth: [2]string{"bounce.shop.example", "pass"}}
	shopRelay = aggRow{ip: "192.0.2.77", disposition: "none", dkim: "pass", spf: "fail", headerFrom: "shop.example", envelopeFrom: "shop.example", dkimAuth: [][3]string{{"shop.example", "ed2026", "pass"}}, spfAuth: [2]string{"shop.example", "softfail"}}
)

func with(r aggRow, count int, f func(*aggRow)) aggRow {
	r.count = count
	if f != nil {
		f(&r)
	}
	return r
}

func rescued(kind string) func(*aggRow) {
	return func(r *aggRow) { r.reasons = [][2]string{{kind, "arc=pass"}} }
}

func demoReports() []aggReport {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	bankPolicy7489 := [][2]string{{"domain", "bank.example"}, {"adkim", "r"}, {"aspf", "r"}, {"p", "reject"}, {"sp", "reject"}, {"pct", "100"}}
	bankPolicy9990 := [][2]string{{"domain", "bank.example"}, {"discovery_method", "treewalk"}, {"p", "reject"}, {"sp", "reject"}, {"np", "reject"}, {"adkim", "r"}, {"aspf", "r"}, {"testing", "n"}}
	shopPolicy := [][2]string{{"domain", "shop.example"}, {"adkim", "s"}, {"aspf", "s"}, {"p", "quarantine"}, {"sp", "quarantine"}, {"pct", "100"}}
	var out []aggReport
	// A large mailbox provider, still on RFC 7489's schema, gzip.
	for i, d := range []int{19, 20, 21, 22} {
		rows := []aggRow{with(bankOut, 40+7*i, nil), with(bankList, 3+i, rescued("local_policy"))}
		if d == 20 || d == 22 { // the newsletter goes out twice a week
			rows = append(rows, with(bankESP, 12+2*i, nil))
		}
		if d == 19 || d == 22 {
			rows = append(rows, with(bankSpoof, 2+i, nil))
		}
		out = append(out, aggReport{org: "Example Mailbox Provider", email: "noreply-dmarc@provider.example", id: fmt.Sprintf("epx-%d-bank", 2026112000+d),
			day: day(d), schema: "rfc7489", domain: "bank.example", policy: bankPolicy7489, rows: rows, file: ".xml.gz"})
	}
	// A smaller receiver on RFC 9990's dmarc-2.0 schema, zipped as Google does.
	for i, d := range []int{21, 22} {
		rows := []aggRow{with(bankOut, 25+i, func(r *aggRow) { r.disposition = "pass" }), with(bankESP, 5, nil),
			with(bankNoSub, 1, nil), with(bankList, 2, rescued("forwarded"))}
		out = append(out, aggReport{org: "Northmail", email: "dmarc@northmail.example", id: fmt.Sprintf("nm.%d.bank.example", d),
			day: day(d), schema: "rfc9990", domain: "bank.example", policy: bankPolicy9990, rows: rows, file: ".zip"})
	}
	// shop.example, plain XML.
	for i, d := range []int{21, 22} {
		rows := []aggRow{with(shopOut, 30+3*i, nil), with(shopSub, 4-i, nil), with(shopRelay, 6, nil)}
		out = append(out, aggReport{org: "Example Mailbox Provider", email: "noreply-dmarc@provider.example", id: fmt.Sprintf("epx-%d-shop", 2026112000+d),
			day: day(d), schema: "rfc7489", domain: "shop.example", policy: shopPolicy, rows: rows, file: ".xml"})
	}
	return out
}

// xml writes the report in its schema (RFC 7489 appendix C; RFC 9990
// appendix A, which adds the namespace, version, generator, np,
// discovery_method and testing, and drops pct).
func (a aggReport) xml() []byte {
	var b strings.Builder
	e := html.EscapeString
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	if a.schema == "rfc9990" {
		b.WriteString(`<feedback xmlns="urn:ietf:params:xml:ns:dmarc-2.0">` + "\n  <version>1.0</version>\n")
	} else {
		b.WriteString("<feedback>\n")
	}
	b.WriteString("  <report_metadata>\n")
	fmt.Fprintf(&b, "    <org_name>%s</org_name>\n    <email>%s</email>\n    <report_id>%s</report_id>\n", e(a.org), e(a.email), e(a.id))
	fmt.Fprintf(&b, "    <date_range>\n      <begin>%d</begin>\n      <end>%d</end>\n    </date_range>\n", a.day.Unix(), a.day.Add(24*time.Hour-time.Second).Unix())
	if a.schema == "rfc9990" {
		b.WriteString("    <generator>Northmail DMARC reporter 4.2</generator>\n")
	}
	b.WriteString("  </report_metadata>\n  <policy_published>\n")
	for _, p := range a.policy {
		fmt.Fprintf(&b, "    <%s>%s</%s>\n", p[0], e(p[1]), p[0])
	}
	b.WriteString("  </policy_published>\n")
	for _, r := range a.rows {
		fmt.Fprintf(&b, "  <record>\n    <row>\n      <source_ip>%s</source_ip>\n      <count>%d</count>\n      <policy_evaluated>\n", r.ip, r.count)
		fmt.Fprintf(&b, "        <disposition>%s</disposition>\n        <dkim>%s</dkim>\n        <spf>%s</spf>\n", r.disposition, r.dkim, r.spf)
		for _, rs := range r.reasons {
			fmt.Fprintf(&b, "        <reason>\n          <type>%s</type>\n          <comment>%s</comment>\n        </reason>\n", rs[0], e(rs[1]))
		}
		b.WriteString("      </policy_evaluated>\n    </row>\n    <identifiers>\n")
		if a.schema == "rfc9990" {
			b.WriteString("      <envelope_to>demo.sealtrace</envelope_to>\n")
		}
		fmt.Fprintf(&b, "      <envelope_from>%s</envelope_from>\n      <header_from>%s</header_from>\n    </identifiers>\n    <auth_results>\n", r.envelopeFrom, r.headerFrom)
		for _, d := range r.dkimAuth {
			fmt.Fprintf(&b, "      <dkim>\n        <domain>%s</domain>\n        <selector>%s</selector>\n        <result>%s</result>\n      </dkim>\n", d[0], d[1], d[2])
		}
		fmt.Fprintf(&b, "      <spf>\n        <domain>%s</domain>\n        <scope>mfrom</scope>\n        <result>%s</result>\n      </spf>\n", r.spfAuth[0], r.spfAuth[1])
		b.WriteString("    </auth_results>\n  </record>\n")
	}
	b.WriteString("</feedback>\n")
	return []byte(b.String())
}

// name is the file name RFC 7489 section 7.2.1.1 asks for:
// receiver "!" policy domain "!" begin "!" end.
func (a aggReport) name() string {
	_, receiver, _ := strings.Cut(a.email, "@")
	return fmt.Sprintf("%s!%s!%d!%d", receiver, a.domain, a.day.Unix(), a.day.Add(24*time.Hour-time.Second).Unix())
}

// fixed is the modification time written into every gzip and zip header.
var fixed = time.Date(2026, 11, 23, 0, 30, 0, 0, time.UTC)

func gzipped(name string, data []byte) []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Name, zw.ModTime = name, fixed
	zw.Write(data)
	zw.Close()
	return b.Bytes()
}

func zipped(name string, data []byte) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: fixed})
	if err != nil {
		log.Fatal(err)
	}
	w.Write(data)
	zw.Close()
	return b.Bytes()
}

// failureReport is an RFC 6591 / RFC 9991 auth-failure report about the
// demo's spoofed bank.example message, carrying it whole as the reporting
// receiver got it (the demo's own teaching headers left out).
func failureReport(mbox []byte) []byte {
	msg := demoMessage(mbox, "spoofed-from-reject")
	var kept []string
	for _, line := range strings.SplitAfter(msg, "\n") {
		if !strings.HasPrefix(line, "X-Sealtrace-") {
			kept = append(kept, line)
		}
	}
	msg = strings.ReplaceAll(strings.Join(kept, ""), "\n", "\r\n")
	crlf := func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
	return []byte(crlf(`From: DMARC failure reports <dmarc-noreply@mx.demo.sealtrace>
To: dmarc-failures@bank.example
Subject: FW: Urgent: verify your account (failure report for bank.example)
Date: Mon, 23 Nov 2026 10:31:00 +0000
Message-ID: <afrf-1@mx.demo.sealtrace>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report;
	boundary="demo-afrf"

--demo-afrf
Content-Type: text/plain; charset=us-ascii

A message claiming to be from bank.example failed DMARC (SPF failed,
there was no DKIM signature) and was rejected. The message is attached.

--demo-afrf
Content-Type: message/feedback-report

Feedback-Type: auth-failure
Version: 1
User-Agent: Sealtrace-demo/1.0
Auth-Failure: dmarc
Identity-Alignment: none
Original-Mail-From: <security@bank.example>
Original-Rcpt-To: <you@demo.sealtrace>
Arrival-Date: Mon, 23 Nov 2026 10:30:01 +0000
Source-IP: 203.0.113.66
Reported-Domain: bank.example
Delivery-Result: reject
Authentication-Results: mx.demo.sealtrace; spf=fail smtp.mailfrom=security@bank.example;
	dkim=none; dmarc=fail (p=reject) header.from=bank.example

--demo-afrf
Content-Type: message/rfc822

`) + msg + crlf("\n--demo-afrf--\n"))
}

// demoMessage is the named message of the demo mailbox, mbox quoting undone.
func demoMessage(mbox []byte, name string) string {
	for _, m := range strings.Split(string(mbox), "\nFrom MAILER-DAEMON ") {
		if i := strings.Index(m, "X-Sealtrace-Demo: "+name+"\n"); i >= 0 {
			m = strings.TrimRight(m[i:], "\n") + "\n"
			var b strings.Builder
			for _, line := range strings.SplitAfter(m, "\n") {
				if strings.HasPrefix(strings.TrimLeft(line, ">"), "From ") && strings.HasPrefix(line, ">") {
					line = line[1:]
				}
				b.WriteString(line)
			}
			return b.String()
		}
	}
	log.Fatalf("demo message %s not in the mailbox", name)
	return ""
}

// tlsReport is an RFC 8460 report for bank.example: its MTA-STS policy
// (section 4.4's policy-string), one certificate that expired on the
// backup MX, and a TLSA policy for the DANE-protected MX.
func tlsReport() []byte {
	type detail struct {
		ResultType    string `json:"result-type"`
		SendingIP     string `json:"sending-mta-ip"`
		ReceivingMX   string `json:"receiving-mx-hostname"`
		ReceivingIP   string `json:"receiving-ip,omitempty"`
		FailedSession int    `json:"failed-session-count"`
	}
	type policy struct {
		Policy struct {
			Type   string   `json:"policy-type"`
			String []string `json:"policy-string,omitempty"`
			Domain string   `json:"policy-domain"`
			MX     []string `json:"mx-host,omitempty"`
		} `json:"policy"`
		Summary struct {
			Success int `json:"total-successful-session-count"`
			Failure int `json:"total-failure-session-count"`
		} `json:"summary"`
		Failures []detail `json:"failure-details,omitempty"`
	}
	var sts, tlsa, none policy
	sts.Policy.Type, sts.Policy.Domain = "sts", "bank.example"
	sts.Policy.String = []string{"version: STSv1", "mode: enforce", "mx: mx1.bank.example", "mx: mx2.bank.example", "max_age: 604800"}
	sts.Policy.MX = []string{"mx1.bank.example", "mx2.bank.example"}
	sts.Summary.Success, sts.Summary.Failure = 1184, 6
	sts.Failures = []detail{
		{ResultType: "certificate-expired", SendingIP: "192.0.2.200", ReceivingMX: "mx2.bank.example", ReceivingIP: "198.51.100.3", FailedSession: 5},
		{ResultType: "sts-policy-fetch-error", SendingIP: "192.0.2.200", ReceivingMX: "mx1.bank.example", FailedSession: 1},
	}
	tlsa.Policy.Type, tlsa.Policy.Domain = "tlsa", "bank.example"
	tlsa.Policy.String = []string{"3 1 1 5b2f0d0b6c3c2a11a4e0a6f3f7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f70"}
	tlsa.Policy.MX = []string{"mx1.bank.example"}
	tlsa.Summary.Success = 310
	none.Policy.Type, none.Policy.Domain = "no-policy-found", "shop.example"
	none.Summary.Success, none.Summary.Failure = 57, 0
	rep := map[string]any{
		"organization-name": "Example Mailbox Provider",
		"date-range":        map[string]string{"start-datetime": "2026-11-22T00:00:00Z", "end-datetime": "2026-11-22T23:59:59Z"},
		"contact-info":      "smtp-tls-reporting@provider.example",
		"report-id":         "2026-11-22T00:00:00Z_bank.example",
		"policies":          []policy{sts, tlsa, none},
	}
	out, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		log.Fatal(err)
	}
	return append(out, '\n')
}

// writeReports writes the demo's reports folder next to the mailbox mbox.
func writeReports(mbox []byte) {
	if err := os.MkdirAll(reportsDir, 0o755); err != nil {
		log.Fatal(err)
	}
	old, _ := filepath.Glob(filepath.Join(reportsDir, "*"))
	for _, f := range old {
		os.Remove(f)
	}
	files := map[string][]byte{}
	for _, a := range demoReports() {
		x := a.xml()
		switch a.file {
		case ".xml":
			files[a.name()+".xml"] = x
		case ".xml.gz":
			files[a.name()+".xml.gz"] = gzipped(a.name()+".xml", x)
		case ".zip":
			files[a.name()+".zip"] = zipped(a.name()+".xml", x)
		}
	}
	files["failure-bank.example-203.0.113.66.eml"] = failureReport(mbox)
	// RFC 8460 section 5.1's file name: receiver!policy-domain!begin!end!id.
	files["provider.example!bank.example!1795305600!1795391999!001.json.gz"] = gzipped("", tlsReport())
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(reportsDir, name), data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("wrote %d demo reports to %s (evaluated at %s)\n", len(files), reportsDir, assets.DemoNow.Format(time.DateOnly))
}
