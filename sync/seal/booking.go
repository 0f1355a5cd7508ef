package seal

import "clinicgw/sync/wire"

// BookingContext is what a booking request's envelope (its patient and
// reminder, wire.BookingRequest.Sealed) is bound to: the unit, the
// request's id and its kind. An envelope moved to another request, kind
// or unit does not open.
func BookingContext(unit, request string, kind wire.BookingKind) Context {
	return Context{Unit: unit, ID: request, Kind: "booking." + string(kind)}
}
