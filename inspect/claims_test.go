package inspect

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/sealtrace/sealtrace/resolver"
	"github.com/sealtrace/sealtrace/trace"
)

func TestClaimsTrustAndComparison(t *testing.T) {
	m, err := Parse([]byte("Authentication-Results: mx.receiver.test; spf=pass smtp.mailfrom=a@example.com;\r\n" +
		"\tdkim=pass header.d=example.com; dkim=pass header.d=gone.example; dmarc=pass header.from=example.com\r\n" +
		"Authentication-Results: forged.example; dkim=pass header.d=example.com\r\n" +
		"Authentication-Results: broken ;;; =\r\n" +
		"From: a@example.com\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	claims, warnings := readClaims(m, nil)
	if len(claims) != 5 || len(warnings) != 1 {
		t.Fatalf("%d claims, %d warnings: %+v %v", len(claims), len(warnings), claims, warnings)
	}
	for _, c := range claims {
		if c.Trusted != (c.AuthservID == "mx.receiver.test") {
			t.Errorf("%s trusted=%v: only the topmost authserv-id is trusted by default", c.AuthservID, c.Trusted)
		}
	}
	rep := &Report{Claims: claims,
		SPF:   SPFResult{Result: Pass, IP: "192.0.2.1", Domain: "example.com"},
		DMARC: DMARCResult{Result: Pass},
		DKIM:  []DKIMResult{{Domain: "example.com", Result: Fail, Reason: "body hash mismatch (body changed after signing)", Code: CodeBodyHashMismatch}},
	}
	compareClaims(rep)
	byD := map[string]Claim{}
	for _, c := range rep.Claims {
		if c.Trusted {
			byD[c.Method+" "+c.Props] = c
		} else if c.Ours != "" {
			t.Errorf("an untrusted claim was compared: %+v", c)
		}
	}
	if c := byD["dkim header.d=example.com"]; c.Ours != Fail || !strings.Contains(c.Comparison, "body changed after delivery") {
		t.Errorf("body change not explained: %+v", c)
	}
	if c := byD["dkim header.d=gone.example"]; c.Ours != None || !strings.Contains(c.Comparison, "removed after delivery") {
		t.Errorf("missing signature not explained: %+v", c)
	}
	if c := byD["spf smtp.mailfrom=a@example.com"]; c.Ours != Pass || c.Comparison != "" {
		t.Errorf("agreeing SPF claim: %+v", c)
	}
	// Configured authserv-ids replace the default.
	claims, _ = readClaims(m, []string{"Forged.Example"})
	for _, c := range claims {
		if c.Trusted != (c.AuthservID == "forged.example") {
			t.Errorf("%s trusted=%v with --trust-authserv-id forged.example", c.AuthservID, c.Trusted)
		}
	}
	// A rotated key and a temporary error at delivery.
	rep = &Report{Claims: []Claim{{Method: "dkim", Result: Pass, Properties: []ClaimProperty{{Ptype: "header", Property: "d", Value: "example.com"}}, Trusted: true},
		{Method: "spf", Result: TempError, Trusted: true}},
		SPF:  SPFResult{Result: Pass, IP: "192.0.2.1"},
		DKIM: []DKIMResult{{Domain: "example.com", Result: PermError, Reason: "no key: s._domainkey.example.com does not exist in DNS (removed or rotated?)", Code: CodeNoKey}}}
	compareClaims(rep)
	if !strings.Contains(rep.Claims[0].Comparison, "rotated or removed") || !strings.Contains(rep.Claims[1].Comparison, "could not reach DNS") {
		t.Errorf("%+v", rep.Claims)
	}
}

// An explanation never states what Sealtrace cannot know: a receiver that
// found no signature (dkim=neutral "no sig") did not see one removed, and a
// DMARC "none" without a record is explained by the record, not by alignment.
func TestClaimExplanationsSayWhatIsKnown(t *testing.T) {
	m, err := Parse([]byte("Authentication-Results: mta.yahoo.test; dkim=neutral (no sig) header.i=@example.com; dmarc=pass header.from=example.com\r\n" +
		"From: a@example.com\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	claims, _ := readClaims(m, nil)
	rep := &Report{Claims: claims, SPF: SPFResult{Result: None}, DMARC: DMARCResult{Result: None, Domain: "example.com"}, DKIM: []DKIMResult{}}
	compareClaims(rep)
	for _, c := range rep.Claims {
		switch c.Method {
		case "dkim":
			if strings.Contains(c.Comparison, "removed") {
				t.Errorf("dkim=neutral (no sig) explained as a removed signature: %q", c.Comparison)
			}
		case "dmarc":
			if !strings.Contains(c.Comparison, "no DMARC record") || strings.Contains(c.Comparison, "false") {
				t.Errorf("DMARC none without a record: %q", c.Comparison)
			}
		}
	}
}

// The SPF trace says which term decided: the terms after a matching ip4 are
// not reached, and a lookup that found nothing is not a "pass": it is an
// information step, without a result word.
func TestSPFTraceWords(t *testing.T) {
	lines := explainTerms("v=spf1 ip4:192.0.2.0/24 -all", net.ParseIP("192.0.2.10"))
	if !strings.Contains(lines, "-all: not reached") || strings.Contains(lines, "the result is fail") {
		t.Errorf("terms after the match:\n%s", lines)
	}
	tr := &spfTracer{rec: resolver.NewRecorder(resolver.NewZones(), nil)}
	tr.LookupTXT(context.Background(), "nothing.example.")
	if len(tr.steps) != 1 || tr.steps[0].Result != "" || tr.steps[0].Kind != trace.KindInfo {
		t.Errorf("no record found: %+v", tr.steps)
	}
}
