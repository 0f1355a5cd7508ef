package metrics

import (
	"testing"
	"time"

	"clinicgw/sync/clock/clocktest"
)

// TestOutboundSealingFigures: the outbox items sent sealed and plain, the
// ones the central store refused, how the outbox travels and the central
// store's verified sealing key id are on /metrics as the uplink reports
// them; no case id or patient data, only counts, a state and a key id.
func TestOutboundSealingFigures(t *testing.T) {
	f := &SyncFigures{}
	src := Sources{Clock: clocktest.New(time.Now()), Store: fakeSources{}, Sync: fakeSources{sync: f}}
	for _, tc := range []struct {
		figures       SyncFigures
		sealed, plain float64
		refused       float64
		state         string
		keyID         string // "" for no key series
	}{
		{SyncFigures{}, 0, 0, 0, "off", ""},
		{SyncFigures{OutboundSealing: "plain", OutboundPlainItems: 3}, 0, 3, 0, "plain", ""},
		{SyncFigures{OutboundSealing: "sealed", OutboundSealedItems: 7, OutboundRefusedItems: 1, CentralKeyID: "k-central-1"}, 7, 0, 1, "sealed", "k-central-1"},
		{SyncFigures{OutboundSealing: "waiting", OutboundSealedItems: 7, OutboundPlainItems: 2, OutboundRefusedItems: 4}, 7, 2, 4, "waiting", ""},
		{SyncFigures{OutboundSealing: "refused", CentralKeyID: ""}, 0, 0, 0, "refused", ""},
	} {
		*f = tc.figures
		fams := gather(t, src)
		items := map[string]float64{}
		for _, m := range fams["clinicgw_sync_outbox_items_total"].GetMetric() {
			items[m.Label[0].GetValue()] = m.Counter.GetValue()
		}
		if items["sealed"] != tc.sealed || items["plain"] != tc.plain || len(items) != 2 {
			t.Errorf("%+v: outbox items %v, want sealed %v plain %v", tc.figures, items, tc.sealed, tc.plain)
		}
		if got := one(t, fams, "clinicgw_sync_outbox_refused_total"); got != tc.refused {
			t.Errorf("%+v: refused %v, want %v", tc.figures, got, tc.refused)
		}
		st := fams["clinicgw_sync_outbox_sealing"].GetMetric()
		if len(st) != 1 || st[0].Label[0].GetValue() != tc.state || st[0].Gauge.GetValue() != b2f(tc.state == "sealed") {
			t.Errorf("%+v: outbox sealing %v, want state %q", tc.figures, st, tc.state)
		}
		keys := fams["clinicgw_sync_central_sealing_key"].GetMetric()
		switch {
		case tc.keyID == "" && len(keys) != 0:
			t.Errorf("%+v: a central key series %v without a verified key", tc.figures, keys)
		case tc.keyID != "" && (len(keys) != 1 || keys[0].Label[0].GetValue() != tc.keyID || keys[0].Gauge.GetValue() != 1):
			t.Errorf("%+v: central key %v, want keyId %q", tc.figures, keys, tc.keyID)
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
