package booking

import (
	"sync"
	"testing"
	"time"
)

// TestThousandRaceForTwenty: 1000 goroutines, patients (half of them
// holding first) and staff taking phone bookings, race for 20 times on a
// real bbolt store; the store is closed and opened again (a gateway
// restart) between the two halves. Exactly 20 bookings; everyone told
// "booked" has that time in the store; every other attempt is a decline
// with a reason; nothing booked before the restart is lost.
func TestThousandRaceForTwenty(t *testing.T) {
	now := stockholm(2026, 5, 4, 9, 0)
	f := newFixture(t, now)
	f.must(f.d.PutType(ctx, visit))
	var ids []SlotID
	for i := range 20 {
		clin := clinA
		if i%2 == 1 {
			clin = clinB
		}
		ids = append(ids, f.addSlot(now.Add(7*24*time.Hour+time.Duration(i/2)*30*time.Minute), clin, visit.ID, 30))
	}

	type outcome struct {
		slot    SlotID
		patient string
		booking Booking
		err     error
	}
	race := func(first, n, slots int) []outcome {
		out := make([]outcome, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		d := f.d
		for j := range n {
			i := first + j
			wg.Go(func() {
				o := &out[j]
				o.slot = ids[i%slots]
				o.patient = syntheticPnr(i)
				<-start
				switch {
				case i%10 == 0: // staff on the phone
					o.booking, o.err = d.Book(ctx, o.slot, Actor{Staff: staff1}, BookRequest{Patient: o.patient})
				case i%2 == 0: // a patient who holds, then confirms
					who := Actor{Patient: o.patient}
					h, err := d.Hold(ctx, o.slot, who)
					if err != nil {
						o.err = err
						return
					}
					o.booking, o.err = d.Book(ctx, o.slot, who, BookRequest{HoldToken: h.Token})
				default: // a patient who books at once
					o.booking, o.err = d.Book(ctx, o.slot, Actor{Patient: o.patient}, BookRequest{})
				}
			})
		}
		close(start)
		wg.Wait()
		return out
	}
	check := func(outs []outcome) (won int) {
		t.Helper()
		for _, o := range outs {
			if o.err == nil {
				won++
				s, err := f.d.Slot(ctx, o.slot)
				f.must(err)
				if s.State != Booked || s.Booking.Patient != o.patient || s.Booking.ID != o.booking.ID {
					t.Errorf("%s was told booked for %s, the store has %+v", o.patient, o.slot, s.Booking)
				}
				continue
			}
			if _, ok := DeclineOf(o.err); !ok {
				t.Errorf("%s: %v is not a decline with a reason", o.patient, o.err)
			}
		}
		return won
	}

	// The first half races for 10 of the times, then the gateway restarts.
	won1 := check(race(0, 500, 10))
	if won1 != 10 {
		t.Fatalf("before the restart: %d bookings of 10 times", won1)
	}
	f.reopen()
	booked := bookedSlots(t, f)
	if len(booked) != 10 {
		t.Fatalf("after the restart the store has %d bookings, want the 10 confirmed", len(booked))
	}
	// The second half races for all 20.
	won2 := check(race(500, 500, 20))
	if won2 != 10 {
		t.Errorf("after the restart: %d more bookings, want 10", won2)
	}
	if n := len(bookedSlots(t, f)); n != 20 {
		t.Errorf("the store has %d bookings, want 20", n)
	}
	if free, err := f.d.FreeTimes(ctx, FreeQuery{From: now, To: now.Add(30 * 24 * time.Hour)}); err != nil || len(free) != 0 {
		t.Errorf("free times after the race: %d, %v; want none", len(free), err)
	}
}

func bookedSlots(t testing.TB, f *fixture) []*Slot {
	t.Helper()
	var out []*Slot
	for _, s := range snapshot(t, f) {
		if s.State == Booked {
			out = append(out, s)
		}
	}
	return out
}

// TestRebookAndCancelRace: 40 patients with bookings all try to move to
// one free time while staff cancel some of their bookings: one move wins;
// every loser keeps the time they had (or had it cancelled, with a
// reason); no time has two bookings.
func TestRebookAndCancelRace(t *testing.T) {
	now := stockholm(2026, 5, 4, 9, 0)
	f := newFixture(t, now)
	f.must(f.d.PutType(ctx, visit))
	base := now.Add(7 * 24 * time.Hour)
	target := f.addSlot(base, clinA, visit.ID, 30)
	var own []SlotID
	for i := range 40 {
		id := f.addSlot(base.Add(time.Duration(i+1)*30*time.Minute), clinA, visit.ID, 30)
		_, err := f.d.Book(ctx, id, Actor{Patient: syntheticPnr(i)}, BookRequest{})
		f.must(err)
		own = append(own, id)
	}
	moved := make([]error, 40)
	canceled := make([]error, 40)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 40 {
		wg.Go(func() {
			<-start
			_, moved[i] = f.d.Rebook(ctx, own[i], target, Actor{Patient: syntheticPnr(i)})
		})
		if i%4 == 0 {
			wg.Go(func() {
				<-start
				canceled[i] = f.d.Cancel(ctx, own[i], Actor{Staff: staff1}, "Behandlaren är sjuk")
			})
		}
	}
	close(start)
	wg.Wait()
	winners := 0
	for i := range 40 {
		s, err := f.d.Slot(ctx, own[i])
		f.must(err)
		switch {
		case moved[i] == nil:
			winners++
			if s.State != Free {
				t.Errorf("patient %d moved, yet the old time is %s", i, s.State)
			}
			if i%4 == 0 && code(canceled[i]) != NotBooked {
				t.Errorf("patient %d moved; the cancel of the old time: %v, want notBooked", i, canceled[i])
			}
		case i%4 == 0 && canceled[i] == nil:
			if s.State != Free || len(s.Canceled) != 1 || s.Canceled[0].Reason == "" {
				t.Errorf("patient %d cancelled: %+v", i, s)
			}
			if c := code(moved[i]); c != NotBooked && c != Taken {
				t.Errorf("patient %d: the move after the cancel: %v", i, moved[i])
			}
		default:
			if c := code(moved[i]); c != Taken {
				t.Errorf("patient %d: %v, want taken", i, moved[i])
			}
			if s.State != Booked || s.Booking.Patient != syntheticPnr(i) {
				t.Errorf("patient %d lost the time they had: %+v", i, s)
			}
		}
	}
	if winners != 1 {
		t.Errorf("%d patients moved to the one time", winners)
	}
	s, err := f.d.Slot(ctx, target)
	f.must(err)
	if s.State != Booked {
		t.Errorf("the target is %s", s.State)
	}
}
