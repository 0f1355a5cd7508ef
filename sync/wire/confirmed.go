package wire

import (
	"fmt"
	"io"
	"net/url"
	"strconv"
	"time"
)

// After a gateway's own store is restored from a backup, the gateway gets
// back what it sent after the backup and the central store confirmed:
// GET PathConfirmed2 pages through the unit's confirmed outbox items, as
// the gateway sent them, in the order the central store accepted them.
// The gateway applies those it lacks by idempotency key and message id.
// A central store keeps a unit's confirmed items for a retention window of
// its own (the reference store: central.Options.Retention); a page says
// whether it still holds every item confirmed since the query's since
// (ConfirmedPage.Complete).

// PathConfirmed2 is the unit's confirmed outbox items:
// GET ?since=TIME&after=SEQ&limit=N → ConfirmedPage.
const PathConfirmed2 = "/" + Version2 + "/outbox/confirmed"

// QuerySince is the confirmed-items query parameter: items the central
// store confirmed at or after this time (RFC 3339, UTC, "Z").
const QuerySince = "since"

// ConfirmedQuery is the query of GET PathConfirmed2.
type ConfirmedQuery struct {
	// Since: items confirmed at or after this time are wanted (required).
	Since time.Time
	// After is the position (ConfirmedItem.Seq) of the last item the
	// gateway has; 0 for the first page.
	After uint64
	// Limit is the most items wanted, 1..MaxOutboxItems; 0 in a value
	// passed to Encode means MaxOutboxItems.
	Limit int
}

// ParseConfirmedQuery parses and checks the query of a confirmed-items
// request: since is required (RFC 3339), after and limit are optional
// (0 and MaxOutboxItems), each at most once; any other parameter is
// refused. Errors are *Problem (400).
func ParseConfirmedQuery(q url.Values) (ConfirmedQuery, error) {
	cq := ConfirmedQuery{Limit: MaxOutboxItems}
	seen := false
	for k, vs := range q {
		switch k {
		case QuerySince, QueryAfter, QueryLimit:
		default:
			return ConfirmedQuery{}, BadRequest("The confirmed-items query has an unknown parameter; only since, after and limit are allowed.")
		}
		if len(vs) != 1 {
			return ConfirmedQuery{}, BadRequest(fmt.Sprintf("The confirmed-items query parameter %s must appear once.", k))
		}
		v := vs[0]
		if k == QuerySince {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil || t.UTC().Format(time.RFC3339Nano) != v {
				return ConfirmedQuery{}, BadRequest("The confirmed-items query parameter since must be a time in RFC 3339, in UTC (Z).")
			}
			cq.Since, seen = t, true
			continue
		}
		if !allDigits(v) || len(v) > 20 {
			return ConfirmedQuery{}, BadRequest(fmt.Sprintf("The confirmed-items query parameter %s must be a whole number written in digits.", k))
		}
		n, err := strconv.ParseUint(v, 10, 64)
		switch {
		case k == QueryAfter && (err != nil || n > MaxSeq):
			return ConfirmedQuery{}, BadRequest(fmt.Sprintf("The confirmed-items query parameter after must be between 0 and %d.", uint64(MaxSeq)))
		case k == QueryAfter:
			cq.After = n
		case err != nil || n < 1 || n > MaxOutboxItems:
			return ConfirmedQuery{}, BadRequest(fmt.Sprintf("The confirmed-items query parameter limit must be between 1 and %d.", MaxOutboxItems))
		default:
			cq.Limit = int(n)
		}
	}
	if !seen {
		return ConfirmedQuery{}, BadRequest("The confirmed-items query needs since: the time from which confirmed items are wanted.")
	}
	return cq, nil
}

// Encode returns the query string for q, without the "?".
func (q ConfirmedQuery) Encode() string {
	limit := q.Limit
	if limit == 0 {
		limit = MaxOutboxItems
	}
	return QuerySince + "=" + url.QueryEscape(q.Since.UTC().Format(time.RFC3339Nano)) + "&" + QueryAfter + "=" +
		strconv.FormatUint(q.After, 10) + "&" + QueryLimit + "=" + strconv.Itoa(limit)
}

// ConfirmedItem is an outbox item the central store accepted, as the
// gateway sent it, with its position in the unit's confirmed items and
// when the central store accepted it (its clock), and whom on the unit's
// staff the gateway named with it (ItemStaff, from PathOutbox2; none for
// an item sent to PathOutbox).
type ConfirmedItem struct {
	Seq         uint64    `json:"seq"`         // 1..MaxSeq, increasing in a page
	ConfirmedAt time.Time `json:"confirmedAt"` // the central store's time
	// Item is the item as the gateway sent it; absent when Sealed holds
	// it (confirmedsealed.go).
	Item OutboxItem `json:"item,omitzero"`
	// Sealed is Item sealed to the unit's key, for a unit that switched
	// sealing on; absent otherwise.
	Sealed *SealedOutboxItem `json:"sealed,omitempty"`
	// AuthorHSAID is the item's ItemStaff.AuthorHSAID: a staff
	// identifier the central store gives back only to the unit.
	AuthorHSAID string `json:"authorHsaId,omitempty"`
	// AssigneeHSAID is the item's ItemStaff.AssigneeHSAID.
	AssigneeHSAID string `json:"assigneeHsaId,omitempty"`
}

// ConfirmedPage is the answer to GET PathConfirmed2: up to the query's
// limit of the unit's confirmed items after its position, confirmed at or
// after its since, in increasing Seq. Fewer than the limit: there are no
// more. Complete is false when the central store no longer holds every
// item confirmed since the query's since (its retention dropped some):
// the gateway then cannot get everything back and says so.
type ConfirmedPage struct {
	// Items are the confirmed items, 0..MaxOutboxItems, increasing Seq.
	Items []ConfirmedItem `json:"items"`
	// Complete: the central store holds every item confirmed since the
	// query's since.
	Complete bool `json:"complete"`
}

// Validate checks a confirmed page.
func (p ConfirmedPage) Validate() error { return invalid(p.check()) }

func (p ConfirmedPage) check() error {
	if p.Items == nil {
		return fail("items", "must be present (an empty array when there are none)")
	}
	if len(p.Items) > MaxOutboxItems {
		return failf("items", "must hold at most %d items", MaxOutboxItems)
	}
	keys := make(map[string]bool, len(p.Items))
	for i, c := range p.Items {
		path := index("items", i)
		if c.Seq == 0 || c.Seq > MaxSeq {
			return failf(member(path, "seq"), "must be between 1 and %d", uint64(MaxSeq))
		}
		if i > 0 && c.Seq <= p.Items[i-1].Seq {
			return fail(member(path, "seq"), "is not greater than the previous item's")
		}
		if c.ConfirmedAt.IsZero() {
			return fail(member(path, "confirmedAt"), "must be set")
		}
		key, kind, err := c.checkItem(path) // confirmedsealed.go
		if err != nil {
			return err
		}
		if err := checkHSAID(member(path, "authorHsaId"), c.AuthorHSAID, false); err != nil {
			return err
		}
		if err := checkHSAID(member(path, "assigneeHsaId"), c.AssigneeHSAID, kind == OutboxAssignment); err != nil {
			return err
		}
		if keys[key] {
			return fail(member(member(path, "item"), "idempotencyKey"), "repeats an earlier item's key")
		}
		keys[key] = true
	}
	return nil
}

// Follows checks that p answers q: its items are after q's position,
// confirmed at or after q's since, and at most q's limit.
func (p ConfirmedPage) Follows(q ConfirmedQuery) error {
	if q.Limit > 0 && len(p.Items) > q.Limit {
		return invalid(failf("items", "has %d items, more than the %d asked for", len(p.Items), q.Limit))
	}
	for i, c := range p.Items {
		if c.Seq <= q.After {
			return invalid(fail(member(index("items", i), "seq"), "is not after the query's position"))
		}
		if c.ConfirmedAt.Before(q.Since) {
			return invalid(fail(member(index("items", i), "confirmedAt"), "is before the query's since"))
		}
	}
	return nil
}

// DecodeConfirmedPage reads a ConfirmedPage (the gateway, from GET
// PathConfirmed2) within MaxBodyBytes and validates it. Call Follows too.
func DecodeConfirmedPage(r io.Reader) (ConfirmedPage, error) {
	return decodeBody[ConfirmedPage](r)
}
