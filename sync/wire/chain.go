package wire

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"reflect"
	"strconv"
	"sync"
	"time"
)

// Protocol v2: continuity. Every endpoint of v1 is also served under
// "/v2" with the same bodies, except the inbox page, which carries the
// event chain (ChainedPage), and one new endpoint, PathReconcile. A
// central store serves v1 and v2 side by side until every gateway has
// moved; a gateway of this release speaks v2.
//
// The event chain makes the central store's stream of a unit's events
// verifiable from the gateway's side. The central store has an
// incarnation: a random id made when its file is created (a restored
// file brings back the incarnation it had when it was copied). Each
// event's link is a SHA-256 over the previous event's link and the event
// (NextLink); before the first event stands the incarnation's genesis
// link (Genesis). A gateway keeps the link of the last event it applied;
// every page answers with the link at the cursor the gateway asked from
// (Chain.Base) and at the page's cursor (Chain.End), so a central store
// that went back — restored from a copy, rebuilt, or another store
// altogether — shows at the first page after it: the link at the
// gateway's cursor is missing (the store is behind) or different (it
// diverged), whether or not new events came meanwhile. A forged link
// would need a SHA-256 collision; nothing is left to chance.
//
// After a break the gateway reconciles: it finds the last event both
// hold (the greatest cursor whose link the central store answers with the
// link the gateway kept), gives back the events after it that the central
// store lost (POST PathReconcile: each is re-inserted, idempotently, and
// appended to the unit's stream again, so the patient sees the case
// again), sends again every outbox item it kept after confirmation (the
// central store answers duplicate for those it has), and pulls from the
// common event on, so that the central store's new events, whose
// sequence numbers the lost ones had, arrive.

// Version2 is the protocol version with the event chain.
const Version2 = "v2"

// The paths of protocol v2. PathInbox2 answers a ChainedPage; the others
// take and answer the same bodies as their v1 paths.
const (
	PathPrefix2    = "/" + Version2 + "/"
	PathInbox2     = "/" + Version2 + "/inbox"
	PathInboxAck2  = "/" + Version2 + "/inbox/ack"
	PathOutbox2    = "/" + Version2 + "/outbox"
	PathForms2     = "/" + Version2 + "/forms"
	PathStream2    = "/" + Version2 + "/stream"
	PathReconcile2 = "/" + Version2 + "/reconcile" // POST ReconcileBatch → ReconcileResult
)

// Versions lists the versions a central store of this release serves.
var Versions = []string{Version, Version2}

// paths2 lists the v2 endpoint paths.
var paths2 = []string{PathInbox2, PathInboxAck2, PathOutbox2, PathForms2, PathStream2, PathReconcile2, PathConfirmed2, PathQuarantine2, PathSealingKey2, PathSealing2, PathContact2, PathServices2,
	PathBookingTimes2, PathBookingRequests2, PathBookingDecisions2, PathBookingBookings2, PathCentralSealingKey2, PathOutboxSealed2,
	PathBookingBookingsSealed2, PathSealingEpochs2}

// IncarnationLen is the length of an incarnation id: 32 lower-case hex
// digits (128 random bits).
const IncarnationLen = 32

// Link is one link of a unit's event chain.
type Link [sha256.Size]byte

// String returns the link as 64 lower-case hex digits, as the wire has it.
func (l Link) String() string { return hex.EncodeToString(l[:]) }

// ParseLink reads a link written by String.
func ParseLink(s string) (Link, error) {
	var l Link
	if !isLowerHex(s, 2*len(l)) {
		return l, errors.New("a link is 64 lower-case hex digits")
	}
	hex.Decode(l[:], []byte(s))
	return l, nil
}

// chainHasher gathers length-prefixed strings, then hashes them with
// SHA-256 in one call: no hash state, string copy or number formatting on
// the heap. Its buffer comes from chainBufs and goes back at sum.
type chainHasher struct{ b *[]byte }

// chainBufs holds chainHashers' buffers: a link per event of every
// page, on the goroutine that applies them, without allocating.
var chainBufs = sync.Pool{New: func() any { return new([]byte) }}

func newChainHasher() chainHasher {
	b := chainBufs.Get().(*[]byte)
	*b = (*b)[:0]
	return chainHasher{b}
}

func (c chainHasher) put(s string) {
	*c.b = binary.BigEndian.AppendUint64(*c.b, uint64(len(s)))
	*c.b = append(*c.b, s...)
}

// putBytes puts b as put puts string(b).
func (c chainHasher) putBytes(b []byte) {
	*c.b = binary.BigEndian.AppendUint64(*c.b, uint64(len(b)))
	*c.b = append(*c.b, b...)
}

// putUint puts n in decimal, as put(strconv.FormatUint(n, 10)).
func (c chainHasher) putUint(n uint64) {
	var d [20]byte
	c.putBytes(strconv.AppendUint(d[:0], n, 10))
}

// sum returns the hash of what was put; c is not to be used after.
func (c chainHasher) sum() Link {
	l := Link(sha256.Sum256(*c.b))
	if cap(*c.b) <= maxPooledChainBuf { // a huge event's buffer is not kept
		chainBufs.Put(c.b)
	}
	return l
}

// maxPooledChainBuf bounds a pooled chainHasher buffer: a few ordinary
// events' worth.
const maxPooledChainBuf = 64 << 10

// Genesis returns the link before a unit's first event in a central store
// of the given incarnation.
func Genesis(incarnation string) Link {
	c := newChainHasher()
	c.put("clinicgw/sync/wire event chain v2 genesis")
	c.put(incarnation)
	return c.sum()
}

// NextLink returns the link of event e after the link prev: a SHA-256 over
// prev and every member of e, each length-prefixed, the time as an instant
// in UTC (RFC 3339 with nanoseconds, trailing zeros cut), so that any
// implementation computes it from the event's content, whatever its JSON
// looks like.
func NextLink(prev Link, e Event) Link {
	c := newChainHasher()
	c.put("clinicgw/sync/wire event chain v2")
	*c.b = append(*c.b, prev[:]...)
	c.putUint(e.Seq)
	c.put(e.ID)
	c.put(string(e.Kind))
	c.put(e.CaseID)
	var at [64]byte
	c.putBytes(e.At.UTC().AppendFormat(at[:0], time.RFC3339Nano))
	if nc := e.Case; nc != nil {
		c.put("case")
		c.put(nc.Type)
		c.put(nc.Patient.PNR)
		c.put(nc.Patient.Name)
		if g := nc.Guardian; g != nil {
			c.put("guardian")
			c.put(g.PNR)
			c.put(g.Name)
		} else {
			c.put("no guardian")
		}
		c.putUint(uint64(len(nc.Fields)))
		for _, f := range nc.Fields {
			c.put(f.Name)
			c.put(f.Label)
			c.put(f.Value)
		}
		c.put(nc.Text)
		if nc.FormVersion != 0 {
			// Only when set, so that the links of events without it
			// stay as they were.
			c.put("formVersion")
			var d [20]byte
			c.putBytes(strconv.AppendInt(d[:0], int64(nc.FormVersion), 10))
		}
	} else {
		c.put("no case")
	}
	if m := e.Message; m != nil {
		c.put("message")
		c.put(m.ID)
		c.put(m.Text)
	} else {
		c.put("no message")
	}
	if e.Sealed != "" { // after the rest, so that a plain event's link is as before
		c.put("sealed")
		c.put(e.Sealed)
	}
	if r := e.Route; r != nil { // only when set, so that earlier sealed events' links stay
		c.put("route")
		c.put(r.Type)
		c.put(r.Patient)
		c.put(r.Guardian)
		c.put(r.MessageID)
	}
	return c.sum()
}

// ChainOf returns the link after events, starting from base.
func ChainOf(base Link, events []Event) Link {
	for _, e := range events {
		base = NextLink(base, e)
	}
	return base
}

// Chain is where a ChainedPage stands in the unit's event chain.
type Chain struct {
	// Incarnation is the central store's incarnation: 32 lower-case hex
	// digits.
	Incarnation string `json:"incarnation"`
	// Head is the seq of the unit's last event at the central store when
	// the page was made (0: none).
	Head uint64 `json:"head"`
	// Base is the link at the request's after: of the event with that seq,
	// or the genesis link for 0. It is absent exactly when the central
	// store has no such event (Head is less than after): it is behind the
	// gateway.
	Base string `json:"base,omitempty"`
	// End is the link at the page's cursor (Base on a page without
	// events); absent exactly when Base is.
	End string `json:"end,omitempty"`
}

// ChainedPage is the answer to GET PathInbox2: an InboxPage with the
// chain.
type ChainedPage struct {
	Events []Event `json:"events"` // as InboxPage.Events
	Cursor uint64  `json:"cursor"` // as InboxPage.Cursor
	More   bool    `json:"more"`   // as InboxPage.More
	Chain  Chain   `json:"chain"`  // where the page stands in the unit's event chain
}

// MarshalJSON writes a nil Events list as [].
func (p ChainedPage) MarshalJSON() ([]byte, error) {
	type plain ChainedPage
	q := plain(p)
	if q.Events == nil {
		q.Events = []Event{}
	}
	return marshalPlain(q)
}

// Page returns the page without its chain.
func (p ChainedPage) Page() InboxPage {
	return InboxPage{Events: p.Events, Cursor: p.Cursor, More: p.More}
}

// Behind reports whether the central store has no event at the cursor the
// page was asked from (Chain.Base is absent).
func (p ChainedPage) Behind() bool { return p.Chain.Base == "" }

// Validate checks a chained page on its own: the InboxPage rules, an
// incarnation of 32 lower-case hex digits, Base and End both links or both
// absent, no events when they are absent, a cursor no later than Head when
// they are present. Follows checks it against the request, Verify its
// links.
func (p ChainedPage) Validate() error { return invalid(p.check()) }

func (p ChainedPage) check() error { return p.checkTexts(false) }

// checkTexts is check; ruled as for Event.checkTexts.
func (p ChainedPage) checkTexts(ruled bool) error {
	if err := p.Page().checkTexts(ruled); err != nil {
		return err
	}
	c := p.Chain
	if !isLowerHex(c.Incarnation, IncarnationLen) {
		return failf("chain.incarnation", "must be %d lower-case hex digits", IncarnationLen)
	}
	if err := checkSeq("chain.head", c.Head, 0); err != nil {
		return err
	}
	if (c.Base == "") != (c.End == "") {
		return fail("chain.end", "must be present exactly when chain.base is")
	}
	if c.Base == "" {
		if len(p.Events) > 0 {
			return fail("events", "must be empty when chain.base is absent")
		}
		if c.Head >= p.Cursor {
			return fail("chain.head", "must be less than the cursor when chain.base is absent")
		}
		return nil
	}
	if _, err := ParseLink(c.Base); err != nil {
		return fail("chain.base", "must be 64 lower-case hex digits")
	}
	if _, err := ParseLink(c.End); err != nil {
		return fail("chain.end", "must be 64 lower-case hex digits")
	}
	if c.Head < p.Cursor {
		return fail("chain.head", "must not be less than the cursor")
	}
	return nil
}

// Verify checks that End is the chain of the page's events from Base
// (ChainOf), so that both ends computed the same links; a page without
// Base has nothing to verify. The gateway calls it on every page, after
// DecodeChainedPage.
func (p ChainedPage) Verify() error {
	if p.Behind() {
		return nil
	}
	base, err1 := ParseLink(p.Chain.Base)
	end, err2 := ParseLink(p.Chain.End)
	if err1 != nil || err2 != nil || ChainOf(base, p.Events) != end {
		return invalid(fail("chain.end", "is not the link of the page's events from chain.base"))
	}
	return nil
}

// Follows checks that p answers the request q, as InboxPage.Follows.
func (p ChainedPage) Follows(q InboxQuery) error { return p.Page().Follows(q) }

// ReconcileBatch is the body of POST PathReconcile2: events the gateway
// applied and the central store lost, as the central store once sent them
// (their seqs are the gateway's, in increasing order; the central store
// gives each a new one). 1..MaxInboxLimit events with distinct ids. The
// central store applies them in order, each idempotently: a case.created
// whose case it holds with the same submission, a follow-up whose message
// it holds with the same text, a withdrawal of a withdrawn case are
// duplicates; a case or message id it holds with other content is a
// conflict (rejected, 409); a follow-up or withdrawal of a case it does
// not hold is rejected (404). What it applies it appends to the unit's
// stream again, with a new seq and the same id.
type ReconcileBatch struct {
	Events []Event `json:"events"` // 1..MaxInboxLimit, increasing seqs, distinct ids
}

// EventResult is the outcome of one event of a ReconcileBatch.
type EventResult struct {
	ID      string     `json:"id"`                // the event's id
	Status  ItemStatus `json:"status"`            // accepted, duplicate or rejected
	Problem *Problem   `json:"problem,omitempty"` // set exactly when rejected
}

// ReconcileResult is the answer to POST PathReconcile2: one result per
// event, in the batch's order (see Matches).
type ReconcileResult struct {
	Results []EventResult `json:"results"` // one per event, in order
}

// Validate checks a reconcile batch.
func (b ReconcileBatch) Validate() error { return invalid(b.check()) }

func (b ReconcileBatch) check() error {
	if len(b.Events) == 0 || len(b.Events) > MaxInboxLimit {
		return failf("events", "must hold 1 to %d events", MaxInboxLimit)
	}
	ids := make(map[string]bool, len(b.Events))
	for i, e := range b.Events {
		path := index("events", i)
		if err := e.check(path); err != nil {
			return err
		}
		if i > 0 && e.Seq <= b.Events[i-1].Seq {
			return fail(member(path, "seq"), "is not greater than the previous event's")
		}
		if ids[e.ID] {
			return fail(member(path, "id"), "repeats an earlier event's id")
		}
		ids[e.ID] = true
	}
	return nil
}

// Validate checks one event's result.
func (r EventResult) Validate() error { return invalid(r.check("")) }

func (r EventResult) check(path string) error {
	if err := checkToken(member(path, "id"), r.ID); err != nil {
		return err
	}
	return checkOutcome(path, r.Status, r.Problem)
}

// Validate checks a reconcile result on its own.
func (r ReconcileResult) Validate() error { return invalid(r.check()) }

func (r ReconcileResult) check() error {
	if len(r.Results) == 0 || len(r.Results) > MaxInboxLimit {
		return failf("results", "must hold 1 to %d results", MaxInboxLimit)
	}
	ids := make(map[string]bool, len(r.Results))
	for i, x := range r.Results {
		path := index("results", i)
		if err := x.check(path); err != nil {
			return err
		}
		if ids[x.ID] {
			return fail(member(path, "id"), "repeats an earlier result's id")
		}
		ids[x.ID] = true
	}
	return nil
}

// Matches checks that r answers b: one result per event, in order, with
// the same ids.
func (r ReconcileResult) Matches(b ReconcileBatch) error {
	if len(r.Results) != len(b.Events) {
		return invalid(failf("results", "has %d results for %d events", len(r.Results), len(b.Events)))
	}
	for i := range r.Results {
		if r.Results[i].ID != b.Events[i].ID {
			return invalid(fail(index("results", i)+".id", "is not the id of the event in the same place"))
		}
	}
	return nil
}

// DecodeChainedPage reads a ChainedPage (the gateway, from GET
// PathInbox2) within MaxBodyBytes and validates it. Call Follows too.
func DecodeChainedPage(r io.Reader) (ChainedPage, error) { return decodeBody[ChainedPage](r) }

// DecodeChainedPageEvents is DecodeChainedPage that also returns each
// event as the body carried it (raw[i] is Events[i]'s JSON, a part of one
// buffer), for a journal that keeps the events as the central store sent
// them without encoding them again.
func DecodeChainedPageEvents(r io.Reader) (page ChainedPage, raw [][]byte, err error) {
	b, err := readBody(r, limitOf(page))
	if err != nil {
		return ChainedPage{}, nil, err
	}
	return decodeChainedPageEvents(b)
}

// DecodeChainedPageEventsInto is DecodeChainedPageEvents reading the body
// into buf's storage when it fits there, else into a new buffer with an
// eighth more room (so that the next page of about its size fits). body
// is the buffer read into (nil on an error), which raw refers to and
// nothing else does: the page's strings are copies. A caller may so
// give body to the next call once it no longer uses raw.
func DecodeChainedPageEventsInto(r io.Reader, buf []byte) (page ChainedPage, raw [][]byte, body []byte, err error) {
	b, err := readBodyInto(r, limitOf(page), buf, true)
	if err != nil {
		return ChainedPage{}, nil, nil, err
	}
	page, raw, err = decodeChainedPageEvents(b)
	if err != nil {
		return ChainedPage{}, nil, b, err
	}
	return page, raw, b, nil
}

// decodeChainedPageEvents decodes and validates the body b of a chained
// page, returning each event's bytes in b.
func decodeChainedPageEvents(b []byte) (page ChainedPage, raw [][]byte, err error) {
	// The ordinary page in one pass (fastpage.go), which checks the UTF-8
	// and escapes of its strings as checkEncoding does; anything else, and
	// why it is refused, the strict decoder's.
	// The fast decoder held the multi-line texts to the text rule as it
	// unquoted them (it gives up on one that breaks it): the validation
	// does not read them again.
	page, spans, fast := decodeChainedPageFast(b)
	if !fast {
		page, spans = ChainedPage{}, nil
		if err := decodeBytes(b, reflect.ValueOf(&page), &spans); err != nil {
			return ChainedPage{}, nil, err
		}
	}
	if err := invalid(page.checkTexts(fast)); err != nil {
		return ChainedPage{}, nil, err
	}
	if len(spans) != len(page.Events) { // cannot happen: the walk saw every event
		return ChainedPage{}, nil, errors.New("wire: the events' bytes were not found")
	}
	raw = make([][]byte, len(spans))
	for i, sp := range spans {
		raw[i] = b[sp[0]:sp[1]:sp[1]]
	}
	return page, raw, nil
}

// DecodeReconcileBatch reads a ReconcileBatch (the server, from POST
// PathReconcile2) within MaxBodyBytes and validates it.
func DecodeReconcileBatch(r io.Reader) (ReconcileBatch, error) {
	return decodeBody[ReconcileBatch](r)
}

// DecodeReconcileResult reads a ReconcileResult (the gateway) within
// MaxBodyBytes and validates it. Call Matches too.
func DecodeReconcileResult(r io.Reader) (ReconcileResult, error) {
	return decodeBody[ReconcileResult](r)
}

// isLowerHex reports whether s is n lower-case hex digits.
func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
