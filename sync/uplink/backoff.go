package uplink

import "time"

// The backoff's first ceiling and its floor.
const (
	backoffBase  = 100 * time.Millisecond // the ceiling of the first retry; it doubles per failure
	backoffFloor = 10 * time.Millisecond  // no wait is shorter, so a retry loop never spins
)

// backoff returns the wait before retry number attempt (0 for the first
// retry after a failure): exponential backoff with full jitter. The
// ceiling is backoffBase·2^attempt, capped at max; the wait is r times the
// ceiling, r being uniform in [0, 1), and never below backoffFloor (nor
// above max). r outside [0, 1] is clamped, a negative attempt counts as 0,
// and a max of 0 or less means no wait. It is pure, so it is table-tested.
func backoff(attempt int, max time.Duration, r float64) time.Duration {
	if max <= 0 {
		return 0
	}
	ceil := max
	switch {
	case attempt <= 0:
		if backoffBase < max {
			ceil = backoffBase
		}
	case attempt < 30: // backoffBase<<30 is over 3 years, beyond any max; <<37 would overflow
		if d := backoffBase << attempt; d < max {
			ceil = d
		}
	}
	switch {
	case !(r >= 0): // also NaN
		r = 0
	case r > 1:
		r = 1
	}
	d := time.Duration(r * float64(ceil))
	if d < backoffFloor {
		d = backoffFloor
	}
	if d > ceil {
		d = ceil
	}
	return d
}
