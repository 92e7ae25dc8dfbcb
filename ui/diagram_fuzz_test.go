package ui

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
)

// FuzzPathSVG: whatever the message and DNS say (subject, From, domains,
// an ARC set's recorded results, the DMARC record), the SVG parses as XML,
// has only the elements the writer makes, and the alignment modes read
// from the record are strict or relaxed.
func FuzzPathSVG(f *testing.F) {
	test.NewTempApp(f)
	f.Add("</title><script>alert('x')</script> & <!--", "Mallory <m@evil.example>", `evil"><x>.example`, "dkim=pass ]]> <![CDATA[", "v=DMARC1; p=reject; adkim=s")
	f.Add("\x00\x1b\xff\xfe", "", "", "", "adkim=;aspf=r;adkim")
	f.Add(strings.Repeat("W", 3000), "a", "example.com", "dkim=pass header.d=example.com", "v=DMARC1; aspf=s; adkim=r")
	f.Fuzz(func(t *testing.T, subject, from, domain, claims, record string) {
		r := forwarded()
		r.FromDomain = domain
		r.DKIM[0].Domain = domain
		r.ARC.Sets[0].Claims = claims
		r.DMARC.Record = record
		adkim, aspf := dmarcModes(record)
		if (adkim != "r" && adkim != "s") || (aspf != "r" && aspf != "s") {
			t.Fatalf("modes %q %q from %q", adkim, aspf, record)
		}
		svg := pathSVG(buildPath(r), exportTitle{subject: subject, from: from}, 900)
		dec := xml.NewDecoder(bytes.NewReader(svg))
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("the SVG does not parse: %v", err)
			}
			if el, ok := tok.(xml.StartElement); ok {
				switch el.Name.Local {
				case "svg", "title", "rect", "line", "circle", "text":
				default:
					t.Fatalf("element <%s>", el.Name.Local)
				}
			}
		}
	})
}
