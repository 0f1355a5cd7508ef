package wire

import (
	"bytes"
	"testing"
)

// What decoding and chaining a backlog's page allocates: on two cores the
// garbage collector's work is taken from the goroutine that applies the
// pages, and it runs as often as the heap grows. Counts, not times.

// realisticEvents decodes a realistic page (realistic_test.go).
func realisticEvents(t *testing.T) []Event {
	t.Helper()
	page, _, err := DecodeChainedPageEvents(bytes.NewReader(realisticChainedPage(1)))
	if err != nil {
		t.Fatal(err)
	}
	return page.Events
}

// TestNextLinkAllocs: an event's link is hashed without allocating, what
// the event carries (a guardian, fields, a message, a route) whatever.
func TestNextLinkAllocs(t *testing.T) {
	evs := realisticEvents(t)
	msg := Event{Seq: 7, ID: "ev-7", Kind: EventCaseFollowUp, CaseID: evs[0].CaseID, At: evs[0].At,
		Message: &PatientMessage{ID: "m-1", Text: "Tack, det känns bättre nu.\nHälsningar"}}
	routed := Event{Seq: 8, ID: "ev-8", Kind: EventCaseCreated, CaseID: evs[0].CaseID, At: evs[0].At, Sealed: "c2VhbGVk",
		Route: &SealedRoute{Type: "advice-nurse", Patient: "x", Guardian: "y", MessageID: "z"}}
	for _, ev := range []Event{evs[0], evs[10], msg, routed} {
		base := Genesis(goldenIncarnation)
		if n := testing.AllocsPerRun(100, func() { base = NextLink(base, ev) }); n != 0 {
			t.Errorf("NextLink of event %s: %v allocations, want 0", ev.ID, n)
		}
	}
}
