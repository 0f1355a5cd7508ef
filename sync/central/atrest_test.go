package central

import (
	"bytes"
	"crypto/rand"
	"net/http"
	"os"
	"testing"

	"clinicgw/sync/seal"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// Canaries of the at-rest tests: every kind of personal data the patient
// pages show back.
const (
	restCaseText   = "Kanarietext om halsont"
	restFollowUp   = "Kanariesvar om febern"
	restField      = "Ont i halsen"
	restChildField = "Kanariefeber hos barnet"
	restStaff      = "Kanariesvar från enheten"
	restSignature  = "Doris Kanariedoktor"
	restMobile     = "0701234599"
	restEmail      = "kanarie@example.se"
	restInitiated  = "Kanarieprovsvar från enheten"
)

func restCanaries() []string {
	return []string{adultName, adultPNR, adultPNR[2:], childName, childPNR, childPNR[2:],
		restCaseText, restFollowUp, restField, restChildField, restStaff, restSignature, restMobile, restEmail, restInitiated}
}

// sealUnit publishes a sealing key for unit and switches its sealing on.
func (e *env) sealUnit(unit string) *seal.PrivateKey {
	e.t.Helper()
	k, err := seal.GenerateKey(rand.Reader)
	if err != nil {
		e.t.Fatal(err)
	}
	if status := e.putSealingKey(unit, statementOf(e.t, e.certs[unit], unit, k.Public())); status != http.StatusNoContent {
		e.t.Fatalf("PUT sealing key: %d", status)
	}
	if status, st := e.putSealing(unit, true); status != http.StatusOK || !st.Sealed {
		e.t.Fatalf("sealing on: %d %+v", status, st)
	}
	return k
}

// liveRun writes what a demo run writes for the adult at unit: a case
// with answers and a follow-up, the unit's answer, a child's case by the
// adult as guardian with a counter-question, a case the unit started, a
// reminder choice and a confirmed booking. It returns the adult's case id
// and the child's.
func (e *env) liveRun(unit string) (string, string) {
	e.t.Helper()
	t := e.t
	id, err := e.store.Submit(e.ctx, unit, Submission{
		PatientPNR: adultPNR, PatientName: adultName, FormID: string(casetype.AdviceNurse),
		Fields: []wire.Field{{Name: "question", Value: restField}}, Text: restCaseText,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.FollowUp(e.ctx, adultPNR, id, restFollowUp); err != nil {
		t.Fatal(err)
	}
	a := answer("a-"+id, id, restStaff)
	a.Message.Signature = restSignature
	if res := e.outbox(unit, a); res.Results[0].Status != wire.ItemAccepted {
		t.Fatalf("answer: %+v", res.Results[0])
	}
	child, err := e.store.Submit(e.ctx, unit, Submission{
		PatientPNR: childPNR, PatientName: childName, GuardianPNR: adultPNR, GuardianName: adultName,
		FormID: string(casetype.AdviceNurse), Fields: []wire.Field{{Name: "question", Value: restChildField}},
	})
	if err != nil {
		t.Fatal(err)
	}
	q := wire.OutboxItem{IdempotencyKey: "q-" + child, CaseID: child, Kind: wire.OutboxCounterQuestion, At: e.clock.Now(),
		Message: &wire.StaffMessage{ID: "q-" + child, Text: restStaff, AuthorTitle: "Sjuksköterska"}}
	if res := e.outbox(unit, q); res.Results[0].Status != wire.ItemAccepted {
		t.Fatalf("counter-question: %+v", res.Results[0])
	}
	init := initiated("i-"+id, initiatedID, true)
	init.Case.PatientName, init.Message.Text = adultName, restInitiated
	if res := e.outbox(unit, init); res.Results[0].Status != wire.ItemAccepted {
		t.Fatalf("initiated: %+v", res.Results[0])
	}
	if err := e.store.SetReminderChoice(e.ctx, adultPNR, &wire.BookingReminder{Mobile: restMobile, Email: restEmail, Lang: "sv"}); err != nil {
		t.Fatal(err)
	}
	body, _ := wire.Marshal(bookingTimes())
	if st, _, out := e.do(e.api, unit, http.MethodPut, wire.PathBookingTimes2, wire.ContentTypeJSON, body); st != http.StatusNoContent {
		t.Fatalf("publish: %d %s", st, out)
	}
	if _, err := e.store.RequestBooking(e.ctx, unit, adultPNR, wire.BookingBook, "t1", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.RequestBooking(e.ctx, unit, adultPNR, wire.BookingBook, "t2", ""); err != nil {
		t.Fatal(err)
	}
	childPerson := wire.Person{PNR: childPNR, Name: childName}
	if _, err := e.store.requestBooking(e.ctx, unit, adultPNR, &childPerson, wire.BookingBook, "t3", ""); err != nil {
		t.Fatal(err)
	}
	e.gatewayDecides(unit, func(r wire.BookingRequest) wire.BookingDecision {
		if r.Time == "t2" {
			return wire.BookingDecision{Request: r.ID, Outcome: wire.BookingDeclined, Reason: "taken"}
		}
		return wire.BookingDecision{Request: r.ID, Outcome: wire.BookingConfirmed}
	})
	// The gateway's bookings: the adult's t1, the child's t3, and t4 the
	// unit cancelled for the adult.
	bt := bookingTimes()
	bb := wire.BookingBookings{Bookings: []wire.PatientBooking{{Patient: adultPNR, Time: bt.Times[0]}, {Patient: childPNR, Time: bt.Times[2]}},
		Canceled: []wire.PatientBooking{{Patient: adultPNR, Time: bt.Times[3]}}}
	raw, _ := wire.Marshal(bb)
	if st, _, _ := e.do(e.api, unit, http.MethodPut, wire.PathBookingBookings2, wire.ContentTypeJSON, raw); st != http.StatusNoContent {
		t.Fatalf("bookings: %d", st)
	}
	return id, child
}

// TestAtRestCanary: after a live run at a unit with sealing on (cases,
// answers, follow-ups, a guardian's case, a case the unit started, a
// reminder choice, bookings), the store's file and a backup of it hold no
// name, personnummer or text; the patient still reads all of it, their
// own texts included, and notices reach the patient and the guardian.
func TestAtRestCanary(t *testing.T) {
	e := newEnv(t)
	e.sealUnit(unitA)
	id, child := e.liveRun(unitA)
	if n := e.notifier.Notices(); len(n) != 3 || n[0].PNR != adultPNR || n[1].PNR != adultPNR || n[2].PNR != adultPNR {
		t.Errorf("notices %+v: want three to the adult (answer, the child's counter-question, the unit's case)", n)
	}
	backup := e.path + ".backup"
	if err := e.store.Backup(e.ctx, backup); err != nil {
		t.Fatal(err)
	}
	e.reopen()
	pc, err := e.store.PatientCase(e.ctx, adultPNR, id)
	if err != nil {
		t.Fatal(err)
	}
	if pc.Text != restCaseText || pc.Patient.Name != adultName || len(pc.Answers) != 1 || len(pc.Messages) != 2 ||
		pc.Messages[0].Text != restFollowUp || pc.Messages[1].Text != restStaff || pc.Messages[1].Signature != restSignature {
		t.Errorf("the patient reads their sealed case as %+v", pc)
	}
	cc, err := e.store.PatientCase(e.ctx, adultPNR, child)
	if err != nil || !cc.AsGuardian || cc.Patient.Name != childName || len(cc.Fields) != 1 || cc.Fields[0].Value != restChildField {
		t.Errorf("the guardian reads the child's case as %+v, %v", cc, err)
	}
	list, err := e.store.PatientCases(e.ctx, adultPNR)
	if err != nil || len(list) != 3 {
		t.Errorf("the adult's list: %d cases, %v; want 3", len(list), err)
	}
	if r, err := e.store.ReminderChoice(e.ctx, adultPNR); err != nil || r == nil || r.Mobile != restMobile || r.Email != restEmail {
		t.Errorf("the reminder choice reads %+v, %v", r, err)
	}
	if bk, err := e.store.PatientBookings(e.ctx, unitA, adultPNR); err != nil || len(bk) != 2 || bk[0].Time.ID != "t1" || bk[1].Child != childName {
		t.Errorf("the bookings read %+v, %v", bk, err)
	}
	if bk, err := e.store.CanceledBookings(e.ctx, unitA, adultPNR); err != nil || len(bk) != 1 || bk[0].Time.ID != "t4" {
		t.Errorf("the cancelled bookings read %+v, %v", bk, err)
	}
	if got := e.fileHas(restCanaries()...); len(got) != 0 {
		t.Errorf("the store's file holds %q", got)
	}
	if got := scanFile(t, backup, restCanaries()...); len(got) != 0 {
		t.Errorf("the backup holds %q", got)
	}
	e.checkLogs(restCanaries()...)
}

// scanFile reports which canaries the file at path holds.
func scanFile(t *testing.T, path string, canaries ...string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, c := range canaries {
		if bytes.Contains(b, []byte(c)) {
			found = append(found, c)
		}
	}
	return found
}

// TestAtRestCanaryUnsealed: with the unit's sealing off (a gateway of the
// release before), the events it fetches are plain on the wire, but the
// store's file and a backup of it still hold no canary: the event log is
// sealed at rest under the store's own key.
func TestAtRestCanaryUnsealed(t *testing.T) {
	e := newEnv(t)
	e.liveRun(unitA)
	page := e.inbox(unitA, 0, 10)
	if len(page.Events) == 0 || page.Events[0].Case == nil || page.Events[0].Case.Text != restCaseText {
		t.Fatalf("the gateway reads %+v", page.Events)
	}
	backup := e.path + ".backup"
	if err := e.store.Backup(e.ctx, backup); err != nil {
		t.Fatal(err)
	}
	if got := e.fileHas(restCanaries()...); len(got) != 0 {
		t.Errorf("the store's file holds %q", got)
	}
	if got := scanFile(t, backup, restCanaries()...); len(got) != 0 {
		t.Errorf("the backup holds %q", got)
	}
	if again := e.inbox(unitA, 0, 10); len(again.Events) != len(page.Events) || again.Events[0].Case.Text != restCaseText {
		t.Errorf("after reopening the gateway reads %+v", again.Events)
	}
}
