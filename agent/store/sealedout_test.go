package store

import "testing"

// TestOutboundSealedMark: the outbound sealing mark is absent at first,
// kept across a reopen once set, and lifted by Clear.
func TestOutboundSealedMark(t *testing.T) {
	db, dir := testStore(t)
	if id, on, err := db.OutboundSealedTo(ctx); err != nil || on || id != "" {
		t.Fatalf("a new store: %q %v %v", id, on, err)
	}
	if err := db.SetOutboundSealedTo(ctx, "0123456789abcdef0123456789abcdef"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = openAt(t, dir)
	if id, on, err := db.OutboundSealedTo(ctx); err != nil || !on || id != "0123456789abcdef0123456789abcdef" {
		t.Fatalf("after a reopen: %q %v %v", id, on, err)
	}
	if err := db.ClearOutboundSealedTo(ctx); err != nil {
		t.Fatal(err)
	}
	if _, on, err := db.OutboundSealedTo(ctx); err != nil || on {
		t.Fatalf("after clearing: %v %v", on, err)
	}
}
