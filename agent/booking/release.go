package booking

import (
	"context"
	"time"
)

// Released times. A free online time stops being bookable online when its
// type's ReleaseHours before the start come: nothing in the diary changes
// then, so WatchReleases waits (on the diary's clock) for the next such
// instant and tells the gateway to publish the free times again; the
// central store stops offering the time at that hour, not at the next
// change.

// NextRelease is the first instant after now at which a free online time
// is released to staff; false when none will be.
func (d *Diary) NextRelease(ctx context.Context) (time.Time, bool, error) {
	var next time.Time
	found := false
	err := d.st.View(ctx, func(tx Tx) error {
		types, err := loadAll[TimeType](tx, bTypes)
		if err != nil {
			return err
		}
		now := d.clock.Now()
		return tx.IndexScan(iFree, startKey(now), nil, func(k, v []byte) bool {
			it, ok := parseIndexed(k, v)
			t, known := types[it.TypeID]
			if !ok || !known || !t.Online || t.ReleaseHours <= 0 {
				return true
			}
			at := it.Start.Add(-time.Duration(t.ReleaseHours) * time.Hour)
			if at.After(now) && (!found || at.Before(next)) {
				next, found = at, true
			}
			// Times are in start order; a later start cannot be released
			// before next once past it by the longest release.
			return !found || it.Start.Before(next.Add(maxReleaseHours(types)))
		})
	})
	return next, found, err
}

func maxReleaseHours(types map[string]TimeType) time.Duration {
	m := 0
	for _, t := range types {
		m = max(m, t.ReleaseHours)
	}
	return time.Duration(m) * time.Hour
}

// WatchReleases calls fire at each release instant (NextRelease) until
// ctx ends; a value on changed (the diary changed) makes it look again. A
// failure to read the diary waits for the next change.
func (d *Diary) WatchReleases(ctx context.Context, changed <-chan struct{}, fire func()) {
	for {
		next, ok, err := d.NextRelease(ctx)
		var wake <-chan time.Time
		stop := func() {}
		if err == nil && ok {
			tm := d.clock.NewTimer(next.Sub(d.clock.Now()))
			wake, stop = tm.C(), func() { tm.Stop() }
		}
		select {
		case <-ctx.Done():
			stop()
			return
		case <-changed:
			stop()
		case <-wake:
			fire()
		}
	}
}
