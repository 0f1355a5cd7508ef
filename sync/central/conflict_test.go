package central

import (
	"net/http"
	"testing"

	"clinicgw/sync/wire"
)

// A message id names one message for ever. An outbox item under a new
// idempotency key that reuses a message id of the case with other content
// is refused as a conflict, and nothing of it applies: the patient never
// sees a status without the message that goes with it. The same message
// again (same kind, text, signature, title and time) is a duplicate.
// Both hold after a restart of the central store.
func TestOutboxMessageIDConflict(t *testing.T) {
	e := newEnv(t)
	id := e.submit(unitA, "Hur länge ska jag vänta?")
	first := answer("k-1", id, "Vänta en vecka.")
	if r := e.outbox(unitA, first).Results[0]; r.Status != wire.ItemAccepted {
		t.Fatalf("first answer: %+v", r)
	}
	notices := len(e.notifier.Notices())

	// The message id of k-1, in a counter-question with other text.
	reused := wire.OutboxItem{IdempotencyKey: "k-2", CaseID: id, Kind: wire.OutboxCounterQuestion, At: first.At,
		Message: &wire.StaffMessage{ID: first.Message.ID, Text: "Har du feber?", AuthorTitle: "Läkare"}}
	sameText := reused
	sameText.IdempotencyKey, sameText.Kind = "k-3", wire.OutboxAnswer
	sameText.Message = &wire.StaffMessage{ID: first.Message.ID, Text: first.Message.Text, AuthorTitle: "Sjuksköterska"}
	// The same message under a new key: a duplicate.
	again := first
	again.IdempotencyKey = "k-4"

	for _, restart := range []bool{false, true} {
		if restart {
			e.reopen()
		}
		before := e.dump()
		for _, it := range []wire.OutboxItem{reused, sameText} {
			r := e.outbox(unitA, it).Results[0]
			if r.Status != wire.ItemRejected || r.Problem == nil || r.Problem.Type != wire.ProblemConflict || r.Problem.Status != http.StatusConflict {
				t.Errorf("restart %v: key %s reuses message id with other content: %+v, want rejected with a 409 conflict", restart, it.IdempotencyKey, r)
			}
		}
		if after := e.dump(); after != before {
			t.Errorf("restart %v: a conflicting item changed the store", restart)
		}
		pc, err := e.store.PatientCase(e.ctx, adultPNR, id)
		if err != nil {
			t.Fatal(err)
		}
		if pc.Status != wire.StatusAnswered || len(pc.Messages) != 1 || pc.Messages[0].Text != "Vänta en vecka." {
			t.Errorf("restart %v: the patient sees status %s with %d messages", restart, pc.Status, len(pc.Messages))
		}
		if r := e.outbox(unitA, again).Results[0]; r.Status != wire.ItemDuplicate {
			t.Errorf("restart %v: the same message under a new key: %+v, want duplicate", restart, r)
		}
		if pc, _ := e.store.PatientCase(e.ctx, adultPNR, id); len(pc.Messages) != 1 {
			t.Errorf("restart %v: %d messages after a duplicate", restart, len(pc.Messages))
		}
	}
	if n := len(e.notifier.Notices()); n != notices {
		t.Errorf("%d notices after conflicts and duplicates, want %d", n, notices)
	}

	// A staff message may not take a patient's follow-up's id either.
	if err := e.store.FollowUp(e.ctx, adultPNR, id, "Tack, men det gör fortfarande ont."); err != nil {
		t.Fatal(err)
	}
	pc, _ := e.store.PatientCase(e.ctx, adultPNR, id)
	patientMsg := pc.Messages[len(pc.Messages)-1]
	clash := answer("k-5", id, "Då ses vi.")
	clash.Message.ID = patientMsg.ID
	before := e.dump()
	if r := e.outbox(unitA, clash).Results[0]; r.Status != wire.ItemRejected || r.Problem.Type != wire.ProblemConflict {
		t.Errorf("a staff message with a patient message's id: %+v", r)
	}
	if e.dump() != before {
		t.Error("a conflicting item changed the store")
	}
	e.checkLogs("Vänta en vecka", "Har du feber", "Då ses vi", "gör fortfarande ont")
}

// A form's id and version name its content: publishing other content under
// a published form's version is refused as a conflict and the published set
// stays; the same set again, or a raised version, is taken.
func TestFormsVersionConflict(t *testing.T) {
	e := newEnv(t)
	form := func(version int, title string) wire.Form {
		return wire.Form{ID: "renew-prescription", Version: version, Title: wire.Text{SV: title},
			Fields: []wire.FormField{{Name: "medicine", Label: wire.Text{SV: "Läkemedel"}, Kind: wire.FieldText, Required: true}}}
	}
	put := func(set wire.FormSet) (int, string, []byte) {
		b, err := wire.Marshal(set)
		if err != nil {
			t.Fatal(err)
		}
		return e.do(e.api, unitA, http.MethodPut, wire.PathForms, wire.ContentTypeJSON, b)
	}
	v3 := wire.FormSet{Forms: []wire.Form{form(3, "Förnya recept")}}
	if st, _, body := put(v3); st != http.StatusNoContent {
		t.Fatalf("publish: %d %s", st, body)
	}
	for _, restart := range []bool{false, true} {
		if restart {
			e.reopen()
		}
		if st, _, body := put(v3); st != http.StatusNoContent {
			t.Errorf("restart %v: the same set again: %d %s", restart, st, body)
		}
		before := e.dump()
		st, ct, body := put(wire.FormSet{Forms: []wire.Form{form(3, "Förnya recept nu")}})
		if st != http.StatusConflict || ct != wire.ContentTypeProblem {
			t.Errorf("restart %v: other content under version 3: %d %s %s, want 409 problem", restart, st, ct, body)
		}
		if e.dump() != before {
			t.Errorf("restart %v: a refused form set changed the store", restart)
		}
	}
	if st, _, body := put(wire.FormSet{Forms: []wire.Form{form(4, "Förnya recept nu")}}); st != http.StatusNoContent {
		t.Errorf("a raised version: %d %s", st, body)
	}
}
