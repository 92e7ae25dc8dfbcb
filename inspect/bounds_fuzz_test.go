package inspect

import (
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
