package uplink

import (
	"context"
	"net/http"
	"slices"

	"clinicgw/sync/wire"
)

// The gateway acknowledges a page even when the case service quarantined
// some of its events (the acknowledgement means "durably stored here").
// So that the central store knows which acknowledged events were not
// handled, the pull loop reports the whole quarantine, read from the
// store, with PUT wire.PathQuarantine2: after every pull when it differs
// from what the central store last took in this run, and so once at
// every start. It is state, not a change: an event a retry applied or
// region IT released is no longer in the next report, and a report sent
// twice or after a restart of either side changes nothing. A report that
// fails is sent again after the next pull.

// reportQuarantine sends the quarantine if it differs from *reported and
// records it there once the central store took it. A failure is logged
// only: the next pull tries again.
func (u *Uplink) reportQuarantine(ctx context.Context, reported **wire.QuarantineReport) {
	qs, err := u.cfg.Cases.Quarantine(ctx)
	if err != nil {
		u.log.Error("read the quarantine to report it failed", "err", err)
		return
	}
	rep := wire.QuarantineReport{Events: []wire.QuarantinedEvent{}, Total: len(qs)}
	for _, q := range qs[:min(len(qs), wire.MaxQuarantineEvents)] {
		rep.Events = append(rep.Events, wire.QuarantinedEvent{ID: q.Event.EventID, Reason: wire.QuarantineReason(q.Reason)})
	}
	if r := *reported; r != nil && r.Total == rep.Total && slices.Equal(r.Events, rep.Events) {
		return
	}
	b, err := wire.Marshal(rep)
	if err != nil {
		u.log.Error("quarantine report not valid; not sent", "err", err)
		return
	}
	if err := u.roundTrip(ctx, "quarantine", http.MethodPut, wire.PathQuarantine2, "", b, nil); err != nil {
		u.log.Info("quarantine report failed; the next pull sends it again", "quarantined", rep.Total, "err", err)
		return
	}
	*reported = &rep
	u.log.Info("quarantine reported to the central store", "quarantined", rep.Total)
}
