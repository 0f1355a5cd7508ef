package central

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"clinicgw/sync/wire"
)

// TestReminderChoice: a patient says on the patient pages whether and
// where they want reminders before their visits; the choice goes with
// each of their book and rebook requests to the gateway (never with a
// cancel, never with another patient's), a wrong number or address is
// refused in Swedish with nothing saved, and unticking ends the consent.
func TestReminderChoice(t *testing.T) {
	e := newEnv(t)
	a, b := e.browser(), e.browser()
	a.login(adultPNR, adultName)
	b.login(otherPNR, "Annan Person")
	body, _ := wire.Marshal(bookingTimes())
	if st, _, out := e.do(e.api, unitA, http.MethodPut, wire.PathBookingTimes2, wire.ContentTypeJSON, body); st != http.StatusNoContent {
		t.Fatalf("publish: %d %s", st, out)
	}
	path := "/boka/" + unitA + "/paminnelser"
	if p := a.get("/boka/" + unitA); !strings.Contains(p.body, `href="`+path+`"`) {
		t.Errorf("the booking page does not link the reminder choice:\n%s", p.body)
	}
	p := a.get(path)
	for _, want := range []string{"Påminnelse före besök", "mottagningens namn", `name="samtycke"`, `name="mobil"`, `name="epost"`, `name="sprak"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the reminder page lacks %q:\n%s", want, p.body)
		}
	}
	for _, bad := range []struct {
		form url.Values
		says string
	}{
		{url.Values{"samtycke": {"ja"}, "sprak": {"sv"}}, "Skriv ett mobilnummer eller en e-postadress"},
		{url.Values{"samtycke": {"ja"}, "mobil": {"070-ring-mig"}, "sprak": {"sv"}}, "Mobilnumret"},
		{url.Values{"samtycke": {"ja"}, "epost": {"inte en adress"}, "sprak": {"sv"}}, "E-postadressen"},
	} {
		p := a.post(path, bad.form)
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, bad.says) || !strings.Contains(p.body, `role="alert"`) {
			t.Errorf("%v: %d\n%s", bad.form, p.status, p.body)
		}
	}
	p = a.post(path, url.Values{"samtycke": {"ja"}, "mobil": {"070-123 45 67"}, "epost": {" patient@example.se "}, "sprak": {"en"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", p.status, p.body)
	}
	if p := a.get(path); !strings.Contains(p.body, `value="0701234567"`) || !strings.Contains(p.body, "checked") {
		t.Errorf("the saved choice is not shown:\n%s", p.body)
	}
	a.post("/boka/"+unitA+"/tid/t1", url.Values{})
	b.post("/boka/"+unitA+"/tid/t2", url.Values{})
	want := wire.BookingReminder{Mobile: "0701234567", Email: "patient@example.se", Lang: "en"}
	confirm := func(r wire.BookingRequest) wire.BookingDecision {
		return wire.BookingDecision{Request: r.ID, Outcome: wire.BookingConfirmed}
	}
	for _, r := range e.gatewayDecides(unitA, confirm) {
		switch {
		case r.Patient == otherPNR && r.Reminder != nil:
			t.Errorf("another patient's request carries a reminder: %+v", r.Reminder)
		case r.Patient != otherPNR && (r.Reminder == nil || *r.Reminder != want):
			t.Errorf("the patient's request carries %+v, want %+v", r.Reminder, want)
		}
	}
	a.post("/boka/"+unitA+"/avboka/t1", url.Values{})
	for _, r := range e.gatewayDecides(unitA, confirm) {
		if r.Reminder != nil {
			t.Errorf("a cancel carries a reminder: %+v", r.Reminder)
		}
	}
	// Unticked: no more reminders.
	if p := a.post(path, url.Values{"mobil": {"0701234567"}, "sprak": {"sv"}}); p.status != http.StatusSeeOther {
		t.Fatalf("withdraw: %d %s", p.status, p.body)
	}
	a.post("/boka/"+unitA+"/tid/t3", url.Values{})
	for _, r := range e.gatewayDecides(unitA, confirm) {
		if r.Reminder != nil {
			t.Errorf("a request after the consent ended carries %+v", r.Reminder)
		}
	}
	e.checkLogs(adultPNR, "0701234567", "patient@example.se")
}
