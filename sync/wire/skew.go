package wire

import "time"

// ClockSkewTolerance is how far the two ends' clocks may disagree: a date
// of birth in a case may lie this much after the time of record the
// central store gave it (Event.At) and still be in the past. Both ends
// judge dates of birth at that time plus this tolerance, never at their
// own clocks.
const ClockSkewTolerance = time.Hour
