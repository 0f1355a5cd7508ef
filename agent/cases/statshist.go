package cases

import (
	"math/bits"
	"slices"
	"time"
)

// Handling times are counted in a histogram, not kept one by one, so that
// the statistics of a period read a bounded number of buckets however many
// cases were answered in it (statsagg.go). A handling time is rounded down
// to the whole minute; up to 255 minutes each minute is its own bucket, and
// above that a bucket is the minutes that share their 8 leading binary
// digits (128 buckets per doubling: 256–257 min, …, 16 320–16 447 min).
// Median and P90 are the lower bound of the bucket that holds the
// nearest-rank percentile, so they are never above the exact figure and
// below it by less than a minute up to 4 h 15 min, and by less than 1/128
// (0.8 %) of the figure above that. The counts and the sum of the handling
// times are exact, so Count and Mean are exact.

// HandlingBucket is the bucket of a handling time (HandlingBucketOf).
type HandlingBucket uint32

// handlingExact is the buckets that are one minute each (0–255 minutes).
const handlingExact = 256

// HandlingBucketOf returns the bucket of d; a negative d counts as none.
func HandlingBucketOf(d time.Duration) HandlingBucket {
	m := uint64(max(d, 0) / time.Minute)
	if m < handlingExact {
		return HandlingBucket(m)
	}
	shift := bits.Len64(m) - 8 // ≥ 1
	return HandlingBucket(handlingExact + (shift-1)*128 + int(m>>shift) - 128)
}

// Floor returns the shortest handling time in the bucket.
func (b HandlingBucket) Floor() time.Duration {
	if b < handlingExact {
		return time.Duration(b) * time.Minute
	}
	i := int(b) - handlingExact
	shift := i/128 + 1
	return time.Duration(uint64(i%128+128)<<shift) * time.Minute
}

// HandlingSum is a sum of handling times in nanoseconds, 128 bits wide so
// that no count of cases overflows it; arithmetic is modulo 2^128, so a
// sum of changes (some negative) adds up exactly.
type HandlingSum struct{ Hi, Lo uint64 }

// Add returns s + d.
func (s HandlingSum) Add(d time.Duration) HandlingSum {
	var hi uint64
	if d < 0 {
		hi = ^uint64(0) // sign-extended
	}
	return s.Plus(HandlingSum{hi, uint64(d)})
}

// Plus returns s + o.
func (s HandlingSum) Plus(o HandlingSum) HandlingSum {
	lo, c := bits.Add64(s.Lo, o.Lo, 0)
	hi, _ := bits.Add64(s.Hi, o.Hi, c)
	return HandlingSum{hi, lo}
}

// Neg returns -s.
func (s HandlingSum) Neg() HandlingSum {
	return HandlingSum{^s.Hi, ^s.Lo}.Plus(HandlingSum{0, 1})
}

// mean returns s / n for a sum of n non-negative durations (n > 0).
func (s HandlingSum) mean(n int) time.Duration {
	q, _ := bits.Div64(s.Hi%uint64(n), s.Lo, uint64(n)) // the mean is below 2^63, so s.Hi < n
	return time.Duration(q)
}

// BucketCount is how many handling times fell in one bucket.
type BucketCount struct {
	Bucket HandlingBucket
	N      int
}

// HandlingHist is a histogram of handling times: counts per bucket, sorted
// by bucket, none zero, and the exact sum of the times.
type HandlingHist struct {
	Buckets []BucketCount
	Sum     HandlingSum
}

// Count returns how many handling times h holds.
func (h HandlingHist) Count() int {
	n := 0
	for _, b := range h.Buckets {
		n += b.N
	}
	return n
}

// handlingAcc accumulates handling times into dense buckets.
type handlingAcc struct {
	n      int
	sum    HandlingSum
	counts []int // by bucket, grown as needed
}

// handlingLast is the bucket of the longest time.Duration.
var handlingLast = HandlingBucketOf(1<<63 - 1)

func (a *handlingAcc) bucket(b HandlingBucket, n int) {
	if int(b) >= len(a.counts) {
		// At once to every bucket up to the larger of b and the first
		// after 24 hours, not one bucket at a time.
		size := max(int(b), int(HandlingBucketOf(25*time.Hour)), 2*len(a.counts)) + 1
		a.counts = slices.Grow(a.counts, min(size, int(handlingLast)+1)-len(a.counts))[:min(size, int(handlingLast)+1)]
	}
	a.counts[b] += n
	a.n += n
}

func (a *handlingAcc) add(d time.Duration) {
	a.bucket(HandlingBucketOf(d), 1)
	a.sum = a.sum.Add(d)
}

func (a *handlingAcc) addHist(h HandlingHist) {
	for _, b := range h.Buckets {
		a.bucket(b.Bucket, b.N)
	}
	a.sum = a.sum.Plus(h.Sum)
}

// addHistTo adds h to both a and o (two accumulators, not the same) in one
// pass over its buckets, as addHist on each does: the statistics page adds
// each histogram it reads to its case type's and to its group's, and a
// histogram of a busy week holds hundreds of buckets (BenchmarkAddAnswers).
// Both are grown at once to h's last bucket, so that the pass only adds.
func addHistTo(a, o *handlingAcc, h HandlingHist) {
	if len(h.Buckets) == 0 {
		return
	}
	top := h.Buckets[len(h.Buckets)-1].Bucket // the largest: Buckets are sorted
	a.bucket(top, 0)
	o.bucket(top, 0)
	ac, oc := a.counts, o.counts
	n := 0
	for _, b := range h.Buckets {
		if int(b.Bucket) >= len(ac) || int(b.Bucket) >= len(oc) { // not sorted after all
			a.bucket(b.Bucket, 0)
			o.bucket(b.Bucket, 0)
			ac, oc = a.counts, o.counts
		}
		ac[b.Bucket] += b.N
		oc[b.Bucket] += b.N
		n += b.N
	}
	a.n, o.n = a.n+n, o.n+n
	a.sum, o.sum = a.sum.Plus(h.Sum), o.sum.Plus(h.Sum)
}

func (a *handlingAcc) addAcc(o *handlingAcc) {
	if len(o.counts) > len(a.counts) {
		a.counts = append(a.counts, make([]int, len(o.counts)-len(a.counts))...)
	}
	for b, n := range o.counts {
		a.counts[b] += n
	}
	a.n += o.n
	a.sum = a.sum.Plus(o.sum)
}

// result summarises the times: Count and Mean exact, Median and P90 the
// floor of the bucket of the nearest-rank percentile.
func (a *handlingAcc) result() HandlingTime {
	if a == nil || a.n <= 0 {
		return HandlingTime{}
	}
	return HandlingTime{Count: a.n, Mean: a.sum.mean(a.n), Median: a.rank(50), P90: a.rank(90)}
}

// rank returns the floor of the bucket of the p-th percentile: that of
// the ceil(p·n/100)-th smallest time.
func (a *handlingAcc) rank(p int) time.Duration {
	r := max((p*a.n+99)/100, 1)
	for b, n := range a.counts {
		if r -= n; r <= 0 {
			return HandlingBucket(b).Floor()
		}
	}
	return 0 // not reached: the counts sum to n
}
