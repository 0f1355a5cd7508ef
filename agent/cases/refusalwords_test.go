package cases

import (
	"errors"
	"strings"
	"testing"
	"time"

	"clinicgw/sync/wire/casetype"
)

// TestRefusalWords: refusals say, in Swedish, the words they said before
// they came from the one catalogue (sync/i18n's cases.*), a length
// without grouping ("10000", not "10 000").
func TestRefusalWords(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	sv := func(err error) string {
		t.Helper()
		var s interface{ Swedish() string }
		if !errors.As(err, &s) {
			t.Fatalf("no Swedish in %v", err)
		}
		return s.Swedish()
	}
	req := func(mut func(*InitiateRequest)) *InitiateRequest {
		r := &InitiateRequest{Patient: Person{PNR: "191212121212", Name: "Test Testsson"},
			Type: casetype.ContactMe, Subject: "Prover", Text: "Hej"}
		mut(r)
		return r
	}
	for _, c := range []struct {
		err  error
		want string
	}{
		{checkInitiate(req(func(r *InitiateRequest) { r.Text = strings.Repeat("a", MaxTextRunes+1) }), now),
			"Meddelandet får vara högst 10000 tecken och får inte innehålla styrtecken."},
		{checkInitiate(req(func(r *InitiateRequest) { r.Subject = strings.Repeat("a", MaxSubjectRunes+1) }), now),
			"Rubriken får vara högst 150 tecken, på en rad."},
		{checkInitiate(req(func(r *InitiateRequest) { r.Subject = " " }), now), "Skriv en rubrik."},
		{checkInitiate(req(func(r *InitiateRequest) { r.Type = "Pizza!" }), now), "Välj en ärendetyp."},
		{&TransitionError{Err: ErrConflict}, "Ärendet har ändrats av någon annan. Ladda om sidan och försök igen."},
		{&TransitionError{Err: ErrNotAllowed}, "Du har inte behörighet att göra detta."},
		{&TransitionError{Err: ErrInvalidCommand}, "Åtgärden kunde inte utföras."},
		{&ValidationError{}, "Uppgifterna är ofullständiga eller felaktiga."},
	} {
		if got := sv(c.err); got != c.want {
			t.Errorf("%v: %q, want %q", c.err, got, c.want)
		}
	}
	_, why := illegalReason(Close, Assigned)
	if want := "Bara ett besvarat ärende kan avslutas."; why != want {
		t.Errorf("close an assigned case: %q, want %q", why, want)
	}
}
