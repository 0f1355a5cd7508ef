package central

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"clinicgw/sync/wire"
)

const initiatedID = "01jnmq8h7c00000000000000aa"

// initiated is a case.initiated item for the adult.
func initiated(key, caseID string, reply bool) wire.OutboxItem {
	return wire.OutboxItem{IdempotencyKey: key, CaseID: caseID, Kind: wire.OutboxCaseInitiated,
		At:      time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC),
		Message: &wire.StaffMessage{ID: key, Text: "Dina provsvar är klara. Hör av dig om du har frågor.", Signature: "Doris Doktor, leg. läkare", AuthorTitle: "Läkare"},
		Case:    &wire.InitiatedCase{Type: "contact-me", PatientPNR: adultPNR, Subject: "Provsvar från vårdcentralen", ReplyAllowed: reply}}
}

// TestInitiatedCase: a unit's case.initiated item creates the case for the
// patient it names, with the unit's first message and a notice; the
// patient reads it on the patient pages and replies, which becomes a
// case.followup event for the unit; a repeat is a duplicate.
func TestInitiatedCase(t *testing.T) {
	e := newEnv(t)
	item := initiated("init-1", initiatedID, true)
	if r := e.outbox(unitA, item).Results[0]; r.Status != wire.ItemAccepted {
		t.Fatalf("case.initiated: %+v", r)
	}
	n := e.notifier.Notices()
	if len(n) != 1 || n[0].PNR != adultPNR || n[0].Text != NoticeText {
		t.Fatalf("notices %+v", n)
	}
	pc, err := e.store.PatientCase(e.ctx, adultPNR, initiatedID)
	if err != nil {
		t.Fatal(err)
	}
	if pc.Unit != unitA || !pc.FromUnit || pc.NoReply || pc.Status != wire.StatusWaitingForPatient ||
		pc.Title != "Provsvar från vårdcentralen" || len(pc.Messages) != 1 || !pc.CanFollowUp() || pc.CanWithdraw() {
		t.Fatalf("patient's case %+v", pc)
	}
	if m := pc.Messages[0]; !m.FromStaff || m.AuthorTitle != "Läkare" || m.Signature != "Doris Doktor, leg. läkare" || !strings.HasPrefix(m.Text, "Dina provsvar") {
		t.Errorf("first message %+v", m)
	}
	if _, err := e.store.PatientCase(e.ctx, otherPNR, initiatedID); !errors.Is(err, ErrNotFound) {
		t.Errorf("another person reads it: %v", err)
	}
	// A repeat (the gateway did not hear the answer) is harmless.
	before := e.dump()
	if r := e.outbox(unitA, item).Results[0]; r.Status != wire.ItemDuplicate {
		t.Errorf("repeat: %+v", r)
	}
	if e.dump() != before || len(e.notifier.Notices()) != 1 {
		t.Error("a repeat changed the store or sent another notice")
	}

	// The patient pages: listed, readable, with a reply box and no withdrawal.
	b := e.browser()
	b.login(adultPNR, adultName)
	if start := b.get("/"); !strings.Contains(start.body, "/arenden/"+initiatedID) || !strings.Contains(start.body, "Provsvar från vårdcentralen") {
		t.Fatalf("the start page does not list the case: %.800s", start.body)
	}
	page := b.get("/arenden/" + initiatedID)
	for _, s := range []string{"Startat av vårdenheten", "Dina provsvar är klara.", "Meddelande från Läkare", `action="/arenden/` + initiatedID + `/svar"`} {
		if !strings.Contains(page.body, s) {
			t.Errorf("case page lacks %q", s)
		}
	}
	if strings.Contains(page.body, "aterkalla") || strings.Contains(page.body, "Ditt ärende</h2>") {
		t.Error("the case page offers withdrawal or shows the patient's own case section")
	}
	if p := b.post("/arenden/"+initiatedID+"/svar", url.Values{"text": {"Tack, jag ringer i morgon."}}); p.status != http.StatusSeeOther {
		t.Fatalf("reply: %d %.300s", p.status, p.body)
	}
	evs := e.inbox(unitA, 0, 0).Events
	if len(evs) != 1 || evs[0].Kind != wire.EventCaseFollowUp || evs[0].CaseID != initiatedID || evs[0].Message.Text != "Tack, jag ringer i morgon." {
		t.Fatalf("unit's events %+v", evs)
	}
	if pc, _ := e.store.PatientCase(e.ctx, adultPNR, initiatedID); pc.Status != wire.StatusAssigned {
		t.Errorf("after the reply: %s", pc.Status)
	}
	if evs := e.inbox(unitB, 0, 0).Events; len(evs) != 0 {
		t.Errorf("another unit sees %d events", len(evs))
	}
	checkNoPNRInURLs(t, b)
	e.checkLogs("Dina provsvar", "Doris Doktor", "Provsvar från", "jag ringer")
}

// TestInitiatedCaseNoReply: where the unit allowed no reply, the case is
// answered, shows no reply box, and a reply is refused.
func TestInitiatedCaseNoReply(t *testing.T) {
	e := newEnv(t)
	if r := e.outbox(unitA, initiated("init-2", initiatedID, false)).Results[0]; r.Status != wire.ItemAccepted {
		t.Fatalf("case.initiated: %+v", r)
	}
	pc, err := e.store.PatientCase(e.ctx, adultPNR, initiatedID)
	if err != nil || pc.Status != wire.StatusAnswered || !pc.NoReply || pc.CanFollowUp() || pc.CanWithdraw() {
		t.Fatalf("patient's case %+v, %v", pc, err)
	}
	if err := e.store.FollowUp(e.ctx, adultPNR, initiatedID, "Hallå?"); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("reply: %v, want ErrNotAllowed", err)
	}
	if err := e.store.Withdraw(e.ctx, adultPNR, initiatedID); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("withdraw: %v, want ErrNotAllowed", err)
	}
	b := e.browser()
	b.login(adultPNR, adultName)
	page := b.get("/arenden/" + initiatedID)
	if !strings.Contains(page.body, "Det går inte att svara på det här meddelandet.") || strings.Contains(page.body, "/svar\"") {
		t.Errorf("no-reply case page: %.1500s", page.body)
	}
	if evs := e.inbox(unitA, 0, 0).Events; len(evs) != 0 {
		t.Errorf("events %+v", evs)
	}
}

// TestInitiatedCaseRefused: an item that cannot apply is rejected and
// changes nothing: a personnummer with a wrong check digit, a case id
// already taken (by this unit or another), a key reused with other content.
func TestInitiatedCaseRefused(t *testing.T) {
	e := newEnv(t)
	patientCase := e.submit(unitB, "Hej")
	wrongCheck := adultPNR[:11] + string(rune('0'+(adultPNR[11]-'0'+1)%10))
	bad := initiated("bad-pnr", initiatedID, true)
	bad.Case.PatientPNR = wrongCheck
	before := e.dump()
	res := e.outbox(unitA, bad, initiated("taken-b", patientCase, true))
	if r := res.Results[0]; r.Status != wire.ItemRejected || r.Problem.Status != http.StatusBadRequest {
		t.Errorf("wrong check digit: %+v", r)
	}
	if r := res.Results[1]; r.Status != wire.ItemRejected || r.Problem.Status != http.StatusForbidden {
		t.Errorf("another unit's case id: %+v", r)
	}
	if e.dump() != before || len(e.notifier.Notices()) != 0 {
		t.Error("rejected items changed the store or sent a notice")
	}
	e.outbox(unitA, initiated("init-3", initiatedID, true))
	res = e.outbox(unitA, initiated("init-4", initiatedID, true), func() wire.OutboxItem {
		it := initiated("init-3", initiatedID, true)
		it.Case.Subject = "Något annat"
		return it
	}())
	if r := res.Results[0]; r.Status != wire.ItemRejected || r.Problem.Type != wire.ProblemConflict {
		t.Errorf("the id again under another key: %+v", r)
	}
	if r := res.Results[1]; r.Status != wire.ItemRejected || r.Problem.Type != wire.ProblemConflict {
		t.Errorf("the key again with other content: %+v", r)
	}
	e.checkLogs("Dina provsvar")
}
