package inspect

import (
	"fmt"
	"net/mail"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"
)

// receivedForms are Received fields written in the forms real MTAs use
// (hosts and addresses invented; mostly documentation ranges). ip is the
// connecting client's address, helo the name it gave, tls what the hop says
// about its TLS session ("" = none stated), time the instant read.
var receivedForms = []struct {
	name, in                 string
	from, rdns, helo, ip, by string
	tlsOn                    bool
	tlsVersion, tlsCipher    string
	time                     string
}{
	{name: "postfix", in: "from mail.example.com (mail.example.com [192.0.2.10]) by mx.receiver.test (Postfix) with ESMTPS id 4X (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)) for <b@receiver.test>; Mon, 23 Nov 2026 10:00:05 +0000",
		from: "mail.example.com", rdns: "mail.example.com", ip: "192.0.2.10", by: "mx.receiver.test", tlsOn: true, tlsVersion: "TLSv1.3", tlsCipher: "TLS_AES_256_GCM_SHA384", time: "2026-11-23T10:00:05Z"},
	{name: "gmail smtps", in: "from mail-sor-f41.google.example (mail-sor-f41.google.example. [198.51.100.41]) by mx.google.example with SMTPS id x2sor; Tue, 03 Jan 2017 12:32:02 -0800 (PST)",
		from: "mail-sor-f41.google.example", rdns: "mail-sor-f41.google.example", ip: "198.51.100.41", by: "mx.google.example", tlsOn: true, time: "2017-01-03T12:32:02-08:00"},
	{name: "gmail http submission, no from", in: "by 2002:a05:6a10:1234:b0:5ad:1234:abcd with SMTP id x; Tue, 3 Jan 2017 12:22:54 -0800 (PST)",
		by: "2002:a05:6a10:1234:b0:5ad:1234:abcd", time: "2017-01-03T12:22:54-08:00"},
	{name: "exchange paren ipv4", in: "from nam99.map.protection.outlook.example (203.0.113.94) by XX7NAM10FT015.mail.protection.outlook.example (10.13.157.1) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.6838.14 via Frontend Transport; Wed, 27 Sep 2023 15:20:13 +0000",
		from: "nam99.map.protection.outlook.example", helo: "", ip: "203.0.113.94", by: "XX7NAM10FT015.mail.protection.outlook.example", tlsOn: true, tlsVersion: "TLSv1.2", tlsCipher: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", time: "2023-09-27T15:20:13Z"},
	{name: "microsoft 365 paren ipv6", in: "from XX7NAM10FT015.eop-nam10.prod.protection.outlook.example (2001:db8:408:13f:cafe::dd) by XX9PR03CA0788.outlook.office365.example (2001:db8:408:13f::33) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.6838.21 via Frontend Transport; Wed, 27 Sep 2023 15:20:14 +0000",
		from: "XX7NAM10FT015.eop-nam10.prod.protection.outlook.example", ip: "2001:db8:408:13f:cafe::dd", by: "XX9PR03CA0788.outlook.office365.example", tlsOn: true, tlsVersion: "TLSv1.2", tlsCipher: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", time: "2023-09-27T15:20:14Z"},
	{name: "microsoft (TLS) and mapi", in: "from XX8PR11MB1234.namprd11.prod.outlook.example ([fe80::1234:5678:9abc:def0]) by XX8PR11MB1234.namprd11.prod.outlook.example ([fe80::1234:5678:9abc:def0%7]) with mapi id 15.20.6838.010; Wed, 27 Sep 2023 15:20:10 +0000",
		from: "XX8PR11MB1234.namprd11.prod.outlook.example", ip: "fe80::1234:5678:9abc:def0", by: "XX8PR11MB1234.namprd11.prod.outlook.example", time: "2023-09-27T15:20:10Z"},
	{name: "exchange on-premises (TLS)", in: "from EXCH01.corp.example (192.0.2.20) by EXCH02.corp.example (192.0.2.21) with Microsoft SMTP Server (TLS) id 14.3.468.0; Tue, 8 Mar 2016 09:11:12 +0100",
		from: "EXCH01.corp.example", ip: "192.0.2.20", by: "EXCH02.corp.example", tlsOn: true, time: "2016-03-08T09:11:12+01:00"},
	{name: "exchange over TLS secured channel", in: "from mail.corp.example ([192.0.2.22]) by relay.corp.example over TLS secured channel with Microsoft SMTPSVC(7.5.7601.17514); Tue, 8 Mar 2016 09:11:12 +0100",
		from: "mail.corp.example", ip: "192.0.2.22", by: "relay.corp.example", tlsOn: true, time: "2016-03-08T09:11:12+01:00"},
	{name: "qmail helo then ip", in: "from unknown (HELO mx.sender.example) (198.51.100.7) by mail.receiver.example with SMTP; 10 Dec 2010 12:00:00 -0000",
		from: "unknown", helo: "mx.sender.example", ip: "198.51.100.7", by: "mail.receiver.example", time: "2010-12-10T12:00:00Z"},
	{name: "yahoo ehlo then ip", in: "from 127.0.0.1  (EHLO outpost.example) (198.51.100.55)  by mta1007.mail.yahoo.example with SMTP; Fri, 10 Dec 2010 08:43:08 -0800",
		from: "127.0.0.1", helo: "outpost.example", ip: "198.51.100.55", by: "mta1007.mail.yahoo.example", time: "2010-12-10T08:43:08-08:00"},
	{name: "qmail user@ip", in: "from unknown (HELO localhost) (someone123@198.51.100.88 with login) by smtp011.mail.yahoo.example with SMTP; 3 Jun 2009 05:19:16 -0700",
		from: "unknown", helo: "localhost", ip: "198.51.100.88", by: "smtp011.mail.yahoo.example", time: "2009-06-03T05:19:16-07:00"},
	{name: "helo then bracket", in: "from unknown (HELO [10.0.0.5]) ([198.51.100.9]) by esa1.ironport.example with ESMTP; 05 Apr 2019 10:00:00 +0200",
		from: "unknown", helo: "[10.0.0.5]", ip: "198.51.100.9", by: "esa1.ironport.example", time: "2019-04-05T10:00:00+02:00"},
	{name: "host [ip] without parentheses", in: "from foo [127.0.0.1] by srs.zonemta.example (ZoneMTA Forwarder) with ESMTP id 1758 for <a@b.example>; Fri, 26 Sep 2025 05:11:19 +0000",
		from: "foo", ip: "127.0.0.1", by: "srs.zonemta.example", time: "2025-09-26T05:11:19Z"},
	{name: "bare ip", in: "from 198.51.100.3 by mail.receiver.example (Domino) ; Mon, 1 Feb 2010 10:00:00 +0000",
		from: "198.51.100.3", ip: "198.51.100.3", by: "mail.receiver.example", time: "2010-02-01T10:00:00Z"},
	{name: "exim helo literal is not the ip", in: "from [198.51.100.111] (port=52874 helo=[192.168.88.181]) by host.exim.example with esmtpsa  (TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.96.2) (envelope-from <a@sender.example>) id 1qk; Sat, 23 Sep 2023 22:53:30 +0200",
		from: "[198.51.100.111]", helo: "[192.168.88.181]", ip: "198.51.100.111", by: "host.exim.example", tlsOn: true, tlsVersion: "TLSv1.3", tlsCipher: "TLS_AES_256_GCM_SHA384", time: "2023-09-23T22:53:30+02:00"},
	{name: "exim rdns and helo", in: "from mail.sender.example ([198.51.100.12] helo=smtp.sender.example) by mx.receiver.example with esmtps (TLS1.2) tls TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 (Exim 4.94) (envelope-from <a@sender.example>) id 1q; Mon, 23 Nov 2026 10:00:00 +0100",
		from: "mail.sender.example", helo: "smtp.sender.example", ip: "198.51.100.12", by: "mx.receiver.example", tlsOn: true, tlsVersion: "TLSv1.2", tlsCipher: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", time: "2026-11-23T10:00:00+01:00"},
	{name: "exim ipv6 literal", in: "from [IPv6:2001:db8::1] (helo=client) by smtp.example.org with esmtpsa (TLS1.3) tls TLS_AES_128_GCM_SHA256 (Exim 4.96) (envelope-from <a@b>) id 1q; Mon, 23 Nov 2026 10:00:00 +0100",
		from: "[IPv6:2001:db8::1]", helo: "client", ip: "2001:db8::1", by: "smtp.example.org", tlsOn: true, tlsVersion: "TLSv1.3", tlsCipher: "TLS_AES_128_GCM_SHA256", time: "2026-11-23T10:00:00+01:00"},
	{name: "old exim colon form", in: "from mail.sender.example ([198.51.100.13]) by mx.receiver.example with esmtps (TLS1.2:ECDHE_RSA_AES_128_GCM_SHA256:128) (Exim 4.80) (envelope-from <a@b>) id 1a; Thu, 11 Feb 2016 10:00:00 +0000",
		from: "mail.sender.example", ip: "198.51.100.13", by: "mx.receiver.example", tlsOn: true, tlsVersion: "TLSv1.2", tlsCipher: "ECDHE_RSA_AES_128_GCM_SHA256", time: "2016-02-11T10:00:00Z"},
	{name: "courier TLSv1.2 colon form", in: "from mail.sender.example (mail.sender.example [198.51.100.14]) (TLSv1.2:AES128-GCM-SHA256:128) by mx.receiver.example with ESMTPS; Thu, 11 Feb 2016 10:00:00 +0000",
		from: "mail.sender.example", rdns: "mail.sender.example", ip: "198.51.100.14", by: "mx.receiver.example", tlsOn: true, tlsVersion: "TLSv1.2", tlsCipher: "AES128-GCM-SHA256", time: "2016-02-11T10:00:00Z"},
	{name: "sendmail version= cipher=, no semicolon", in: "from mail.sender.example (mail.sender.example [198.51.100.15]) (authenticated bits=0) by relay.receiver.example (8.14.4/8.14.4) with ESMTP id v28GkHx (version=TLSv1/SSLv3 cipher=RC4-MD5 bits=128 verify=NO) Wed, 8 Mar 2017 11:46:17 -0500",
		from: "mail.sender.example", rdns: "mail.sender.example", ip: "198.51.100.15", by: "relay.receiver.example", tlsOn: true, tlsVersion: "TLSv1/SSLv3", tlsCipher: "RC4-MD5", time: "2017-03-08T11:46:17-05:00"},
	{name: "sendmail may be forged", in: "from helo.sender.example (rdns.sender.example [198.51.100.16] (may be forged)) by mx.receiver.example (8.15.2/8.15.2) with ESMTP id x; Thu, 29 Apr 2011 10:00:00 +0200",
		from: "helo.sender.example", rdns: "rdns.sender.example", ip: "198.51.100.16", by: "mx.receiver.example", time: "2011-04-29T10:00:00+02:00"},
	{name: "ironport ESMTP/TLS/cipher", in: "from vps-1.vps.example ([198.51.100.10])  by apiron13.receiver.example with ESMTP/TLS/ECDHE-RSA-AES128-GCM-SHA256; 10 Jan 2024 11:22:33 -0600",
		from: "vps-1.vps.example", ip: "198.51.100.10", by: "apiron13.receiver.example", tlsOn: true, tlsCipher: "ECDHE-RSA-AES128-GCM-SHA256", time: "2024-01-10T11:22:33-06:00"},
	{name: "haraka", in: "from mail.sender.example (mail.sender.example [198.51.100.17]) by mx.haraka.example (Haraka/3.0.2) with ESMTPS id 8D3 envelope-from <a@sender.example> (version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384); Fri, 02 Feb 2024 10:00:00 +0000",
		from: "mail.sender.example", rdns: "mail.sender.example", ip: "198.51.100.17", by: "mx.haraka.example", tlsOn: true, tlsVersion: "TLSv1.3", tlsCipher: "TLS_AES_256_GCM_SHA384", time: "2024-02-02T10:00:00Z"},
	{name: "sendgrid date without semicolon", in: "from c2VuZGdyaWQ (unknown) by geopod-ismtpd-1 (SG) with HTTP id abc Sat, 23 Sep 2023 20:53:26.306 +0000 (UTC)",
		from: "c2VuZGdyaWQ", by: "geopod-ismtpd-1", time: "2023-09-23T20:53:26Z"},
	{name: "go time format", in: "from [192.0.2.50] by smtp.go.example with ESMTPSA id 7 2018-04-22 02:54:17.028 +0000 UTC",
		from: "[192.0.2.50]", ip: "192.0.2.50", by: "smtp.go.example", tlsOn: true, time: "2018-04-22T02:54:17Z"},
	{name: "obsolete zone PST", in: "from a.example (a.example [198.51.100.18]) by b.example with SMTP id 1; Thu, 03 Dec 2009 10:50:22 PST",
		from: "a.example", rdns: "a.example", ip: "198.51.100.18", by: "b.example", time: "2009-12-03T10:50:22-08:00"},
	{name: "obsolete zone EDT", in: "from a.example (a.example [198.51.100.19]) by b.example; Thu, 8 Mar 2005 17:40:36 EDT",
		from: "a.example", rdns: "a.example", ip: "198.51.100.19", by: "b.example", time: "2005-03-08T17:40:36-04:00"},
	{name: "three-digit day", in: "from a.example ([198.51.100.20]) by b.example; Thu, 029 Apr 2011 09:51:50 +0200",
		from: "a.example", ip: "198.51.100.20", by: "b.example", time: "2011-04-29T09:51:50+02:00"},
	{name: "full month name", in: "from a.example ([198.51.100.21]) by b.example; 28 November 2023 14:02:03 +0000",
		from: "a.example", ip: "198.51.100.21", by: "b.example", time: "2023-11-28T14:02:03Z"},
	{name: "ctime order", in: "from a.example ([198.51.100.22]) by b.example; Apr 29 23:34:45 2005 +0000",
		from: "a.example", ip: "198.51.100.22", by: "b.example", time: "2005-04-29T23:34:45Z"},
	{name: "domino", in: "from notes.corp.example ([192.0.2.30]) by smtp.corp.example (Lotus Domino Release 8.5.3FP6) with ESMTP id 2013; Tue, 5 Mar 2013 10:00:00 +0100",
		from: "notes.corp.example", ip: "192.0.2.30", by: "smtp.corp.example", time: "2013-03-05T10:00:00+01:00"},
	{name: "ibm paren and tls colon", in: "from smtp.ibm.example (198.51.100.23) by relay.ibm.example (198.51.100.24) with Microsoft SMTP Server (TLS) id 15.1; Mon, 1 Jul 2019 10:00:00 +0000",
		from: "smtp.ibm.example", ip: "198.51.100.23", by: "relay.ibm.example", tlsOn: true, time: "2019-07-01T10:00:00Z"},
	{name: "postfix unknown rdns", in: "from [10.9.8.7] (unknown [198.51.100.25]) (Authenticated sender: a@sender.example) by smtp.sender.example (Postfix) with ESMTPSA id 3; Mon, 23 Nov 2026 10:00:00 +0000",
		from: "[10.9.8.7]", ip: "198.51.100.25", by: "smtp.sender.example", tlsOn: true, time: "2026-11-23T10:00:00Z"},
	{name: "really", in: "from helo.example (really [198.51.100.26]) by mx.receiver.example; Mon, 23 Nov 2026 10:00:00 +0000",
		from: "helo.example", ip: "198.51.100.26", by: "mx.receiver.example", time: "2026-11-23T10:00:00Z"},
	{name: "ibm semicolon inside with", in: "from smtp.notes.example (198.51.100.27) by gw.ibm.example (198.51.100.28) with IBM ESMTP SMTP Gateway: Authorized Use Only! Violators will be prosecuted; (version=TLSv1/SSLv3 cipher=AES128-GCM-SHA256 bits=128/128) Wed, 8 Mar 2017 11:46:17 -0500",
		from: "smtp.notes.example", ip: "198.51.100.27", by: "gw.ibm.example", tlsOn: true, tlsVersion: "TLSv1/SSLv3", tlsCipher: "AES128-GCM-SHA256", time: "2017-03-08T11:46:17-05:00"},
	{name: "date in the middle", in: "from 192.168.0.1 (192.168.0.1) at Tue, 21 Apr 2020 23:32:11 +0900 by mail.example with ESMTP CrediShield",
		from: "192.168.0.1", ip: "192.168.0.1", by: "mail.example", time: "2020-04-21T23:32:11+09:00"},
	{name: "go time with monotonic reading", in: "by filterdrecv-7d99 with SMTP id filterdrecv-7d99-1-650F 2023-09-23 20:53:26.698825617 +0000 UTC m=+8560828.240609768",
		by: "filterdrecv-7d99", time: "2023-09-23T20:53:26Z"},
	{name: "no host before the comment", in: "from (127.0.0.1) by mail90.mailer.example id hgs0 for <a@b.example>; Wed, 29 Aug 2018 20:26:47 +0000 (envelope-from <c@d.example>)",
		ip: "127.0.0.1", by: "mail90.mailer.example", time: "2018-08-29T20:26:47Z"},
	{name: "garbage", in: "garbage without structure"},
}

func TestReceivedForms(t *testing.T) {
	for _, c := range receivedForms {
		t.Run(c.name, func(t *testing.T) {
			h := parseReceived(c.in)
			if h.From != c.from || h.RDNS != c.rdns || h.HELO != c.helo || h.IP != c.ip || h.By != c.by || h.Time != c.time {
				t.Errorf("%q:\n got  from=%q rdns=%q helo=%q ip=%q by=%q time=%q\n want from=%q rdns=%q helo=%q ip=%q by=%q time=%q",
					c.in, h.From, h.RDNS, h.HELO, h.IP, h.By, h.Time, c.from, c.rdns, c.helo, c.ip, c.by, c.time)
			}
			if on := h.TLS != tlsNone; on != c.tlsOn || h.TLSVersion != c.tlsVersion || h.TLSCipher != c.tlsCipher {
				t.Errorf("%q: TLS %q version %q cipher %q, want on=%v version %q cipher %q", c.in, h.TLS, h.TLSVersion, h.TLSCipher, c.tlsOn, c.tlsVersion, c.tlsCipher)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Mon, 23 Nov 2026 10:00:00 +0000", "2026-11-23T10:00:00Z"},
		{"23 Nov 26 10:00 +0100", "2026-11-23T10:00:00+01:00"},        // RFC 5322 4.3: two-digit year, no seconds
		{"23 Nov 99 10:00:00 GMT", "1999-11-23T10:00:00Z"},            // two-digit year before 50 is 20xx, else 19xx
		{"Tue, 1 Jan 2008 12:00:00 CST", "2008-01-01T12:00:00-06:00"}, // RFC 5322 4.3 obsolete zones
		{"Tue, 1 Jan 2008 12:00:00 MDT", "2008-01-01T12:00:00-06:00"},
		{"Tue, 1 Jan 2008 12:00:00 UT", "2008-01-01T12:00:00Z"},
		{"Tue, 1 Jan 2008 12:00:00 XYZ", "2008-01-01T12:00:00Z"}, // unknown zone: -0000 (RFC 5322 4.3)
		{"Wed, 30 Feb 2011 10:00:00 +0000", ""},                  // no such day
		{"Mon, 9 Jun 3609 12:24:02 -0700", "3609-06-09T12:24:02-07:00"},
		{"2018-04-22 02:54:17.028 +0000 UTC", "2018-04-22T02:54:17Z"},
		{"2018-04-22T02:54:17+02:00", "2018-04-22T02:54:17+02:00"},
		{"Fri Apr 29 23:34:45 2005", ""}, // ctime without a zone: unknown
		{"", ""}, {"99 Foo 2020 10:00:00 +0000", ""}, {"1 Jan 2020 25:00:00 +0000", ""},
	} {
		got := ""
		if tm, ok := parseDate(c.in); ok {
			got = tm.Format(time.RFC3339)
		}
		if got != c.want {
			t.Errorf("parseDate(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestHopDelayUnknownAndHuge: a hop whose time is unknown has no delay
// (null in JSON, not 0), and a Date in the year 3609 gives a delay in
// whole seconds that does not overflow.
func TestHopDelayUnknownAndHuge(t *testing.T) {
	m, err := Parse([]byte("Received: from b ([192.0.2.2]) by c; no date here\r\n" +
		"Received: from a ([192.0.2.1]) by b; Mon, 9 Jun 2008 12:24:02 -0700 (PDT)\r\n" +
		"Date: Mon, 9 Jun 3609 12:24:02 -0700\r\nFrom: x@example.com\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	hops := parseHops(m)
	if len(hops) != 2 {
		t.Fatalf("hops %+v", hops)
	}
	want := float64(time.Date(2008, 6, 9, 0, 0, 0, 0, time.UTC).Unix() - time.Date(3609, 6, 9, 0, 0, 0, 0, time.UTC).Unix())
	if hops[0].DelaySeconds == nil || *hops[0].DelaySeconds != want || !hops[0].ClockSkew {
		t.Errorf("first hop delay %v, want %.0f with clock skew", hops[0].DelaySeconds, want)
	}
	if hops[1].DelaySeconds != nil || hops[1].Time != "" {
		t.Errorf("second hop has no readable time, but delay %v time %q", *hops[1].DelaySeconds, hops[1].Time)
	}
}

// TestParseSkipsBadLine: one line of the header that is not a field is
// skipped, named in a warning, and the fields after it are kept.
func TestParseSkipsBadLine(t *testing.T) {
	m, err := Parse([]byte("Received: from a ([192.0.2.1]) by b; Mon, 23 Nov 2026 10:00:00 +0000\r\n" +
		"quite Delivered-To: someone@example.com\r\n" +
		"no colon on this line\r\n" +
		"From: x@example.com\r\nSubject: s\r\n\r\nbody\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Fields) != 3 || m.Fields[1].Name != "From" || string(m.Body) != "body\r\n" {
		t.Fatalf("fields %v body %q", m.Fields, m.Body)
	}
	if len(m.Warnings) != 2 || !strings.Contains(m.Warnings[0], "line 2") || !strings.Contains(m.Warnings[0], "quite Delivered-To") ||
		!strings.Contains(m.Warnings[1], "line 3") {
		t.Errorf("warnings %q", m.Warnings)
	}
	// Something that is not a message at all is still refused.
	if _, err := Parse([]byte("hello there\r\nthis is text\r\n")); err == nil {
		t.Error("a text without any header field was accepted")
	}
}

// receivedTemplates are the real forms, with %[1]s the host, %[2]s the
// reverse-DNS name, %[3]s the client address, %[4]s the HELO name (an
// address literal in some forms, to show it is never taken as the client).
var receivedTemplates = []string{
	"from %[1]s (%[2]s [%[3]s]) by mx.r.example (Postfix) with ESMTPS id 1",
	"from %[1]s (%[3]s) by X.mail.protection.outlook.com (10.0.0.1) with Microsoft SMTP Server",
	"from %[1]s (HELO %[4]s) (%[3]s) by mx.r.example with SMTP",
	"from unknown (HELO %[4]s) (user@%[3]s with login) by smtp.r.example with SMTP",
	"from %[1]s [%[3]s] by mx.r.example with ESMTP id 1",
	"from %[1]s (HELO %[4]s) ([%[3]s]) by esa.r.example with ESMTP",
	"from [%[3]s] (port=52874 helo=%[4]s) by host.r.example with esmtpsa (TLS1.3) tls TLS_AES_256_GCM_SHA384",
	"from %[2]s ([%[3]s] helo=%[4]s) by host.r.example with esmtps",
	"from %[3]s by mx.r.example",
	"from %[1]s (%[2]s [%[3]s] (may be forged)) by mx.r.example (8.15.2/8.15.2) with ESMTP id x",
}

// FuzzReceivedForms is a differential test against the plainest reference
// there is: the field is written from its parts in one of the real forms,
// and the reader must give back the client address it was written with,
// whatever the host, reverse-DNS and HELO names are (the HELO name is often
// an address literal the sender chose).
func FuzzReceivedForms(f *testing.F) {
	f.Add(uint8(0), "mail.example.com", "mail.example.com", uint32(0xc0000201), "[192.168.88.181]", "Mon, 23 Nov 2026 10:00:05 +0000")
	f.Add(uint8(6), "x", "y", uint32(0x0a000001), "[127.0.0.1]", "29 Apr 2011 10:00:00 PDT")
	f.Add(uint8(2), "unknown", "unknown", uint32(0xcb007105), "localhost", "")
	f.Fuzz(func(t *testing.T, form uint8, host, rdns string, ip4 uint32, helo, date string) {
		// Names as servers write them: one word without ( ) [ ] ; and not
		// a clause keyword.
		for _, s := range []string{host, rdns} {
			if s == "" || len(s) > 64 || strings.ContainsAny(s, "()[];@ \t\r\n=") || isClauseWord(s) || addrOf(s) != "" ||
				strings.EqualFold(s, "helo") || strings.EqualFold(s, "ehlo") {
				return
			}
		}
		if helo == "" || len(helo) > 64 || strings.ContainsAny(helo, "(); \t\r\n") {
			return
		}
		ip := netip.AddrFrom4([4]byte{byte(ip4 >> 24), byte(ip4 >> 16), byte(ip4 >> 8), byte(ip4)}).String()
		if form%2 == 1 {
			ip = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 14: byte(ip4 >> 8), 15: byte(ip4)}).String()
		}
		v := fmt.Sprintf(receivedTemplates[int(form)%len(receivedTemplates)], host, rdns, ip, helo)
		if date != "" {
			v += "; " + date
		}
		h := parseReceived(v)
		if h.IP != ip {
			t.Fatalf("%q: IP %q, written with %q", v, h.IP, ip)
		}
		if h.By == "" {
			t.Fatalf("%q: no by", v)
		}
	})
}

// FuzzParseDate compares parseDate with net/mail.ParseDate where the
// latter is right (a numeric zone): the same instant, or both refuse.
// Beyond that, parseDate must not panic and must give a real date.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"Mon, 23 Nov 2026 10:00:00 +0000", "23 Nov 26 10:00 +0100", "Thu, 029 Apr 2011 09:51:50 +0200",
		"2018-04-22 02:54:17.028 +0000 UTC", "Apr 29 23:34:45 2005 +0000", "Mon, 9 Jun 3609 12:24:02 -0700", "Tue, 1 Jan 2008 12:00:00 CST"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseDate(s)
		if ok && (got.Year() < 1 || got.Year() > 9999) {
			t.Fatalf("%q: year %d", s, got.Year())
		}
		if !reNumericRFC5322.MatchString(s) {
			return
		}
		want, err := mail.ParseDate(s)
		if err != nil {
			return // net/mail is stricter (no 3-digit days, no full month names)
		}
		if !ok || !got.Equal(want) {
			t.Fatalf("%q: %v %v, net/mail says %v", s, got, ok, want)
		}
	})
}

// reNumericRFC5322 is the strict RFC 5322 3.3 form with a numeric zone,
// where net/mail is a sound reference.
var reNumericRFC5322 = regexp.MustCompile(`^(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?[0-9]{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}(?::[0-9]{2})? [+-][0-9]{4}$`)

func BenchmarkParseReceived(b *testing.B) {
	for b.Loop() {
		for _, c := range receivedForms {
			parseReceived(c.in)
		}
	}
}
