// Package assets holds what Sealtrace embeds: the icon and the demo mailbox
// with the offline DNS zone its messages need. The demo is made by real
// signers (dkimpy) through assets/gen and evaluated at DemoNow, so its
// results never change.
package assets

import (
	"bytes"
	"embed"
	"time"

	"github.com/sealtrace/sealtrace/resolver"
)

// Icon is the application icon (PNG).
//
//go:embed icon.png
var Icon []byte

// DemoMbox is the demo mailbox (mboxrd).
//
//go:embed demo/demo.mbox
var DemoMbox []byte

// DemoZone is the RFC 1035 master file that answers the demo's DNS questions.
//
//go:embed demo/demo.zone
var DemoZone []byte

// DemoKeys holds the demo reader's OpenPGP secret key (locked with
// DemoPassphrase) and the demo sender's public key.
//
//go:embed demo/demo-keys.asc
var DemoKeys []byte

// DemoReports is the demo's reports folder (demo/reports): DMARC aggregate
// reports for bank.example and shop.example in both schemas (RFC 7489 and
// RFC 9990's dmarc-2.0) as .xml, .xml.gz and .zip, a failure report (ARF)
// carrying the demo's spoofed bank.example message, and a TLS report
// (RFC 8460, .json.gz). Their sources are the demo messages' sending IPs.
// Made by assets/gen (reports.go), all offline.
//
//go:embed demo/reports
var DemoReports embed.FS

// DemoReportsDir is the folder of DemoReports.
const DemoReportsDir = "demo/reports"

// DemoPassphrase unlocks the demo reader's key. It is public on purpose:
// the demo message's teaching note shows it.
const DemoPassphrase = "sealtrace-demo"

// DemoNow is the evaluation time of the demo.
var DemoNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// DemoResolver returns an offline resolver over DemoZone.
func DemoResolver() (*resolver.Zones, error) {
	z := resolver.NewZones()
	if err := z.Load(bytes.NewReader(DemoZone), "", "demo.zone"); err != nil {
		return nil, err
	}
	return z, nil
}
