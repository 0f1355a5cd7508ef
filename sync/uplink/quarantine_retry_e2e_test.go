package uplink

import (
	"context"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// TestQuarantineRetryReportedEndToEnd: the retry path of the quarantine,
// over mutual TLS with the reference central store. Two events are
// quarantined (each a case.created that conflicts with a case stored
// here) and reported. Region IT removes the first cause (the wrong case
// here is purged); at the next start the uplink's retry applies the
// event, the case is here with what the patient wrote, and the central
// store is told it is handled. The second cause is removed with the
// service stopped and the retry run by hand (what `clinicgw quarantine
// retry` runs); the next start reports the quarantine empty. The central
// store logs each event unhandled once and handled once.
func TestQuarantineRetryReportedEndToEnd(t *testing.T) {
	ctx := context.Background()
	c := startCentral(t)
	clash1, clash2 := c.submit(0), c.submit(1)
	g := newGateway(t, c.url(), unitCert(t), nil)
	for i, id := range []string{clash1, clash2} {
		if _, err := g.svc.Receive(ctx, cases.Submission{ID: cases.ID(id), Type: casetype.AdviceNurse,
			Patient: cases.Person{PNR: personnummer.Personnummer(patients[i]), Name: patientName},
			Text:    "Något helt annat.", SubmittedAt: time.Now().Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	report := func() wire.QuarantineReport {
		t.Helper()
		c.mu.RLock()
		defer c.mu.RUnlock()
		r, err := c.store.Quarantine(ctx, unit)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	head := c.head()
	g.start()
	waitFor(t, 30*time.Second, "the central head pulled and acknowledged", func() bool {
		acked, err := c.store.Acked(ctx, unit)
		return err == nil && acked == head
	})
	qs, err := g.svc.Quarantine(ctx)
	if err != nil || len(qs) != 2 {
		t.Fatalf("gateway quarantine %+v, %v; want the two clashing cases' events", qs, err)
	}
	byCase := map[string]wire.QuarantinedEvent{}
	for _, q := range qs {
		byCase[string(q.Event.CaseID)] = wire.QuarantinedEvent{ID: q.Event.EventID, Reason: wire.QuarantineReason(q.Reason)}
	}
	both := wire.QuarantineReport{Events: []wire.QuarantinedEvent{byCase[clash1], byCase[clash2]}, Total: 2}
	waitFor(t, 30*time.Second, "both events reported unhandled", func() bool { return equalReport(report(), both) })
	g.stop()

	// The first cause removed; the retry at start applies the event.
	purge := func(id string) {
		t.Helper()
		if _, err := g.db.PurgeCases(ctx, []cases.ID{cases.ID(id)}, func(*cases.Case) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	purge(clash1)
	g.restartUplink()
	g.start()
	second := wire.QuarantineReport{Events: []wire.QuarantinedEvent{byCase[clash2]}, Total: 1}
	waitFor(t, 30*time.Second, "the central store told the retried event is handled", func() bool {
		return equalReport(report(), second)
	})
	g.stop()
	got, err := g.svc.Get(ctx, system, cases.ID(clash1))
	if err != nil || len(got.Messages) == 0 || got.Messages[0].Text != caseText {
		t.Fatalf("the retried case is not here with what the patient wrote: %+v %v", got, err)
	}
	if countLogged(g.logs.String(), "quarantine retried at start") == 0 {
		t.Error("the retry at start is not logged")
	}

	// The second cause removed and the retry run by hand, the service
	// stopped; the next start reports it handled.
	purge(clash2)
	rr, err := g.svc.RetryQuarantine(ctx)
	if err != nil || rr.Applied != 1 || rr.Remaining != 0 {
		t.Fatalf("retry by hand: %+v, %v; want 1 applied, none left", rr, err)
	}
	g.restartUplink()
	g.start()
	empty := wire.QuarantineReport{Events: []wire.QuarantinedEvent{}}
	// The central store logs after it stored the report: wait for both.
	waitFor(t, 30*time.Second, "the central store told the quarantine is empty", func() bool {
		return equalReport(report(), empty) && countLogged(c.logs.String(), "gateway now handled an event it had quarantined") >= 2
	})
	g.stop()
	if acked, err := c.store.Acked(ctx, unit); err != nil || acked != head {
		t.Errorf("acked %d, %v; want %d (a retry moves no cursor)", acked, err, head)
	}
	if !g.ids()[clash2] {
		t.Error("the case retried by hand is not here")
	}
	checkNoPatientData(t, "gateway", g.logs.String())
	checkNoPatientData(t, "central", c.logs.String())
	if n := countLogged(c.logs.String(), "gateway could not handle an acknowledged event"); n != 2 {
		t.Errorf("the central store logged unhandled events %d times, want 2", n)
	}
	if n := countLogged(c.logs.String(), "gateway now handled an event it had quarantined"); n != 2 {
		t.Errorf("the central store logged events handled %d times, want 2", n)
	}
}
