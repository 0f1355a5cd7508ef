package uplink

import (
	"clinicgw/agent/cases"
	"clinicgw/sync/wire"
)

// What a pull holds is bounded by bytes, not by counts of events: a page
// of the largest cases (wire.MaxTextLen of text, wire.MaxFields answers of
// wire.MaxFieldValueLen) is a hundred times the bytes of a page of
// ordinary ones, and every byte of an event is held several times over
// while it is applied (decoded, in the journal, encoded and sealed, in
// the store's dirty pages).
//
// It is bounded by two measures: an event's bytes (eventBytes), and what
// it holds on the heap while a commit applies it (eventHeap): about four
// times its bytes and 9 KiB whatever its size (its case and journal
// records, index and access-log entries, its share of the index pages
// every commit rewrites). BenchmarkHeapPerEvent measured 9–11.5 KB for a
// small case of 560 bytes, 17–22 KB for a realistic one of 2.6 KB, 0.9–1.1
// MB for a maximum-size one of 204 KB (TestEventMeasureFollowsHeap keeps
// eventHeap within a factor of two of it for all three). By bytes alone, a
// commit of 2,000 small cases held half as much again as one of 790
// realistic ones, and a burst of 30,000 small cases went over the memory
// goal (BenchmarkBurstRSS -uplink.burst.small: 63.0–66.1 MiB; 49–54 since).
// A realistic case is the heavier per byte (its heap 7 times its bytes, a
// maximum-size case's 4.5 times): the bound by bytes keeps maximum-size
// commits as small as they were, the bound by heap keeps commits of small
// cases to what a realistic one holds, and a commit of realistic cases
// meets both at four pages of pageBytes. Larger commits of realistic
// cases cost memory in proportion (3 MiB of them, six pages: 75 MiB in
// BenchmarkBurstRSS -uplink.burst.realistic against 56; 4 MiB: 94).
//
//   - The page size asked for follows the size of the events: a pull's
//     first page asks for firstLimit events, and after each page Limit is
//     what makes about pageBytes and pageHeap of events of the page's
//     average size (nextLimit), between 1 and Config.PageSize. (The
//     central store cuts a page at wire.MaxBodyBytes whatever the Limit.)
//   - Pages fetched ahead (on a backlog, waited for: nextPages) are
//     merged into one commit only while their events add up to at most
//     commitBytes and commitHeap (and mergeEvents).
//   - A page whose events are more than that is applied in several
//     commits of at most commitBytes and commitHeap each (one event at
//     least), each with the head and cursor of its own last event
//     (commitRuns): the cursor and the chain head move only with what is
//     committed, and a crash between two commits resumes after the last
//     one, the page's base being then that event's link.
const (
	pageBytes   = 512 << 10
	commitBytes = 2 << 20
	commitHeap  = 16 << 20
	pageHeap    = commitHeap / prefetchPages
	firstLimit  = 16
	// What an event holds on the heap while applied: eventHeapBase and
	// eventHeapPerByte times its eventBytes (eventHeap).
	eventHeapBase    = 9 << 10
	eventHeapPerByte = 4
)

// eventBytes is about the bytes an event takes on the wire: its text,
// answers and names, or a sealed event's content as its envelope tells,
// and a fixed allowance for the rest.
func eventBytes(ev wire.Event) int {
	n := 256 + len(ev.ID) + len(ev.CaseID)
	if c := ev.Case; c != nil {
		n += len(c.Type) + len(c.Text) + len(c.Patient.PNR) + len(c.Patient.Name)
		if g := c.Guardian; g != nil {
			n += len(g.PNR) + len(g.Name)
		}
		for _, f := range c.Fields {
			n += 32 + len(f.Name) + len(f.Label) + len(f.Value)
		}
	}
	if m := ev.Message; m != nil {
		n += len(m.ID) + len(m.Text)
	}
	// A sealed event counts its content's length, about 3/4 of its
	// envelope's (base64), as a plain event counts its content: held are
	// the envelope and, once the prefetch opened it (preopen.go), its
	// content, where a plain event's are its bytes and its content.
	return n + len(ev.Sealed)*3/4
}

// eventHeap is about what an event holds on the heap while a commit
// applies it.
func eventHeap(ev wire.Event) int { return heapOf(eventBytes(ev), 1) }

// heapOf is what n events of b bytes in all hold on the heap (eventHeap).
func heapOf(b, n int) int { return n*eventHeapBase + b*eventHeapPerByte }

// eventsSize is what events hold, by both measures.
type eventsSize struct{ bytes, heap int }

// sizeOf is the eventsSize of events.
func sizeOf(events []wire.Event) eventsSize {
	b := 0
	for _, ev := range events {
		b += eventBytes(ev)
	}
	return eventsSize{b, heapOf(b, len(events))}
}

// plus is s and t together.
func (s eventsSize) plus(t eventsSize) eventsSize {
	return eventsSize{s.bytes + t.bytes, s.heap + t.heap}
}

// fits says whether events of size s may be in one commit.
func (s eventsSize) fits() bool { return s.bytes <= commitBytes && s.heap <= commitHeap }

// nextLimit is the page size to ask for after a page with events:
// about pageBytes and pageHeap of events of their average size, within
// 1..most.
func nextLimit(events []wire.Event, most int) int {
	if len(events) == 0 {
		return most
	}
	s := sizeOf(events)
	byBytes := pageBytes / max(1, s.bytes/len(events))
	byHeap := pageHeap / max(1, s.heap/len(events))
	return min(most, max(1, min(byBytes, byHeap)))
}

// commitRun is the part of a page applied in one commit: its events,
// their journal entries and the head after them.
type commitRun struct {
	events  []wire.Event
	journal []cases.JournalEntry
	head    cases.SyncHead
}

// commitRuns splits a chained page (its journal from chainPage, its head
// after it next) into runs of at most commitBytes and commitHeap of
// events each, one event at least; the last run ends at next, every
// other at its last event's seq and link.
func commitRuns(events []wire.Event, journal []cases.JournalEntry, next cases.SyncHead) []commitRun {
	var runs []commitRun
	from, size := 0, eventsSize{}
	for i := range events {
		b := sizeOf(events[i : i+1])
		if i > from && !size.plus(b).fits() {
			last := journal[i-1]
			runs = append(runs, commitRun{events[from:i], journal[from:i],
				cases.SyncHead{Seq: last.Seq, Link: last.Link, Incarnation: next.Incarnation}})
			from, size = i, eventsSize{}
		}
		size = size.plus(b)
	}
	return append(runs, commitRun{events[from:], journal[from:], next})
}
