//go:build goexperiment.jsonv2

package wire

import (
	jsonv2 "encoding/json/v2"
	"testing"
)

// BenchmarkDecodeRealisticPageV2: the realistic page decoded with
// encoding/json/v2 (GOEXPERIMENT=jsonv2 in Go 1.26), refusing unknown
// members (it refuses duplicates and matches names case-sensitively by
// itself), for comparison with BenchmarkDecodeRealisticPage: what the
// walk could hand over once v2 is no longer an experiment. Not used in
// production.
func BenchmarkDecodeRealisticPageV2(b *testing.B) {
	in := realisticChainedPage(1)
	b.SetBytes(int64(len(in)))
	cpu0 := processCPU(b)
	for b.Loop() {
		var p ChainedPage
		if err := jsonv2.Unmarshal(in, &p, jsonv2.RejectUnknownMembers(true)); err != nil {
			b.Fatal(err)
		}
	}
	events := float64(b.N * MaxInboxLimit)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/events/1000, "µs/event")
	b.ReportMetric(float64((processCPU(b)-cpu0).Nanoseconds())/events/1000, "cpu-µs/event")
}
