package central

import (
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/wire"
)

// A patient's requests the gateway has not decided yet show on "Bokade
// tider" as sent and waiting for the unit's answer (a book, a rebook or a
// cancel, its time, a link to the request's page), never as booked: only
// a confirmed booking is one. Once the decision arrives the row is gone;
// a confirmed book or rebook shows as booked, a confirmed cancel removes
// the booking, a declined request says why on its own page.

// PendingBookingRequests returns the requests of pnr (and of the children
// pnr asked for) with the unit that are still pending, in arrival order.
func (s *Store) PendingBookingRequests(ctx context.Context, unit, pnr string) ([]BookingRequestState, error) {
	if !s.unitSet[unit] {
		return nil, ErrUnknownUnit
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []BookingRequestState
	err := s.db.View(func(tx *bolt.Tx) error {
		ub := unitBucket(tx, unit)
		pend, reqs := ub.Bucket([]byte(bucketBookingPending)), ub.Bucket([]byte(bucketBookingReqs))
		if pend == nil || reqs == nil {
			return nil
		}
		return pend.ForEach(func(_, id []byte) error {
			var rec bookingRecord
			if err := s.openJSON(bookingReqWhere(id), reqs.Get(id), &rec); errors.Is(err, errForgotten) {
				return nil
			} else if err != nil {
				return fmt.Errorf("read a booking request: %w", err)
			}
			if rec.State == RequestPending && (rec.Req.Patient == pnr || rec.Guardian == pnr) {
				out = append(out, BookingRequestState{ID: string(id), Kind: rec.Req.Kind, State: rec.State, Time: rec.Time})
			}
			return nil
		})
	})
	return out, err
}

// pendingRow is a pending request on "Bokade tider".
type pendingRow struct {
	timeRow
	Request string // its id, for its page
	Kind    wire.BookingKind
}

// KindKey is the text key of what was sent: a booking, a rebooking, a
// cancellation.
func (p pendingRow) KindKey() string { return "central.page.booking.pendingKind." + string(p.Kind) }

// pendingRows are pnr's pending requests as rows.
func (w *web) pendingRows(ctx context.Context, unit, pnr string) ([]pendingRow, error) {
	reqs, err := w.s.PendingBookingRequests(ctx, unit, pnr)
	if err != nil {
		return nil, err
	}
	rows := make([]pendingRow, 0, len(reqs))
	for _, r := range reqs {
		rows = append(rows, pendingRow{timeRow: newTimeRow(r.Time), Request: r.ID, Kind: r.Kind})
	}
	return rows, nil
}
