package uplink

import (
	"context"
	"fmt"
	"sync"
)

// Every bookings state the uplink puts (bookingstate.go, sealed or plain)
// carries a version higher than any it put before (wire.BookingBookings.
// Version; inside the sealed payload), so that the central store can
// refuse an older state put again by a TLS-terminating proxy
// (sync/central's bookingversion.go). The version is the later of the
// last one plus one and the uplink's clock in milliseconds: kept in the
// gateway's store (BookingsVersions, *store.DB through
// Config.SealingKeys) before the state is sent, so it never goes back
// across restarts, and even a gateway restored from an older backup of
// its store starts above what it sent before, by the clock.

// BookingsVersions is where the gateway keeps the last bookings version.
type BookingsVersions interface {
	BookingsVersion(ctx context.Context) (uint64, error)
	SetBookingsVersion(ctx context.Context, v uint64) error
}

// bookingsVersion is the last version put, in memory.
type bookingsVersion struct {
	mu   sync.Mutex
	last uint64
}

// nextBookingsVersion returns the version of the next state put, kept.
func (u *Uplink) nextBookingsVersion(ctx context.Context) (uint64, error) {
	bv := &u.bookingsVer
	bv.mu.Lock()
	defer bv.mu.Unlock()
	kept, durable := u.cfg.SealingKeys.(BookingsVersions)
	last := bv.last
	if durable {
		stored, err := kept.BookingsVersion(ctx)
		if err != nil {
			return 0, fmt.Errorf("the bookings version: %w", err)
		}
		last = max(last, stored)
	}
	v := max(last+1, uint64(max(0, u.cfg.Clock.Now().UnixMilli())))
	if durable {
		if err := kept.SetBookingsVersion(ctx, v); err != nil {
			return 0, fmt.Errorf("keep the bookings version: %w", err)
		}
	}
	bv.last = v
	return v, nil
}
