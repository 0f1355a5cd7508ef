package metrics

import "github.com/prometheus/client_golang/prometheus"

// The unit's sealing key at the central store (sync/uplink's check at
// every start): refusals of a key the gateway did not sign, and where the
// publication stands.
var (
	descSealingKeyRefusals = prometheus.NewDesc("clinicgw_sync_sealing_key_refusals_total",
		"Sealing keys the central store published for this unit since start that this gateway did not sign: refused, never sealed to. Any is an incident: the central store or something in front of it swapped the unit's key.",
		nil, nil)
	descSealingKeyPublished = prometheus.NewDesc("clinicgw_sync_sealing_key_published",
		"1 while the central store publishes the unit's current sealing key as this gateway signed it; 0 before the check at start, when it publishes another (refused) or predates sealing keys (state).",
		[]string{"state"}, nil)
)

// sealingKey reports the sealing key's figures.
func sealingKey(ch chan<- prometheus.Metric, f SyncFigures) {
	counter(ch, descSealingKeyRefusals, uint64(f.SealingKeyRefusals))
	stateGauge(ch, descSealingKeyPublished, f.SealingKey, "unchecked", "published")
}
