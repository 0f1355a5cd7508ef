package agent

import (
	"context"

	"clinicgw/agent/audit"
	"clinicgw/agent/booking"
	"clinicgw/sync/clock"
	"clinicgw/sync/wire"
)

// diarySync is the diary's sync source (booking.SyncSource) whose
// patients' online changes — a booking, a rebooking, a cancellation —
// write their access-log entry (actor "patient", the staff pages'
// actions "diary-book", "diary-rebook", "diary-cancel") in the change's
// own transaction, as staff changes do (booking.WithAccessLog).
type diarySync struct {
	booking.SyncSource
	unit  string
	clock clock.Clock
}

// Decide is booking.SyncSource.Decide with the access-log entry.
func (s diarySync) Decide(ctx context.Context, r wire.BookingRequest) (wire.BookingDecision, error) {
	ctx = booking.WithAccessLog(ctx, func(patient string) audit.Entry {
		return audit.Entry{Time: s.clock.Now().UTC(), Actor: "patient", Unit: s.unit,
			Action: "diary-" + string(r.Kind), Patient: patient, Outcome: audit.Allowed}
	})
	return s.SyncSource.Decide(ctx, r)
}
