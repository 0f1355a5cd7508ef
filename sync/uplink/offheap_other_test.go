//go:build !unix

package uplink

import "testing"

// offHeap returns n bytes, here on the Go heap (see the unix offHeap).
func offHeap(_ *testing.B, n int) []byte { return make([]byte, n) }
