package wire

import "io"

// The unit's bookings of patients (new in v2, after the times): PUT
// PathBookingBookings2 carries every coming booking in the gateway's diary
// with its patient, and the coming times the unit cancelled, so that what
// staff do in the diary (a booking taken by phone, a rebooking, a
// cancellation) reaches the patient's "Bokade tider" as a patient's own
// request does. A PUT replaces the unit's bookings at the central store:
// a booking the gateway no longer sends is gone (moved or cancelled).
// The times are named by the same published ids as the free times (no
// HSA-ID). A central store of the release before answers 404: the
// gateway logs it once and goes on publishing the free times; patients
// then see only their own online bookings, as before.

// PathBookingBookings2 is PUT BookingBookings.
const PathBookingBookings2 = "/" + Version2 + "/booking/bookings"

// BookingBookings is the unit's coming bookings of patients.
type BookingBookings struct {
	// Bookings are every coming booking, online or by staff; time ids
	// unique.
	Bookings []PatientBooking `json:"bookings"`
	// Canceled are the coming times the unit (not the patient) cancelled,
	// for the patient's page to say so.
	Canceled []PatientBooking `json:"canceled"`
	// Version orders the unit's states: the gateway gives each state it
	// puts a higher one (bookingversion.go); sealed, it is inside the
	// authenticated payload. The central store refuses a state older than
	// the one it holds (409). 0: a gateway of the previous release.
	Version uint64 `json:"version,omitempty"`
}

// PatientBooking is one patient's time.
type PatientBooking struct {
	// Patient is the patient's personnummer.
	Patient string `json:"patient"`
	// Time is the time as the patient pages show it.
	Time BookingTime `json:"time"`
}

// Validate checks the bookings.
func (b BookingBookings) Validate() error { return invalid(b.check()) }

func (b BookingBookings) check() error {
	for _, part := range []struct {
		name string
		list []PatientBooking
	}{{"bookings", b.Bookings}, {"canceled", b.Canceled}} {
		if part.list == nil {
			return fail(part.name, "is required (empty: none)")
		}
		if len(part.list) > MaxBookingTimes {
			return failf(part.name, "must have at most %d bookings", MaxBookingTimes)
		}
		seen := make(map[string]bool, len(part.list))
		for i, x := range part.list {
			p := index(part.name, i)
			if err := checkPNR(member(p, "patient"), x.Patient); err != nil {
				return err
			}
			if err := x.Time.check(member(p, "time")); err != nil {
				return err
			}
			k := x.Time.ID + "/" + x.Patient
			if part.name == "bookings" {
				k = x.Time.ID
			}
			if seen[k] {
				return fail(member(member(p, "time"), "id"), "appears twice")
			}
			seen[k] = true
		}
	}
	return nil
}

// DecodeBookingBookings reads BookingBookings (the server, from PUT
// PathBookingBookings2) within MaxBodyBytes and validates them.
func DecodeBookingBookings(r io.Reader) (BookingBookings, error) {
	return decodeBody[BookingBookings](r)
}
