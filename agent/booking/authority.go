package booking

import (
	"clinicgw/sync/wire/personnummer"
	"context"
	"strings"
	"time"
)

// The authority. Every request below is one write transaction: the time's
// state is read and changed in it, so of two requests for one time the
// second sees what the first wrote. A refusal is a *Decline returned from
// inside the transaction, which rolls back: nothing changes.
//
// Rules for patients (Actor.Patient): a time of a type not bookable online
// is StaffOnly; one within the type's ReleaseHours of its start Released;
// rebook and cancel only where the type allows them (NotAllowed) and
// before their deadlines (TooLate), and only their own bookings (NotYours).
// Staff book any time, online or not, until it starts; they cancel with a
// reason (ReasonRequired) and are not held to the patients' deadlines (the
// unit may always cancel its own time, e.g. when a clinician is ill); a
// rebook by anyone goes only to the same type, clinician and length.

// Hold reserves a free time for d's hold length while a patient
// confirms, and returns the token Book takes. A hold ends by itself: once
// its time has passed on the clock it counts for nothing.
func (d *Diary) Hold(ctx context.Context, id SlotID, who Actor) (Hold, error) {
	var h Hold
	err := d.change(ctx, id, func(tx Tx, s *Slot, now time.Time) error {
		if err := d.mayTake(tx, s, who, now, ""); err != nil {
			return err
		}
		tok, err := d.newID()
		if err != nil {
			return err
		}
		h = Hold{Token: tok, Until: now.Add(d.holdFor)}
		s.Hold = &h
		return saveSlot(tx, s)
	})
	return h, err
}

// BookRequest is a booking: for a patient (a staff member books for one;
// a patient books for themself or, later, a child) and the token of the
// patient's hold, if they took one.
type BookRequest struct {
	Patient   string
	HoldToken string
	// Request is the online request's id, if it came through the sync.
	Request string
	// Remind is the patient's consent to reminders and where they go
	// (remind.go); nil: none.
	Remind *ReminderContact
}

// Book books a time.
func (d *Diary) Book(ctx context.Context, id SlotID, who Actor, req BookRequest) (Booking, error) {
	var b Booking
	if !who.valid() {
		return b, decline(BadRequest)
	}
	patient := req.Patient
	if who.Patient != "" && patient == "" {
		patient = who.Patient
	}
	pnr, err := personnummer.Parse(patient, d.clock.Now())
	if err != nil {
		return b, decline(BadRequest)
	}
	patient = string(pnr)
	remind, ok := req.Remind.checked()
	if !ok {
		return b, decline(BadRequest)
	}
	err = d.change(ctx, id, func(tx Tx, s *Slot, now time.Time) error {
		if err := d.mayTake(tx, s, who, now, req.HoldToken); err != nil {
			return err
		}
		bid, err := d.newID()
		if err != nil {
			return err
		}
		b = Booking{ID: bid, Patient: patient, ByStaff: who.Staff, Online: who.Patient != "", At: now, Request: req.Request,
			Remind: remind}
		s.State, s.Booking, s.Hold = Booked, &b, nil
		return saveSlot(tx, s)
	})
	return b, err
}

// mayTake checks that who may hold or book s now; token is the hold the
// request presents, if any.
func (d *Diary) mayTake(tx Tx, s *Slot, who Actor, now time.Time, token string) error {
	if !who.valid() {
		return decline(BadRequest)
	}
	if !now.Before(s.Start) {
		return decline(InPast)
	}
	if s.State != Free {
		return decline(Taken)
	}
	held := s.Hold != nil && now.Before(s.Hold.Until)
	switch {
	case token != "" && (!held || s.Hold.Token != token):
		if held {
			return decline(Taken)
		}
		return decline(HoldExpired)
	case token == "" && held:
		return decline(Taken)
	}
	if who.Patient != "" {
		t, err := loadType(tx, s.TypeID)
		if err != nil {
			return err
		}
		if !t.Online {
			return decline(StaffOnly)
		}
		if released(t, s, now) {
			return decline(Released)
		}
	}
	return nil
}

func released(t TimeType, s *Slot, now time.Time) bool {
	return t.ReleaseHours > 0 && !now.Before(s.Start.Add(-time.Duration(t.ReleaseHours)*time.Hour))
}

// Rebook moves a booking from one time to another of the same type,
// clinician and length.
func (d *Diary) Rebook(ctx context.Context, from, to SlotID, who Actor) (Booking, error) {
	return d.rebook(ctx, from, to, who, "")
}

// rebook is Rebook for the online request request ("" none).
func (d *Diary) rebook(ctx context.Context, from, to SlotID, who Actor, request string) (Booking, error) {
	var b Booking
	if !who.valid() {
		return b, decline(BadRequest)
	}
	fk, err1 := keyOf(from)
	tk, err2 := keyOf(to)
	if err1 != nil || err2 != nil {
		return b, decline(NotFound)
	}
	err := d.st.Update(ctx, func(tx Tx) error {
		now := d.clock.Now().UTC()
		src, err := loadSlot(tx, fk)
		if err != nil {
			return err
		}
		if err := d.mayChange(tx, src, who, now, true); err != nil {
			return err
		}
		dst, err := loadSlot(tx, tk)
		if err != nil {
			return err
		}
		switch {
		case dst.TypeID != src.TypeID:
			return decline(WrongType)
		case dst.Clinician != src.Clinician:
			return decline(WrongClinician)
		case dst.Minutes != src.Minutes:
			return decline(WrongLength)
		}
		if err := d.mayTake(tx, dst, who, now, ""); err != nil {
			return err
		}
		b = *src.Booking
		b.At, b.Request = now, request
		dst.State, dst.Booking, dst.Hold = Booked, &b, nil
		src.State, src.Booking = Free, nil
		if err := saveSlot(tx, src); err != nil {
			return err
		}
		if err := saveSlot(tx, dst); err != nil {
			return err
		}
		return finishChange(ctx, tx, nil, &b) // within.go
	})
	return b, err
}

// mayChange checks that who may rebook (or cancel) the booking of s now.
func (d *Diary) mayChange(tx Tx, s *Slot, who Actor, now time.Time, rebook bool) error {
	if !now.Before(s.Start) {
		return decline(InPast)
	}
	if s.State != Booked || s.Booking == nil {
		return decline(NotBooked)
	}
	if who.Patient == "" {
		return nil
	}
	if s.Booking.Patient != who.Patient {
		return decline(NotYours)
	}
	t, err := loadType(tx, s.TypeID)
	if err != nil {
		return err
	}
	allowed, hours := t.Cancel, t.CancelHours
	if rebook {
		allowed, hours = t.Rebook, t.RebookHours
	}
	if !allowed {
		return decline(NotAllowed)
	}
	if !now.Before(s.Start.Add(-time.Duration(hours) * time.Hour)) {
		return decline(TooLate)
	}
	return nil
}

// Cancel cancels a booking; the time is free again (for patients only if
// it is not yet released to staff). Staff give a reason.
func (d *Diary) Cancel(ctx context.Context, id SlotID, who Actor, reason string) error {
	return d.cancel(ctx, id, who, reason, "", "")
}

// cancel is Cancel for the online request request ("" none), of the
// booking bookingID only when that is not "" (CancelBooking).
func (d *Diary) cancel(ctx context.Context, id SlotID, who Actor, reason, request, bookingID string) error {
	if !who.valid() {
		return decline(BadRequest)
	}
	if who.Staff != "" && strings.TrimSpace(reason) == "" {
		return decline(ReasonRequired)
	}
	return d.change(ctx, id, func(tx Tx, s *Slot, now time.Time) error {
		if err := d.mayChange(tx, s, who, now, false); err != nil {
			return err
		}
		if bookingID != "" && s.Booking.ID != bookingID {
			return decline(NotBooked)
		}
		c := *s.Booking
		c.Canceled, c.Reason, c.CancelRequest = now, strings.TrimSpace(reason), request
		s.Canceled = append(s.Canceled, c)
		s.State, s.Booking = Free, nil
		return saveSlot(tx, s)
	})
}

// MarkArrived records that the patient came: staff only, from the
// start of the time's day.
func (d *Diary) MarkArrived(ctx context.Context, id SlotID, who Actor) error {
	return d.mark(ctx, id, who, Arrived)
}

// MarkNoShow records that the patient did not come: staff only, from the
// time's start.
func (d *Diary) MarkNoShow(ctx context.Context, id SlotID, who Actor) error {
	return d.mark(ctx, id, who, NoShow)
}

func (d *Diary) mark(ctx context.Context, id SlotID, who Actor, st State) error {
	if !who.valid() || who.Staff == "" {
		return decline(NotAllowed)
	}
	return d.change(ctx, id, func(tx Tx, s *Slot, now time.Time) error {
		if s.State != Booked {
			return decline(NotBooked)
		}
		from := s.Start
		if st == Arrived {
			from = dateOf(s.Start).midnight()
		}
		if now.Before(from) {
			return decline(NotYet)
		}
		s.State = st
		return saveSlot(tx, s)
	})
}

// change runs fn on one time in one write transaction, with the clock
// read inside it.
func (d *Diary) change(ctx context.Context, id SlotID, fn func(Tx, *Slot, time.Time) error) error {
	key, err := keyOf(id)
	if err != nil {
		return decline(NotFound)
	}
	return d.st.Update(ctx, func(tx Tx) error {
		s, err := loadSlot(tx, key)
		if err != nil {
			return err
		}
		before := s.Booking
		if err := fn(tx, s, d.clock.Now().UTC()); err != nil {
			return err
		}
		return finishChange(ctx, tx, before, s.Booking) // within.go
	})
}
