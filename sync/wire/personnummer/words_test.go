package personnummer

import "testing"

// TestRefusalWords: each reason says the words it said before they came
// from the one catalogue (sync/i18n's pnr.*), in Swedish and in English.
func TestRefusalWords(t *testing.T) {
	for _, c := range []struct{ reason, sv, en string }{
		{Empty, "Personnummer saknas. Skriv 10 eller 12 siffror.", "The personnummer is missing. Write 10 or 12 digits."},
		{BadLength, "Personnumret ska ha 10 eller 12 siffror.", "The personnummer must have 10 or 12 digits."},
		{BadCharacter, "Personnumret får bara innehålla siffror och ett bindestreck eller plustecken.", "The personnummer may hold only digits and one hyphen or plus sign."},
		{BadSeparator, "Bindestreck eller plustecken ska stå före de fyra sista siffrorna, och plustecken bara i den korta formen.", "A hyphen or plus sign must stand before the last four digits, and a plus sign only in the short form."},
		{BadDate, "Datumet i personnumret finns inte. Kontrollera att du har skrivit rätt.", "The date in the personnummer does not exist. Check that you typed it right."},
		{FutureDate, "Födelsedatumet i personnumret ligger i framtiden. Kontrollera att du har skrivit rätt.", "The date of birth in the personnummer is in the future. Check that you typed it right."},
		{BadCheckDigit, "Personnumret har fel kontrollsiffra. Kontrollera att du har skrivit rätt.", "The personnummer has the wrong check digit. Check that you typed it right."},
		{"no-such-reason", "Personnumret är inte giltigt. Kontrollera att du har skrivit rätt.", "The personnummer is not valid. Check that you typed it right."},
	} {
		e := &Error{Reason: c.reason}
		if e.Swedish() != c.sv || e.In("en") != c.en {
			t.Errorf("%s: %q / %q, want %q / %q", c.reason, e.Swedish(), e.In("en"), c.sv, c.en)
		}
	}
}
