package central

import (
	"testing"

	"clinicgw/sync/i18n"
	"clinicgw/sync/wire"
)

// TestSealingDeclinesHaveTexts: the decline reasons a gateway gives for a
// booking request it could not read safely (sealed and not opening, or
// plain where sealing was confirmed) have a text of their own in Swedish
// and English on the patient's page, not the bare code.
func TestSealingDeclinesHaveTexts(t *testing.T) {
	for _, code := range []string{wire.BookingUnreadable, wire.BookingNotSealed} {
		for _, lang := range []string{"sv", "en"} {
			key := "booking.declined." + code
			if got := i18n.T(lang, key); got == key || got == "" {
				t.Errorf("%s in %s: no text (%q)", code, lang, got)
			}
		}
	}
}
