//go:build unix

package uplink

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// processCPU returns the CPU time (user and system) the process has used:
// the sync's CPU, the central store's serving included, which the load of
// other processes on a shared machine inflates far less than wall time.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// settle writes the machine's dirty pages to disk and collects garbage
// before a timed sync, outside its time: the set-up (the central store's
// hundred thousand submissions) leaves up to gigabytes waiting for
// writeback, and on ext4 the sync's first fsyncs would wait for them —
// whichever sync was timed first paid for the set-up's writes.
func settle() {
	syscall.Sync()
	runtime.GC()
}
