package uplink

import (
	"context"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire"
)

// The sealing key is checked at every start (sealkey.go), and again,
// without waiting for the next start, when the central store may seal to
// another key than the unit's current one:
//
//   - after a reconciliation: the central store went back to an older
//     copy of its file, which may publish a key from before a rotation
//     (`keys rotate --sealing`) and seal new cases to it — to a key
//     retired here since, if the unit retired it;
//   - when a sealed event does not open because it is sealed to a retired
//     or an unknown key.
//
// The check republishes the current key where the central store
// publishes another, so that from then on it seals to the current one.
// A case sealed to a retired key before that is quarantined
// (sealed.retired-key), never applied: see README, Sealing keys.

// recheckSealingKey asks the sealing key loop for a check; it does not
// wait, and asks at most once until the loop takes it.
func (u *Uplink) recheckSealingKey(why string) {
	if u.cfg.SealingKeys == nil {
		return
	}
	select {
	case u.sealRecheck <- struct{}{}:
		u.log.Info("the sealing key publication is checked again", "why", why)
	default:
	}
}

// recheckOnStaleKey asks for a check if a refusal (refusalOf's names) says
// the central store sealed to a key that is not one the unit opens with.
func (u *Uplink) recheckOnStaleKey(refused map[int]string) {
	for _, why := range refused {
		if why == "retired-key" || why == "unknown-key" {
			u.recheckSealingKey("sealed-to-" + why)
			return
		}
	}
}

// awaitSealRecheck waits for a recheck; false when ctx ends first.
func (u *Uplink) awaitSealRecheck(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return false
	case <-u.sealRecheck:
		return true
	}
}

// routeInbound gives in, a sealed event ev that did not open, what ev's
// route says in the clear that the case service compares (a follow-up's
// message id: agent/cases' sealdup.go).
func routeInbound(in *cases.Inbound, ev wire.Event) {
	if r := ev.Route; r != nil && ev.Kind == wire.EventCaseFollowUp {
		in.MessageID = r.MessageID
	}
}
