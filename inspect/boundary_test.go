package inspect

import (
	"strings"
	"testing"
)

// TestSPFBoundary: which Received field's client SPF checks, on paths
// written in the real forms (newest field first, as in a message).
func TestSPFBoundary(t *testing.T) {
	for _, c := range []struct {
		name     string
		received []string // newest first
		authserv []string
		ip       string // "" = none
		whyHas   string
	}{
		{name: "postfix with a local content filter above the edge",
			received: []string{
				"from mx.receiver.example (localhost [127.0.0.1]) by mailbox.receiver.example (Postfix) with LMTP id 1; Mon, 23 Nov 2026 10:00:07 +0000",
				"from localhost (localhost [127.0.0.1]) by mx.receiver.example (Postfix) with ESMTP id 2; Mon, 23 Nov 2026 10:00:06 +0000",
				"from out.sender.example (out.sender.example [203.0.113.5]) by mx.receiver.example (Postfix) with ESMTPS id 3; Mon, 23 Nov 2026 10:00:05 +0000",
				"from [10.1.1.1] (unknown [198.51.100.77]) by out.sender.example (Postfix) with ESMTPSA id 4; Mon, 23 Nov 2026 10:00:04 +0000",
			},
			ip: "203.0.113.5", whyHas: "last hop into receiver.example from outside; the newer hops are the receiver's own (mailbox.receiver.example from mx.receiver.example [127.0.0.1]; mx.receiver.example from localhost [127.0.0.1])"},
		{name: "the receiver's own relay with a public address",
			received: []string{
				"from mx1.receiver.example (mx1.receiver.example [192.0.2.11]) by store.receiver.example with ESMTP id 1; Mon, 23 Nov 2026 10:00:06 +0000",
				"from out.sender.example (out.sender.example [203.0.113.6]) by mx1.receiver.example with ESMTPS id 2; Mon, 23 Nov 2026 10:00:05 +0000",
			},
			ip: "203.0.113.6", whyHas: "store.receiver.example from mx1.receiver.example [192.0.2.11], a server of the receiver"},
		{name: "exim: the helo literal is never the client",
			received: []string{
				"from [198.51.100.111] (port=52874 helo=[192.168.88.181]) by host.receiver.example with esmtpsa (TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.96.2) id 1; Sat, 23 Sep 2023 22:53:30 +0200",
			},
			ip: "198.51.100.111"},
		{name: "microsoft 365 from another microsoft 365 tenant",
			received: []string{
				"from XX9PR03CA0788.namprd03.prod.outlook.com (2001:db8:408:13f::13) by XX6PR18MB3601.namprd18.prod.outlook.com (2001:db8:5:2aa::24) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.6838.21; Wed, 27 Sep 2023 15:20:15 +0000",
				"from XX7NAM10FT015.eop-nam10.prod.protection.outlook.com (2001:db8:408:13f:cafe::dd) by XX9PR03CA0788.outlook.office365.com (2001:db8:408:13f::13) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.6838.21 via Frontend Transport; Wed, 27 Sep 2023 15:20:14 +0000",
				"from nam10.map.protection.outlook.com (203.0.113.94) by XX7NAM10FT015.mail.protection.outlook.com (10.13.157.1) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.6838.14 via Frontend Transport; Wed, 27 Sep 2023 15:20:13 +0000",
				"from XX5PR11MB1234.namprd11.prod.outlook.com ([fe80::1234]) by XX5PR11MB1234.namprd11.prod.outlook.com ([fe80::1234%4]) with mapi id 15.20.6838.010; Wed, 27 Sep 2023 15:20:10 +0000",
				"from [192.168.1.20] (198.51.100.200) by XX5PR11MB1234.namprd11.prod.outlook.com with ESMTPSA; Wed, 27 Sep 2023 15:20:09 +0000",
			},
			ip: "203.0.113.94", whyHas: "entered Microsoft 365"},
		{name: "microsoft 365 tenant forwarding to a postfix receiver",
			received: []string{
				"from NAM10-BN7-obe.outbound.protection.outlook.com (mail-bn7nam10on2067.outbound.protection.outlook.com [203.0.113.67]) by mx.receiver.example (Postfix) with ESMTPS id 1; Wed, 27 Sep 2023 15:20:20 +0000",
				"from XX9PR03CA0788.namprd03.prod.outlook.com (2001:db8:408:13f::13) by XX6PR18MB3601.namprd18.prod.outlook.com (2001:db8:5:2aa::24) with Microsoft SMTP Server id 15.20.6838.21; Wed, 27 Sep 2023 15:20:15 +0000",
				"from sender.example (198.51.100.94) by XX7NAM10FT015.mail.protection.outlook.com (10.13.157.1) with Microsoft SMTP Server id 15.20.6838.14 via Frontend Transport; Wed, 27 Sep 2023 15:20:13 +0000",
			},
			authserv: []string{"mx.receiver.example"}, ip: "203.0.113.67", whyHas: "the receiver named in the trusted Authentication-Results (authserv-id mx.receiver.example)"},
		{name: "two microsoft 365 tenants: the newer one received it",
			received: []string{
				"from XX4PR04CA0314.namprd04.prod.outlook.com (2001:db8:303:82::19) by XX3P223MB0210.NAMP223.PROD.OUTLOOK.COM (2001:db8:208:34f::16) with Microsoft SMTP Server id 15.20.1; Mon, 1 Jan 2024 10:00:09 +0000",
				"from XX2NAM04FT025.eop-NAM04.prod.protection.outlook.com (2001:db8:303:82:cafe::76) by XX4PR04CA0314.outlook.office365.com (2001:db8:303:82::19) with Microsoft SMTP Server id 15.20.1 via Frontend Transport; Mon, 1 Jan 2024 10:00:08 +0000",
				"from forwarder.example (203.0.113.79) by XX2NAM04FT025.mail.protection.outlook.com (10.13.31.1) with Microsoft SMTP Server id 15.20.1 via Frontend Transport; Mon, 1 Jan 2024 10:00:07 +0000",
				"from XX6NAM04FT067.eop-NAM04.prod.protection.outlook.com (2001:db8:3:ee:cafe::f4) by XX5PR07CA0152.outlook.office365.com (2001:db8:3:ee::18) with Microsoft SMTP Server id 15.20.1 via Frontend Transport; Mon, 1 Jan 2024 10:00:02 +0000",
				"from first.example (198.51.100.62) by XX6NAM04FT067.mail.protection.outlook.com (10.13.31.2) with Microsoft SMTP Server id 15.20.1 via Frontend Transport; Mon, 1 Jan 2024 10:00:01 +0000",
			},
			ip: "203.0.113.79", whyHas: "XX2NAM04FT025.mail.protection.outlook.com received it from forwarder.example"},
		{name: "gmail to gmail",
			received: []string{
				"by 2002:a05:6a10:1234:b0:5ad:1234:abcd with SMTP id x; Tue, 3 Jan 2017 12:32:03 -0800 (PST)",
				"from mail-sor-f41.google.com (mail-sor-f41.google.com. [198.51.100.41]) by mx.google.com with SMTPS id x2sor; Tue, 03 Jan 2017 12:32:02 -0800 (PST)",
				"by 2002:a05:6a10:5678:b0:5ad:1234:abcd with SMTP id y; Tue, 3 Jan 2017 12:32:01 -0800 (PST)",
			},
			ip: "198.51.100.41", whyHas: "entered Gmail"},
		{name: "a HELO in the receiver's domain does not make a hop internal when rDNS says otherwise",
			received: []string{
				"from mx.receiver.example (attacker.example [203.0.113.66]) by mx.receiver.example (Postfix) with ESMTP id 1; Mon, 23 Nov 2026 10:00:05 +0000",
				"from x (x [198.51.100.1]) by mx.receiver.example (Postfix) with ESMTP id 0; Mon, 23 Nov 2026 10:00:04 +0000",
			},
			ip: "203.0.113.66"},
		{name: "a bounce from the receiver's own server",
			received: []string{
				"from BLU004-OMC3S13.hotmail.example.com ([198.51.100.88]) by BAY004-MC2F13.hotmail.example.com over TLS secured channel with Microsoft SMTPSVC(7.5.7601.22712); Fri, 21 Nov 2014 14:17:54 -0800",
			},
			authserv: []string{"hotmail.example.com"}, ip: "198.51.100.88", whyHas: "the last hop into example.com from outside"},
		{name: "the receiver's own servers only, named by reverse DNS",
			received: []string{
				"from out.hotmail.example.com (out.hotmail.example.com [198.51.100.89]) by in.hotmail.example.com with ESMTP; Fri, 21 Nov 2014 14:17:54 -0800",
			},
			authserv: []string{"hotmail.example.com"}, ip: "198.51.100.89", whyHas: "every hop into the receiver came from a server named in its own domain"},
		{name: "a relay named by HELO only counts when the path goes on from it",
			received: []string{
				"from relay.receiver.example (198.51.100.28) by mail.receiver.example; Mon, 23 Nov 2026 10:00:06 +0000",
				"from out.sender.example (out.sender.example [203.0.113.7]) by relay.receiver.example; Mon, 23 Nov 2026 10:00:05 +0000",
			},
			ip: "203.0.113.7", whyHas: "mail.receiver.example from relay.receiver.example [198.51.100.28], a server of the receiver"},
		{name: "the trusted authserv-id's host",
			received: []string{
				"from relay.receiver.example (198.51.100.28) by mail.receiver.example; Mon, 23 Nov 2026 10:00:06 +0000",
				"from out.sender.example (203.0.113.8) by relay.receiver.example; Mon, 23 Nov 2026 10:00:05 +0000",
				"from forged.example (192.0.2.55) by relay.receiver.example; Mon, 23 Nov 2026 10:00:04 +0000",
			},
			authserv: []string{"relay.receiver.example"}, ip: "203.0.113.8", whyHas: "authserv-id relay.receiver.example"},
		{name: "a path cut short: not the receiver's internal hop",
			received: []string{
				"from FR0P281MB2649.DEUP281.PROD.OUTLOOK.COM (2001:db8:d10:50::12) by BEZP281MB2374.DEUP281.PROD.OUTLOOK.COM with HTTPS; Mon, 1 Jan 2024 10:00:09 +0000",
				"from XXXX ([10.13.58.70]) by XXXX; Mon, 1 Jan 2024 10:00:08 +0000",
				"from mout.mailbox.example (mout.mailbox.example [198.51.100.171]) by mx.burda.example; Mon, 1 Jan 2024 10:00:07 +0000",
			},
			ip: "198.51.100.171", whyHas: "no hop could be told apart"},
		{name: "a forged HELO in the receiver's domain without reverse DNS is not an internal hop",
			received: []string{
				"from mx.receiver.example (203.0.113.67) by mx.receiver.example with ESMTP id 1; Mon, 23 Nov 2026 10:00:05 +0000",
				"from spf-approved.sender.example (198.51.100.1) by mx.receiver.example with ESMTP id 0; Mon, 23 Nov 2026 10:00:04 +0000",
			},
			ip: "203.0.113.67"},
		{name: "only private and loopback addresses",
			received: []string{
				"from localhost (localhost [127.0.0.1]) by mx.receiver.example; Mon, 23 Nov 2026 10:00:05 +0000",
				"from [192.168.1.5] ([fe80::1]) by mx.receiver.example; Mon, 23 Nov 2026 10:00:04 +0000",
			},
			ip: ""},
		{name: "nothing tells the receiver apart: the newest public address",
			received: []string{
				"from a.example ([198.51.100.3]) by 192.0.2.200; Mon, 23 Nov 2026 10:00:05 +0000",
			},
			ip: "198.51.100.3", whyHas: ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var hops []Hop
			for i := len(c.received) - 1; i >= 0; i-- {
				hops = append(hops, parseReceived(c.received[i]))
			}
			i, why := spfBoundary(hops, c.authserv)
			got := ""
			if i >= 0 {
				got = hops[i].IP
			}
			if got != c.ip || !strings.Contains(why, c.whyHas) {
				t.Errorf("chose %q (%s), want %q saying %q", got, why, c.ip, c.whyHas)
			}
		})
	}
}

// TestSPFBoundaryInInspect: the chosen hop and the reason are in the SPF
// step, the HELO comes from Exim's helo=, and --ip overrides the choice.
func TestSPFBoundaryInInspect(t *testing.T) {
	m, err := Parse([]byte("Authentication-Results: mx.receiver.example; spf=pass smtp.mailfrom=a@sender.example\r\n" +
		"Received: from localhost (localhost [127.0.0.1]) by mx.receiver.example (Postfix) with ESMTP id 2; Mon, 23 Nov 2026 10:00:06 +0000\r\n" +
		"Received: from out.sender.example ([203.0.113.5] helo=smtp.sender.example) by mx.receiver.example with esmtps id 3; Mon, 23 Nov 2026 10:00:05 +0000\r\n" +
		"Return-Path: <a@sender.example>\r\nFrom: a@sender.example\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	in := deriveSPFInputs(m, parseHops(m), Options{})
	why := strings.Join(in.why, "; ")
	if in.ip.String() != "203.0.113.5" || in.helo != "smtp.sender.example" || !strings.Contains(why, "authserv-id mx.receiver.example") {
		t.Errorf("ip %v helo %q why %q", in.ip, in.helo, why)
	}
	in = deriveSPFInputs(m, parseHops(m), Options{IP: "192.0.2.99"})
	if in.ip.String() != "192.0.2.99" || !strings.Contains(strings.Join(in.why, "; "), "given for this check") {
		t.Errorf("--ip: %v %q", in.ip, in.why)
	}
}
