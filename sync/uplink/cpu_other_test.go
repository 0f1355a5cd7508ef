//go:build !unix

package uplink

import (
	"runtime"
	"testing"
	"time"
)

// processCPU is not measured here: BenchmarkSync reports 0 CPU seconds.
func processCPU(*testing.B) time.Duration { return 0 }

// settle collects garbage before a timed sync (see the unix settle).
func settle() { runtime.GC() }
