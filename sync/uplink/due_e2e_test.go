package uplink

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/workday"
)

// TestDueFromCentralAcceptTimeEndToEnd: over mutual TLS with the reference
// central store, a case the central store accepts on Friday at 23:59 and a
// patient's reply it accepts then too reach a gateway that was offline
// until Monday 08:00. Both are due at the end of Tuesday — two working days
// from Friday, when the patient sent them — not of Wednesday; the gateway
// keeps Monday 08:00 as their arrival for the access log and the
// statistics.
func TestDueFromCentralAcceptTimeEndToEnd(t *testing.T) {
	ctx := context.Background()
	sthlm := workday.Stockholm()
	thursday := time.Date(2026, 3, 5, 10, 0, 0, 0, sthlm)
	friday := time.Date(2026, 3, 6, 23, 59, 0, 0, sthlm)
	monday := time.Date(2026, 3, 9, 8, 0, 0, 0, sthlm)
	tuesdayEnd := time.Date(2026, 3, 10, 23, 59, 59, 999999999, sthlm)

	centralClock := clocktest.New(thursday)
	gwClock := clocktest.New(thursday.Add(5 * time.Minute))
	c := startCentralClock(t, filepath.Join(t.TempDir(), "central.db"), "127.0.0.1:0", centralClock)

	// Thursday: a case arrives at once and gets a counter-question.
	waiting := c.submit(1)
	g := newGatewayClock(t, c.url(), unitCert(t), gwClock, nil)
	g.start()
	waitFor(t, 10*time.Second, "Thursday's case stored at the gateway", func() bool { return g.ids()[waiting] })
	for _, step := range []struct {
		a   cases.Actor
		cmd cases.Command
	}{
		{distributor, cases.Command{Action: cases.Assign, Assignee: clinician.HSAID}},
		{clinician, cases.Command{Action: cases.SendCounter, Text: "Kanarie: har du feber?", AuthorTitle: authorTitle}},
	} {
		if _, err := g.svc.Do(ctx, step.a, cases.ID(waiting), step.cmd); err != nil {
			t.Fatal(err)
		}
	}
	g.up.Kick()
	waitFor(t, 10*time.Second, "the counter-question at the central store", func() bool {
		return c.patientCase(1, waiting).Status == wire.StatusWaitingForPatient
	})
	waitFor(t, 10*time.Second, "outbox empty", func() bool { return g.pending() == 0 })

	// The gateway goes offline for the weekend. Friday 23:59 the central
	// store accepts a new case and the patient's reply.
	g.stop()
	centralClock.Set(friday)
	sent := c.submit(0)
	if err := c.store.FollowUp(ctx, patients[1], waiting, "Kanarie: ja, 38,5"); err != nil {
		t.Fatal(err)
	}

	// Monday 08:00 the gateway is back and pulls both.
	gwClock.Set(monday)
	centralClock.Set(monday.Add(time.Minute))
	g.start()
	head := c.head()
	waitFor(t, 10*time.Second, "the weekend's events stored", func() bool { return g.up.Status().Cursor == head })

	got, err := g.svc.Get(ctx, distributor, cases.ID(sent))
	if err != nil {
		t.Fatal(err)
	}
	if !got.DueAt.Equal(tuesdayEnd) {
		t.Errorf("the case sent Friday 23:59 is due %s, want %s (two working days from Friday)",
			got.DueAt.In(sthlm).Format(time.DateTime+" Mon"), tuesdayEnd.Format(time.DateTime+" Mon"))
	}
	if !got.ReceivedAt.Equal(monday) {
		t.Errorf("arrival %v, want the gateway's Monday 08:00", got.ReceivedAt.In(sthlm))
	}
	if !got.SentAt.Equal(friday) {
		t.Errorf("sent %v, want the central store's Friday 23:59", got.SentAt.In(sthlm))
	}
	if !got.Messages[0].At.Equal(friday) {
		t.Errorf("the patient's message is dated %v, want Friday 23:59", got.Messages[0].At.In(sthlm))
	}

	w, err := g.svc.Get(ctx, distributor, cases.ID(waiting))
	if err != nil {
		t.Fatal(err)
	}
	if w.Status != cases.Assigned || !w.DueAt.Equal(tuesdayEnd) {
		t.Errorf("the reply sent Friday 23:59: case %s due %s, want assigned and due %s",
			w.Status, w.DueAt.In(sthlm).Format(time.DateTime+" Mon"), tuesdayEnd.Format(time.DateTime+" Mon"))
	}
	if h := w.History[len(w.History)-1]; h.Action != cases.FollowUp || !h.At.Equal(monday) {
		t.Errorf("the reply's history entry %s at %v, want follow-up at its arrival", h.Action, h.At.In(sthlm))
	}

	// The access log records the arrival, when the gateway stored it.
	recs, err := g.svc.AccessLogByActor(ctx, auditor, "system")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range recs {
		if r.Entry.CaseID == sent && r.Entry.Action == string(cases.Receive) {
			found = true
			if !r.Entry.Time.Equal(monday) {
				t.Errorf("the access log records the receipt at %v, want Monday 08:00", r.Entry.Time.In(sthlm))
			}
		}
	}
	if !found {
		t.Error("no receive entry for the weekend's case in the access log")
	}

	// Statistics count the case in the week it arrived (Monday's); Tuesday
	// evening it is not yet overdue, Wednesday morning it is.
	admin := cases.Actor{Kind: cases.Staff, HSAID: "SE2321000016-U001", Roles: []cases.Role{cases.UnitAdmin}}
	gwClock.Set(tuesdayEnd.Add(-time.Hour))
	st, err := g.svc.Stats(ctx, admin, monday, monday.AddDate(0, 0, 7))
	if err != nil {
		t.Fatal(err)
	}
	if st.Received != 1 || len(st.Weeks) != 1 || st.Weeks[0].Week != 11 || st.Overdue != 0 {
		t.Errorf("Tuesday's statistics of the week from Monday: received %d, weeks %+v, overdue %d; want the case in week 11, not overdue",
			st.Received, st.Weeks, st.Overdue)
	}
	gwClock.Set(tuesdayEnd.Add(time.Hour))
	if st, err = g.svc.Stats(ctx, admin, monday, monday.AddDate(0, 0, 7)); err != nil {
		t.Fatal(err)
	}
	if st.Overdue != 1 {
		t.Errorf("Wednesday 01:00 the week's overdue count is %d, want 1", st.Overdue)
	}
	g.stop()
	checkNoPatientData(t, "gateway", g.logs.String())
}
