package metrics

import "github.com/prometheus/client_golang/prometheus"

// Outbound sealing (sync/uplink's outseal.go): the outbox items sent
// sealed to the central store's verified key and plain, the ones it
// refused, how the outbox travels now, and the central key's id. Counts,
// a state and a key id only: no case id, no patient data.
var (
	descOutboxItems = prometheus.NewDesc("clinicgw_sync_outbox_items_total",
		"Outbox items (answers, status changes, started cases) sent to the central store since start, by how: sealed to its verified key, or plain (sealing off, or a central store of the previous release never sealed to).",
		[]string{"sealing"}, nil)
	descOutboxRefused = prometheus.NewDesc("clinicgw_sync_outbox_refused_total",
		"Outbox items the central store refused since start: a sealed one it could not open, or plain ones after the unit's came sealed. Each is kept and sent again; any is worth a look.",
		nil, nil)
	descOutboxSealing = prometheus.NewDesc("clinicgw_sync_outbox_sealing",
		"1 while the outbox goes sealed to the central store's verified key; 0 with the state off, plain, waiting (sealed before, no key offered now) or refused (a key the pinned CA's certificate did not sign).",
		[]string{"state"}, nil)
	descCentralSealingKey = prometheus.NewDesc("clinicgw_sync_central_sealing_key",
		"1 for the central store's sealing key this gateway verified and seals its outbox to (keyId); no series before one is verified.",
		[]string{"keyId"}, nil)
)

// outboundSealing reports the outbound sealing figures.
func outboundSealing(ch chan<- prometheus.Metric, f SyncFigures) {
	counter(ch, descOutboxItems, uint64(f.OutboundSealedItems), "sealed")
	counter(ch, descOutboxItems, uint64(f.OutboundPlainItems), "plain")
	counter(ch, descOutboxRefused, uint64(f.OutboundRefusedItems))
	stateGauge(ch, descOutboxSealing, f.OutboundSealing, "off", "sealed")
	if f.CentralKeyID != "" {
		gauge(ch, descCentralSealingKey, 1, f.CentralKeyID)
	}
}

// stateGauge reports a state's gauge: 1 when state is on, else 0; an
// empty state is reported as unset.
func stateGauge(ch chan<- prometheus.Metric, d *prometheus.Desc, state, unset, on string) {
	v := 0.0
	switch state {
	case "":
		state = unset
	case on:
		v = 1
	}
	gauge(ch, d, v, state)
}
