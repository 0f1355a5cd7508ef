//go:build !unix

package uplink

import (
	"testing"
	"time"
)

// processCPU is not measured here: BenchmarkSync reports 0 CPU seconds.
func processCPU(*testing.B) time.Duration { return 0 }
