package reports

import (
	"testing"

	"github.com/sealtrace/sealtrace/internal/testpeers/dmarcpeers"
)

// BenchmarkReadAggregate reads 200 generated aggregate reports (1-500
// records, both schemas, .xml.gz and .zip mixed) from memory per
// iteration; it reports records per second and the compressed input rate.
func BenchmarkReadAggregate(b *testing.B) {
	type in struct {
		name string
		data []byte
	}
	var ins []in
	var size int64
	records := 0
	for i := range 200 {
		name, data, f := dmarcpeers.Packed(7, i, dmarcpeers.GenOptions{})
		ins = append(ins, in{name, data})
		size += int64(len(data))
		records += len(f.Records)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, x := range ins {
			reps, err := Read(x.name, x.data, Limits{})
			if err != nil || len(reps) != 1 {
				b.Fatalf("%s: %d reports, %v", x.name, len(reps), err)
			}
			n += len(reps[0].Aggregate.Records)
		}
		if n != records {
			b.Fatalf("%d records, want %d", n, records)
		}
	}
	b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
