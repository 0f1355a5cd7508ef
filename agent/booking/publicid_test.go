package booking

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"clinicgw/sync/wire"
)

// TestPublishedIDsAreOpaque: the ids the central store holds for free
// times name no clinician (no HSA-ID, no personal data); they stay the
// same across publications and a gateway restart; a patient's book,
// rebook and cancel by them decide the right times; an id of the older
// publication ("<unix>-<HSA-ID>") still decides during the switch, and an
// id the gateway never published is declined (notFound).
func TestPublishedIDsAreOpaque(t *testing.T) {
	now := stockholm(2026, 5, 4, 9, 0)
	f := newFixture(t, now)
	shown := visit
	shown.ID, shown.ShowClinician = "besok-visa", true
	f.must(f.d.PutType(ctx, visit))
	f.must(f.d.PutType(ctx, shown))
	a := f.addSlot(now.Add(72*time.Hour), clinA, visit.ID, 30)
	b := f.addSlot(now.Add(96*time.Hour), clinA, visit.ID, 30)
	c := f.addSlot(now.Add(97*time.Hour), clinB, shown.ID, 30)
	legacy := f.addSlot(now.Add(98*time.Hour), clinB, visit.ID, 30)
	publish := func() map[SlotID]string {
		t.Helper()
		bt, err := f.d.Published(ctx, now.Add(24*7*time.Hour), func(h string) string { return "Dr " + h[len(h)-4:] })
		f.must(err)
		raw, err := wire.Marshal(bt)
		f.must(err)
		for _, h := range []string{clinA, clinB, "SE2321000016"} {
			if strings.Contains(string(raw), h) {
				t.Fatalf("the publication holds the HSA-ID %s: %s", h, raw)
			}
		}
		ids := map[SlotID]string{}
		for _, x := range bt.Times {
			for _, id := range []SlotID{a, b, c, legacy} {
				if id.start().Equal(x.Start) {
					ids[id] = x.ID
				}
			}
		}
		return ids
	}
	first := publish()
	if len(first) != 4 {
		t.Fatalf("published %d of the 4 free times", len(first))
	}
	f.reopen() // a restart: the same ids, and the new diary resolves them
	again := publish()
	for id, pub := range first {
		if again[id] != pub {
			t.Errorf("time %s published as %q, after a restart as %q", id, pub, again[id])
		}
	}
	f.reopen() // a restart with nothing published since: still resolved
	at := now.UTC()
	reqs := []struct {
		r    wire.BookingRequest
		want wire.BookingDecision
	}{
		{wire.BookingRequest{ID: "r1", Kind: wire.BookingBook, Patient: pnr1, Time: first[a], At: at},
			wire.BookingDecision{Request: "r1", Outcome: wire.BookingConfirmed}},
		{wire.BookingRequest{ID: "r2", Kind: wire.BookingRebook, Patient: pnr1, Time: first[b], From: first[a], At: at},
			wire.BookingDecision{Request: "r2", Outcome: wire.BookingConfirmed}},
		{wire.BookingRequest{ID: "r3", Kind: wire.BookingCancel, Patient: pnr1, Time: first[b], At: at},
			wire.BookingDecision{Request: "r3", Outcome: wire.BookingConfirmed}},
		{wire.BookingRequest{ID: "r4", Kind: wire.BookingBook, Patient: pnr2, Time: string(legacy), At: at},
			wire.BookingDecision{Request: "r4", Outcome: wire.BookingConfirmed}},
		{wire.BookingRequest{ID: "r5", Kind: wire.BookingBook, Patient: pnr2, Time: "t" + strings.Repeat("x", 25), At: at},
			wire.BookingDecision{Request: "r5", Outcome: wire.BookingDeclined, Reason: "notFound"}},
	}
	for _, x := range reqs {
		for try := 1; try <= 2; try++ {
			got, err := f.d.Decide(ctx, x.r)
			if err != nil {
				t.Fatalf("%s try %d: %v", x.r.ID, try, err)
			}
			if got != x.want {
				t.Errorf("%s try %d: %+v; want %+v", x.r.ID, try, got, x.want)
			}
		}
	}
	for id, want := range map[SlotID]State{a: Free, b: Free, legacy: Booked} {
		s, err := f.d.Slot(ctx, id)
		f.must(err)
		if s.State != want {
			t.Errorf("time %s is %s; want %s", id, s.State, want)
		}
	}
	if s, _ := f.d.Slot(ctx, b); len(s.Canceled) != 1 || s.Canceled[0].Patient != pnr1 {
		t.Errorf("time b's cancellations %+v; want pnr1's", s.Canceled)
	}
}

// start is the time's start, from its id.
func (id SlotID) start() time.Time {
	k, _ := keyOf(id)
	return time.Unix(int64(binary.BigEndian.Uint64(k)), 0).UTC()
}
