package central

import (
	"encoding/binary"
	"strconv"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/wire"
)

// The version of a unit's bookings state (issue 22): a state replaces the
// unit's previous one whole, so a TLS-terminating proxy (or anyone who
// kept a copy of a sealed body) putting an older state again would bring
// back bookings since cancelled. Every state the gateway puts carries a
// higher wire.BookingBookings.Version, inside the sealed, authenticated
// payload; the store keeps the version it holds beside the state, in the
// same transaction, and refuses (409, nothing changed) a state older than
// it, or one without a version once it holds one. The same version again
// is a retry and is taken. A store restored from a backup holds the
// backup's version: the gateway's next state (it puts one at every
// reconnect) is newer and is taken, an older replay still is not.
//
// The other sealed payloads need no version: booking requests and
// confirmed items are each bound to their own id (seal.BookingContext,
// seal.ConfirmedContext) and applied once per id by the gateway, a
// booking decision for a request decided before changes nothing, and an
// outbox item is applied once per idempotency key — a replay of any of
// them is a duplicate, never a step back.

const keyBookingsVersion = "bookings-version" // in a unit bucket: 8 bytes, big-endian

// checkBookingsVersion refuses bb when it is older than the state ub
// holds, and records its version otherwise.
func checkBookingsVersion(ub *bolt.Bucket, bb wire.BookingBookings) error {
	var held uint64
	if v := ub.Get([]byte(keyBookingsVersion)); len(v) == 8 {
		held = binary.BigEndian.Uint64(v)
	}
	if bb.Version < held || (bb.Version == 0 && held > 0) {
		return wire.Conflict("The bookings state (version " + strconv.FormatUint(bb.Version, 10) + ") is older than the one the central store holds (version " +
			strconv.FormatUint(held, 10) + "): an older state put again is refused; the gateway puts its current state.")
	}
	if bb.Version == 0 {
		return nil
	}
	return ub.Put([]byte(keyBookingsVersion), binary.BigEndian.AppendUint64(nil, bb.Version))
}
