package inspect_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/sealtrace/sealtrace/inspect"
	"github.com/sealtrace/sealtrace/resolver"
)

// Inspect a message offline: the DNS answers come from a zone file.
func ExampleInspect() {
	zones := resolver.NewZones()
	_ = zones.Load(strings.NewReader(`
example.com.        300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.example.com. 300 IN TXT "v=DMARC1; p=reject"
`), "", "example.zone")

	msg := "Return-Path: <alice@example.com>\r\n" +
		"Received: from mail.example.com (mail.example.com [203.0.113.5]) by mx.example.net; Mon, 23 Nov 2026 10:00:00 +0000\r\n" +
		"From: Alice <alice@example.com>\r\nSubject: hello\r\n\r\nHi!\r\n"
	rep, err := inspect.Inspect(context.Background(), []byte(msg), inspect.Options{Resolver: zones})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("SPF:", rep.SPF.Result, "for", rep.SPF.IP)
	fmt.Println("DKIM signatures:", len(rep.DKIM))
	fmt.Println("DMARC:", rep.DMARC.Result, "policy", rep.DMARC.Policy)
	fmt.Println(rep.DMARC.Steps[len(rep.DMARC.Steps)-1].What)
	// Output:
	// SPF: fail for 203.0.113.5
	// DKIM signatures: 0
	// DMARC: fail policy reject
	// DMARC fails: nothing that verified is aligned with example.com. The domain's policy is reject, so a receiver would reject the message.
}
