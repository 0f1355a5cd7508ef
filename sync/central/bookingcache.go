package central

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/wire"
)

// timesCache keeps each unit's published booking times decoded, so that
// a free-times page or a patient's request does not decode eight weeks of
// a unit's times (some 12,800 at 20 clinicians, 2.5 MB of JSON) every
// time. An entry is used only while the stored bytes are the same bytes
// it was decoded from (compared in full, in the reader's transaction): a
// publication replaces them, so the cache never answers with times the
// store no longer holds. The zero value is ready.
type timesCache struct {
	mu sync.Mutex
	m  map[string]*timesEntry
}

type timesEntry struct {
	raw []byte // a copy of the stored value
	bt  wire.BookingTimes
}

// bookingTimesOf is the unit's published times in ub (false: none
// published), in start order. The result is shared: callers must not
// change it.
func (s *Store) bookingTimesOf(ub *bolt.Bucket, unit string) (wire.BookingTimes, bool, error) {
	v := ub.Get([]byte(keyBookingTimes))
	if v == nil {
		return wire.BookingTimes{}, false, nil
	}
	c := &s.times
	c.mu.Lock()
	e := c.m[unit]
	c.mu.Unlock()
	if e != nil && bytes.Equal(e.raw, v) {
		return e.bt, true, nil
	}
	e = &timesEntry{raw: bytes.Clone(v)}
	if err := json.Unmarshal(e.raw, &e.bt); err != nil {
		return wire.BookingTimes{}, false, fmt.Errorf("read the unit's booking times: %w", err)
	}
	// In start order once, so that the pages' lists come out sorted.
	slices.SortStableFunc(e.bt.Times, func(a, b wire.BookingTime) int { return a.Start.Compare(b.Start) })
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]*timesEntry{}
	}
	c.m[unit] = e
	c.mu.Unlock()
	return e.bt, true, nil
}
