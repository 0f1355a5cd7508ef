//go:build unix

package uplink

import (
	"syscall"
	"testing"
)

// offHeap returns n bytes outside the Go heap, an anonymous mapping
// unmapped when the benchmark ends (register it before anything that
// reads it is cleaned up: cleanups run last first). What BenchmarkSync
// keeps there for its references is then no part of the live heap the
// collector paces itself by, as a gateway holds none of it.
func offHeap(b *testing.B, n int) []byte {
	if n == 0 {
		return nil
	}
	m, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { syscall.Munmap(m) })
	return m
}
