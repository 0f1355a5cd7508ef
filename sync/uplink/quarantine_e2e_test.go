package uplink

import (
	"context"
	"slices"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// TestQuarantineReportedEndToEnd: over mutual TLS with the reference
// central store, an event the gateway cannot apply (a case.created that
// conflicts with a case stored here) is quarantined and the page
// acknowledged, and the central store is told that this event was not
// handled, by event id and reason; the report survives a restart of the
// central store and a restart of the gateway (sent again, not
// duplicated); once region IT releases it (or a retry applies it), the
// central store is told it is handled. Nothing else is reported.
func TestQuarantineReportedEndToEnd(t *testing.T) {
	ctx := context.Background()
	c := startCentral(t)
	clash := c.submit(0)
	good := c.submit(1)
	g := newGateway(t, c.url(), unitCert(t), nil)
	// A case with the central case's id but other content, already here.
	if _, err := g.svc.Receive(ctx, cases.Submission{ID: cases.ID(clash), Type: casetype.AdviceNurse,
		Patient: cases.Person{PNR: personnummer.Personnummer(patients[0]), Name: patientName},
		Text:    "Något helt annat.", SubmittedAt: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
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
	if !g.ids()[good] {
		t.Fatal("the good case is not at the gateway")
	}
	qs, err := g.svc.Quarantine(ctx)
	if err != nil || len(qs) != 1 || qs[0].Event.CaseID != cases.ID(clash) || qs[0].Reason != cases.QuarantineConflict {
		t.Fatalf("gateway quarantine %+v, %v; want the clashing case's event as a conflict", qs, err)
	}
	want := wire.QuarantineReport{Events: []wire.QuarantinedEvent{{ID: qs[0].Event.EventID, Reason: wire.QuarantineConflict}}, Total: 1}
	waitFor(t, 30*time.Second, "the central store told the acknowledged event was not handled", func() bool {
		return equalReport(report(), want)
	})
	g.stop()

	// Either side restarts: the central store still knows; the gateway
	// reports again from its store, the same report (no duplicate).
	c.restart()
	if r := report(); !equalReport(r, want) {
		t.Fatalf("after the central store's restart: %+v, want %+v", r, want)
	}
	// Counted from the restart: the first run's report may have reached
	// the central store while the stop cancelled its answer, which that
	// run then logged as failed.
	before := countLogged(g.logs.String(), "quarantine reported to the central store")
	g.restartUplink()
	g.start()
	waitFor(t, 30*time.Second, "the report sent again at start", func() bool {
		return countLogged(g.logs.String(), "quarantine reported to the central store") > before
	})
	g.stop()
	if r := report(); !equalReport(r, want) {
		t.Fatalf("after the gateway's restart: %+v, want %+v", r, want)
	}

	// Region IT settles it with the central store's operator and
	// releases it (the service stopped); at the next start the central
	// store learns it is handled.
	if err := g.svc.ReleaseQuarantine(ctx, qs[0].Seq); err != nil {
		t.Fatal(err)
	}
	g.restartUplink()
	g.start()
	empty := wire.QuarantineReport{Events: []wire.QuarantinedEvent{}}
	// The central store logs after it stored the report: wait for both.
	waitFor(t, 30*time.Second, "the central store told the event is handled", func() bool {
		return equalReport(report(), empty) && countLogged(c.logs.String(), "gateway now handled an event it had quarantined") > 0
	})
	g.stop()
	if acked, err := c.store.Acked(ctx, unit); err != nil || acked != head {
		t.Errorf("acked %d, %v; want %d", acked, err, head)
	}
	checkNoPatientData(t, "gateway", g.logs.String())
	checkNoPatientData(t, "central", c.logs.String())
	if n := countLogged(c.logs.String(), "gateway could not handle an acknowledged event"); n != 1 {
		t.Errorf("the central store logged the unhandled event %d times, want 1", n)
	}
	if n := countLogged(c.logs.String(), "gateway now handled an event it had quarantined"); n != 1 {
		t.Errorf("the central store logged the event handled %d times, want 1", n)
	}
}

// TestQuarantineReasonsOnTheWire: every reason the case service gives is
// one the wire carries, so a report can always be sent.
func TestQuarantineReasonsOnTheWire(t *testing.T) {
	for _, r := range cases.QuarantineReasons {
		if !slices.Contains(wire.QuarantineReasons, wire.QuarantineReason(r)) {
			t.Errorf("the case service's reason %q is not a wire.QuarantineReason", r)
		}
	}
}

func equalReport(a, b wire.QuarantineReport) bool {
	return a.Total == b.Total && slices.Equal(a.Events, b.Events)
}
