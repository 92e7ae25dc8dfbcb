package resolver_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/miekg/dns"
	"github.com/sealtrace/sealtrace/resolver"
)

// Answers from a zone file, recorded as evidence for a report.
func ExampleRecorder() {
	zones := resolver.NewZones()
	_ = zones.Load(strings.NewReader("example.com. 300 IN TXT \"v=spf1 -all\"\n"), "", "example.zone")
	rec := resolver.NewRecorder(zones, nil)
	txt, _ := rec.LookupTXT(context.Background(), "example.com")
	_, _ = rec.Query(context.Background(), "missing.example.com", dns.TypeTXT)
	fmt.Println(txt)
	for _, ev := range rec.Evidence() {
		fmt.Println(ev.Name, ev.Type, ev.Rcode, ev.Answers)
	}
	// Output:
	// [v=spf1 -all]
	// example.com. TXT NOERROR [v=spf1 -all]
	// missing.example.com. TXT NXDOMAIN []
}
