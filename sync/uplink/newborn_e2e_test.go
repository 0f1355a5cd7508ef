package uplink

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/central"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"
)

// TestNewbornEndToEnd: over mutual TLS with the reference central store, a
// guardian writes for a child born today, just after midnight by the
// central store's clock; the gateway's clock is five minutes behind, still
// on the day before. The central store accepted the case, so the gateway
// stores it: the child's date of birth is judged against the time of
// record (the event's At), not against the gateway's clock.
func TestNewbornEndToEnd(t *testing.T) {
	ctx := context.Background()
	sthlm := workday.Stockholm()
	midnight := time.Date(2026, 3, 3, 0, 0, 0, 0, sthlm)
	centralClock := clocktest.New(midnight.Add(2 * time.Minute))
	gwClock := clocktest.New(midnight.Add(-3 * time.Minute))
	c := startCentralClock(t, filepath.Join(t.TempDir(), "central.db"), "127.0.0.1:0", centralClock)

	child := personnummer.Synthetic(time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC), 990)
	id, err := c.store.Submit(ctx, unit, central.Submission{
		PatientPNR: child.String(), PatientName: "Nyfödd Testsson",
		GuardianPNR: patients[0], GuardianName: patientName, FormID: string(casetype.AdviceNurse),
		Fields: []wire.Field{{Name: "question", Value: "Kanariefråga"}}, Text: caseText,
	})
	if err != nil {
		t.Fatalf("the central store refused the newborn's case: %v", err)
	}
	g := newGatewayClock(t, c.url(), unitCert(t), gwClock, nil)
	g.start()
	head := c.head()
	waitFor(t, 10*time.Second, "the central head pulled", func() bool { return g.up.Status().Cursor == head })
	g.stop()
	if !g.ids()[id] {
		t.Fatalf("the newborn's case, accepted by the central store at %s, is not in the gateway (its clock at %s)",
			centralClock.Now().In(sthlm).Format(time.DateTime), gwClock.Now().In(sthlm).Format(time.DateTime))
	}
	got, err := g.svc.Get(ctx, distributor, cases.ID(id))
	if err != nil {
		t.Fatal(err)
	}
	if got.Patient.PNR != child {
		t.Errorf("patient %q, want the newborn", got.Patient.PNR)
	}
	checkNoPatientData(t, "gateway", g.logs.String())
}
