package central

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"clinicgw/sync/wire"
)

// TestRefusalTextsAsWritten: the refusals the patient pages show read as
// they did before they came from the catalogue (sync/i18n): every word,
// the ”…” around a label, and a length without grouping ("10000", not
// "10 000").
func TestRefusalTextsAsWritten(t *testing.T) {
	swedishOf := func(err error) string {
		t.Helper()
		ie, ok := errors.AsType[*InputError](err)
		if !ok {
			t.Fatalf("not an input error: %v", err)
		}
		return ie.Swedish
	}
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	_, err := person("patient", "191212121212", strings.Repeat("a", wire.MaxNameLen+1), now)
	if got, want := swedishOf(err), "Namnet får vara högst 200 tecken, på en rad."; got != want {
		t.Errorf("long name: %q, want %q", got, want)
	}
	_, err = person("patient", "191212121212", " ", now)
	if got, want := swedishOf(err), "Skriv namnet."; got != want {
		t.Errorf("no name: %q, want %q", got, want)
	}
	s := &Store{} // the text is refused before the store is read
	err = s.FollowUp(context.Background(), "191212121212", "x", strings.Repeat("a", wire.MaxTextLen+1))
	if got, want := swedishOf(err), "Meddelandet får vara högst 10000 tecken och får inte innehålla styrtecken."; got != want {
		t.Errorf("long text: %q, want %q", got, want)
	}
	form := wire.Form{Fields: []wire.FormField{
		{Name: "d", Kind: wire.FieldDate, Label: wire.Text{SV: "Datum"}},
		{Name: "a", Kind: wire.FieldText, Label: wire.Text{SV: "Svar"}},
	}}
	_, err = answersFor(form, []wire.Field{{Name: "d", Value: "7/12"}})
	if got, want := swedishOf(err), "Skriv datumet i ”Datum” som ÅÅÅÅ-MM-DD."; got != want {
		t.Errorf("bad date: %q, want %q", got, want)
	}
	_, err = answersFor(form, []wire.Field{{Name: "a", Value: strings.Repeat("a", wire.MaxFieldValueLen+1)}})
	if got, want := swedishOf(err), "Svaret i ”Svar” är för långt eller innehåller otillåtna tecken (högst 2000 tecken)."; got != want {
		t.Errorf("long answer: %q, want %q", got, want)
	}
	if got, want := conditionNote(form, wire.Condition{Field: "nope"}), "Fyll i om det gäller dig."; got != want {
		t.Errorf("condition: %q, want %q", got, want)
	}
	if NoticeText != "Du har ett nytt meddelande från din vårdenhet i e-tjänsterna. Logga in för att läsa det." {
		t.Errorf("notice: %q", NoticeText)
	}
}
