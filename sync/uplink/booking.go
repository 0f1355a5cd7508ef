package uplink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"clinicgw/sync/wire"
)

// Online booking (wire.PathBookingTimes2, …Requests2, …Decisions2): the
// gateway publishes its free times, takes the patients' requests that
// wait at the central store, decides each through the booking authority
// and posts the decisions. A request stays at the central store until its
// decision is taken there, so a decision lost on the way is made again:
// the authority answers a request it has decided before the same way
// (agent/booking's Decide). A central store of the release before answers
// 404: ErrBookingUnsupported, logged once (one line) until it answers.

// ErrBookingUnsupported: the central store does not serve online booking.
var ErrBookingUnsupported = errors.New("the central store takes no online bookings (an older release)")

// BookingDecider decides one patient request: agent/booking's Diary. An
// error (not a decline) leaves the request for the next round.
type BookingDecider interface {
	Decide(ctx context.Context, r wire.BookingRequest) (wire.BookingDecision, error)
}

// BookingSource is the unit's booking diary as the push loop uses it:
// agent/booking's Diary with the horizon and display names bound.
type BookingSource interface {
	BookingDecider
	// Published is the free times to publish now.
	Published(ctx context.Context) (wire.BookingTimes, error)
}

// BookingChanged says the diary changed outside the sync (staff booked,
// the schedule changed): the free times are published again at once.
func (u *Uplink) BookingChanged() {
	u.bookingDue.Store(true)
	wake(u.pushWake)
}

// syncBookings is the push loop's booking round (cfg.Booking set): the
// requests waiting are decided, then the free times published if due (a
// decision changed them, a connect, BookingChanged). A central store
// without booking (404) is left alone until the next connect.
func (u *Uplink) syncBookings(ctx context.Context) error {
	src := u.cfg.Booking
	if src == nil || u.bookingNoOffer.Load() {
		return nil
	}
	n, err := u.DecideBookings(ctx, src)
	if n > 0 {
		u.bookingDue.Store(true)
	}
	if errors.Is(err, ErrBookingUnsupported) {
		return nil
	}
	if err != nil || !u.bookingDue.Swap(false) {
		return err
	}
	bt, err := src.Published(ctx)
	if err == nil {
		err = u.PublishBookingTimes(ctx, bt)
	}
	if err == nil {
		err = u.publishBookings(ctx, src) // bookingstate.go
	}
	switch {
	case errors.Is(err, ErrBookingUnsupported):
		return nil
	case err != nil:
		u.bookingDue.Store(true)
	}
	return err
}

// PublishBookingTimes puts the unit's free times; they replace what the
// central store showed.
func (u *Uplink) PublishBookingTimes(ctx context.Context, bt wire.BookingTimes) error {
	b, err := wire.Marshal(bt)
	if err != nil {
		return fmt.Errorf("publish booking times: %w", err)
	}
	err = u.bookingErr(u.roundTrip(ctx, "bookingTimes", http.MethodPut, wire.PathBookingTimes2, "", b, nil))
	if err == nil {
		u.log.Info("booking times published", "times", len(bt.Times))
	}
	return err
}

// DecideBookings takes the requests waiting at the central store, decides
// each with d and posts the decisions; it returns how many were decided.
// Requests d could not decide (an error) stay for the next call.
func (u *Uplink) DecideBookings(ctx context.Context, d BookingDecider) (int, error) {
	var pg wire.BookingRequestPage
	err := u.bookingErr(u.roundTrip(ctx, "bookingRequests", http.MethodGet, wire.PathBookingRequests2, "", nil, func(r io.Reader) error {
		var err error
		pg, err = wire.DecodeBookingRequestPage(r)
		return err
	}))
	if err != nil || len(pg.Requests) == 0 {
		return 0, err
	}
	reqs, refused, err := u.openBookingRequests(ctx, pg.Requests) // bookingsealed.go
	if err != nil {
		return 0, err
	}
	ds := wire.BookingDecisions{Decisions: append(make([]wire.BookingDecision, 0, len(pg.Requests)), refused...)}
	var failed error
	for _, r := range reqs {
		dec, err := d.Decide(ctx, r)
		if err != nil {
			failed = err
			continue
		}
		ds.Decisions = append(ds.Decisions, dec)
	}
	if len(ds.Decisions) > 0 {
		b, err := wire.Marshal(ds)
		if err != nil {
			return 0, fmt.Errorf("booking decisions: %w", err)
		}
		if err := u.bookingErr(u.roundTrip(ctx, "bookingDecisions", http.MethodPost, wire.PathBookingDecisions2, "", b, nil)); err != nil {
			return 0, err
		}
		u.log.Info("booking decisions sent", "decisions", len(ds.Decisions))
	}
	if failed != nil {
		return len(ds.Decisions), fmt.Errorf("decide booking requests: %w", failed)
	}
	return len(ds.Decisions), nil
}

// bookingErr turns a 404 into ErrBookingUnsupported, logged once until a
// booking request succeeds again.
func (u *Uplink) bookingErr(err error) error {
	var se *statusError
	switch {
	case errors.As(err, &se) && se.status == http.StatusNotFound:
		if !u.bookingNoOffer.Swap(true) {
			u.log.Warn("the central store does not take online bookings (an older release); no times published until it does")
		}
		return ErrBookingUnsupported
	case err == nil:
		u.bookingNoOffer.Store(false)
	}
	return err
}
