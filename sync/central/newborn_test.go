package central

import (
	"testing"
	"time"

	"clinicgw/sync/wire"
	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"
)

// TestInitiatedNewborn: the mirror of the gateway's newborn rule. A unit
// starts a case with a child born today, just after midnight by the
// gateway's clock (the item's time of record); the central store's clock
// is five minutes behind, still on the day before. The central store
// judges the date of birth at the item's time, with the clock-skew
// tolerance, not by its own clock, and takes the case.
func TestInitiatedNewborn(t *testing.T) {
	e := newEnv(t)
	sthlm := workday.Stockholm()
	at := time.Date(2026, 3, 3, 0, 2, 0, 0, sthlm)
	e.clock.Advance(at.Add(-5 * time.Minute).Sub(e.clock.Now()))
	child := personnummer.Synthetic(time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC), 991)
	item := initiated("init-newborn", initiatedID, true)
	item.At = at
	item.Case.PatientPNR = string(child)
	if r := e.outbox(unitA, item).Results[0]; r.Status != wire.ItemAccepted {
		t.Fatalf("the newborn's case.initiated (item at %s, central clock at %s): %+v",
			at.Format(time.DateTime), e.clock.Now().In(sthlm).Format(time.DateTime), r)
	}
	// Born well after the item's time: refused still.
	late := initiated("init-unborn", "01jnmq8h7c00000000000000ab", true)
	late.At = at
	late.Case.PatientPNR = string(personnummer.Synthetic(time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC), 992))
	if r := e.outbox(unitA, late).Results[0]; r.Status == wire.ItemAccepted {
		t.Errorf("a case for a child born two days after the item's time was taken: %+v", r)
	}
}
