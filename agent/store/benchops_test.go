package store

import (
	"slices"
	"testing"
	"time"
)

// benchOp is one read a latency benchmark times: run returns how many
// things it read (0 fails the benchmark: it would time nothing).
type benchOp struct {
	name string
	run  func() int
}

// timeOps runs every op once to check it reads something, then each once
// per benchmark round, and reports each op's p50 and p99 in milliseconds
// (op.name-p50-ms, op.name-p99-ms); ns/op is left 0, the rounds time
// several ops.
func timeOps(b *testing.B, ops []benchOp) {
	b.Helper()
	for _, op := range ops {
		if got := op.run(); got == 0 {
			b.Fatalf("%s: nothing read", op.name)
		}
	}
	took := make([][]time.Duration, len(ops))
	b.ResetTimer()
	for b.Loop() {
		for i, op := range ops {
			t := time.Now()
			op.run()
			took[i] = append(took[i], time.Since(t))
		}
	}
	b.StopTimer()
	for i, op := range ops {
		d := took[i]
		slices.Sort(d)
		at := func(p float64) float64 {
			j := int(float64(len(d))*p+0.5) - 1
			return float64(d[max(0, min(j, len(d)-1))]) / float64(time.Millisecond)
		}
		b.ReportMetric(at(0.50), op.name+"-p50-ms")
		b.ReportMetric(at(0.99), op.name+"-p99-ms")
	}
	b.ReportMetric(0, "ns/op")
}
