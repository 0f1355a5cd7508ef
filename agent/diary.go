package agent

import (
	"context"

	"clinicgw/agent/audit"
	"clinicgw/agent/booking"
	"clinicgw/agent/cases"
	"clinicgw/agent/store"
	"clinicgw/sync/uplink"
)

// The booking diary (agent/booking) in the gateway: one diary on the
// encrypted store, the staff pages' authority (localui's Diary), and a
// nightly generation that keeps the times eight weeks ahead.

// diaryGenerateAt is when the nightly generation runs, Swedish time.
const diaryGenerateHour, diaryGenerateMinute = 2, 15

// newDiary is the unit's booking diary on db, on the injected clock.
func (a *Agent) newDiary(db *store.DB) (*booking.Diary, error) {
	return booking.New(booking.OnStore(db), booking.Options{Clock: a.opts.Clock, Rand: a.opts.Rand})
}

// runDiaryGenerate makes the diary's times eight weeks ahead once a night
// (and once at the start), so that the unit's times always reach eight
// weeks on without anyone pressing "generate".
func (a *Agent) runDiaryGenerate(ctx context.Context, d *booking.Diary) {
	log := a.log.With("part", "diary")
	gen := func(ctx context.Context) {
		rep, err := d.Generate(ctx, booking.MinWeeks)
		switch {
		case ctx.Err() != nil:
		case err != nil:
			log.Error("the nightly generation of the booking diary failed; the unit administrator can run it from the diary page", "err", err)
		default:
			log.Info("booking diary generated", "made", rep.Made, "kept", rep.Kept, "removed", rep.Removed, "conflicts", len(rep.Conflicts))
		}
	}
	gen(ctx)
	runDaily(ctx, a.opts.Clock, diaryGenerateHour, diaryGenerateMinute, nil, gen)
}

// diaryAccessLog writes a diary access-log entry (a look at a booked time,
// a booking, a change) into the access log the case service keeps.
func diaryAccessLog(db *store.DB) func(context.Context, audit.Entry) error {
	return func(ctx context.Context, e audit.Entry) error {
		return db.Update(ctx, func(tx cases.Tx) error { return tx.AppendAudit(e) })
	}
}

// Diary is the unit's booking diary (nil before Start).
func (a *Agent) Diary() *booking.Diary { return a.diary }

// watchDiary makes every committed change of the diary (by staff, by a
// patient through the sync, a generation) publish the free times and the
// bookings to the central store at once (the open diary pages watch the
// diary themselves: localui's diarylive.go). A time released to staff
// (its type's "release N hours before") leaves the published times at
// that hour: runDiaryReleases.
func (a *Agent) watchDiary(up *uplink.Uplink) {
	a.diaryChanged = make(chan struct{}, 1)
	a.diary.OnChange(func() {
		if up != nil {
			up.BookingChanged()
		}
		select {
		case a.diaryChanged <- struct{}{}:
		default:
		}
	})
}

// runDiaryReleases publishes the free times again at each instant a time
// is released to staff (agent/booking's WatchReleases).
func (a *Agent) runDiaryReleases(ctx context.Context, up *uplink.Uplink) {
	if up == nil {
		return
	}
	a.diary.WatchReleases(ctx, a.diaryChanged, up.BookingChanged)
}
