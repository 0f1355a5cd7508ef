package wire

import (
	"crypto/sha256"
	"io"

	"clinicgw/sync/wire/hsaid"
)

// Version 2's outbox (PathOutbox2) takes an OutboxBatch2: version 1's
// items, unchanged, and beside them whom on the unit's staff each item
// names (ItemStaff): the author of its message and the case's assignee,
// by HSA-ID. The central store keeps them with the item among the unit's
// confirmed items (ConfirmedItem) and gives them back only to the unit,
// so that a gateway restored from its own backup puts back who wrote each
// answer and who has each case. They are staff identifiers, never shown
// on the patient's pages: a StaffMessage names its author by title only.
// Version 1's outbox (PathOutbox) keeps its OutboxBatch.
//
// A reassignment (the case goes to another member of staff, its status
// unchanged) is an item of kind OutboxAssignment, which only version 2
// takes: it carries no message, status or case, and its staff entry must
// name the assignee. The central store keeps it like any item (its key,
// its confirmed item with the assignee) but changes nothing of the case,
// so the patient's pages show nothing of it; a restored gateway gets the
// assignment back from the confirmed items. Its digest covers the
// assignee too (AssignmentDigest), so a key reused for another assignee
// is a conflict. A change of status and assignee together (assign, take
// back, hand back) stays a status item with its staff entry. The kind is
// part of version 2 from its first release: no central store of version
// 2 refuses it.

// MaxHSAIDLen is the most characters in an HSA-ID (the rule is
// sync/wire/hsaid's).
const MaxHSAIDLen = hsaid.MaxLen

// ItemStaff names, for the item with IdempotencyKey, the member of staff
// who wrote its message and the case's assignee after it: each an
// HSA-ID, each optional, at least one set.
type ItemStaff struct {
	IdempotencyKey string `json:"idempotencyKey"`          // the item's key
	AuthorHSAID    string `json:"authorHsaId,omitempty"`   // who wrote the item's message
	AssigneeHSAID  string `json:"assigneeHsaId,omitempty"` // who has the case after the item
}

// OutboxBatch2 is the body of POST PathOutbox2: an OutboxBatch's items and,
// for some of them, whom on the unit's staff they name.
type OutboxBatch2 struct {
	Items []OutboxItem `json:"items"` // as OutboxBatch.Items
	// Staff has at most one entry per item, each naming an item of the
	// batch by its key.
	Staff []ItemStaff `json:"staff,omitzero"`
}

// Batch is the batch's items as an OutboxBatch (for OutboxResult.Matches).
func (b OutboxBatch2) Batch() OutboxBatch { return OutboxBatch{Items: b.Items} }

// StaffOf returns the staff entries by the key of their item.
func (b OutboxBatch2) StaffOf() map[string]ItemStaff {
	m := make(map[string]ItemStaff, len(b.Staff))
	for _, s := range b.Staff {
		m[s.IdempotencyKey] = s
	}
	return m
}

// Validate checks a version 2 batch: a valid OutboxBatch, and staff
// entries each naming a distinct item of it, with valid HSA-IDs.
func (b OutboxBatch2) Validate() error { return invalid(b.check()) }

func (b OutboxBatch2) check() error {
	if err := b.Batch().checkIn(true); err != nil {
		return err
	}
	if len(b.Staff) > len(b.Items) {
		return fail("staff", "must hold at most one entry per item")
	}
	keys := make(map[string]bool, len(b.Items))
	for _, it := range b.Items {
		keys[it.IdempotencyKey] = false
	}
	for i, s := range b.Staff {
		path := index("staff", i)
		if err := s.check(path); err != nil {
			return err
		}
		seen, ok := keys[s.IdempotencyKey]
		switch {
		case !ok:
			return fail(member(path, "idempotencyKey"), "names no item of the batch")
		case seen:
			return fail(member(path, "idempotencyKey"), "repeats an earlier entry's key")
		}
		keys[s.IdempotencyKey] = true
	}
	staff := b.StaffOf()
	for i, it := range b.Items {
		if it.Kind == OutboxAssignment && staff[it.IdempotencyKey].AssigneeHSAID == "" {
			return fail(member(index("items", i), "kind"), "is assignment: the batch's staff must name the item's assignee")
		}
	}
	return nil
}

// Validate checks a staff entry.
func (s ItemStaff) Validate() error { return invalid(s.check("")) }

func (s ItemStaff) check(path string) error {
	if err := checkToken(member(path, "idempotencyKey"), s.IdempotencyKey); err != nil {
		return err
	}
	if s.AuthorHSAID == "" && s.AssigneeHSAID == "" {
		return fail(path, "must name an author or an assignee")
	}
	if err := checkHSAID(member(path, "authorHsaId"), s.AuthorHSAID, false); err != nil {
		return err
	}
	return checkHSAID(member(path, "assigneeHsaId"), s.AssigneeHSAID, false)
}

// checkHSAID checks that s is an HSA-ID of at most MaxHSAIDLen
// characters (or empty, unless required).
func checkHSAID(path, s string, required bool) error {
	switch {
	case s == "" && !required:
		return nil
	case !hsaid.Valid(s):
		return failf(path, "must be an HSA-ID (SE, the organisation number, a hyphen, letters and digits), at most %d characters", MaxHSAIDLen)
	}
	return nil
}

// AssignmentDigest is the digest of an item with the assignee its staff
// entry names: Digest for every kind but assignment, whose content is its
// assignee.
func AssignmentDigest(it OutboxItem, staff ItemStaff) [32]byte {
	if it.Kind != OutboxAssignment {
		return it.Digest()
	}
	d := it.Digest()
	h := sha256.New()
	h.Write([]byte("clinicgw/sync/wire assignment v1\x00"))
	h.Write(d[:])
	h.Write([]byte(staff.AssigneeHSAID))
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// DecodeOutboxBatch2 reads an OutboxBatch2 (the server, from POST
// PathOutbox2) within MaxBodyBytes and validates it.
func DecodeOutboxBatch2(r io.Reader) (OutboxBatch2, error) { return decodeBody[OutboxBatch2](r) }
