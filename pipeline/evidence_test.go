package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sealtrace/sealtrace/inspect"
	"github.com/sealtrace/sealtrace/resolver"
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

// Each what-if edit changes the verdicts as the RFCs say, starting from a
// recorded demo message whose verdicts the test checks first.
func TestWhatIfEdits(t *testing.T) {
	e, bs := demoBundles(t)
	pass := demoBundle(t, bs, "all-pass-rsa")       // bank.example: SPF, DKIM, DMARC pass; p=reject
	strict := demoBundle(t, bs, "strict-alignment") // d=mail.shop.example, MAIL FROM bounce.shop.example, From shop.example; adkim=s aspf=s
	lengthTag := demoBundle(t, bs, "length-tag-appended")
	if r := recorded(t, pass); r.SPF.Result != "pass" || r.DKIM[0].Result != "pass" || r.DMARC.Result != "pass" || r.DMARC.Policy != "reject" {
		t.Fatalf("all-pass-rsa is not what the test starts from: %s %s %s %s", r.SPF.Result, r.DKIM[0].Result, r.DMARC.Result, r.DMARC.Policy)
	}
	if r := recorded(t, strict); r.DMARC.Result != "fail" || r.DKIM[0].Result != "pass" || r.SPF.Result != "pass" || r.DMARC.Disposition != "quarantine" {
		t.Fatalf("strict-alignment is not what the test starts from: %+v", r.DMARC)
	}
	type check func(r *inspect.Report) string
	dmarc := func(want string) check {
		return func(r *inspect.Report) string { return "dmarc " + r.DMARC.Result + " want " + want }
	}
	cases := []struct {
		name  string
		b     *Bundle
		edits []string
		ok    func(r *inspect.Report) bool
		got   check
	}{
		// RFC 9989 4.7 (adkim): relaxed alignment takes the organizational
		// domain, strict the exact one. Only adkim differs between the two.
		// The tree walk (RFC 9989 4.10) of d= asks a question the recorded
		// inspection did not: without an answer it is temperror (next case),
		// so the lesson says what it answers.
		{"adkim=r without the tree walk's answer", strict, []string{"adkim=r"},
			func(r *inspect.Report) bool {
				return r.DMARC.Result == "temperror" && r.WhatIf != nil && strings.Contains(strings.Join(r.WhatIf.Notes, " "), "_dmarc.mail.shop.example")
			}, dmarc("temperror, with a note naming the missing question")},
		{"adkim=r aligns mail.shop.example", strict, []string{"aspf=s", "adkim=r", "dns:_dmarc.mail.shop.example/TXT=nxdomain"},
			func(r *inspect.Report) bool { return r.DMARC.Result == "pass" && r.DMARC.DKIMAligned }, dmarc("pass")},
		{"adkim=s does not", strict, []string{"aspf=s", "adkim=r", "dns:_dmarc.mail.shop.example/TXT=nxdomain", "adkim=s"},
			func(r *inspect.Report) bool { return r.DMARC.Result == "fail" && !r.DMARC.DKIMAligned }, dmarc("fail")},
		{"aspf=r aligns bounce.shop.example", strict, []string{"aspf=r", "dns:_dmarc.bounce.shop.example/TXT=nxdomain"},
			func(r *inspect.Report) bool { return r.DMARC.Result == "pass" && r.DMARC.SPFAligned }, dmarc("pass")},
		// RFC 9989 4.7 (p) and 5.3: the disposition of a failing message is
		// the policy; t=y applies one step less.
		{"p=reject", strict, []string{"p=reject"},
			func(r *inspect.Report) bool { return r.DMARC.Disposition == "reject" && r.DMARC.Policy == "reject" },
			func(r *inspect.Report) string { return "disposition " + r.DMARC.Disposition }},
		{"p=none", strict, []string{"p=none"},
			func(r *inspect.Report) bool { return r.DMARC.Disposition == "none" && r.DMARC.Result == "fail" },
			func(r *inspect.Report) string { return "disposition " + r.DMARC.Disposition }},
		{"p=reject t=y", strict, []string{"p=reject", "t=y"},
			func(r *inspect.Report) bool { return r.DMARC.Disposition == "quarantine" && r.DMARC.Testing },
			func(r *inspect.Report) string { return "disposition " + r.DMARC.Disposition }},
		{"p=reject on a pass", pass, []string{"p=reject"},
			func(r *inspect.Report) bool { return r.DMARC.Disposition == "none" && r.DMARC.Result == "pass" },
			func(r *inspect.Report) string { return "disposition " + r.DMARC.Disposition }},
		// RFC 6376 6.1.2: no key record is PERMFAIL (no key for signature).
		{"dkim-key=delete", pass, []string{"dkim-key=delete"},
			func(r *inspect.Report) bool {
				return (r.DKIM[0].Result == "permerror" || r.DKIM[0].Result == "fail") && r.DMARC.Result == "pass" // SPF still aligned
			}, func(r *inspect.Report) string { return "dkim " + r.DKIM[0].Result + " dmarc " + r.DMARC.Result }},
		// RFC 6376 6.1.3: the signature does not verify with another key.
		{"dkim-key=rotate", pass, []string{"dkim-key=rotate"},
			func(r *inspect.Report) bool { return r.DKIM[0].Result == "fail" },
			func(r *inspect.Report) string { return "dkim " + r.DKIM[0].Result }},
		// RFC 7208 4.6.4: more than 10 DNS-querying terms is permerror;
		// 10 are allowed.
		{"spf-lookups=11", pass, []string{"spf-lookups=11"},
			func(r *inspect.Report) bool { return r.SPF.Result == "permerror" },
			func(r *inspect.Report) string { return "spf " + r.SPF.Result }},
		{"spf-lookups=10", pass, []string{"spf-lookups=10"},
			func(r *inspect.Report) bool { return r.SPF.Result == "pass" && r.SPF.Lookups == 10 },
			func(r *inspect.Report) string { return fmt.Sprintf("spf %s, %d lookups", r.SPF.Result, r.SPF.Lookups) }},
		// RFC 7208 4.6: another IP is not in bank.example's record.
		{"ip", pass, []string{"ip=192.0.2.99"},
			func(r *inspect.Report) bool {
				return (r.SPF.Result == "fail" || r.SPF.Result == "softfail") && r.SPF.IP == "192.0.2.99"
			},
			func(r *inspect.Report) string { return "spf " + r.SPF.Result + " for " + r.SPF.IP }},
		// With neither SPF nor DKIM, DMARC fails and p=reject applies.
		{"dkim-key=delete ip", pass, []string{"dkim-key=delete", "ip=192.0.2.99"},
			func(r *inspect.Report) bool { return r.DMARC.Result == "fail" && r.DMARC.Disposition == "reject" },
			func(r *inspect.Report) string { return "dmarc " + r.DMARC.Result + " " + r.DMARC.Disposition }},
		// RFC 6376 3.7: a changed body does not match bh=; with l= the
		// appended text is outside the signed part.
		{"body+=", pass, []string{`body+=--\nlist footer`},
			func(r *inspect.Report) bool { return r.DKIM[0].Result == "fail" },
			func(r *inspect.Report) string { return "dkim " + r.DKIM[0].Result }},
		{"body+= with l=", lengthTag, []string{`body+=more text`},
			func(r *inspect.Report) bool {
				return r.DKIM[0].Result == "pass" && r.DKIM[0].UnsignedBytes > recorded(t, lengthTag).DKIM[0].UnsignedBytes
			},
			func(r *inspect.Report) string {
				return fmt.Sprintf("dkim %s, %d unsigned", r.DKIM[0].Result, r.DKIM[0].UnsignedBytes)
			}},
		// The evaluation time: a day before the signature's t= (RFC 6376
		// 3.5), the signing time lies in the future, which the step says;
		// the recorded inspection (at the demo's time) did not.
		{"now", pass, []string{"now=2026-11-22T09:00:00Z"},
			func(r *inspect.Report) bool {
				return stepSays(r.DKIM[0].Steps, "lies in the future") && !stepSays(recorded(t, pass).DKIM[0].Steps, "lies in the future")
			},
			func(r *inspect.Report) string {
				return "dkim " + r.DKIM[0].Result + " without the future-timestamp step"
			}},
		// dns: edits replace an answer.
		{"dns nxdomain", pass, []string{"dns:_dmarc.bank.example/TXT=nxdomain"},
			func(r *inspect.Report) bool { return r.DMARC.Result == "none" },
			func(r *inspect.Report) string { return "dmarc " + r.DMARC.Result }},
		{"dns rdata", pass, []string{"dns:bank.example/TXT=v=spf1 -all"},
			func(r *inspect.Report) bool { return r.SPF.Result == "fail" },
			func(r *inspect.Report) string { return "spf " + r.SPF.Result }},
		{"dns servfail", pass, []string{"dns:bank.example/TXT=servfail"},
			func(r *inspect.Report) bool { return r.SPF.Result == "temperror" },
			func(r *inspect.Report) string { return "spf " + r.SPF.Result }},
		// A question that was never recorded is temperror, never fail,
		// and the evidence says why.
		{"not in evidence", pass, []string{"dns:bank.example/TXT=v=spf1 include:elsewhere.example -all"},
			func(r *inspect.Report) bool {
				for _, ev := range r.DNS {
					if ev.Name == "elsewhere.example." && ev.Rcode != resolver.RcodeNotInEvidence {
						return false
					}
				}
				return r.SPF.Result == "temperror"
			},
			func(r *inspect.Report) string { return "spf " + r.SPF.Result }},
		// A list that changes the body breaks DKIM and sends from its own
		// IP: DMARC fails; with its ARC seal the chain passes and the
		// report says a receiver trusting the list may accept it.
		{"forward=plain", pass, []string{"forward=plain"},
			func(r *inspect.Report) bool {
				return r.DKIM[0].Result == "fail" && r.SPF.Result != "pass" && r.DMARC.Result == "fail" && r.ARC.Result == "none"
			}, func(r *inspect.Report) string {
				return "dkim " + r.DKIM[0].Result + " spf " + r.SPF.Result + " dmarc " + r.DMARC.Result + " arc " + r.ARC.Result
			}},
		{"forward=arc", pass, []string{"forward=arc"},
			func(r *inspect.Report) bool {
				return r.DKIM[0].Result == "fail" && r.DMARC.Result == "fail" && r.ARC.Result == "pass" &&
					strings.Contains(r.DMARC.Steps[len(r.DMARC.Steps)-1].What, WhatIfListDomain)
			}, func(r *inspect.Report) string {
				return "dkim " + r.DKIM[0].Result + " dmarc " + r.DMARC.Result + " arc " + r.ARC.Result + " " + r.ARC.Reason
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runWhatIf(t, e, c.b, c.edits...)
			if !c.ok(r) {
				for _, ev := range r.DNS {
					if ev.Rcode == resolver.RcodeNotInEvidence {
						t.Logf("not in evidence: %s %s", ev.Name, ev.Type)
					}
				}
				t.Errorf("%v: %s", c.edits, c.got(r))
			}
		})
	}
}

// A bundle made afterwards from a report and its message (the app's
// Export and what-if) replays to that report, for every demo message.
func TestBundleOfReplays(t *testing.T) {
	e, bs := demoBundles(t)
	for _, b := range bs {
		r := e.Inspect(context.Background(), b.Message, b.Source)
		nb, err := BundleOf(r.Report, b.Message, e.Config())
		if err != nil {
			t.Fatal(err)
		}
		rr, err := e.Replay(context.Background(), nb)
		if err != nil || rr.Replay.Mismatch != nil {
			t.Errorf("%s: %v %v", b.Source, err, rr.Replay.Mismatch)
		}
	}
}

func stepSays(steps []inspect.Step, text string) bool {
	for _, s := range steps {
		if strings.Contains(s.What, text) {
			return true
		}
	}
	return false
}
