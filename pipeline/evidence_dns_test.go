package pipeline

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealtrace/sealtrace/assets"
	"github.com/sealtrace/sealtrace/internal/dnsserve"
)

// Messages checked against a real DNS server on loopback (the demo zone
// served by dnstest, asked over UDP/TCP with the wall clock stamping each
// answer) replay from their bundles, with the server stopped, to the same
// report byte for byte: the fetch times, TTLs and rcodes come from the
// evidence, not from a clock or a zone.
func TestReplayLoopbackIdentical(t *testing.T) {
	z, err := assets.DemoResolver()
	if err != nil {
		t.Fatal(err)
	}
	// dnstest's server, started through dnsserve so that the test can stop
	// it before the replay.
	srv, stop, err := dnsserve.Serve(z)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	demo, dcfg, err := Demo(Config{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(Config{DNS: DNSServer, DNSServer: srv.Addr, Now: assets.DemoNow, Keyring: dcfg.Keyring, Passphrase: dcfg.Passphrase,
		Evidence: true, IP: "", MailFrom: ""})
	if err != nil {
		t.Fatal(err)
	}
	var bs []*Bundle
	e.Run(context.Background(), demo, func(r Result) bool {
		if r.Err != nil || r.Bundle == nil {
			t.Fatalf("%s: %v", r.Report.Source, r.Err)
		}
		bs = append(bs, r.Bundle)
		return true
	})
	// One more with SPF inputs given by the user: they are replayed as given.
	raw, _ := demoBundle(t, bs, "all-pass-rsa").Message, 0
	eg, err := New(Config{DNS: DNSServer, DNSServer: srv.Addr, Now: assets.DemoNow, IP: "192.0.2.77", MailFrom: "someone@bank.example"})
	if err != nil {
		t.Fatal(err)
	}
	rg, bg := eg.Record(context.Background(), raw, "given.eml")
	if rg.Report.SPF.IP != "192.0.2.77" || bg.SPF.IPFrom != FromGiven || bg.SPF.MailFromFrom != FromGiven || bg.SPF.HELOFrom != "" {
		t.Fatalf("given SPF inputs recorded as %+v", bg.SPF)
	}
	bs = append(bs, bg)
	stop() // nothing can be asked any more

	dir := t.TempDir()
	for _, b := range bs {
		if len(b.DNS) == 0 {
			t.Fatalf("%s: no DNS evidence", b.Source)
		}
		p, err := b.WriteFile(dir)
		if err != nil {
			t.Fatal(err)
		}
		src, err := File(p) // as the app and the CLI open it
		if err != nil {
			t.Fatal(err)
		}
		var got []Result
		replayer, _ := New(Config{Keyring: dcfg.Keyring, Passphrase: dcfg.Passphrase, DNS: DNSZones}) // no zone files: nothing to answer from
		replayer.Run(context.Background(), src, func(r Result) bool { got = append(got, r); return true })
		if len(got) != 1 || got[0].Replay == nil || got[0].Err != nil {
			t.Fatalf("%s: %d results, %+v", p, len(got), got)
		}
		if got[0].Replay.Mismatch != nil {
			t.Errorf("%s: %v", b.Source, got[0].Replay.Mismatch)
		}
		js, _ := got[0].Report.JSON()
		if !bytes.Equal(bytes.TrimSuffix(js, []byte("\n")), b.Report) {
			t.Errorf("%s: replayed JSON differs", b.Source)
		}
		if !strings.Contains(got[0].Replay.Banner(), "Replayed from evidence recorded at") {
			t.Errorf("banner %q", got[0].Replay.Banner())
		}
	}
}

// Hostile bundles are refused with a clear error, in bounded memory.
func TestReadBundleHostile(t *testing.T) {
	_, bs := demoBundles(t)
	good, _ := bs[0].Marshal()
	edit := func(old, new string) []byte { return bytes.Replace(good, []byte(old), []byte(new), 1) }
	many := `"dns": [` + strings.Repeat(`{"name":"a.example.","type":"TXT","rcode":"NOERROR","answers":[]},`, 5000) + `{}],`
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"not json", []byte("From: a@b\n\nhello"), "not a bundle's JSON"},
		{"other format", edit(`"format": "sealtrace-evidence"`, `"format": "other"`), "format is"},
		{"future version", edit(`"format_version": 1`, `"format_version": 2`), "format version 2"},
		{"bad base64", edit(`"message": "`, `"message": "!!`), "not base64"},
		{"too many questions", edit(`"dns": [`, many[:len(many)-2]+",")[:0], ""},
		{"deep report", edit(`"report": {`, `"report": `+deep+`, "x": {`), ""},
		{"bad answer", edit(`"rcode": "NOERROR"`, `"rcode": "NOSUCH"`), "unknown rcode"},
		{"duplicate question", nil, "appears twice"},
		{"huge", nil, "over"},
	}
	// the huge one: a reader that never ends is read only up to the limit.
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := c.data
			switch c.name {
			case "too many questions":
				data = bytes.Replace(good, []byte(`"dns": [`), []byte(many[:len(many)-len(`{}],`)]), 1)
				c.want = "more than 4096 questions"
			case "deep report":
				c.want = "not a bundle's JSON"
			case "duplicate question":
				b := *bs[0]
				b.DNS = append(b.DNS, b.DNS[0])
				data, _ = b.Marshal()
			}
			var err error
			if c.name == "huge" {
				_, err = ReadBundle(endless{})
			} else {
				_, err = ReadBundle(bytes.NewReader(data))
			}
			if !errors.Is(err, ErrBundle) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want ErrBundle saying %q", err, c.want)
			}
		})
	}
}

// endless is a reader of spaces that never ends.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

// The version a bundle records is the one the app is packaged with.
func TestVersionIsFyneApp(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "FyneApp.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `Version = "`+Version+`"`) {
		t.Errorf("pipeline.Version %q is not FyneApp.toml's", Version)
	}
}

// A bundle renamed (.json, or no extension) still opens as a bundle; an
// .eml never does.
func TestFileRecognisesRenamedBundle(t *testing.T) {
	_, bs := demoBundles(t)
	data, _ := bs[0].Marshal()
	dir := t.TempDir()
	for _, name := range []string{"evidence.json", "evidence", "x.sealtrace.json"} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, data, 0o600)
		src, err := File(p)
		if err != nil {
			t.Fatal(err)
		}
		it, ok := src.Next(context.Background())
		if !ok || it.Bundle == nil || !bytes.Equal(it.Raw, bs[0].Message) {
			t.Errorf("%s: not opened as a bundle (%v, %v)", name, ok, it.Err)
		}
	}
	p := filepath.Join(dir, "m.eml")
	os.WriteFile(p, bs[0].Message, 0o600)
	src, _ := File(p)
	if it, ok := src.Next(context.Background()); !ok || it.Bundle != nil {
		t.Errorf("a message opened as a bundle")
	}
}
