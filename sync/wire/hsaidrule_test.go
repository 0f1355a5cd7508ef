package wire

import "testing"

// TestNoHSAIDInPatientText: a title or a subject a patient reads is
// refused when it holds an HSA-ID in any of its forms, the 12-digit
// organisation number (16 and the 10 digits) included.
func TestNoHSAIDInPatientText(t *testing.T) {
	for _, id := range []string{"SE2321000016-15ZM", "SE162321000255-O10951", "se2321000016-abc", "SE165565594230-WEBCERT08113"} {
		m := StaffMessage{ID: "ans-1", Text: "Hej!", AuthorTitle: "Läkare " + id}
		if err := m.Validate(); err == nil {
			t.Errorf("a staff message titled %q was accepted", m.AuthorTitle)
		}
	}
}
