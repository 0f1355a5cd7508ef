//go:build !unix

package archive

import (
	"testing"
	"time"
)

// processCPU is not measured here: BenchmarkExport reports 0 CPU seconds.
func processCPU(*testing.B) time.Duration { return 0 }
