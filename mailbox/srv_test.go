package mailbox

import (
	"context"
	"strings"
	"testing"

	"github.com/sealtrace/sealtrace/internal/testpeers/dnstest"
	"github.com/sealtrace/sealtrace/resolver"
)

// RFC 6186 suggestions from SRV records served by a DNS server on loopback.
func TestSuggestIMAP(t *testing.T) {
	z := dnstest.Zones(t,
		`_imaps._tcp.example.com. 300 IN SRV 10 0 993 mail2.example.com.`,
		`_imaps._tcp.example.com. 300 IN SRV 0 1 993 mail.example.com.`,
		`_imap._tcp.example.com. 300 IN SRV 0 1 143 mail.example.com.`,
		`_imaps._tcp.nothere.example. 300 IN SRV 0 0 0 .`,
	)
	srv := dnstest.Start(t, z)
	server, _ := resolver.NewServer(srv.Addr)
	r := resolver.NewRecorder(server, nil)
	got, err := SuggestIMAP(context.Background(), r, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	want := []Suggestion{{Server: "mail.example.com:993", Security: ImplicitTLS}, {Server: "mail2.example.com:993", Security: ImplicitTLS}, {Server: "mail.example.com:143", Security: StartTLS}}
	if len(got) != len(want) {
		t.Fatalf("%+v", got)
	}
	for i := range want {
		if got[i].Server != want[i].Server || got[i].Security != want[i].Security {
			t.Errorf("%d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if got, _ := SuggestIMAP(context.Background(), r, "bob@nothere.example"); len(got) != 0 {
		t.Errorf(`"." means no service: %+v`, got)
	}
}

// RFC 6186 6: a server outside the user's domain, named by an SRV record
// that anyone on the path could have changed, is flagged for the user;
// one inside it (the domain itself or a name under it) is not.
func TestSuggestIMAPOutsideDomain(t *testing.T) {
	z := dnstest.Zones(t,
		`_imaps._tcp.example.com. 300 IN SRV 0 1 993 imap.attacker.example.`,
		`_imaps._tcp.example.com. 300 IN SRV 1 1 993 mail.example.com.`,
		`_imaps._tcp.example.com. 300 IN SRV 2 1 993 example.com.`,
		`_imaps._tcp.example.com. 300 IN SRV 3 1 993 notexample.com.`,
	)
	srv := dnstest.Start(t, z)
	server, _ := resolver.NewServer(srv.Addr)
	got, err := SuggestIMAP(context.Background(), resolver.NewRecorder(server, nil), "alice@Example.COM")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"imap.attacker.example:993": true, "mail.example.com:993": false, "example.com:993": false, "notexample.com:993": true}
	if len(got) != len(want) {
		t.Fatalf("%+v", got)
	}
	for _, s := range got {
		if s.OutsideDomain != want[s.Server] {
			t.Errorf("%s: outside %v, want %v", s.Server, s.OutsideDomain, want[s.Server])
		}
		if s.OutsideDomain && !strings.Contains(s.Warning, "outside your domain: check before trusting it") {
			t.Errorf("%s: warning %q", s.Server, s.Warning)
		}
		if !s.OutsideDomain && s.Warning != "" {
			t.Errorf("%s: warning %q", s.Server, s.Warning)
		}
	}
}
