package uplink

import (
	"errors"
	"net/http"

	"clinicgw/sync/wire"
)

// The outbound sealing counts (Status.OutboundSealedItems, …PlainItems,
// …RefusedItems, CentralKeyID), for /metrics and the status: how many
// outbox items went sealed and how many plain since start, how many the
// central store refused — a sealed item it could not open (a per-item
// rejection of a sealed batch; a conflict is counted with the conflicts,
// not here), or a plain batch refused whole because the unit's items came
// sealed before (409, sync/central's outdowngrade.go) — and the id of the
// central store's key the items are sealed to. Counts and a key id only.

// countOutbound counts a batch of n items posted sealed or plain, with
// the central store's answer res or the error err.
func (u *Uplink) countOutbound(sealed bool, n int, res wire.OutboxResult, err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if err != nil {
		if se, ok := errors.AsType[*statusError](err); ok && se.status == http.StatusConflict {
			u.st.OutboundRefusedItems += n
		}
		return
	}
	if sealed {
		u.st.OutboundSealedItems += n
	} else {
		u.st.OutboundPlainItems += n
	}
	for _, r := range res.Results {
		if r.Status == wire.ItemRejected && !isConflict(r.Problem) {
			u.st.OutboundRefusedItems++
		}
	}
}

// setCentralKeyID records the central store's verified key id ("" when
// it offers none or one that does not verify).
func (u *Uplink) setCentralKeyID(id string) {
	u.mu.Lock()
	u.st.CentralKeyID = id
	u.mu.Unlock()
}
