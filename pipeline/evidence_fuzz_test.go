package pipeline

import (
	"bytes"
	"context"
	"testing"
)

// FuzzReadBundle: any bytes are a bundle or an error, never a panic, and
// a bundle read writes back to one that reads the same. (Replaying fuzzed
// messages is inspect's fuzzing; here the reader is under test.)
func FuzzReadBundle(f *testing.F) {
	src, cfg, err := Demo(Config{})
	if err != nil {
		f.Fatal(err)
	}
	cfg.Evidence = true
	e, _ := New(cfg)

	e.Run(context.Background(), src, func(r Result) bool {
		data, _ := r.Bundle.Marshal()
		f.Add(data)

		return false // one: large seeds slow the fuzzer down
	})
	f.Add([]byte(`{"format":"sealtrace-evidence","format_version":1,"evaluation_time":"2026-01-01T00:00:00Z","message":"RnJvbTogYUBiCgpoaQo=","dns":[{"name":"a.","type":"A","rcode":"NOERROR","answers":["1.2.3.4"]}],"report":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ReadBundle(bytes.NewReader(data))
		if err != nil {
			return
		}
		data2, err := b.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		b2, err := ReadBundle(bytes.NewReader(data2))
		if err != nil || !bytes.Equal(b2.Message, b.Message) || len(b2.DNS) != len(b.DNS) {
			t.Fatalf("a bundle written back does not read the same: %v", err)
		}
	})
}

// FuzzParseEdit: any text is an edit or an error; an edit's String reads
// back as the same edit.
func FuzzParseEdit(f *testing.F) {
	for _, s := range []string{"dns:bank.example/TXT=v=spf1 -all", "dns:_dmarc.x.example/TXT=nxdomain", "dns:x.example/A=192.0.2.1",
		"dns:x.example/MX=10 mx.example.", `body+=--\nfooter`, "ip=192.0.2.1", "ip=2001:db8::1", "now=2026-01-01T00:00:00Z",
		"adkim=s", "aspf=r", "p=reject", "t=y", "dkim-key=delete", "dkim-key=rotate", "forward=arc", "forward=plain", "spf-lookups=11",
		"dns:x/TLSA=3 1 1 abcd", "x=y", "=", "dns:", "dns:/=", "body+="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseEdit(s)
		if err != nil {
			return
		}
		e2, err := ParseEdit(e.String())
		if err != nil || e2 != e {
			t.Fatalf("%q -> %q -> %+v, %v", s, e.String(), e2, err)
		}
	})
}
