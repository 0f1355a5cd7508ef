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
		{"no staff", func(b *OutboxBatch2) { b.Staff = nil }, true},
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
	p := canonicalConfirmedPage()
	p.Items[1].AssigneeHSAID = "Doris Doktor"
	if err := p.Validate(); err == nil {
		t.Error("a confirmed item with an assignee that is no HSA-ID was valid")
	}
}
