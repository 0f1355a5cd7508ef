package uplink

import (
	"flag"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"testing"
)

var benchMemProfile = flag.String("uplink.memprofile", "", "write the allocations of BenchmarkSync's last timed sync to this file (a heap profile; FILE.base holds the allocations before it: go tool pprof -sample_index=alloc_space -diff_base FILE.base FILE)")

// gcSample is the runtime's account of its garbage collector and of the
// heap at one moment, read before and after BenchmarkSync's timed sync:
// on two cores the collector's CPU is taken from the goroutine that
// applies the pages. The CPU classes are the runtime's estimates, brought
// up to date at each cycle's end (so they lag by at most one cycle).
type gcSample struct {
	cycles       uint64  // garbage collections completed
	gcCPU        float64 // CPU seconds in the collector (mark, assists, pauses)
	allocBytes   uint64  // bytes allocated on the heap, ever
	allocObjects uint64  // objects allocated on the heap, ever
	live         uint64  // heap bytes marked live by the last cycle
}

var gcMetricNames = []string{
	"/gc/cycles/total:gc-cycles",
	"/cpu/classes/gc/total:cpu-seconds",
	"/gc/heap/allocs:bytes",
	"/gc/heap/allocs:objects",
	"/gc/heap/live:bytes",
}

// startGC reads a gcSample at the start of a timed sync, and writes the
// allocations so far to the base profile of -uplink.memprofile.
func startGC(b *testing.B) gcSample {
	writeAllocs(b, *benchMemProfile+".base")
	return readGC(b)
}

// writeAllocs writes the allocations profile to path, if -uplink.memprofile is set.
func writeAllocs(b *testing.B, path string) {
	if *benchMemProfile == "" {
		return
	}
	runtime.GC() // the profile stands as of the cycle before the last one
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
}

// readGC reads a gcSample.
func readGC(b *testing.B) gcSample {
	s := make([]metrics.Sample, len(gcMetricNames))
	for i, n := range gcMetricNames {
		s[i].Name = n
	}
	metrics.Read(s)
	for _, x := range s {
		if x.Value.Kind() == metrics.KindBad {
			b.Fatalf("runtime metric %s not supported", x.Name)
		}
	}
	return gcSample{
		cycles:       s[0].Value.Uint64(),
		gcCPU:        s[1].Value.Float64(),
		allocBytes:   s[2].Value.Uint64(),
		allocObjects: s[3].Value.Uint64(),
		live:         s[4].Value.Uint64(),
	}
}

// gcTotals adds up the collector's figures over the timed syncs.
type gcTotals struct {
	cycles, allocBytes, allocObjects uint64
	gcCPU                            float64
	liveAtStart                      uint64 // the heap the sync started with (the last iteration's)
}

// end adds the difference between before (startGC) and now, at the end
// of a timed sync.
func (t *gcTotals) end(b *testing.B, before gcSample) {
	after := readGC(b)
	writeAllocs(b, *benchMemProfile)
	t.cycles += after.cycles - before.cycles
	t.allocBytes += after.allocBytes - before.allocBytes
	t.allocObjects += after.allocObjects - before.allocObjects
	t.gcCPU += after.gcCPU - before.gcCPU
	t.liveAtStart = before.live
}

// report reports the figures per sync (iters of them) and per case (n a
// sync).
func (t *gcTotals) report(b *testing.B, iters float64, n int) {
	b.ReportMetric(float64(t.cycles)/iters, "gc-cycles/sync")
	b.ReportMetric(t.gcCPU/iters, "gc-cpu-s/sync")
	b.ReportMetric(float64(t.allocBytes)/iters/1e6, "alloc-MB/sync")
	b.ReportMetric(float64(t.allocObjects)/iters/float64(n), "allocs/case")
	b.ReportMetric(float64(t.liveAtStart)/1e6, "live-MB-at-start")
}

// heldPages copies pages outside the Go heap (offHeap), for BenchmarkSync
// to keep through its timed syncs for the references measured after
// them: kept on the heap, these hundreds of megabytes made the collector
// run a tenth as often as in a gateway, which holds none of them.
func heldPages(b *testing.B, pages [][]byte) [][]byte {
	total := 0
	for _, p := range pages {
		total += len(p)
	}
	buf := offHeap(b, total)
	out := make([][]byte, len(pages))
	for i, p := range pages {
		out[i] = buf[:len(p):len(p)]
		copy(out[i], p)
		buf = buf[len(p):]
	}
	return out
}
