package resolver

import (
	"context"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func FuzzZone(f *testing.F) {
	for _, s := range []string{
		"example.com. 300 IN TXT \"v=spf1 -all\"\n",
		"$ORIGIN example.com.\n@ IN SOA ns h 1 2 3 4 5\nwww IN CNAME www\n*.w IN TXT \"x\"\n",
		"a. IN A 192.0.2.1\nb.a. IN CNAME a.\n",
	} {
		f.Add(s, "www.example.com")
	}
	f.Fuzz(func(t *testing.T, zone, name string) {
		z := NewZones()
		if err := z.Load(strings.NewReader(zone), "", "fuzz"); err != nil {
			return
		}
		for _, qt := range []uint16{dns.TypeTXT, dns.TypeA, dns.TypeCNAME} {
			a, err := z.Query(context.Background(), name, qt)
			if err != nil {
				continue
			}
			if len(a.Records) > MaxRecords {
				t.Fatalf("%d records", len(a.Records))
			}
			_ = a.TXT()
		}
	})
}
