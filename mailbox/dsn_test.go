package mailbox

import (
	"errors"
	"strings"
	"testing"
)

const dsnReport = "Content-Type: multipart/report; report-type=\"Delivery-Status\"; boundary=\"=_b\"\r\n\r\n" +
	"--=_b\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n" +
	"--=_b\r\nContent-Type: message/delivery-status\r\n\r\n" +
	"Reporting-MTA: dns; mx.example.net\r\n\r\n" +
	"Final-Recipient: rfc822; a@example.org\r\nAction: failed\r\nStatus: 5.7.1\r\nRemote-MTA: dns; mx.example.org\r\n" +
	"Diagnostic-Code: smtp; 550 5.7.1 rejected by\r\n DMARC policy\r\n\r\n" +
	"Final-Recipient: rfc822; b@example.org\r\nAction: delayed\r\nStatus: 4.4.7\r\n" +
	"--=_b\r\nContent-Type: message/rfc822\r\n\r\n" + suspect + "\r\n--=_b--\r\n"

// The fields of a delivery-status part are read per recipient, unfolded,
// without their types; the report-type parameter is case-insensitive.
func TestParseBounce(t *testing.T) {
	bn, err := ParseBounce([]byte(dsnReport))
	if err != nil {
		t.Fatal(err)
	}
	if bn.ReportingMTA != "mx.example.net" || len(bn.Recipients) != 2 || bn.HeadersOnly || string(bn.Returned) != suspect {
		t.Fatalf("bounce %+v", bn)
	}
	r := bn.Recipients[0]
	if r.FinalRecipient != "a@example.org" || r.Action != "failed" || r.Status != "5.7.1" || r.RemoteMTA != "mx.example.org" || r.DiagnosticCode != "smtp; 550 5.7.1 rejected by DMARC policy" {
		t.Errorf("recipient %+v", r)
	}
	if bn.Recipients[1].Action != "delayed" || bn.Recipients[1].Status != "4.4.7" {
		t.Errorf("second recipient %+v", bn.Recipients[1])
	}
	// Wrapped in a multipart/mixed by a gateway: still found.
	wrapped := "Content-Type: multipart/mixed; boundary=w\r\n\r\n--w\r\n" + dsnReport + "\r\n--w--\r\n"
	if bn, err := ParseBounce([]byte(wrapped)); err != nil || len(bn.Recipients) != 2 {
		t.Errorf("wrapped: %v %+v", err, bn)
	}
	// A report of another type (a DMARC failure report, an MDN) is no bounce.
	mdn := strings.Replace(dsnReport, "Delivery-Status", "disposition-notification", 1)
	if _, err := ParseBounce([]byte(mdn)); !errors.Is(err, ErrNotBounce) {
		t.Errorf("disposition-notification: %v", err)
	}
	// text/rfc822-headers with its empty line: the header alone, no
	// separator (so that the checks know the body is missing).
	hdrs := strings.Replace(dsnReport, "Content-Type: message/rfc822\r\n\r\n"+suspect, "Content-Type: text/rfc822-headers\r\n\r\nFrom: a@example.com\r\nSubject: x\r\n\r\n", 1)
	bn, err = ParseBounce([]byte(hdrs))
	if err != nil || !bn.HeadersOnly || string(bn.Returned) != "From: a@example.com\r\nSubject: x" {
		t.Errorf("headers: %v %+v %q", err, bn, bn.Returned)
	}
}

func FuzzParseBounce(f *testing.F) {
	f.Add([]byte(dsnReport))
	f.Add([]byte("Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\nContent-Type: text/rfc822-headers\r\n\r\nA: b\r\n--b--\r\n"))
	f.Add([]byte("Content-Type: multipart/report; report-type=delivery-status; boundary=b; x=\"\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nFinal-Recipient:\r\n \r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		bn, err := ParseBounce(raw)
		if err != nil {
			return
		}
		if len(bn.Recipients) > maxDSNRecipients {
			t.Fatalf("%d recipients", len(bn.Recipients))
		}
		for _, r := range bn.Recipients {
			if len(r.DiagnosticCode) > maxDSNFieldBytes || len(r.FinalRecipient) > maxDSNFieldBytes {
				t.Fatalf("field over the bound: %d", len(r.DiagnosticCode))
			}
		}
		if len(bn.Returned) > len(raw) {
			t.Fatalf("returned %d bytes out of %d", len(bn.Returned), len(raw))
		}
	})
}
