package dane

import (
	"context"
	"testing"

	"github.com/sealtrace/sealtrace/internal/testpeers/dnstest"
)

// BenchmarkLookupWarm: a DANE lookup once the zones' keys are validated
// (the validator keeps them); the questions still go to NSD on loopback.
func BenchmarkLookupWarm(b *testing.B) {
	z := dnstest.StartSignedZones(b)
	v := validatorFor(b, z, z.Anchor)
	ctx := context.Background()
	if r := Lookup(ctx, v, "alice@secure.test"); r.Status != StatusSecure {
		b.Fatalf("%s %s", r.Status, r.Reason)
	}
	for b.Loop() {
		if r := Lookup(ctx, v, "alice@secure.test"); r.Status != StatusSecure {
			b.Fatal(r.Status, r.Reason)
		}
	}
}
