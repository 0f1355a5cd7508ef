package wire

import (
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
	if err := b.Batch().check(); err != nil {
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

// DecodeOutboxBatch2 reads an OutboxBatch2 (the server, from POST
// PathOutbox2) within MaxBodyBytes and validates it.
func DecodeOutboxBatch2(r io.Reader) (OutboxBatch2, error) { return decodeBody[OutboxBatch2](r) }
