package agent

import (
	"context"

	"clinicgw/agent/store"
)

// runAuditCheck checks the whole access log every night at audit.check_at
// (store.VerifyAudit: every record, the chain, the checkpoints; then a new
// checkpoint). The auditor's page checks only what was logged since the
// last check and shows this one's result (store.LastFullAuditCheck); a
// broken log is logged here as an error, once a night.
func (a *Agent) runAuditCheck(ctx context.Context, db *store.DB) {
	h, m, err := a.cfg.Audit.Daily()
	if err != nil { // refused when the configuration was loaded
		h, m = 3, 30
	}
	log := a.log.With("part", "audit")
	runDaily(ctx, a.opts.Clock, h, m, nil, func(ctx context.Context) {
		rep, err := db.VerifyAudit(ctx)
		switch {
		case ctx.Err() != nil:
		case err != nil:
			log.Error("the nightly check of the whole access log found it broken; the auditor's page shows it", "err", err)
		default:
			log.Info("the nightly check of the whole access log passed", "entries", rep.Entries)
		}
	})
}
