package metrics

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

// The states of getting back, after the gateway's store was restored from
// a backup, what the central store confirmed after the backup
// (SyncFigures.RestoreRecovery).
const (
	RestorePending    = "pending"    // the store was restored; what came after the backup is not back yet
	RestoreIncomplete = "incomplete" // it came back, but not all of it (the central store's retention, or cases not held here)
)

// restoreStates are the states the gauge reports, each even at 0.
var restoreStates = []string{RestorePending, RestoreIncomplete}

var descRestoreRecovery = prometheus.NewDesc("clinicgw_sync_restore_recovery",
	"1 for the state of getting back what the central store confirmed after the backup the store was restored from: pending (not back yet), incomplete (not all of it came back, until a restart); else 0.",
	[]string{"state"}, nil)

// restoreRecovery reports state ("" when nothing is pending or missing).
func restoreRecovery(ch chan<- prometheus.Metric, state string) {
	for _, s := range restoreStates {
		v := 0.0
		if s == state {
			v = 1
		}
		gauge(ch, descRestoreRecovery, v, s)
	}
}

// RestoreRecoveryCheck is the /healthz check (not /readyz: staff work on)
// named "restore-recovery": it fails with "pending" from the start of a
// gateway whose store was restored from a backup until what the central
// store confirmed after the backup is back, and with "incomplete" when
// not all of it came back (until the service restarts): region IT must
// look (the log's line has the counts).
func RestoreRecoveryCheck(src SyncSource) Check {
	return Check{Name: "restore-recovery", Run: func(context.Context) string {
		f, ok := src.SyncFigures()
		if !ok || f.RestoreRecovery == "" {
			return StateOK
		}
		return f.RestoreRecovery
	}}
}
