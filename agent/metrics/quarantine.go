package metrics

import (
	"context"
	"slices"
	"strings"

	"clinicgw/sync/clock"

	"github.com/prometheus/client_golang/prometheus"
)

var descQuarantined = prometheus.NewDesc("clinicgw_sync_quarantined_events",
	"Central events the gateway could not apply, kept sealed in its quarantine, by reason: not handled; list them with clinicgw quarantine list.",
	[]string{"reason"}, nil)

// quarantined reports the quarantine by reason: every reason in reasons
// (0 if absent), and any other present.
func quarantined(ch chan<- prometheus.Metric, reasons []string, by map[string]int) {
	for _, r := range reasons {
		gauge(ch, descQuarantined, float64(by[r]), r)
	}
	for r, n := range by {
		if !slices.Contains(reasons, r) {
			gauge(ch, descQuarantined, float64(n), r)
		}
	}
}

// QuarantineCheck is the /healthz check (not /readyz: staff work on)
// named "sync-quarantine": it fails while central events wait in the
// quarantine, its state the reasons present, sorted and joined by "+"
// ("invalid+conflict"): region IT must look (clinicgw quarantine list).
// A store that cannot be read passes here: the "store" check fails on it,
// and one cause is named once.
func QuarantineCheck(src StoreSource, clock clock.Clock) Check {
	return Check{Name: "sync-quarantine", Run: func(ctx context.Context) string {
		f, err := src.StoreFigures(ctx, clock.Now())
		if err != nil {
			return StateOK
		}
		var reasons []string
		for r, n := range f.Quarantined {
			if n > 0 {
				reasons = append(reasons, r)
			}
		}
		if len(reasons) == 0 {
			return StateOK
		}
		slices.Sort(reasons)
		return strings.Join(reasons, "+")
	}}
}
