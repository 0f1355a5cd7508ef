package booking

import (
	"strings"
	"testing"
	"time"

	"clinicgw/sync/wire"
)

// TestDecideOverTheSync: a patient's request from the central store is
// decided by the authority; each delivered twice (at least once) changes
// the diary once and is answered the same; a refused one is declined with
// its code.
func TestDecideOverTheSync(t *testing.T) {
	now := stockholm(2026, 5, 4, 9, 0)
	f := newFixture(t, now)
	f.must(f.d.PutType(ctx, visit))
	a := f.addSlot(now.Add(72*time.Hour), clinA, visit.ID, 30)
	b := f.addSlot(now.Add(96*time.Hour), clinA, visit.ID, 30)
	at := now.UTC()
	reqs := []struct {
		r    wire.BookingRequest
		want wire.BookingDecision
	}{
		{wire.BookingRequest{ID: "r1", Kind: wire.BookingBook, Patient: pnr1, Time: string(a), At: at},
			wire.BookingDecision{Request: "r1", Outcome: wire.BookingConfirmed}},
		{wire.BookingRequest{ID: "r2", Kind: wire.BookingBook, Patient: pnr2, Time: string(a), At: at},
			wire.BookingDecision{Request: "r2", Outcome: wire.BookingDeclined, Reason: "taken"}},
		{wire.BookingRequest{ID: "r3", Kind: wire.BookingRebook, Patient: pnr1, Time: string(b), From: string(a), At: at},
			wire.BookingDecision{Request: "r3", Outcome: wire.BookingConfirmed}},
		{wire.BookingRequest{ID: "r4", Kind: wire.BookingCancel, Patient: pnr2, Time: string(b), At: at},
			wire.BookingDecision{Request: "r4", Outcome: wire.BookingDeclined, Reason: "notYours"}},
		{wire.BookingRequest{ID: "r5", Kind: wire.BookingCancel, Patient: pnr1, Time: string(b), At: at},
			wire.BookingDecision{Request: "r5", Outcome: wire.BookingConfirmed}},
		{wire.BookingRequest{ID: "r6", Kind: wire.BookingBook, Patient: pnr1, Time: "1777000000-" + clinA, At: at},
			wire.BookingDecision{Request: "r6", Outcome: wire.BookingDeclined, Reason: "notFound"}},
	}
	for _, x := range reqs {
		for try := 1; try <= 2; try++ { // the second: delivered again
			got, err := f.d.Decide(ctx, x.r)
			if err != nil {
				t.Fatalf("%s try %d: %v", x.r.ID, try, err)
			}
			if got != x.want {
				t.Errorf("%s try %d: %+v; want %+v", x.r.ID, try, got, x.want)
			}
		}
	}
	free, err := f.d.FreeTimes(ctx, FreeQuery{From: now, To: now.Add(200 * time.Hour)})
	f.must(err)
	if len(free) != 2 {
		t.Errorf("after book, rebook and cancel: %d free times; want both free again", len(free))
	}
}

// TestPublishedHasNoPersonalData: what goes to the central store is the
// neutral patient name, never the staff name, and the clinician only where
// the type shows it; booked and staff-only times are not in it.
func TestPublishedHasNoPersonalData(t *testing.T) {
	now := stockholm(2026, 5, 4, 9, 0)
	f := newFixture(t, now)
	shown := visit
	shown.ID, shown.ShowClinician = "besok-visa", true
	f.must(f.d.PutType(ctx, visit))
	f.must(f.d.PutType(ctx, shown))
	f.must(f.d.PutType(ctx, phone))
	a := f.addSlot(now.Add(72*time.Hour), clinA, visit.ID, 30)
	f.addSlot(now.Add(73*time.Hour), clinB, shown.ID, 30)
	f.addSlot(now.Add(74*time.Hour), clinA, phone.ID, 30)
	booked := f.addSlot(now.Add(75*time.Hour), clinA, visit.ID, 30)
	f.must(bookErr(f.d.Book(ctx, booked, Actor{Patient: pnr1}, BookRequest{})))
	bt, err := f.d.Published(ctx, now.Add(24*7*time.Hour), func(h string) string { return "Dr " + h[len(h)-4:] })
	f.must(err)
	if err := bt.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(bt.Times) != 2 || !bt.Times[0].Start.Equal(a.start()) {
		t.Fatalf("published %+v; want the two free online times", bt.Times)
	}
	if bt.Times[0].Clinician != "" || bt.Times[1].Clinician != "Dr 1004" {
		t.Errorf("clinicians %q, %q; want only the type that shows it", bt.Times[0].Clinician, bt.Times[1].Clinician)
	}
	b, err := wire.Marshal(bt)
	f.must(err)
	if strings.Contains(string(b), visit.StaffName) || strings.Contains(string(b), pnr1) {
		t.Errorf("published times hold the staff name or a personnummer: %s", b)
	}
}
