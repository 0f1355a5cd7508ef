package uplink

import (
	"context"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/central"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// TestEndToEnd: the unit's forms are published; a patient submits through
// the central store; the case is in the gateway's store exactly once; a
// clinician answers; the patient sees the answer and is told once; a
// follow-up and a withdrawal reach the gateway too.
func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	c := startCentral(t)
	forms := casetype.DefaultForms()
	const title = "Rådgivning hos sjuksköterska (vår egen)"
	for i := range forms.Forms {
		if forms.Forms[i].ID == string(casetype.AdviceNurse) {
			forms.Forms[i].Title.SV = title
		}
	}
	g := newGateway(t, c.url(), unitCert(t), func(cfg *Config) { cfg.Forms = &forms })
	g.start()

	waitFor(t, 10*time.Second, "forms published", func() bool {
		set, err := c.store.Forms(ctx, unit)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range set.Forms {
			if f.ID == string(casetype.AdviceNurse) {
				return f.Title.SV == title
			}
		}
		return false
	})

	id := c.submit(0)
	waitFor(t, 10*time.Second, "case stored at the gateway", func() bool { return g.ids()[id] })
	if ids := g.ids(); len(ids) != 1 {
		t.Fatalf("the gateway holds %d cases, want 1", len(ids))
	}
	if n := g.receives()[id]; n != 1 {
		t.Fatalf("the case was received %d times, want once", n)
	}
	got, err := g.svc.Get(ctx, distributor, cases.ID(id))
	if err != nil {
		t.Fatal(err)
	}
	if got.Patient.PNR != personnummer.Personnummer(patients[0]) || got.Patient.Name != patientName ||
		got.Type != casetype.AdviceNurse || got.Status != cases.Received ||
		len(got.Messages) != 1 || got.Messages[0].Text != caseText ||
		len(got.Fields) != 1 || got.Fields[0].Name != "question" || got.Fields[0].Value != "Kanariefråga" {
		t.Fatalf("stored case differs from the submission: %+v", got)
	}

	g.answer(id)
	waitFor(t, 10*time.Second, "answer at the central store", func() bool {
		return c.patientCase(0, id).Status == wire.StatusAnswered
	})
	pc := c.patientCase(0, id)
	if pc.StaffMessages() != 1 {
		t.Fatalf("the patient sees %d messages from the unit, want 1", pc.StaffMessages())
	}
	m := pc.Messages[len(pc.Messages)-1]
	if m.Text != answerText || m.Signature != signature || m.Kind != wire.OutboxAnswer || m.AuthorTitle != authorTitle {
		t.Fatalf("the patient sees %+v", m)
	}
	if pc.Title != title {
		t.Errorf("the case was written on a form titled %q, want the published %q", pc.Title, title)
	}
	waitFor(t, 10*time.Second, "outbox empty", func() bool { return g.pending() == 0 })
	notices := c.notifier.Notices()
	if len(notices) != 1 || notices[0].PNR != patients[0] || notices[0].Text != central.NoticeText {
		t.Fatalf("notices: %+v, want one to the patient", notices)
	}

	// The patient writes again; another patient withdraws a new case.
	if err := c.store.FollowUp(ctx, patients[0], id, "Kanarie: tack, det hjälpte"); err != nil {
		t.Fatal(err)
	}
	id2 := c.submit(1)
	if err := c.store.Withdraw(ctx, patients[1], id2); err != nil {
		t.Fatal(err)
	}
	head := c.head()
	waitFor(t, 10*time.Second, "follow-up and withdrawal stored", func() bool { return g.up.Status().Cursor == head })
	got, err = g.svc.Get(ctx, distributor, cases.ID(id))
	if err != nil {
		t.Fatal(err)
	}
	if last := got.Messages[len(got.Messages)-1]; last.Kind != cases.FromPatient || last.Text != "Kanarie: tack, det hjälpte" {
		t.Errorf("the follow-up is not the case's last message: %+v", last)
	}
	got2, err := g.svc.Get(ctx, distributor, cases.ID(id2))
	if err != nil {
		t.Fatal(err)
	}
	if got2.Status != cases.Withdrawn {
		t.Errorf("withdrawn case has status %s", got2.Status)
	}

	waitFor(t, 10*time.Second, "central acknowledged", func() bool {
		acked, err := c.store.Acked(ctx, unit)
		return err == nil && acked == head
	})
	st := g.up.Status()
	if !st.Connected || st.Cursor != head || st.LastPull.IsZero() || st.LastPush.IsZero() || st.Rejected != 0 || st.OutboxDepth != 0 {
		t.Errorf("status %+v", st)
	}
	g.stop()
	if g.up.Status().Connected {
		t.Error("still connected after Run returned")
	}
	checkNoPatientData(t, "gateway", g.logs.String())
	checkNoPatientData(t, "central", c.logs.String())
}

// TestStreamLatency: with the stream up, a submitted case is stored at the
// gateway at once, long before any poll (the poll interval is an hour).
func TestStreamLatency(t *testing.T) {
	c := startCentral(t)
	g := newGateway(t, c.url(), unitCert(t), func(cfg *Config) { cfg.PollInterval = time.Hour })
	g.start()
	waitFor(t, 10*time.Second, "stream connected", func() bool { return g.up.Status().Connected })
	for i := range 5 {
		id := c.submit(i)
		accepted := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		stored, err := g.rec.waitStored(ctx, cases.ID(id))
		cancel()
		if err != nil {
			t.Fatalf("case %d not stored within 2 s of the central store accepting it", i)
		}
		t.Logf("case %d: accepted → stored %v", i, stored.Sub(accepted))
	}
}

// TestEndToEndInitiated: a clinician starts a case with a patient at the
// gateway (invånarärende); the case appears on that patient's pages at the
// central store with the clinician's message, and nowhere else; the
// patient replies, and the reply reaches the clinician's case at the
// gateway.
func TestEndToEndInitiated(t *testing.T) {
	ctx := context.Background()
	c := startCentral(t)
	g := newGateway(t, c.url(), unitCert(t), nil)
	g.start()

	id, err := g.svc.NewCaseID()
	if err != nil {
		t.Fatal(err)
	}
	req := cases.InitiateRequest{ID: id, Patient: cases.Person{PNR: personnummer.Personnummer(patients[0])},
		Type: casetype.ContactMe, Subject: "Kanarierubrik provsvar", Text: answerText, Signature: signature,
		AuthorTitle: authorTitle, ReplyAllowed: true}
	if _, err := g.svc.Initiate(ctx, clinician, req); err != nil {
		t.Fatal(err)
	}
	// A retry of the same request (the browser sent it twice) changes nothing.
	if _, err := g.svc.Initiate(ctx, clinician, req); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the case at the central store", func() bool {
		cs, err := c.store.PatientCases(ctx, patients[0])
		return err == nil && len(cs) == 1
	})
	waitFor(t, 10*time.Second, "outbox empty", func() bool { return g.pending() == 0 })
	pc := c.patientCase(0, string(id))
	if !pc.FromUnit || pc.Unit != unit || pc.Title != "Kanarierubrik provsvar" || pc.Status != wire.StatusWaitingForPatient ||
		len(pc.Messages) != 1 || pc.Messages[0].Text != answerText || pc.Messages[0].AuthorTitle != authorTitle || !pc.CanFollowUp() {
		t.Fatalf("the patient sees %+v", pc)
	}
	if cs, _ := c.store.PatientCases(ctx, patients[1]); len(cs) != 0 {
		t.Errorf("another patient sees %d cases", len(cs))
	}
	if n := c.notifier.Notices(); len(n) != 1 || n[0].PNR != patients[0] {
		t.Errorf("notices %+v, want one to the patient", n)
	}

	if err := c.store.FollowUp(ctx, patients[0], string(id), "Kanarie: tack, jag ringer"); err != nil {
		t.Fatal(err)
	}
	head := c.head()
	waitFor(t, 10*time.Second, "the reply at the gateway", func() bool { return g.up.Status().Cursor == head })
	got, err := g.svc.Get(ctx, clinician, id)
	if err != nil {
		t.Fatal(err)
	}
	last := got.Messages[len(got.Messages)-1]
	if len(got.Messages) != 2 || last.Kind != cases.FromPatient || last.Text != "Kanarie: tack, jag ringer" ||
		got.Status != cases.Assigned || got.Assignee != clinician.HSAID {
		t.Fatalf("the gateway's case after the reply: %s %q %+v", got.Status, got.Assignee, got.Messages)
	}
	g.stop()
	checkNoPatientData(t, "gateway", g.logs.String())
	checkNoPatientData(t, "central", c.logs.String())
}
