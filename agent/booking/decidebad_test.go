package booking

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"clinicgw/sync/i18n"
	"clinicgw/sync/wire"
)

// TestDecideBadInput: a patient's request over the sync, by the published
// ids, that must not succeed is declined with a code that has a Swedish
// text, and the diary is as it was: a time that does not exist, one of
// another unit's publication, one in the past, a rebooking to another type
// or clinician, a cancellation or rebooking after the type's deadline, a
// cancellation of another's booking, a staff-only or released time. (An
// expired hold is the authority's: TestRules, "hold expired".)
func TestDecideBadInput(t *testing.T) {
	now := stockholm(2026, 5, 4, 9, 0)
	in := func(h int) time.Time { return now.Add(time.Duration(h) * time.Hour) }
	f := newFixture(t, now)
	f.must(f.d.PutType(ctx, visit))
	f.must(f.d.PutType(ctx, phone))
	bookedA := f.addSlot(in(72), clinA, visit.ID, 30)
	freeA := f.addSlot(in(96), clinA, visit.ID, 30)
	freeB := f.addSlot(in(97), clinB, visit.ID, 30)
	off := f.addSlot(in(98), clinA, phone.ID, 30)
	late := f.addSlot(in(10), clinA, visit.ID, 30) // within the 24 hours' deadline and the 48 hours' release
	f.must(bookErr(f.d.Book(ctx, bookedA, Actor{Staff: staff1}, BookRequest{Patient: pnr1})))
	f.must(bookErr(f.d.Book(ctx, late, Actor{Staff: staff1}, BookRequest{Patient: pnr1})))
	past := f.addSlot(in(1), clinA, visit.ID, 30)
	key, err := f.d.publicKey(ctx)
	f.must(err)
	pub := func(id SlotID) string { k, _ := keyOf(id); return publicID(key, k) }
	otherUnit := publicID(bytes.Repeat([]byte{7}, 32), mustKey(t, freeA)) // another gateway's key
	f.clock.Advance(2 * time.Hour)                                        // past has begun
	snapshot := func() string {
		s, err := f.d.Slots(ctx, now, in(200))
		f.must(err)
		b, _ := json.Marshal(s)
		return string(b)
	}
	before := snapshot()
	at := f.clock.Now().UTC()
	cases := []struct {
		name string
		r    wire.BookingRequest
		want Code
	}{
		{"a time that does not exist", wire.BookingRequest{Kind: wire.BookingBook, Patient: pnr2, Time: "t" + strings.Repeat("A", publicIDLen)}, NotFound},
		{"another unit's time", wire.BookingRequest{Kind: wire.BookingBook, Patient: pnr2, Time: otherUnit}, NotFound},
		{"a time in the past", wire.BookingRequest{Kind: wire.BookingBook, Patient: pnr2, Time: pub(past)}, InPast},
		{"a time booked by another", wire.BookingRequest{Kind: wire.BookingBook, Patient: pnr2, Time: pub(bookedA)}, Taken},
		{"a staff-only time", wire.BookingRequest{Kind: wire.BookingBook, Patient: pnr2, Time: pub(off)}, StaffOnly},
		{"a rebooking to another type", wire.BookingRequest{Kind: wire.BookingRebook, Patient: pnr1, From: pub(bookedA), Time: pub(off)}, WrongType},
		{"a rebooking to another clinician", wire.BookingRequest{Kind: wire.BookingRebook, Patient: pnr1, From: pub(bookedA), Time: pub(freeB)}, WrongClinician},
		{"a rebooking after the deadline", wire.BookingRequest{Kind: wire.BookingRebook, Patient: pnr1, From: pub(late), Time: pub(freeA)}, TooLate},
		{"a cancellation after the deadline", wire.BookingRequest{Kind: wire.BookingCancel, Patient: pnr1, Time: pub(late)}, TooLate},
		{"a cancellation of another's booking", wire.BookingRequest{Kind: wire.BookingCancel, Patient: pnr2, Time: pub(bookedA)}, NotYours},
		{"a cancellation of a free time", wire.BookingRequest{Kind: wire.BookingCancel, Patient: pnr2, Time: pub(freeA)}, NotBooked},
	}
	for i, c := range cases {
		c.r.ID, c.r.At = "bad"+string(rune('a'+i)), at
		got, err := f.d.Decide(ctx, c.r)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got.Outcome != wire.BookingDeclined || got.Reason != string(c.want) {
			t.Errorf("%s: %+v; want declined %s", c.name, got, c.want)
		}
		d := &Decline{Code: Code(got.Reason)}
		if sv := i18n.T("sv", d.Key()); sv == d.Key() || sv == i18n.T("en", d.Key()) {
			t.Errorf("%s: the decline %s has no Swedish text", c.name, got.Reason)
		}
	}
	if after := snapshot(); after != before {
		t.Errorf("declined requests changed the diary:\nbefore %s\nafter  %s", before, after)
	}
}

func mustKey(t *testing.T, id SlotID) []byte {
	t.Helper()
	k, err := keyOf(id)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
