package booking

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"clinicgw/sync/wire"
)

// Changes and what the patients see of them. Every write of the diary
// that committed (a booking, a rebooking, a cancellation, a hold, a
// schedule change, a generation) calls the function set with OnChange:
// the gateway publishes the free times and the bookings again at once and
// refreshes the staff's open diary pages. Bookings is what the central
// store shows on the patients' "Bokade tider": every coming booking with
// its patient, online or by staff, and the coming times the unit
// cancelled, by the published ids (publicid.go).

// OnChange adds fn to what is called after every committed change of the
// diary. fn must not block: it runs on the writer's goroutine.
func (d *Diary) OnChange(fn func()) {
	for {
		old := d.changed.Load()
		var fns []func()
		if old != nil {
			fns = append(fns, *old...)
		}
		fns = append(fns, fn)
		if d.changed.CompareAndSwap(old, &fns) {
			return
		}
	}
}

// notifying is a Store that calls the diary's change functions after each
// committed write.
type notifying struct {
	Store
	fns *atomic.Pointer[[]func()]
}

func (n notifying) Update(ctx context.Context, fn func(Tx) error) error {
	err := n.Store.Update(ctx, fn)
	if err == nil {
		if fns := n.fns.Load(); fns != nil {
			for _, f := range *fns {
				f()
			}
		}
	}
	return err
}

// Bookings returns the coming bookings until to and the coming times the
// unit cancelled, as the patient pages show them (display as Published).
// A time the unit cancelled that the same patient has again is not
// reported cancelled. At most wire.MaxBookingTimes of each, the earliest.
func (d *Diary) Bookings(ctx context.Context, to time.Time, display func(clinician string) string) (wire.BookingBookings, error) {
	out := wire.BookingBookings{Bookings: []wire.PatientBooking{}, Canceled: []wire.PatientBooking{}}
	key, err := d.publicKey(ctx)
	if err != nil {
		return out, err
	}
	now := d.clock.Now()
	ids := map[string]SlotID{}
	err = d.st.View(ctx, func(tx Tx) error {
		types, err := loadAll[TimeType](tx, bTypes)
		if err != nil {
			return err
		}
		return tx.Scan(bTimes, startKey(now.Add(time.Second)), startKey(to), func(k, v []byte) (bool, error) {
			var s Slot
			if err := json.Unmarshal(v, &s); err != nil {
				return false, fmt.Errorf("diary time: %w", err)
			}
			if s.Booking == nil && len(s.Canceled) == 0 {
				return true, nil
			}
			t := types[s.TypeID]
			bt := wire.BookingTime{ID: publicID(key, k), Start: s.Start.UTC(), Minutes: s.Minutes, TypeID: publicTypeID(key, s.TypeID),
				Type: t.PatientName, Rebook: t.Rebook, Cancel: t.Cancel}
			if bt.Type == "" {
				bt.Type = "Besök" // never the type's own id: it may name a kind of care
			}
			if t.ShowClinician && display != nil {
				bt.Clinician = display(s.Clinician)
			}
			if len(out.Bookings) >= wire.MaxBookingTimes || len(out.Canceled) >= wire.MaxBookingTimes {
				return false, nil // the earliest ones, as many as one body carries
			}
			ids[bt.ID] = s.ID()
			has := ""
			if s.Booking != nil && s.State == Booked {
				has = s.Booking.Patient
				out.Bookings = append(out.Bookings, wire.PatientBooking{Patient: has, Time: bt})
			}
			told := map[string]bool{has: true}
			for _, c := range s.Canceled {
				// The unit's cancellations only: a patient's own came
				// through the sync with its request's id.
				if c.CancelRequest == "" && !told[c.Patient] {
					told[c.Patient] = true
					out.Canceled = append(out.Canceled, wire.PatientBooking{Patient: c.Patient, Time: bt})
				}
			}
			return true, nil
		})
	})
	d.remember(ids)
	return out, err
}

// Bookings is Diary.Bookings a year ahead (staff may book beyond the
// free times' horizon).
func (s SyncSource) Bookings(ctx context.Context) (wire.BookingBookings, error) {
	return s.Diary.Bookings(ctx, s.Diary.clock.Now().AddDate(1, 0, 0), s.Display)
}
