package uplink

import (
	"math"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	const minute = time.Minute
	for _, tc := range []struct {
		attempt int
		max     time.Duration
		r       float64
		want    time.Duration
	}{
		{0, minute, 0.5, 50 * time.Millisecond},              // first retry: up to 100 ms
		{0, minute, 0, backoffFloor},                         // never below the floor
		{0, minute, 0.99, 99 * time.Millisecond},             // just under the ceiling
		{1, minute, 0.5, 100 * time.Millisecond},             // the ceiling doubles
		{3, minute, 0.5, 400 * time.Millisecond},             // 800 ms ceiling
		{9, minute, 1, 51200 * time.Millisecond},             // 51.2 s, still under max
		{10, minute, 0.5, 30 * time.Second},                  // 102.4 s ceiling capped at 60 s
		{1000, minute, 0.5, 30 * time.Second},                // no overflow
		{-3, minute, 0.5, 50 * time.Millisecond},             // a negative attempt is the first
		{0, minute, math.NaN(), backoffFloor},                // NaN is 0
		{0, minute, -1, backoffFloor},                        // below 0 is 0
		{5, minute, 7, 3200 * time.Millisecond},              // above 1 is 1: the full ceiling
		{0, 0, 0.5, 0},                                       // no max: no wait
		{0, -time.Second, 0.5, 0},                            // likewise
		{2, 5 * time.Millisecond, 0.5, 5 * time.Millisecond}, // a max below the floor wins
		{6, 2 * time.Second, 0.25, 500 * time.Millisecond},   // 6.4 s ceiling capped at 2 s
	} {
		if got := backoff(tc.attempt, tc.max, tc.r); got != tc.want {
			t.Errorf("backoff(%d, %v, %v) = %v, want %v", tc.attempt, tc.max, tc.r, got, tc.want)
		}
	}
}

// TestBackoffBounds: every wait is within [floor, ceiling] and the ceiling
// never shrinks as failures go on.
func TestBackoffBounds(t *testing.T) {
	for _, max := range []time.Duration{time.Second, time.Minute, time.Hour} {
		prev := time.Duration(0)
		for attempt := range 80 {
			ceil := backoff(attempt, max, 1)
			if ceil < prev || ceil > max {
				t.Fatalf("max %v attempt %d: ceiling %v after %v", max, attempt, ceil, prev)
			}
			prev = ceil
			for _, r := range []float64{0, 0.1, 0.5, 0.999999} {
				if d := backoff(attempt, max, r); d < backoffFloor || d > ceil {
					t.Fatalf("backoff(%d, %v, %v) = %v, outside [%v, %v]", attempt, max, r, d, backoffFloor, ceil)
				}
			}
		}
		if prev != max {
			t.Errorf("max %v: the ceiling ends at %v", max, prev)
		}
	}
}
