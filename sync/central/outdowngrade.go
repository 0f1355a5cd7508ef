package central

import (
	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/wire"
)

// No downgrade outbound, the mirror of the gateway's inbound mark
// (sync/uplink/downgrade.go): once a unit's outbox items or bookings came
// sealed (wire.PathOutboxSealed2, wire.PathBookingBookingsSealed2, opened
// and applied), the unit bucket keeps keyOutboundSealed, in the same
// transaction, and from then on a plain outbox batch (wire.PathOutbox,
// wire.PathOutbox2) or plain bookings (wire.PathBookingBookings2) for the
// unit is refused whole with a conflict problem, never applied: whatever
// sends them in plain — a gateway whose outbound sealing broke, or
// something in its name behind a TLS-terminating proxy — would otherwise
// put readable answers and patients on the wire unnoticed. The gateway
// keeps a refused item in its outbox and sends it again (sealed once it
// can), so nothing is lost. The mark is in the file, so it holds across a
// restart; only the unit's own switch lifts it (PUT wire.PathSealing2
// with sealed false: central.sealing = false on the gateway).
//
// What else the gateway sends is left plain on purpose, as it names no
// patient: the forms, services, contact details and free booking times
// are the unit's public offer; a booking decision is a request id, an
// outcome and a reason code; the quarantine report is event ids and
// reason codes; a reconciliation gives back events as the central store
// sent them (sealed ones stay sealed).

// keyOutboundSealed, in a unit bucket: present once the unit's outbound
// items came sealed.
const keyOutboundSealed = "outboundSealed"

// errPlainAfterSealed is the refusal of a plain batch after the mark.
func errPlainAfterSealed() *wire.Problem {
	return wire.Conflict("This care unit's items come sealed (" + wire.PathOutboxSealed2 + "): a plain one is refused and not applied. " +
		"Seal it to the central store's sealing key (" + wire.PathCentralSealingKey2 + "), or switch the unit's sealing off first (central.sealing = false).")
}

// outboundSealing marks ub's unit when sealed, and refuses a plain batch
// of n items after the mark (counted: outmetrics.go).
func (s *Store) outboundSealing(ub *bolt.Bucket, unit string, sealed bool, n int) error {
	if sealed {
		if ub.Get([]byte(keyOutboundSealed)) != nil {
			return nil
		}
		s.log.Info("the unit's outbound items come sealed: plain ones are refused from now on", "unit", unit)
		return ub.Put([]byte(keyOutboundSealed), []byte{1})
	}
	if ub.Get([]byte(keyOutboundSealed)) != nil {
		s.log.Warn("plain outbound items refused: the unit's come sealed", "unit", unit, "items", n)
		s.outCounts.add(unit, 0, 0, n)
		return errPlainAfterSealed()
	}
	return nil
}

// clearOutboundSealed lifts the mark: the unit switched its sealing off.
func clearOutboundSealed(ub *bolt.Bucket) (bool, error) {
	if ub.Get([]byte(keyOutboundSealed)) == nil {
		return false, nil
	}
	return true, ub.Delete([]byte(keyOutboundSealed))
}
