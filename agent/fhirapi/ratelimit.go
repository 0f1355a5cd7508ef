package fhirapi

import (
	"sync"
	"time"
)

// limiter is a token bucket per system: perMinute tokens a minute, up to
// burst at once, on the injected clock. (golang.org/x/time/rate is not in
// go.mod; this is the part of it the API needs.)
type limiter struct {
	perMinute, burst float64
	mu               sync.Mutex
	buckets          map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// maxBuckets bounds the buckets kept: far more than a unit's systems
// (only systems in the directory get one).
const maxBuckets = 1000

func newLimiter(perMinute int) *limiter {
	return &limiter{perMinute: float64(perMinute), burst: float64(max(perMinute/10, 1)), buckets: map[string]*bucket{}}
}

// allow takes a token from key's bucket at now, and reports whether there
// was one; when not, wait is how long until there is.
func (l *limiter) allow(key string, now time.Time) (ok bool, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			clear(l.buckets)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(l.burst, b.tokens+d.Minutes()*l.perMinute)
		b.at = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.perMinute * float64(time.Minute))
}
