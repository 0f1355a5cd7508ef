package cardauth

import "testing"

// TestLoginErrorWords: a refused login says, in each language, the words
// it said before they came from the one catalogue (sync/i18n).
func TestLoginErrorWords(t *testing.T) {
	for _, c := range []struct{ step, sv, en string }{
		{"challenge", "Inloggningen tog för lång tid eller är redan använd. Försök igen.", "The login took too long or was already used. Try again."},
		{"token", "Kortets svar kunde inte godtas. Försök igen; fungerar det inte, kontakta IT.", "The card's answer could not be accepted. Try again; if it still fails, call IT."},
		{"signature", "Kortets svar kunde inte godtas. Försök igen; fungerar det inte, kontakta IT.", "The card's answer could not be accepted. Try again; if it still fails, call IT."},
		{"certificate", "Kortets certifikat godtas inte (ogiltigt, spärrat eller okänt). Kontakta din korthandläggare.", "The card's certificate is not accepted (invalid, revoked or unknown). Contact your card administrator."},
		{"commission", "Du har inget aktivt uppdrag för den här vårdenheten. Kontakta din enhetsadministratör.", "You have no active commission for this care unit. Contact your unit administrator."},
		{"other", "Inloggningen misslyckades.", "The login failed."},
		{"", "Inloggningen misslyckades.", "The login failed."},
	} {
		e := &LoginError{Step: c.step}
		if e.Swedish() != c.sv || e.English() != c.en {
			t.Errorf("step %q: %q / %q, want %q / %q", c.step, e.Swedish(), e.English(), c.sv, c.en)
		}
	}
}
