package main

import (
	"context"
	"errors"

	"clinicgw/agent/booking"
	"clinicgw/agent/store"
	"clinicgw/sync/clock"
)

// diaryRecounter is the recount of `clinicgw stats --recount` over both
// the cases' aggregates (the store's) and the booking diary's (package
// booking's, kept in the same store): one list of what differs.
type diaryRecounter struct {
	db *store.DB
}

func withDiaryRecount(db *store.DB) recounter { return diaryRecounter{db} }

// rebuildDiaryStats counts the booking diary's aggregates again.
func rebuildDiaryStats(ctx context.Context, db *store.DB) error {
	d, err := booking.New(booking.OnStore(db), booking.Options{Clock: clock.System})
	if err != nil {
		return err
	}
	return d.RebuildStats(ctx)
}

func (r diaryRecounter) RecountStats(ctx context.Context) ([]string, error) {
	diffs, err := r.db.RecountStats(ctx)
	if err != nil {
		return nil, err
	}
	d, err := booking.New(booking.OnStore(r.db), booking.Options{Clock: clock.System})
	if err != nil {
		return nil, err
	}
	more, err := d.RecountStats(ctx)
	if err != nil {
		return nil, errors.Join(errors.New("booking diary statistics: recount"), err)
	}
	return append(diffs, more...), nil
}
