package dane

import "testing"

// RFC 7929 3's own example.
func TestOwnerNameRFCExample(t *testing.T) {
	exact, lower, err := OwnerName("hugh@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if exact != "c93f1e400f26708f98cb19d936620da35eec8f72e57f9eec01c1afd6._openpgpkey.example.com." || lower != "" {
		t.Errorf("%s %s", exact, lower)
	}
	exact, lower, _ = OwnerName("Hugh@Example.COM")
	if lower != "c93f1e400f26708f98cb19d936620da35eec8f72e57f9eec01c1afd6._openpgpkey.example.com." || exact == lower {
		t.Errorf("upper case: %s %s", exact, lower)
	}
	for _, bad := range []string{"", "@example.com", "hugh@", "hugh", "a@bad..domain"} {
		if _, _, err := OwnerName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestNamesAddress(t *testing.T) {
	for _, c := range []struct {
		ids  []string
		want bool
	}{
		{[]string{"Alice <alice@example.com>"}, true},
		{[]string{"Alice <ALICE@Example.com>"}, true},
		{[]string{"alice@example.com"}, true},
		{[]string{"Mallory <mallory@evil.example>", "alice@example.com.evil.example"}, false},
		{nil, false},
	} {
		if got := namesAddress(c.ids, "alice@example.com"); got != c.want {
			t.Errorf("%v: %v, want %v", c.ids, got, c.want)
		}
	}
}
