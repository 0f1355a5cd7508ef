package metrics

import (
	"testing"
	"time"

	"clinicgw/sync/clock/clocktest"
)

// TestSealingKeyFigures: the refusals and the publication's state of the
// unit's sealing key are on /metrics as the uplink reports them.
func TestSealingKeyFigures(t *testing.T) {
	f := &SyncFigures{}
	src := Sources{Clock: clocktest.New(time.Now()), Store: fakeSources{}, Sync: fakeSources{sync: f}}
	for _, tc := range []struct {
		figures   SyncFigures
		state     string
		published float64
	}{
		{SyncFigures{}, "unchecked", 0},
		{SyncFigures{SealingKey: "published"}, "published", 1},
		{SyncFigures{SealingKey: "published", SealingKeyRefusals: 1}, "published", 1},
		{SyncFigures{SealingKey: "refused", SealingKeyRefusals: 2}, "refused", 0},
		{SyncFigures{SealingKey: "unsupported"}, "unsupported", 0},
	} {
		*f = tc.figures
		fams := gather(t, src)
		if got := one(t, fams, "clinicgw_sync_sealing_key_refusals_total"); got != float64(tc.figures.SealingKeyRefusals) {
			t.Errorf("%+v: refusals %v", tc.figures, got)
		}
		m := fams["clinicgw_sync_sealing_key_published"].Metric[0]
		if m.Label[0].GetValue() != tc.state || m.Gauge.GetValue() != tc.published {
			t.Errorf("%+v: published{state=%q} %v, want %q %v", tc.figures, m.Label[0].GetValue(), m.Gauge.GetValue(), tc.state, tc.published)
		}
	}
}
