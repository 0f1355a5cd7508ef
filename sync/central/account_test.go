package central

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestDeleteAccountPage: "Radera mitt konto" is linked from the patient's
// start page; it says in Swedish what it does and asks for a tick, refused
// without it (said why, nothing forgotten); with it, the patient's key is
// forgotten, they are logged out and the login page says it was done;
// their list is empty, another patient's is not.
func TestDeleteAccountPage(t *testing.T) {
	e := newEnv(t)
	a, b := e.browser(), e.browser()
	a.login(adultPNR, adultName)
	b.login(otherPNR, "Annan Person")
	e.submit(unitA, "Kanarietext")
	if p := a.get("/"); !strings.Contains(p.body, `href="/konto"`) {
		t.Fatalf("the start page does not link the account page:\n%s", p.body)
	}
	p := a.get("/konto")
	for _, want := range []string{"Radera mitt konto", "går inte att ångra", `name="bekrafta"`, `action="/konto/radera"`} {
		if p.status != http.StatusOK || !strings.Contains(p.body, want) {
			t.Errorf("the account page lacks %q: %d\n%s", want, p.status, p.body)
		}
	}
	p = a.post("/konto/radera", url.Values{})
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "Kryssa i rutan") || !strings.Contains(p.body, `role="alert"`) {
		t.Errorf("unconfirmed: %d\n%s", p.status, p.body)
	}
	if list, _ := e.store.PatientCases(e.ctx, adultPNR); len(list) != 1 {
		t.Fatalf("an unconfirmed request forgot the patient: %d cases", len(list))
	}
	p = a.post("/konto/radera", url.Values{"bekrafta": {"ja"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/logga-in?raderat=1" {
		t.Fatalf("confirmed: %d %v", p.status, p.header)
	}
	if p := a.get("/"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/logga-in" {
		t.Errorf("still logged in after deleting the account: %d", p.status)
	}
	if p := a.get("/logga-in?raderat=1"); !strings.Contains(p.body, "Ditt konto är raderat") || !strings.Contains(p.body, `role="status"`) {
		t.Errorf("the login page does not say the account was deleted:\n%s", p.body)
	}
	if list, err := e.store.PatientCases(e.ctx, adultPNR); err != nil || len(list) != 0 {
		t.Errorf("after deleting: %d cases, %v", len(list), err)
	}
	if p := b.get("/konto"); p.status != http.StatusOK {
		t.Errorf("another patient's session: %d", p.status)
	}
	e.checkLogs()
}
