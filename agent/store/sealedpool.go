package store

import (
	"math/bits"
	"sync"
)

// The sealed values the sealing goroutine makes (casewriter.go) are held
// by bbolt until the transaction commits, and are garbage from then on:
// on a backlog, a case's sealed record and its access-log record are the
// largest part of what the gateway allocates. They are taken from pools
// by size instead, and given back when bbolt has written them (its
// OnCommit: after a commit nothing reads the values a transaction put).
// A transaction rolled back leaves its values to the collector.
//
// A pool holds buffers of one capacity; capacities step by a quarter
// power of two from 256 bytes (a value wastes at most a fifth of its
// buffer) up to maxPooledSealed; a larger value is allocated as before.

// pooledSealed is a buffer from the pools; its capacity is a class's.
type pooledSealed struct{ b []byte }

// maxPooledSealed is the largest buffer pooled: a case at the wire's
// largest seals to about 1 MiB.
const maxPooledSealed = 2 << 20

var sealedPools [sealedClasses]sync.Pool

// sealedClasses is the number of pools: class 0 holds 256 bytes, then
// four classes per power of two up to maxPooledSealed.
const sealedClasses = 1 + 4*(21-8)

// sealedClass is the pool for a value of n bytes, and its buffers'
// capacity; ok is false when n is larger than maxPooledSealed.
func sealedClass(n int) (class, capacity int, ok bool) {
	if n <= 256 {
		return 0, 256, true
	}
	if n > maxPooledSealed {
		return 0, 0, false
	}
	k := bits.Len(uint(n-1)) - 1 // 2^k < n <= 2^(k+1), k >= 8
	step := 1 << (k - 2)
	q := (n - 1<<k + step - 1) / step // 1..4
	return (k-8)*4 + q, 1<<k + q*step, true
}

// getSealed is a buffer of at least n bytes' capacity, or nil when n is
// too large to pool.
func getSealed(n int) *pooledSealed {
	class, capacity, ok := sealedClass(n)
	if !ok {
		return nil
	}
	if p, _ := sealedPools[class].Get().(*pooledSealed); p != nil {
		return p
	}
	return &pooledSealed{b: make([]byte, 0, capacity)}
}

// putSealed gives p back to its pool. Nothing may use its bytes after.
func putSealed(p *pooledSealed) {
	if class, capacity, ok := sealedClass(cap(p.b)); ok && capacity == cap(p.b) {
		p.b = p.b[:0]
		sealedPools[class].Put(p)
	}
}
