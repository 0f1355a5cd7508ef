package central

import (
	"context"
	"time"
)

// Booking requests told at once, both ways (wire.StreamAnnounceBooking):
// a patient's request that starts waiting is announced on the unit's
// streams that asked for it, so the gateway decides it at once rather
// than at its next push round; and the patient's click waits for that
// decision (at most BookingAnswerWait) before it redirects, so the page
// after the click says booked or why not, rather than "sent, reload
// later". With no gateway listening for bookings the click does not wait.

// BookingAnswerWait bounds how long a patient's booking click waits for
// the gateway's decision before the page says the request is sent.
const BookingAnswerWait = 3 * time.Second

// announceBooking tells unit's streams that asked for it that booking
// requests wait. Like publish, it never blocks: a stream holds at most one
// notice.
func (h *hub) announceBooking(unit string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs[unit] {
		if sub.booking == nil {
			continue
		}
		select {
		case sub.booking <- struct{}{}:
		default:
		}
	}
}

// bookingListened reports whether a stream of unit asked for booking
// announcements: its gateway decides requests as they come.
func (h *hub) bookingListened(unit string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs[unit] {
		if sub.booking != nil {
			return true
		}
	}
	return false
}

// awaitDecision returns a channel closed when request id is decided
// (decided), and a function to call when no longer waiting.
func (h *hub) awaitDecision(id string) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	h.mu.Lock()
	h.waits[id] = append(h.waits[id], ch)
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		for i, c := range h.waits[id] {
			if c == ch {
				h.waits[id] = append(h.waits[id][:i], h.waits[id][i+1:]...)
				break
			}
		}
		if len(h.waits[id]) == 0 {
			delete(h.waits, id)
		}
	}
}

// decided wakes whoever waits for the requests' decisions.
func (h *hub) decided(ids []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range ids {
		for _, ch := range h.waits[id] {
			close(ch)
		}
		delete(h.waits, id)
	}
}

// waitBookingDecision waits until request id of unit is decided, at most
// BookingAnswerWait, and only while a gateway listens for booking
// announcements; it returns early when ctx ends.
func (s *Store) waitBookingDecision(ctx context.Context, unit, pnr, id string) {
	if !s.hub.bookingListened(unit) {
		return
	}
	ch, stop := s.hub.awaitDecision(id)
	defer stop()
	// Decided between the request's commit and the wait: no waiting.
	if st, err := s.BookingRequestOf(ctx, unit, pnr, id); err != nil || st.State != RequestPending {
		return
	}
	t := s.clock.NewTimer(BookingAnswerWait)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C():
	case <-ctx.Done():
	case <-s.done:
	}
}
