package wire

import (
	"bytes"
	"runtime"
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

// decodeAllocs returns the allocations and the bytes allocated per event
// to decode body with DecodeChainedPageEvents, and its events' count.
func decodeAllocs(t *testing.T, body []byte) (allocs, bytesPer float64, events int) {
	t.Helper()
	var page ChainedPage
	decode := func() {
		var err error
		if page, _, err = DecodeChainedPageEvents(bytes.NewReader(body)); err != nil {
			t.Fatal(err)
		}
	}
	decode()
	events = len(page.Events)
	const runs = 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		decode()
	}
	runtime.ReadMemStats(&after)
	allocs = testing.AllocsPerRun(runs, decode) / float64(events)
	return allocs, float64(after.TotalAlloc-before.TotalAlloc) / runs / float64(events), events
}

// TestDecodePageAllocs: the fast decoder reads a realistic page's body
// into one buffer and copies each string out of it once, a string with
// escapes (a text's line breaks) included: what it allocates per event is
// the event's bytes, its strings' bytes and at most decodeOverhead more.
func TestDecodePageAllocs(t *testing.T) {
	body := realisticChainedPage(1)
	allocs, perEvent, n := decodeAllocs(t, body)
	page, _, _ := DecodeChainedPageEvents(bytes.NewReader(body))
	strs := 0
	for _, ev := range page.Events {
		strs += len(ev.ID) + len(ev.CaseID)
		c := ev.Case
		strs += len(c.Type) + len(c.Patient.PNR) + len(c.Patient.Name) + len(c.Text)
		if g := c.Guardian; g != nil {
			strs += len(g.PNR) + len(g.Name)
		}
		for _, f := range c.Fields {
			strs += len(f.Name) + len(f.Label) + len(f.Value)
		}
	}
	bodyPer, strsPer := float64(len(body))/float64(n), float64(strs)/float64(n)
	t.Logf("%d events, %.0f body bytes and %.0f string bytes an event: %.1f allocations and %.0f bytes an event", n, bodyPer, strsPer, allocs, perEvent)
	const decodeOverhead = 1024 // the event, its case and fields, the slices' growth, each string's size class
	if perEvent > bodyPer+strsPer+decodeOverhead {
		t.Errorf("%.0f bytes allocated an event, want at most %.0f (body) + %.0f (strings) + %d", perEvent, bodyPer, strsPer, decodeOverhead)
	}
}
