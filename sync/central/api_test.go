package central

import (
	"bytes"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

func TestSubmitInboxAck(t *testing.T) {
	e := newEnv(t)
	id := e.submit(unitA, "Jag har haft ont i tre dagar.")

	page := e.inbox(unitA, 0, 0)
	if len(page.Events) != 1 {
		t.Fatalf("inbox holds %d events, want 1", len(page.Events))
	}
	ev := page.Events[0]
	if ev.Kind != wire.EventCaseCreated || ev.CaseID != id || ev.Seq != 1 || page.Cursor != 1 || page.More {
		t.Fatalf("event %+v, cursor %d, more %v", ev, page.Cursor, page.More)
	}
	if ev.Case.Patient.PNR != adultPNR || ev.Case.Type != string(casetype.AdviceNurse) || ev.Case.Text != "Jag har haft ont i tre dagar." {
		t.Errorf("case %+v", ev.Case)
	}
	if len(ev.Case.Fields) != 1 || ev.Case.Fields[0].Label != "Vad vill du ha råd om?" {
		t.Errorf("fields %+v: want the form's label", ev.Case.Fields)
	}
	// At least once: until acknowledged (and after), the same page again.
	if again := e.inbox(unitA, 0, 0); len(again.Events) != 1 || again.Events[0].ID != ev.ID {
		t.Errorf("second read: %+v", again)
	}
	if st := e.ack(unitA, page.Cursor); st != http.StatusNoContent {
		t.Fatalf("ack: %d", st)
	}
	if acked, _ := e.store.Acked(e.ctx, unitA); acked != 1 {
		t.Errorf("acked %d, want 1", acked)
	}
	if after := e.inbox(unitA, page.Cursor, 0); len(after.Events) != 0 || after.Cursor != page.Cursor || after.More {
		t.Errorf("after the cursor: %+v", after)
	}
	// Acks are idempotent; a cursor beyond the last event is a conflict.
	if st := e.ack(unitA, 1); st != http.StatusNoContent {
		t.Errorf("repeated ack: %d", st)
	}
	if st := e.ack(unitA, 2); st != http.StatusConflict {
		t.Errorf("ack beyond the head: %d, want 409", st)
	}
	// Follow-up and withdrawal reach the inbox in order.
	if err := e.store.FollowUp(e.ctx, adultPNR, id, "Nu har jag feber också."); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Withdraw(e.ctx, adultPNR, id); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Withdraw(e.ctx, adultPNR, id); err != nil {
		t.Errorf("withdrawing twice: %v", err)
	}
	next := e.inbox(unitA, 1, 0)
	if len(next.Events) != 2 || next.Events[0].Kind != wire.EventCaseFollowUp || next.Events[1].Kind != wire.EventCaseWithdrawn {
		t.Fatalf("after follow-up and withdrawal: %+v", next)
	}
	if next.Events[0].Message.Text != "Nu har jag feber också." || next.Cursor != 3 {
		t.Errorf("follow-up %+v, cursor %d", next.Events[0].Message, next.Cursor)
	}
	// Acked cursor lower than the recorded one changes nothing.
	if st := e.ack(unitA, 3); st != http.StatusNoContent {
		t.Fatal(st)
	}
	if st := e.ack(unitA, 2); st != http.StatusNoContent {
		t.Fatal(st)
	}
	if acked, _ := e.store.Acked(e.ctx, unitA); acked != 3 {
		t.Errorf("acked %d after a lower ack, want 3", acked)
	}
	e.checkLogs("Jag har haft ont", "Ont i halsen", "feber")
}

func TestInboxLimitAndCursor(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for range 5 {
		ids = append(ids, e.submit(unitA, "text"))
	}
	var got []string
	cursor := uint64(0)
	for i, want := range []struct {
		n    int
		more bool
	}{{2, true}, {2, true}, {1, false}} {
		page := e.inbox(unitA, cursor, 2)
		if len(page.Events) != want.n || page.More != want.more {
			t.Fatalf("page %d: %d events, more %v; want %d, %v", i, len(page.Events), page.More, want.n, want.more)
		}
		for _, ev := range page.Events {
			got = append(got, ev.CaseID)
		}
		cursor = page.Cursor
	}
	if strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Errorf("cases %v, want %v in order", got, ids)
	}
	// A cursor beyond the head is an empty page with the same cursor.
	if page := e.inbox(unitA, 99, 10); len(page.Events) != 0 || page.Cursor != 99 {
		t.Errorf("beyond the head: %+v", page)
	}
	for _, q := range []string{"limit=0", "limit=501", "after=x", "after=1&after=2", "other=1", "after=-1"} {
		status, ct, body := e.do(e.api, unitA, http.MethodGet, wire.PathInbox+"?"+q, "", nil)
		if status != http.StatusBadRequest || ct != wire.ContentTypeProblem {
			t.Errorf("?%s: %d %s %s", q, status, ct, body)
		}
	}
}

func TestUnitsSeeOnlyTheirOwn(t *testing.T) {
	e := newEnv(t)
	id := e.submit(unitA, "Bara för Aspen.")
	before := e.dump()

	if page := e.inbox(unitB, 0, 0); len(page.Events) != 0 {
		t.Fatalf("unit B sees %d of unit A's events", len(page.Events))
	}
	if st := e.ack(unitB, 1); st != http.StatusConflict {
		t.Errorf("unit B acks unit A's event: %d, want 409", st)
	}
	res := e.outbox(unitB, answer("b-1", id, "Svar från fel enhet."))
	if r := res.Results[0]; r.Status != wire.ItemRejected || r.Problem == nil || r.Problem.Type != wire.ProblemForbidden {
		t.Errorf("unit B answers unit A's case: %+v", r)
	}
	// An unknown case gets the same answer as another unit's.
	res = e.outbox(unitB, answer("b-2", "01jzzzzzzzzzzzzzzzzzzzzzzz", "Svar."))
	if r := res.Results[0]; r.Status != wire.ItemRejected || r.Problem.Type != wire.ProblemForbidden {
		t.Errorf("unknown case: %+v", r)
	}
	if after := e.dump(); after != before {
		t.Errorf("refused requests changed the store:\n%s\n---\n%s", before, after)
	}
	if len(e.notifier.Notices()) != 0 {
		t.Error("a refused answer sent a notice")
	}

	// Unit C has a certificate from the same CA but is not served: the
	// handshake refuses it; where the handshake lets it through, the
	// handler does.
	req, _ := http.NewRequest(http.MethodGet, e.api.URL+wire.PathInbox, nil)
	if resp, err := e.client(unitC).Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("unit C passed the handshake: %d", resp.StatusCode)
	}
	if st, ct, body := e.do(e.apiLoose, unitC, http.MethodGet, wire.PathInbox, "", nil); st != http.StatusForbidden || ct != wire.ContentTypeProblem {
		t.Errorf("unit C at the handler: %d %s %s", st, ct, body)
	}
	// No client certificate: refused in the handshake.
	noCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: e.pki.RootPool(), ServerName: "127.0.0.1"}}}
	if resp, err := noCert.Get(e.api.URL + wire.PathInbox); err == nil {
		resp.Body.Close()
		t.Errorf("a client without a certificate passed the handshake: %d", resp.StatusCode)
	}
	// A request with no verified certificate at all (TLS terminated
	// elsewhere, or none) gets 401 from the handler.
	rec := httptest.NewRecorder()
	e.store.APIHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, wire.PathInbox, nil))
	if rec.Code != http.StatusUnauthorized || rec.Header().Get("Content-Type") != wire.ContentTypeProblem {
		t.Errorf("no certificate: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	if after := e.dump(); after != before {
		t.Error("refused connections changed the store")
	}
}

func TestVerifyUnit(t *testing.T) {
	e := newEnv(t)
	for unit, ok := range map[string]bool{unitA: true, unitB: true, unitC: false} {
		if err := e.store.VerifyUnit(e.certs[unit].Leaf); (err == nil) != ok {
			t.Errorf("VerifyUnit(%s) = %v", unit, err)
		}
	}
	if err := e.store.VerifyUnit(e.server.Leaf); err == nil {
		t.Error("a server certificate without an HSA-ID passed")
	}
}

func TestOutboxIdempotency(t *testing.T) {
	e := newEnv(t)
	id := e.submit(unitA, "Hur länge ska jag vänta?")
	item := answer("k-1", id, "Vänta en vecka.")

	res := e.outbox(unitA, item)
	if res.Results[0].Status != wire.ItemAccepted {
		t.Fatalf("first: %+v", res.Results[0])
	}
	pc, err := e.store.PatientCase(e.ctx, adultPNR, id)
	if err != nil {
		t.Fatal(err)
	}
	if pc.Status != wire.StatusAnswered || len(pc.Messages) != 1 {
		t.Fatalf("after the answer: status %s, %d messages", pc.Status, len(pc.Messages))
	}
	m := pc.Messages[0]
	if !m.FromStaff || m.Kind != wire.OutboxAnswer || m.Text != "Vänta en vecka." || m.AuthorTitle != "Läkare" || m.Signature != "Doris Doktor, leg. läkare" {
		t.Errorf("message %+v", m)
	}
	notices := e.notifier.Notices()
	if len(notices) != 1 || notices[0].PNR != adultPNR || notices[0].Text != NoticeText {
		t.Fatalf("notices %+v", notices)
	}
	if NoticeText != "Du har ett nytt meddelande från din vårdenhet i e-tjänsterna. Logga in för att läsa det." {
		t.Error("the notice text changed")
	}

	before := e.dump()
	res = e.outbox(unitA, item)
	if res.Results[0].Status != wire.ItemDuplicate {
		t.Errorf("repeat: %+v", res.Results[0])
	}
	other := answer("k-1", id, "Något annat.")
	res = e.outbox(unitA, other)
	if r := res.Results[0]; r.Status != wire.ItemRejected || r.Problem.Type != wire.ProblemConflict {
		t.Errorf("same key, other content: %+v", r)
	}
	if after := e.dump(); after != before {
		t.Error("a duplicate or a rejected item changed the store")
	}
	if n := len(e.notifier.Notices()); n != 1 {
		t.Errorf("%d notices after repeats, want 1", n)
	}

	// A batch mixes outcomes; each item has its own; status items change
	// what the patient sees without a notice.
	closed := wire.OutboxItem{IdempotencyKey: "k-2", CaseID: id, Kind: wire.OutboxStatus, At: item.At, Status: wire.StatusClosed}
	res = e.outbox(unitA, item, closed, answer("k-3", "01jzzzzzzzzzzzzzzzzzzzzzzz", "x"))
	if got := []wire.ItemStatus{res.Results[0].Status, res.Results[1].Status, res.Results[2].Status}; got[0] != wire.ItemDuplicate || got[1] != wire.ItemAccepted || got[2] != wire.ItemRejected {
		t.Errorf("mixed batch: %v", got)
	}
	if pc, _ := e.store.PatientCase(e.ctx, adultPNR, id); pc.Status != wire.StatusClosed {
		t.Errorf("status %s, want closed", pc.Status)
	}
	if n := len(e.notifier.Notices()); n != 1 {
		t.Errorf("a status change sent a notice (%d)", n)
	}
	e.checkLogs("Vänta en vecka", "Doris Doktor", "Hur länge")
}

func TestAnswerToGuardianCase(t *testing.T) {
	e := newEnv(t)
	id, err := e.store.Submit(e.ctx, unitA, Submission{
		PatientPNR: childPNR, PatientName: childName, GuardianPNR: adultPNR, GuardianName: adultName,
		FormID: string(casetype.AdviceNurse), Fields: []wire.Field{{Name: "question", Value: "Feber"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	q := wire.OutboxItem{IdempotencyKey: "q-1", CaseID: id, Kind: wire.OutboxCounterQuestion, At: e.clock.Now(),
		Message: &wire.StaffMessage{ID: "q-1", Text: "Hur hög feber?", AuthorTitle: "Sjuksköterska"}}
	e.outbox(unitA, q)
	if n := e.notifier.Notices(); len(n) != 1 || n[0].PNR != adultPNR {
		t.Errorf("notices %+v: want one to the guardian", n)
	}
	for _, pnr := range []string{adultPNR, childPNR} {
		pc, err := e.store.PatientCase(e.ctx, pnr, id)
		if err != nil || pc.Status != wire.StatusWaitingForPatient || pc.AsGuardian != (pnr == adultPNR) {
			t.Errorf("%s: %+v, %v", map[bool]string{true: "guardian", false: "child"}[pnr == adultPNR], pc.Status, err)
		}
	}
	if _, err := e.store.PatientCase(e.ctx, otherPNR, id); err != ErrNotFound {
		t.Errorf("a stranger reads the case: %v", err)
	}
	// The guardian's follow-up moves the case back to the unit.
	if err := e.store.FollowUp(e.ctx, adultPNR, id, "39 grader."); err != nil {
		t.Fatal(err)
	}
	if pc, _ := e.store.PatientCase(e.ctx, adultPNR, id); pc.Status != wire.StatusAssigned {
		t.Errorf("after the follow-up: %s", pc.Status)
	}
}

func TestForms(t *testing.T) {
	e := newEnv(t)
	status, _, body := e.do(e.api, unitA, http.MethodGet, wire.PathForms, "", nil)
	set, err := wire.DecodeFormSet(bytes.NewReader(body))
	if status != http.StatusOK || err != nil || len(set.Forms) != 0 {
		t.Fatalf("before publishing: %d %v %s", status, err, body)
	}
	published := wire.FormSet{Forms: []wire.Form{{
		ID: "renew-prescription", Version: 3, Title: wire.Text{SV: "Förnya recept hos oss"},
		Fields: []wire.FormField{
			{Name: "medicine", Label: wire.Text{SV: "Läkemedel"}, Kind: wire.FieldText, Required: true},
			{Name: "pharmacy", Label: wire.Text{SV: "Apotek"}, Kind: wire.FieldSelect,
				Options: []wire.Option{{Value: "near", Label: wire.Text{SV: "Närmaste"}}, {Value: "any", Label: wire.Text{SV: "Vilket som helst"}}}},
		},
	}}}
	b, _ := wire.Marshal(published)
	if st, _, body := e.do(e.api, unitA, http.MethodPut, wire.PathForms, wire.ContentTypeJSON, b); st != http.StatusNoContent {
		t.Fatalf("publish: %d %s", st, body)
	}
	_, _, body = e.do(e.api, unitA, http.MethodGet, wire.PathForms, "", nil)
	if !bytes.Equal(body, b) {
		t.Errorf("GET forms:\n%s\nwant\n%s", body, b)
	}
	if _, _, body := e.do(e.api, unitB, http.MethodGet, wire.PathForms, "", nil); !strings.Contains(string(body), `"forms":[]`) {
		t.Errorf("unit B sees unit A's forms: %s", body)
	}
	// The published set replaces the defaults for unit A only.
	sub := Submission{PatientPNR: adultPNR, PatientName: adultName, FormID: "advice-nurse", Fields: []wire.Field{{Name: "question", Value: "x"}}}
	if _, err := e.store.Submit(e.ctx, unitA, sub); err != ErrUnknownForm {
		t.Errorf("a default form at a unit that published its own: %v", err)
	}
	if _, err := e.store.Submit(e.ctx, unitB, sub); err != nil {
		t.Errorf("a default form at a unit without its own: %v", err)
	}
	sub = Submission{PatientPNR: adultPNR, PatientName: adultName, FormID: "renew-prescription",
		Fields: []wire.Field{{Name: "pharmacy", Value: "near"}, {Name: "medicine", Value: "Alvedon"}}}
	id, err := e.store.Submit(e.ctx, unitA, sub)
	if err != nil {
		t.Fatal(err)
	}
	pc, _ := e.store.PatientCase(e.ctx, adultPNR, id)
	if pc.Title != "Förnya recept hos oss" || len(pc.Fields) != 2 || pc.Fields[0].Name != "medicine" || pc.Fields[1].Label != "Apotek" {
		t.Errorf("case %+v", pc)
	}
}

func TestStatePersists(t *testing.T) {
	e := newEnv(t)
	id := e.submit(unitA, "Före omstart.")
	if st := e.ack(unitA, 1); st != http.StatusNoContent {
		t.Fatal(st)
	}
	e.outbox(unitA, answer("p-1", id, "Svar."))
	e.reopen()
	if acked, _ := e.store.Acked(e.ctx, unitA); acked != 1 {
		t.Errorf("acked %d after reopening", acked)
	}
	if head, _ := e.store.Head(e.ctx, unitA); head != 1 {
		t.Errorf("head %d after reopening", head)
	}
	if r := e.outbox(unitA, answer("p-1", id, "Svar.")); r.Results[0].Status != wire.ItemDuplicate {
		t.Errorf("repeat after reopening: %+v", r.Results[0])
	}
	id2 := e.submit(unitA, "Efter omstart.")
	page := e.inbox(unitA, 1, 0)
	if len(page.Events) != 1 || page.Events[0].Seq != 2 || page.Events[0].CaseID != id2 {
		t.Errorf("after reopening: %+v", page)
	}
}

// TestSubmitBatch: cases submitted together all land, in order, each on
// the patient's pages and in the unit's log; one refused submission
// refuses the whole batch and stores nothing.
func TestSubmitBatch(t *testing.T) {
	e := newEnv(t)
	ok := Submission{PatientPNR: adultPNR, PatientName: adultName, FormID: string(casetype.AdviceNurse), Fields: []wire.Field{{Name: "question", Value: "Hosta"}}}
	ids, err := e.store.SubmitBatch(e.ctx, unitA, []Submission{ok, ok, ok})
	if err != nil || len(ids) != 3 || ids[0] == ids[1] {
		t.Fatalf("batch: %v %v", ids, err)
	}
	if head, err := e.store.Head(e.ctx, unitA); err != nil || head != 3 {
		t.Errorf("unit log head %d, %v; want 3", head, err)
	}
	for _, id := range ids {
		if _, err := e.store.PatientCase(e.ctx, adultPNR, id); err != nil {
			t.Errorf("case %s: %v", id, err)
		}
	}
	bad := ok
	bad.FormID = "order-pizza"
	if _, err := e.store.SubmitBatch(e.ctx, unitA, []Submission{ok, bad}); err != ErrUnknownForm {
		t.Fatalf("a batch with an unknown form: %v", err)
	}
	if head, _ := e.store.Head(e.ctx, unitA); head != 3 {
		t.Errorf("a refused batch stored part of itself: head %d", head)
	}
	if got, _ := e.store.PatientCases(e.ctx, adultPNR); len(got) != 3 {
		t.Errorf("the patient has %d cases, want 3", len(got))
	}
}
