package reports_test

import (
	"fmt"
	"os"

	"github.com/sealtrace/sealtrace/reports"
)

// Read takes a report as it arrived, whatever its form, and gives each
// report in it; the records say which sources sent mail as the domain and
// what became of it.
func ExampleRead() {
	data, err := os.ReadFile("testdata/agg-rfc7489.xml.gz")
	if err != nil {
		panic(err)
	}
	reps, err := reports.Read("agg-rfc7489.xml.gz", data, reports.Limits{})
	if err != nil {
		fmt.Println("error:", err)
	}
	for _, r := range reps {
		a := r.Aggregate
		fmt.Println(r.Kind, a.OrgName, a.PolicyDomain, a.Begin.Format("2006-01-02"), "p="+a.Policy.P)
		for _, rec := range a.Records {
			fmt.Println(rec.SourceIP, rec.Count, rec.Disposition, "dkim="+rec.DKIM, "spf="+rec.SPF, "arc-rescued:", rec.RescuedByARC())
		}
	}
	// Output:
	// aggregate Receiver One sealtrace.example 2026-11-27 p=quarantine
	// 192.0.2.10 12 none dkim=pass spf=pass arc-rescued: false
	// 198.51.100.7 3 none dkim=fail spf=fail arc-rescued: true
	// 203.0.113.99 5 quarantine dkim=fail spf=fail arc-rescued: false
}

// ReadDir reads a folder of reports; Dedup keeps one copy of a report that
// arrived more than once (here: 2 aggregate and 1 TLS report, each in
// several forms, and 3 failure reports, which have no key and are kept).
func ExampleDedup() {
	reps, err := reports.ReadDir("testdata", reports.Limits{})
	if err != nil {
		fmt.Println("some input could not be read")
	}
	fmt.Println(len(reps), "reports read,", len(reports.Dedup(reps)), "distinct")
	// Output:
	// some input could not be read
	// 12 reports read, 6 distinct
}
