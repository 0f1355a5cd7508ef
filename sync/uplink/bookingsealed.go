package uplink

import (
	"context"
	"errors"

	"clinicgw/sync/seal"
	"clinicgw/sync/wire"
)

// Sealed booking requests (issue 22; wire/bookingsealed.go). A request
// whose patient and reminder the central store sealed to the unit's key
// is opened with the unit's key ring before the diary decides it. One
// that does not open (another unit's or a retired key, altered, moved to
// another request, truncated) is declined with wire.BookingUnreadable —
// logged with its id and why, never decided on its clear members. Once
// the central store has confirmed sealing (the mark of downgrade.go), a
// plain request is declined with wire.BookingNotSealed. When the key ring
// cannot be read at all, nothing is decided: the requests stay at the
// central store for the next round.

// openBookingRequests returns the requests to decide, opened, and the
// declines of those that cannot be decided on.
func (u *Uplink) openBookingRequests(ctx context.Context, reqs []wire.BookingRequest) ([]wire.BookingRequest, []wire.BookingDecision, error) {
	_, marked, err := u.sealedFrom(ctx)
	if err != nil {
		u.log.Error("the gateway's sealing mark cannot be read", "err", err)
		return nil, nil, errNoKeyRing
	}
	out := make([]wire.BookingRequest, 0, len(reqs))
	var refused []wire.BookingDecision
	decline := func(r wire.BookingRequest, code, why string) {
		u.log.Error("a booking request cannot be decided on: declined", "request", r.ID, "reason", code, "why", why)
		refused = append(refused, wire.BookingDecision{Request: r.ID, Outcome: wire.BookingDeclined, Reason: code})
	}
	for _, r := range reqs {
		if r.Sealed == "" {
			if marked {
				decline(r, wire.BookingNotSealed, "plain")
				continue
			}
			out = append(out, r)
			continue
		}
		plain, err := u.unsealBooking(ctx, r)
		switch {
		case errors.Is(err, errNoKeyRing):
			return nil, nil, err
		case err != nil:
			decline(r, wire.BookingUnreadable, refusalOf(err))
			continue
		}
		out = append(out, plain)
	}
	if len(refused) > 0 {
		u.mu.Lock()
		u.st.SealedRefused += len(refused)
		u.mu.Unlock()
	}
	return out, refused, nil
}

// unsealBooking opens one sealed request to its plain form.
func (u *Uplink) unsealBooking(ctx context.Context, r wire.BookingRequest) (wire.BookingRequest, error) {
	env, ok := r.SealedBytes()
	if !ok {
		return wire.BookingRequest{}, seal.ErrMalformed
	}
	o, err := u.openerFor(ctx, false)
	if err != nil {
		u.log.Error("the unit's sealing keys cannot be read", "err", err)
		return wire.BookingRequest{}, errNoKeyRing
	}
	c := seal.BookingContext(o.Unit(), r.ID, r.Kind)
	pt, err := o.Open(c, env)
	if errors.Is(err, seal.ErrUnknownKey) { // a key made since the opener was loaded?
		if o, err2 := u.openerFor(ctx, true); err2 == nil {
			pt, err = o.Open(c, env)
		}
	}
	if err != nil {
		return wire.BookingRequest{}, err
	}
	plain, err := wire.OpenedBookingRequest(r, pt)
	if err != nil {
		return wire.BookingRequest{}, errBookingContent
	}
	return plain, nil
}

// errBookingContent: a request opened to something that is not its own.
var errBookingContent = errors.New("a sealed booking request opened to another request or to invalid content")
