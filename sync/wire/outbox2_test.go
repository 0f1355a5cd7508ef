package wire

import (
	"strings"
	"testing"
)

// TestOutboxBatch2: the rules of version 2's outbox body and of the staff
// identifiers a confirmed item carries; version 1's body stays as it was
// (a staff member is unknown there).
func TestOutboxBatch2(t *testing.T) {
	tests := []struct {
		name   string
		change func(*OutboxBatch2)
		ok     bool
	}{
		{"canonical", func(*OutboxBatch2) {}, true},
		{"no staff", func(b *OutboxBatch2) { b.Staff, b.Items = nil, b.Items[:4] }, true},
		{"an assignment without its staff entry", func(b *OutboxBatch2) { b.Staff = b.Staff[:2] }, false},
		{"an assignment naming only an author", func(b *OutboxBatch2) { b.Staff[2] = ItemStaff{IdempotencyKey: "out-5", AuthorHSAID: hsaClinician} }, false},
		{"an assignment with a message", func(b *OutboxBatch2) { b.Items[4].Message = b.Items[0].Message }, false},
		{"an assignment with a status", func(b *OutboxBatch2) { b.Items[4].Status = StatusAssigned }, false},
		{"an assignment with a case", func(b *OutboxBatch2) { b.Items[4].Case = b.Items[3].Case }, false},
		{"no items", func(b *OutboxBatch2) { b.Items = nil }, false},
		{"a key of no item", func(b *OutboxBatch2) { b.Staff[1].IdempotencyKey = "other" }, false},
		{"a key twice", func(b *OutboxBatch2) { b.Staff[1].IdempotencyKey = b.Staff[0].IdempotencyKey }, false},
		{"nobody named", func(b *OutboxBatch2) { b.Staff[1].AssigneeHSAID = "" }, false},
		{"an author that is no HSA-ID", func(b *OutboxBatch2) { b.Staff[0].AuthorHSAID = "Doris Doktor" }, false},
		{"an assignee that is no HSA-ID", func(b *OutboxBatch2) { b.Staff[0].AssigneeHSAID = "system" }, false},
		{"an HSA-ID too long", func(b *OutboxBatch2) { b.Staff[0].AuthorHSAID = "SE2321000016-" + strings.Repeat("a", MaxHSAIDLen) }, false},
	}
	for _, tc := range tests {
		b := canonicalOutboxBatch2()
		b.Staff = append([]ItemStaff(nil), b.Staff...)
		b.Items = append([]OutboxItem(nil), b.Items...)
		tc.change(&b)
		if err := b.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: Validate = %v, want ok %v", tc.name, err, tc.ok)
		}
		raw, err := encode(b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeOutboxBatch2(strings.NewReader(string(raw))); (err == nil) != tc.ok {
			t.Errorf("%s: DecodeOutboxBatch2 = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
	raw, err := Marshal(canonicalOutboxBatch2())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeOutboxBatch(strings.NewReader(string(raw))); err == nil {
		t.Error("version 1's outbox took a batch with staff")
	}
	// Version 1 takes no assignment item, even without staff.
	if err := (OutboxBatch{Items: canonicalOutboxBatch2().Items}).Validate(); err == nil {
		t.Error("version 1's outbox took an assignment item")
	}
	// A confirmed assignment names its assignee.
	b2 := canonicalOutboxBatch2()
	cp := ConfirmedPage{Complete: true, Items: []ConfirmedItem{{Seq: 1, ConfirmedAt: b2.Items[4].At, Item: b2.Items[4], AssigneeHSAID: hsaClinician}}}
	if err := cp.Validate(); err != nil {
		t.Errorf("a confirmed assignment: %v", err)
	}
	cp.Items[0].AssigneeHSAID = ""
	if err := cp.Validate(); err == nil {
		t.Error("a confirmed assignment without its assignee was valid")
	}
	// The assignee is an assignment's content; other kinds keep Digest.
	it, st := b2.Items[4], b2.Staff[2]
	other := st
	other.AssigneeHSAID = "SE2321000016-C002"
	if AssignmentDigest(it, st) == AssignmentDigest(it, other) {
		t.Error("two assignees of one assignment item have one digest")
	}
	if AssignmentDigest(b2.Items[0], b2.Staff[0]) != b2.Items[0].Digest() {
		t.Error("AssignmentDigest changed the digest of an answer")
	}
	p := canonicalConfirmedPage()
	p.Items[1].AssigneeHSAID = "Doris Doktor"
	if err := p.Validate(); err == nil {
		t.Error("a confirmed item with an assignee that is no HSA-ID was valid")
	}
}
