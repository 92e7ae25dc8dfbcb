package pipeline

import (
	"bytes"
	"strings"
	"testing"
)

// The demo's reports folder holds every kind and form the app must read:
// aggregate reports as .xml, .xml.gz and .zip in both schemas, one failure
// report carrying a demo message, one TLS report.
func TestDemoReports(t *testing.T) {
	files, err := DemoReports()
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, f := range files {
		for _, ext := range []string{".xml", ".xml.gz", ".zip", ".eml", ".json.gz"} {
			if strings.HasSuffix(f.Name, ext) {
				count[ext]++
			}
		}
		if strings.HasSuffix(f.Name, ".eml") && !bytes.Contains(f.Data, []byte("Message-ID: <x81@mailer.invalid>")) {
			t.Errorf("%s does not carry the demo's spoofed message", f.Name)
		}
	}
	for _, ext := range []string{".xml", ".xml.gz", ".zip", ".eml", ".json.gz"} {
		if count[ext] == 0 {
			t.Errorf("no demo report ends in %s: %v", ext, count)
		}
	}
	src, _, err := Demo(Config{})
	if err != nil || src == nil {
		t.Fatal(err)
	}
}
