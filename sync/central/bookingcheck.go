package central

import (
	"time"

	"clinicgw/sync/wire"
)

// What the patient pages can tell of a booking request at once, from what
// the gateway published, is declined at once (in Swedish, nothing queued):
// a time that has begun, a rebooking to another kind of time or another
// clinician, a rebooking or cancellation the time's type does not allow.
// The gateway still decides every request it gets by its own rules (the
// deadlines, who has the time): these checks only spare the patient a
// round trip for what cannot succeed.

// checkTake: the time to book (or move to) has not begun.
func checkTake(t wire.BookingTime, now time.Time) error {
	if !t.Start.After(now) {
		return inputError("time", "the time has begun", swedish("booking.declined.inPast"))
	}
	return nil
}

// checkCancel: the booking's type lets the patient cancel, and it has not
// begun.
func checkCancel(b wire.BookingTime, now time.Time) error {
	if !b.Cancel {
		return inputError("time", "the type does not let the patient cancel", swedish("central.page.booking.noCancel"))
	}
	return checkTake(b, now)
}

// checkRebook: the booking from may be moved by the patient, to a time of
// the same kind, length and (where shown) clinician that has not begun.
func checkRebook(from, to wire.BookingTime, now time.Time) error {
	switch {
	case !from.Rebook:
		return inputError("from", "the type does not let the patient rebook", swedish("central.page.booking.noRebook"))
	case from.TypeID != to.TypeID || from.Minutes != to.Minutes:
		return inputError("time", "a rebooking to another kind of time", swedish("booking.declined.wrongType"))
	case from.Clinician != to.Clinician:
		return inputError("time", "a rebooking to another clinician", swedish("booking.declined.wrongClinician"))
	}
	if err := checkTake(from, now); err != nil {
		return err
	}
	return checkTake(to, now)
}
