package inspect

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/sealtrace/sealtrace/resolver"
)

// TestARCBrokenStructureListsInstances: a chain whose structure is broken
// (instance 2 missing, a set without its seal, two AARs for one instance)
// fails, and the report still lists the instances found with what their
// fields say, so that a reader sees who handled the message.
func TestARCBrokenStructureListsInstances(t *testing.T) {
	set := func(i, cv, d string) string {
		return "ARC-Seal: i=" + i + "; a=rsa-sha256; cv=" + cv + "; d=" + d + "; s=arc; t=1700000000; b=AAAA\r\n" +
			"ARC-Message-Signature: i=" + i + "; a=rsa-sha256; c=relaxed/relaxed; d=" + d + "; s=arc; h=from; bh=AAAA; b=AAAA\r\n" +
			"ARC-Authentication-Results: i=" + i + "; mx." + d + " 1; spf=pass (a; b) smtp.mailfrom=example.com\r\n"
	}
	for _, c := range []struct {
		name, fields, reason string
		want                 []string // instance:domain:authserv-id:cv
	}{
		{"an instance missing", set("3", "pass", "c.example") + set("1", "none", "a.example"), "instance 2 is missing",
			[]string{"1:a.example:mx.a.example:none", "3:c.example:mx.c.example:pass"}},
		{"a seal missing", set("2", "pass", "b.example") + strings.Join(strings.SplitAfter(set("1", "none", "a.example"), "\r\n")[1:], ""), "instance 1 has no ARC-Seal",
			[]string{"1:a.example:mx.a.example:", "2:b.example:mx.b.example:pass"}},
		{"two AARs for one instance", set("1", "none", "a.example") + "ARC-Authentication-Results: i=1; other.example; spf=fail\r\n", "two ARC-Authentication-Results",
			[]string{"1:a.example:mx.a.example:none"}},
		{"a bad instance tag", set("1", "none", "a.example") + "ARC-Seal: i=x; cv=none; d=x.example; s=s; b=AAAA\r\n", "an invalid instance",
			[]string{"1:a.example:mx.a.example:none"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := Parse([]byte(c.fields + "From: a@example.com\r\n\r\nbody\r\n"))
			if err != nil {
				t.Fatal(err)
			}
			r := validateARC(context.Background(), m, newBodyHashes(m.Body), resolver.NewRecorder(resolver.NewZones(), nil))
			if r.Result != Fail || !strings.Contains(r.Reason, c.reason) {
				t.Errorf("result %s, reason %q; want fail, %q", r.Result, r.Reason, c.reason)
			}
			var got []string
			for _, s := range r.Sets {
				got = append(got, strings.Join([]string{strconv.Itoa(s.Instance), s.Domain, s.AuthservID, s.CV}, ":"))
				if s.Claims != "spf=pass (a; b) smtp.mailfrom=example.com" {
					t.Errorf("instance %d claims %q", s.Instance, s.Claims)
				}
			}
			if strings.Join(got, " ") != strings.Join(c.want, " ") || r.Instances != len(c.want) {
				t.Errorf("sets %q (instances %d), want %q", got, r.Instances, c.want)
			}
		})
	}
}
