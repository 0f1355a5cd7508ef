package booking

import (
	"context"
	"time"

	"clinicgw/sync/wire"
)

// The diary over the sync (sync/wire's booking protocol): Published is
// what the gateway publishes to the central store, Decide answers one
// patient request that came from it.

// Published returns the times patients may book online from now until
// to, as the central store shows them: id, start, length, the type's
// opaque id (publicid.go) and neutral patient name and, where the type says so, the clinician's
// display name (display maps an HSA-ID to it; nil or "" shows none). No
// personal data.
func (d *Diary) Published(ctx context.Context, to time.Time, display func(clinician string) string) (wire.BookingTimes, error) {
	out := wire.BookingTimes{Times: []wire.BookingTime{}}
	free, err := d.FreeTimes(ctx, FreeQuery{From: d.clock.Now(), To: to, Online: true})
	if err != nil {
		return out, err
	}
	types := map[string]TimeType{}
	err = d.st.View(ctx, func(tx Tx) error {
		all, err := loadAll[TimeType](tx, bTypes)
		for _, t := range all {
			types[t.ID] = t
		}
		return err
	})
	if err != nil {
		return out, err
	}
	key, err := d.publicKey(ctx)
	if err != nil {
		return out, err
	}
	ids := make(map[string]SlotID, len(free))
	for _, f := range free {
		t := types[f.TypeID]
		pub := publicID(key, slotKey(f.Start, f.Clinician))
		ids[pub] = f.ID
		bt := wire.BookingTime{ID: pub, Start: f.Start.UTC(), Minutes: f.Minutes, TypeID: publicTypeID(key, f.TypeID),
			Type: t.PatientName, Rebook: t.Rebook, Cancel: t.Cancel}
		if t.ShowClinician && display != nil {
			bt.Clinician = display(f.Clinician)
		}
		out.Times = append(out.Times, bt)
	}
	d.remember(ids)
	return out, nil
}

// Decide answers a patient's request from the central store with the
// authority (Book, Rebook, Cancel: each one transaction): confirmed, or
// declined with the decline's code. A request decided before is answered
// confirmed again if it took effect (the booking or cancellation carries
// its id), so a request delivered twice changes the diary once; a book
// request for a time the patient already holds is confirmed too. An error
// that is not a decline (the store failed) is returned: the request stays
// at the central store and comes again.
func (d *Diary) Decide(ctx context.Context, r wire.BookingRequest) (wire.BookingDecision, error) {
	out := wire.BookingDecision{Request: r.ID, Outcome: wire.BookingConfirmed}
	to, from, err := d.resolveRequest(ctx, r.Time, r.From)
	if err == nil {
		// The diary's own ids from here on.
		r.Time, r.From = string(to), string(from)
		var done bool
		done, err = d.tookEffect(ctx, r)
		if err == nil && done && r.Kind == wire.BookingRebook {
			err = d.consentOfRebook(ctx, r)
		}
		if err != nil || done {
			return out, err
		}
		who := Actor{Patient: r.Patient}
		switch r.Kind {
		case wire.BookingBook:
			_, err = d.Book(ctx, to, who, BookRequest{Request: r.ID, Remind: contactOf(r.Reminder)})
		case wire.BookingRebook:
			if _, err = d.rebook(ctx, from, to, who, r.ID); err == nil {
				err = d.consentOfRebook(ctx, r)
			}
		case wire.BookingCancel:
			err = d.cancel(ctx, to, who, "", r.ID, "")
		default:
			err = decline(BadRequest)
		}
	}
	if dec, ok := DeclineOf(err); ok {
		return wire.BookingDecision{Request: r.ID, Outcome: wire.BookingDeclined, Reason: string(dec.Code)}, nil
	}
	return out, err
}

// tookEffect reports whether the request was decided before and took
// effect.
func (d *Diary) tookEffect(ctx context.Context, r wire.BookingRequest) (bool, error) {
	key, err := keyOf(SlotID(r.Time))
	if err != nil {
		return false, nil
	}
	done := false
	err = d.st.View(ctx, func(tx Tx) error {
		s, err := loadSlot(tx, key)
		if _, ok := DeclineOf(err); ok {
			return nil
		}
		if err != nil {
			return err
		}
		if r.Kind == wire.BookingCancel {
			for _, c := range s.Canceled {
				done = done || c.CancelRequest == r.ID
			}
			return nil
		}
		// A booking the patient already holds answers their book request
		// as confirmed, whichever request made it: a patient whose first
		// click's answer was lost clicks again (a new request) and must
		// not be told someone else has their time.
		done = s.Booking != nil && (s.Booking.Request == r.ID || (r.Kind == wire.BookingBook && s.Booking.Patient == r.Patient && s.Booking.ByStaff == ""))
		return nil
	})
	return done, err
}

// SyncSource is the diary as the uplink's booking source
// (sync/uplink.BookingSource): it publishes the free times Weeks ahead
// (MinWeeks if 0) with the clinicians' display names from Display.
type SyncSource struct {
	Diary   *Diary
	Weeks   int
	Display func(clinician string) string
}

// Decide is Diary.Decide.
func (s SyncSource) Decide(ctx context.Context, r wire.BookingRequest) (wire.BookingDecision, error) {
	return s.Diary.Decide(ctx, r)
}

// Published is Diary.Published up to Weeks ahead.
func (s SyncSource) Published(ctx context.Context) (wire.BookingTimes, error) {
	w := s.Weeks
	if w <= 0 {
		w = MinWeeks
	}
	return s.Diary.Published(ctx, s.Diary.clock.Now().AddDate(0, 0, 7*w), s.Display)
}
