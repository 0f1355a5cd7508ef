package uplink

import (
	"testing"
	"time"

	"clinicgw/sync/wire"
)

// TestJournalEntriesChecked: the journal entries of a page say that their
// events passed the page decoder's checks (cases.JournalEntry.Checked),
// so that a slim record compares their texts without looking at every
// letter again.
func TestJournalEntriesChecked(t *testing.T) {
	at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	events := []wire.Event{
		{Seq: 1, ID: "e1", Kind: wire.EventCaseWithdrawn, CaseID: "01knfa0x2g3h4j5k6m7n8p9q0r", At: at},
		{Seq: 2, ID: "e2", Kind: wire.EventCaseFollowUp, CaseID: "01knfa0x2g3h4j5k6m7n8p9q0r", At: at,
			Message: &wire.PatientMessage{ID: "m2", Text: "Nu har jag feber också."}},
	}
	_, journal, err := chainPage(fakePage(events, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range journal {
		if !e.Checked || e.Wire == nil {
			t.Errorf("journal entry %d: checked %v", e.Seq, e.Checked)
		}
	}
}
