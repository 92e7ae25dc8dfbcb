package inspect

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/sealtrace/sealtrace/resolver"
)

// FuzzDKIMName: a d= or s= that dnsLabels accepts is a name of DNS labels
// in lower-case letters, digits, hyphens and underscores, which the
// resolver takes as it is; nothing else ever becomes a question.
func FuzzDKIMName(f *testing.F) {
	for _, s := range []string{"example.com", "Example.COM", "s1", "2024_01.k-2", "bücher.example", "x](https://evil.example/a.png)",
		"example..com", ".example.com", "a@example.com", "example.com\\046evil", "exa mple.com", "xn--bcher-kva.example", "ß.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, ok := dnsLabels(in)
		if !ok {
			return
		}
		for _, l := range strings.Split(out, ".") {
			if l == "" || len(l) > 63 {
				t.Fatalf("%q -> %q: label %q", in, out, l)
			}
		}
		if strings.Trim(out, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != "" {
			t.Fatalf("%q -> %q: a character outside the label alphabet", in, out)
		}
		if len(out) <= 253 {
			if fq, err := resolver.Fqdn(out); err != nil || fq != out+"." {
				t.Fatalf("%q -> %q: the resolver says %q %v", in, out, fq, err)
			}
		}
	})
}

// FuzzBodyPrefixes: the one-pass prefix hashes of prepare equal the hash of
// the canonical body cut at each l, computed one l at a time.
func FuzzBodyPrefixes(f *testing.F) {
	for _, s := range []string{"", "\r\n\r\n", "a  b \t\r\nc\r\n\r\n \r\n", "no final newline  ", "x\r\n \r\n\t\r\ny  z\r\n\r\n"} {
		f.Add([]byte(s), uint16(0), uint16(3), uint16(40), true)
	}
	f.Fuzz(func(t *testing.T, body []byte, l1, l2, l3 uint16, relaxed bool) {
		ls := []int64{-1, int64(l1), int64(l2), int64(l3)}
		var keys []bodyKey
		for _, l := range ls {
			keys = append(keys, bodyKey{relaxed, "sha256", l})
		}
		bh := newBodyHashes(body)
		bh.prepare(keys)
		for _, l := range ls {
			got, total, err := bh.sum(relaxed, "sha256", l)
			h := newHash("sha256")
			var w io.Writer = h
			if l >= 0 {
				w = &limitWriter{w: h, n: l}
			}
			wantTotal := writeCanonBody(w, body, relaxed)
			switch {
			case total != wantTotal:
				t.Fatalf("l=%d: total %d, want %d", l, total, wantTotal)
			case l > wantTotal && err != errLTooLong:
				t.Fatalf("l=%d > %d: %v", l, wantTotal, err)
			case l <= wantTotal && (err != nil || !bytes.Equal(got, h.Sum(nil))):
				t.Fatalf("l=%d: wrong hash (%v)", l, err)
			}
		}
		if p := bh.passes.Load(); p != 1 {
			t.Fatalf("%d passes", p)
		}
	})
}
