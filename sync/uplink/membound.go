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
//   - The page size asked for follows the size of the events: a pull's
//     first page asks for firstLimit events, and after each page Limit is
//     what makes about pageBytes of events of the page's average size
//     (nextLimit), between 1 and Config.PageSize. (The central store cuts
//     a page at wire.MaxBodyBytes whatever the Limit.)
//   - Pages fetched ahead (on a backlog, waited for: nextPages) are
//     merged into one commit only while their events add up to at most
//     commitBytes (and mergeEvents).
//   - A page whose events are more than commitBytes is applied in several
//     commits of at most commitBytes each (one event at least), each with
//     the head and cursor of its own last event (commitRuns): the cursor
//     and the chain head move only with what is committed, and a crash
//     between two commits resumes after the last one, the page's base
//     being then that event's link.
const (
	pageBytes   = 512 << 10
	commitBytes = 2 << 20
	firstLimit  = 16
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

// eventsBytes is the sum of eventBytes over events.
func eventsBytes(events []wire.Event) int {
	n := 0
	for _, ev := range events {
		n += eventBytes(ev)
	}
	return n
}

// nextLimit is the page size to ask for after a page with events:
// about pageBytes of events of their average size, within 1..most.
func nextLimit(events []wire.Event, most int) int {
	if len(events) == 0 {
		return most
	}
	avg := max(1, eventsBytes(events)/len(events))
	return min(most, max(1, pageBytes/avg))
}

// commitRun is the part of a page applied in one commit: its events,
// their journal entries and the head after them.
type commitRun struct {
	events  []wire.Event
	journal []cases.JournalEntry
	head    cases.SyncHead
}

// commitRuns splits a chained page (its journal from chainPage, its head
// after it next) into runs of at most commitBytes of events each, one
// event at least; the last run ends at next, every other at its last
// event's seq and link.
func commitRuns(events []wire.Event, journal []cases.JournalEntry, next cases.SyncHead) []commitRun {
	var runs []commitRun
	from, size := 0, 0
	for i, ev := range events {
		b := eventBytes(ev)
		if i > from && size+b > commitBytes {
			last := journal[i-1]
			runs = append(runs, commitRun{events[from:i], journal[from:i],
				cases.SyncHead{Seq: last.Seq, Link: last.Link, Incarnation: next.Incarnation}})
			from, size = i, 0
		}
		size += b
	}
	return append(runs, commitRun{events[from:], journal[from:], next})
}
