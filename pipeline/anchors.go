package pipeline

import (
	"bytes"
	_ "embed" // the root anchors

	"github.com/miekg/dns"

	"github.com/sealtrace/sealtrace/resolver"
)

// rootAnchors are the IANA root trust anchors, built in so that DNSSEC
// validation needs no file from the system (Debian's dns-root-data path does
// not exist on Windows or macOS).
//
//go:embed root.key
var rootAnchors []byte

// Anchors reads the trust anchors of file, or returns the built-in IANA
// root anchors when file is empty.
func Anchors(file string) ([]dns.RR, error) {
	if file == "" {
		return resolver.LoadAnchors(bytes.NewReader(rootAnchors), "the built-in IANA root anchors")
	}
	return resolver.LoadAnchorsFile(file)
}
