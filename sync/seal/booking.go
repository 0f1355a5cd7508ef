package seal

import (
	"strconv"

	"clinicgw/sync/wire"
)

// BookingContext is what a booking request's envelope (its patient and
// reminder, wire.BookingRequest.Sealed) is bound to: the unit, the
// request's id and its kind. An envelope moved to another request, kind
// or unit does not open.
func BookingContext(unit, request string, kind wire.BookingKind) Context {
	return Context{Unit: unit, ID: request, Kind: "booking." + string(kind)}
}

// BookingBookingsContext is what part i (from 0) of n of the unit's
// sealed bookings state (wire.SealedBookingBookings) is bound to: the
// unit it comes from, the part's place and the number of parts.
func BookingBookingsContext(unit string, i, n int) Context {
	return Context{Unit: unit, ID: strconv.Itoa(i+1) + "/" + strconv.Itoa(n), Kind: "booking.bookings"}
}

// ConfirmedContext is what a confirmed outbox item the central store
// gives back sealed to the unit (wire.ConfirmedItem.Sealed) is bound to:
// the unit, the item's idempotency key and its kind. It differs from
// OutboxContext, so an item the gateway sealed to the central store is
// not taken for one sealed back to the unit.
func ConfirmedContext(unit, key string, kind wire.OutboxKind) Context {
	return Context{Unit: unit, ID: key, Kind: "confirmed." + string(kind)}
}
