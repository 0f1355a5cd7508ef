package uplink

import (
	"encoding/json"
	"fmt"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire"
)

// Continuity (protocol v2, see sync/wire): every page the uplink pulls says
// where it stands in the central store's event chain. The uplink keeps
// the link at its cursor (cases.SyncHead) in the transaction that applies
// the page, and checks every page against it before anything of it is
// applied: the page's base must be that link. Every stream connect starts
// such a pull, so a central store that went back in time is found at the
// next connect or pull whether or not new events came meanwhile.

// Continuity is the state of the central store's event chain as the
// gateway sees it.
type Continuity string

// The continuity states.
const (
	ContinuityOK Continuity = ""
	// ContinuityBehind: the central store has no event at the gateway's
	// cursor: it went back to an older state (restored from a copy).
	ContinuityBehind Continuity = "behind"
	// ContinuityDiverged: the central store's event at the gateway's
	// cursor is another than the one the gateway applied (restored and
	// new events came since, rebuilt, or another store).
	ContinuityDiverged Continuity = "diverged"
)

// breakError is a page that does not continue the chain where the
// gateway stands.
type breakError struct {
	state       Continuity
	cursor      uint64 // the gateway's
	head        uint64 // the central store's
	incarnation string // the central store's
	otherStore  bool   // its incarnation is not the one the gateway knew
}

func (e *breakError) Error() string {
	what := "went back: it has no event at this gateway's cursor"
	if e.state == ContinuityDiverged {
		what = "diverged: its event at this gateway's cursor is another"
	}
	return fmt.Sprintf("the central store %s (cursor %d, its head %d)", what, e.cursor, e.head)
}

// checkChain checks that page, asked from cursor, continues the chain
// where the gateway stands (head, known: recorded). A gateway that never
// recorded a head (it synced before the chain existed, or is new) takes
// the page's base as it is at a cursor above 0, and at 0 requires the
// genesis link of the central store's incarnation.
func checkChain(head cases.SyncHead, known bool, cursor uint64, page wire.ChainedPage) error {
	c := page.Chain
	brk := &breakError{cursor: cursor, head: c.Head, incarnation: c.Incarnation,
		otherStore: known && head.Incarnation != c.Incarnation}
	if page.Behind() {
		brk.state = ContinuityBehind
		return brk
	}
	base, err := wire.ParseLink(c.Base)
	if err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	switch {
	case known && head.Seq == cursor && base != wire.Link(head.Link):
		brk.state = ContinuityDiverged
		return brk
	case (!known || head.Seq != cursor) && cursor == 0 && base != wire.Genesis(c.Incarnation):
		brk.state = ContinuityDiverged
		return brk
	}
	return nil
}

// chainPage computes the links of a page's events from its base and
// returns the head after it and the journal entries of its events (page
// is one its decoder validated); an
// error if the links do not end at the page's end (the central store
// computes its chain otherwise: nothing of the page is applied).
func chainPage(page wire.ChainedPage, raw [][]byte) (cases.SyncHead, []cases.JournalEntry, error) {
	link, err := wire.ParseLink(page.Chain.Base)
	if err != nil {
		return cases.SyncHead{}, nil, fmt.Errorf("inbox: %w", err)
	}
	journal := make([]cases.JournalEntry, len(page.Events))
	for i, ev := range page.Events {
		link = wire.NextLink(link, ev)
		var b []byte
		if raw != nil { // as the central store sent it
			b = raw[i]
		} else if b, err = json.Marshal(ev); err != nil {
			return cases.SyncHead{}, nil, fmt.Errorf("inbox: event %s: %w", ev.ID, err)
		}
		// Checked: the page came through its decoder, which validates
		// every event (wire.DecodeChainedPage, DecodeChainedPageEvents).
		journal[i] = cases.JournalEntry{Seq: ev.Seq, Link: link, Event: b, Wire: &page.Events[i], Checked: true}
	}
	if end, err := wire.ParseLink(page.Chain.End); err != nil || end != link {
		return cases.SyncHead{}, nil, fmt.Errorf("inbox: the page's events do not chain from its base to its end: the central store computes the event chain otherwise")
	}
	return cases.SyncHead{Seq: page.Cursor, Link: link, Incarnation: page.Chain.Incarnation}, journal, nil
}

// linked checks that next continues prev, two pages of one pull.
func linked(prev, next wire.ChainedPage) error {
	if next.Chain.Base != prev.Chain.End || next.Chain.Incarnation != prev.Chain.Incarnation {
		return fmt.Errorf("inbox: a page does not continue the one before it: the central store changed during the pull")
	}
	return nil
}

// broken records that the chain broke, logging it once, and pauses the
// push until a reconciliation completes.
func (u *Uplink) broken(b *breakError) {
	u.pausePush.Store(true)
	u.mu.Lock()
	first := u.st.Continuity == ContinuityOK
	if first {
		u.st.Continuity, u.st.ContinuitySince = b.state, u.cfg.Clock.Now()
	}
	u.mu.Unlock()
	if first {
		u.log.Error("the central store went back in time; nothing is applied or sent until this gateway has reconciled with it",
			"continuity", string(b.state), "cursor", b.cursor, "centralHead", b.head, "otherStore", b.otherStore)
		u.fault(FaultDiverged)
	}
}
