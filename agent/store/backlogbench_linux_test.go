//go:build linux

package store

import (
	"flag"
	"runtime"
	"syscall"
	"testing"
	"time"
)

var backlogBenchCases = flag.Int("store.backlog", 20000, "cases BenchmarkBacklogApply applies")

// threadCPU is the CPU time of the calling OS thread.
func threadCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkBacklogApply applies a backlog of realistic cases (2 KiB of
// text, 20,000 patients) as the uplink does, in commits of 850 events
// with their journal entries (about the 2 MiB the uplink commits), and
// reports the CPU of the one goroutine that runs the transactions
// (tx-cpu-µs/case, commits included: the sync's bound, on a thread of
// its own) beside the process's. The goroutine's CPU is measured on its
// locked OS thread, so other work on a loaded machine does not count in
// it, unlike wall time.
func BenchmarkBacklogApply(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		e := newBacklogEnv(b, 850)
		runtime.LockOSThread()
		var txCPU time.Duration
		e.measure = func(apply func()) {
			t0 := threadCPU(b)
			b.StartTimer()
			apply()
			b.StopTimer()
			txCPU += threadCPU(b) - t0
		}
		for range *backlogBenchCases / 1000 {
			e.batch(1000)
		}
		e.commit()
		runtime.UnlockOSThread()
		b.StartTimer()
		b.ReportMetric(float64(txCPU.Microseconds())/float64(*backlogBenchCases), "tx-cpu-µs/case")
	}
}
