package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/sealtrace/sealtrace/inspect"
)

// demoBundles records a bundle of every demo message.
func demoBundles(t *testing.T) (*Engine, []*Bundle) {
	t.Helper()
	src, cfg, err := Demo(Config{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Evidence = true
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var bs []*Bundle
	e.Run(context.Background(), src, func(r Result) bool {
		if r.Err != nil || r.Bundle == nil {
			t.Fatalf("%s: %v (bundle %v)", r.Report.Source, r.Err, r.Bundle != nil)
		}
		bs = append(bs, r.Bundle)
		return true
	})
	if len(bs) < 10 {
		t.Fatalf("%d demo messages", len(bs))
	}
	return e, bs
}

// A bundle written to a file and read back replays, without the demo's
// zone, to the report it stored, byte for byte, for every demo message.
func TestReplayDemoIdentical(t *testing.T) {
	e, bs := demoBundles(t)
	dir := t.TempDir()
	for _, b := range bs {
		p, err := b.WriteFile(dir)
		if err != nil {
			t.Fatal(err)
		}
		rb, err := ReadBundleFile(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		r, err := Replay(context.Background(), rb, e.PGPOptions())
		if err != nil {
			t.Fatalf("%s: %v", b.Source, err)
		}
		if r.Replay.Mismatch != nil {
			t.Errorf("%s: %v", b.Source, r.Replay.Mismatch)
			continue
		}
		got, _ := r.Report.JSON()
		if !bytes.Equal(bytes.TrimSuffix(got, []byte("\n")), b.Report) {
			t.Errorf("%s: replayed JSON differs from the recorded one", b.Source)
		}
	}
}

// A bundle changed after it was written no longer agrees with itself: a
// replay says so and names what differs, whether the change is in a DNS
// answer, the message or the stored report.
func TestTamperedBundleDetected(t *testing.T) {
	e, bs := demoBundles(t)
	b := demoBundle(t, bs, "all-pass-rsa") // DKIM and SPF pass
	cases := []struct {
		name, want string
		edit       func(b *Bundle)
	}{
		{"dns answer", "dkim", func(b *Bundle) {
			for i, ev := range b.DNS {
				if strings.Contains(ev.Name, "_domainkey") {
					b.DNS[i].Answers = []string{"v=DKIM1; k=rsa; p=" + rotatedRSA}
				}
			}
		}},
		{"message", "dkim", func(b *Bundle) { b.Message = append(bytes.Clone(b.Message), "tampered\n"...) }},
		{"report verdict", "spf: stored fail, replayed pass", func(b *Bundle) {
			b.Report = bytes.Replace(b.Report, []byte(`"spf":{"result":"pass"`), []byte(`"spf":{"result":"fail"`), 1)
		}},
		{"fetch time", "dns", func(b *Bundle) { b.DNS[0].Time = b.DNS[0].Time.Add(1) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data, _ := b.Marshal()
			cb, err := ReadBundle(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			c.edit(cb)
			data, _ = cb.Marshal()
			if cb, err = ReadBundle(bytes.NewReader(data)); err != nil {
				t.Fatal(err)
			}
			r, err := Replay(context.Background(), cb, e.PGPOptions())
			if err != nil {
				t.Fatal(err)
			}
			if !errors.Is(r.Replay.Mismatch, ErrTampered) || !strings.Contains(r.Replay.Mismatch.Error(), c.want) {
				t.Errorf("mismatch %v, want ErrTampered naming %q", r.Replay.Mismatch, c.want)
			}
		})
	}
}

// demoBundle is the bundle of the demo message named name.
func demoBundle(t *testing.T, bs []*Bundle, name string) *Bundle {
	t.Helper()
	for _, b := range bs {
		if bytes.Contains(b.Message, []byte("X-Sealtrace-Demo: "+name+"\n")) || bytes.Contains(b.Message, []byte("X-Sealtrace-Demo: "+name+"\r\n")) {
			return b
		}
	}
	t.Fatalf("no demo message %s in %.200q", name, bs[0].Message)
	return nil
}

func runWhatIf(t *testing.T, e *Engine, b *Bundle, edits ...string) *inspect.Report {
	t.Helper()
	es, err := ParseEdits(edits)
	if err != nil {
		t.Fatal(err)
	}
	r, err := WhatIf(context.Background(), b, e.PGPOptions(), es...)
	if err != nil {
		t.Fatal(err)
	}
	if r.Report.WhatIf == nil || len(r.Report.WhatIf.Edits) != len(edits) {
		t.Fatalf("the report does not say it is a what-if of %v: %+v", edits, r.Report.WhatIf)
	}
	return r.Report
}

func recorded(t *testing.T, b *Bundle) *inspect.Report {
	t.Helper()
	var rep inspect.Report
	if err := json.Unmarshal(b.Report, &rep); err != nil {
		t.Fatal(err)
	}
	return &rep
}

// Each what-if edit changes the verdicts as the RFCs say.
func TestWhatIfEdits(t *testing.T) {
	e, bs := demoBundles(t)
	pass := demoBundle(t, bs, "all-pass-rsa")
	for _, x := range bs {
		r := recorded(t, x)
		var dk []string
		for _, d := range r.DKIM {
			dk = append(dk, d.Domain+"/"+d.Selector+"/"+d.Result)
		}
		t.Logf("%s: spf %s %s dkim %v dmarc %s %v/%v arc %s from %s disp %s", x.Source, r.SPF.Result, r.SPF.Domain, dk, r.DMARC.Result, r.DMARC.SPFAligned, r.DMARC.DKIMAligned, r.ARC.Result, r.FromDomain, r.DMARC.Disposition)
	}
	_, _ = pass, e
}
