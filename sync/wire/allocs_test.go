package wire

import (
	"bytes"
	"runtime"
	"strings"
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
// into one buffer, makes the events' slices once, and copies each string
// out of it once, a string with escapes (a text's line breaks) included,
// an event's kind not at all: per event, an allocation for each string,
// its case and its fields, and in bytes the event's, its strings' and at
// most decodeOverhead more.
func TestDecodePageAllocs(t *testing.T) {
	body := realisticChainedPage(1)
	allocs, perEvent, n := decodeAllocs(t, body)
	page, _, _ := DecodeChainedPageEvents(bytes.NewReader(body))
	strs, copies := 0, 0
	count := func(ss ...string) {
		for _, s := range ss {
			strs += len(s)
			if s != "" {
				copies++
			}
		}
	}
	for _, ev := range page.Events {
		c := ev.Case
		count(ev.ID, ev.CaseID, c.Type, c.Patient.PNR, c.Patient.Name, c.Text)
		if g := c.Guardian; g != nil {
			count(g.PNR, g.Name)
			copies++ // the guardian
		}
		for _, f := range c.Fields {
			count(f.Name, f.Label, f.Value)
		}
		copies += 2 // the case and its fields
	}
	bodyPer, strsPer, copiesPer := float64(len(body))/float64(n), float64(strs)/float64(n), float64(copies)/float64(n)
	t.Logf("%d events, %.0f body bytes and %.0f string bytes in %.1f allocations an event: %.1f allocations and %.0f bytes an event",
		n, bodyPer, strsPer, copiesPer, allocs, perEvent)
	// The event, its case and fields, each string's size class; the
	// events' slices made once (grown by doubling they took 800).
	const decodeOverhead = 700
	if perEvent > bodyPer+strsPer+decodeOverhead {
		t.Errorf("%.0f bytes allocated an event, want at most %.0f (body) + %.0f (strings) + %d", perEvent, bodyPer, strsPer, decodeOverhead)
	}
	if allocs > copiesPer+0.1 { // and a few a page
		t.Errorf("%.1f allocations an event, want at most %.1f", allocs, copiesPer+0.1)
	}
}

// BenchmarkPullPage: what the gateway does to every page it pulls before
// applying it, on a realistic page: the fast decode with the events'
// bytes (DecodeChainedPageEvents) and every event's link (NextLink).
// Reports allocations and CPU per event.
func BenchmarkPullPage(b *testing.B) {
	in := realisticChainedPage(1)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	events := 0
	for b.Loop() {
		page, _, err := DecodeChainedPageEvents(bytes.NewReader(in))
		if err != nil {
			b.Fatal(err)
		}
		base, _ := ParseLink(page.Chain.Base)
		if ChainOf(base, page.Events).String() != page.Chain.End {
			b.Fatal("the page's events do not chain to its end")
		}
		events += len(page.Events)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events)/1000, "µs/event")
}

// TestDecodeManySeqAllocs: a body of a hundred thousand "seq" members,
// refused, makes the decoder allocate no more than a page may hold: the
// events' slices are sized by the members, at most MaxInboxLimit.
func TestDecodeManySeqAllocs(t *testing.T) {
	body := []byte(`{"events":[` + strings.Repeat(`{"seq":1},`, 100000) + `{"seq":1}],"cursor":1,"more":false,"chain":{}}`)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, _, ok := decodeChainedPageFast(body); ok {
		t.Fatal("events without ids taken")
	}
	runtime.ReadMemStats(&after)
	if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(256<<10); got > limit {
		t.Errorf("a refused body of %d bytes made the decoder allocate %d bytes, want at most %d", len(body), got, limit)
	}
}

// TestDecodeFieldsExact: a case's answers are decoded into a slice of
// their number, not one grown by doubling from four (a form of 5–10
// fields took two or three allocations, up to twice the bytes).
func TestDecodeFieldsExact(t *testing.T) {
	grown := 0
	evs := realisticEvents(t)
	for _, ev := range evs {
		if f := ev.Case.Fields; cap(f) != len(f) {
			grown++
		}
	}
	if grown > 0 {
		t.Errorf("%d of %d events' fields in a slice larger than they are (e.g. %d fields in %d)",
			grown, len(evs), len(evs[0].Case.Fields), cap(evs[0].Case.Fields))
	}
}
