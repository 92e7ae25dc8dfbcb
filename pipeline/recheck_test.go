package pipeline

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/sealtrace/sealtrace/inspect"
	"github.com/sealtrace/sealtrace/internal/testpeers/dnstest"
	"github.com/sealtrace/sealtrace/resolver"
)

// expiring is a message signed now with x= an hour ahead, delivered (its
// newest Received field) two hours ahead: valid when the first hop got it,
// expired at delivery.
func expiring(t *testing.T) (string, *resolver.Zones) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	first := now.Add(time.Minute).Format(time.RFC1123Z)
	last := now.Add(2 * time.Hour).Format(time.RFC1123Z)
	body := "From: alice@sender.example\r\nTo: bob@example.org\r\nSubject: expiring\r\nDate: " + now.Format(time.RFC1123Z) + "\r\nMessage-ID: <x@sender.example>\r\n\r\nhello\r\n"
	var out bytes.Buffer
	if err := dkim.Sign(&out, strings.NewReader(body), &dkim.SignOptions{Domain: "sender.example", Selector: "s1", Signer: priv, Expiration: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	msg := "Return-Path: <alice@sender.example>\r\nReceived: from relay.example.org (relay.example.org [198.51.100.7]) by mx.example.org with ESMTPS id 4AbCdE; " + last + "\r\n" +
		"Received: from out.sender.example (out.sender.example [192.0.2.10]) by relay.example.org with ESMTP id Q1w2E3; " + first + "\r\n" + out.String()
	z := resolver.NewZones()
	z.Add(resolver.TXT("s1._domainkey.sender.example", "v=DKIM1; k=ed25519; p="+base64.StdEncoding.EncodeToString(pub), 300))
	z.Add(resolver.TXT("sender.example", "v=spf1 ip4:192.0.2.0/24 -all", 300))
	z.Add(resolver.TXT("_dmarc.sender.example", "v=DMARC1; p=reject", 300))
	return msg, z
}

// A re-check changes exactly the inputs asked for, against a real DNS
// server on loopback: the evaluation time (the signature is valid as the
// first hop got it, expired at delivery), the DNS source (offline zones
// without the key → the server that has it), and the SPF IP; the report
// says which inputs were used.
func TestRecheckInputs(t *testing.T) {
	msg, z := expiring(t)
	srv := dnstest.Start(t, z)
	eng, err := New(Config{Resolver: resolver.NewZones(), Workers: 1}) // nothing resolves
	if err != nil {
		t.Fatal(err)
	}
	first := eng.Inspect(context.Background(), []byte(msg), "m#1")
	if first.Report.DKIM[0].Result != inspect.PermError || first.Report.DKIM[0].Code != inspect.CodeNoKey {
		t.Fatalf("offline: DKIM %+v", first.Report.DKIM[0])
	}
	server := Recheck{DNS: DNSServer, DNSServer: srv.Addr}

	hop := server
	hop.Time, hop.Hop = AtHop, 2 // mx.example.org, two hours on: expired
	r, err := eng.Recheck(context.Background(), []byte(msg), "m#1", first.Report, hop)
	if err != nil {
		t.Fatal(err)
	}
	hop.Hop = 1 // relay.example.org, a minute on: valid
	r1, err := eng.Recheck(context.Background(), []byte(msg), "m#1", first.Report, hop)
	if err != nil {
		t.Fatal(err)
	}
	if r1.Report.DKIM[0].Result != inspect.Pass {
		t.Errorf("as the first hop received it: DKIM %s %s", r1.Report.DKIM[0].Result, r1.Report.DKIM[0].Reason)
	}
	if rc := r1.Report.Recheck; rc == nil || !strings.Contains(rc.TimeBasis, "hop 1") || !strings.Contains(rc.DNS, srv.Addr) {
		t.Errorf("recheck inputs %+v", r1.Report.Recheck)
	}
	if r1.Report.DNSSource.Kind != resolver.SourceServer {
		t.Errorf("dns source %+v", r1.Report.DNSSource)
	}
	if r.Report.DKIM[0].Result != inspect.PermError {
		t.Errorf("as hop 2 received it: DKIM %s", r.Report.DKIM[0].Result)
	}

	del := server
	del.Time = AtDelivery
	r, err = eng.Recheck(context.Background(), []byte(msg), "m#1", first.Report, del)
	if err != nil {
		t.Fatal(err)
	}
	if r.Report.DKIM[0].Result != inspect.PermError || !strings.Contains(r.Report.DKIM[0].Reason, "expire") {
		t.Errorf("at delivery (after x=): DKIM %s %q", r.Report.DKIM[0].Result, r.Report.DKIM[0].Reason)
	}
	if !strings.Contains(r.Report.Recheck.TimeBasis, "delivery") || !strings.Contains(r.Report.Recheck.TimeBasis, "mx.example.org") {
		t.Errorf("time basis %q", r.Report.Recheck.TimeBasis)
	}

	now := server
	now.Time, now.IP = AtNow, "203.0.113.9"
	r, err = eng.Recheck(context.Background(), []byte(msg), "m#1", first.Report, now)
	if err != nil {
		t.Fatal(err)
	}
	if r.Report.DKIM[0].Result != inspect.Pass || r.Report.SPF.IP != "203.0.113.9" || r.Report.SPF.Result != inspect.Fail {
		t.Errorf("now, from another IP: DKIM %s, SPF %s for %s", r.Report.DKIM[0].Result, r.Report.SPF.Result, r.Report.SPF.IP)
	}
	if r.Report.Recheck.IP != "203.0.113.9" || !strings.Contains(r.Report.Text(false), "re-checked: evaluated now") {
		t.Errorf("the report does not say the inputs: %+v", r.Report.Recheck)
	}
	// The engine itself is unchanged.
	if again := eng.Inspect(context.Background(), []byte(msg), "m#1"); again.Report.DKIM[0].Code != inspect.CodeNoKey {
		t.Errorf("the re-check changed the engine: %+v", again.Report.DKIM[0])
	}
	// A time the message does not give is an error, not "now".
	bad := Recheck{Time: AtHop, Hop: 9}
	if _, err := eng.Recheck(context.Background(), []byte(msg), "m#1", first.Report, bad); !errors.Is(err, ErrNoTime) {
		t.Errorf("hop 9: %v", err)
	}
}
