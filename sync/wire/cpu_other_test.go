//go:build !unix

package wire

import (
	"testing"
	"time"
)

// processCPU is not measured here: the benchmarks report 0 CPU time.
func processCPU(*testing.B) time.Duration { return 0 }
