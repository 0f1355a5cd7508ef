package booking

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestStats: each change of the diary changes the statistics in its own
// transaction, as the table says, and the aggregates equal a recount
// after every step; a declined change changes nothing.
func TestStats(t *testing.T) {
	now := stockholm(2026, 5, 4, 9, 0) // Monday
	in := func(h int) time.Time { return now.Add(time.Duration(h) * time.Hour) }
	f := newFixture(t, now)
	f.must(f.d.PutType(ctx, visit))
	f.must(f.d.PutType(ctx, phone))
	a := f.addSlot(in(72), clinA, visit.ID, 30)
	b := f.addSlot(in(96), clinA, visit.ID, 30)
	c := f.addSlot(in(96), clinB, visit.ID, 30)
	p := f.addSlot(in(97), clinA, phone.ID, 30)
	june := f.addSlot(stockholm(2026, 6, 2, 8, 0), clinA, visit.ID, 30)
	pat1, stf := Actor{Patient: pnr1}, Actor{Staff: staff1}
	may, jun := "2026-05", "2026-06"
	kA := StatsKey{may, visit.ID, clinA}
	kB := StatsKey{may, visit.ID, clinB}
	kP := StatsKey{may, phone.ID, clinA}
	kJ := StatsKey{jun, visit.ID, clinA}

	steps := []struct {
		name string
		do   func() error
		want map[StatsKey]Counts // the whole statistics after the step
	}{
		{"nothing booked", func() error { return nil }, map[StatsKey]Counts{}},
		{"patient books a online", func() error { return bookErr(f.d.Book(ctx, a, pat1, BookRequest{})) },
			map[StatsKey]Counts{kA: {Bookings: 1, Online: 1}}},
		{"staff book the phone time", func() error { return bookErr(f.d.Book(ctx, p, stf, BookRequest{Patient: pnr2})) },
			map[StatsKey]Counts{kA: {Bookings: 1, Online: 1}, kP: {Bookings: 1}}},
		{"declined: a taken time", func() error { return bookErr(f.d.Book(ctx, a, stf, BookRequest{Patient: pnr2})) },
			map[StatsKey]Counts{kA: {Bookings: 1, Online: 1}, kP: {Bookings: 1}}},
		{"patient rebooks a to b: one booking still", func() error { return bookErr(f.d.Rebook(ctx, a, b, pat1)) },
			map[StatsKey]Counts{kA: {Bookings: 1, Online: 1}, kP: {Bookings: 1}}},
		{"patient cancels b", func() error { return f.d.Cancel(ctx, b, pat1, "") },
			map[StatsKey]Counts{kA: {Bookings: 1, Online: 1, Canceled: 1}, kP: {Bookings: 1}}},
		{"staff book b again and c", func() error {
			if err := bookErr(f.d.Book(ctx, b, stf, BookRequest{Patient: pnr2})); err != nil {
				return err
			}
			return bookErr(f.d.Book(ctx, c, stf, BookRequest{Patient: pnr1}))
		}, map[StatsKey]Counts{kA: {Bookings: 2, Online: 1, Canceled: 1}, kB: {Bookings: 1}, kP: {Bookings: 1}}},
		{"staff book in June", func() error { return bookErr(f.d.Book(ctx, june, stf, BookRequest{Patient: pnr1})) },
			map[StatsKey]Counts{kA: {Bookings: 2, Online: 1, Canceled: 1}, kB: {Bookings: 1}, kP: {Bookings: 1}, kJ: {Bookings: 1}}},
		{"b: arrived; c: no-show", func() error {
			f.clock.Advance(100 * time.Hour)
			if err := f.d.MarkArrived(ctx, b, stf); err != nil {
				return err
			}
			if err := f.d.MarkNoShow(ctx, c, stf); err != nil {
				return err
			}
			return nil
		}, map[StatsKey]Counts{kA: {Bookings: 2, Online: 1, Canceled: 1, Arrived: 1}, kB: {Bookings: 1, NoShow: 1}, kP: {Bookings: 1}, kJ: {Bookings: 1}}},
		{"declined: marking a free time", func() error { return f.d.MarkNoShow(ctx, a, stf) },
			map[StatsKey]Counts{kA: {Bookings: 2, Online: 1, Canceled: 1, Arrived: 1}, kB: {Bookings: 1, NoShow: 1}, kP: {Bookings: 1}, kJ: {Bookings: 1}}},
	}
	for _, st := range steps {
		_ = st.do() // a decline is part of the table: the statistics say what it did
		got, err := f.d.Stats(ctx, "", "")
		f.must(err)
		if !sameStats(got, st.want) {
			t.Errorf("%s: statistics\n got %+v\nwant %+v", st.name, got, st.want)
		}
		diffs, err := f.d.RecountStats(ctx)
		f.must(err)
		if len(diffs) > 0 {
			t.Errorf("%s: the aggregates differ from a recount: %v", st.name, diffs)
		}
	}
	// A period: the months from and to, inclusive.
	got, err := f.d.Stats(ctx, jun, jun)
	f.must(err)
	if !sameStats(got, map[StatsKey]Counts{kJ: {Bookings: 1}}) {
		t.Errorf("June only: %+v", got)
	}
	// They survive a restart.
	f.reopen()
	if diffs, err := f.d.RecountStats(ctx); err != nil || len(diffs) > 0 {
		t.Errorf("after a restart: %v %v", diffs, err)
	}
}

func sameStats(a, b map[StatsKey]Counts) bool {
	if len(a) != len(b) {
		return false
	}
	for k, c := range a {
		if b[k] != c {
			return false
		}
	}
	return true
}

// The recount check can fail: an aggregate changed behind the diary's
// back is reported, and a diary whose aggregates were never counted (a
// store from before them) is reported until its next change counts them
// once.
func TestStatsRecountFindsDifferences(t *testing.T) {
	now := stockholm(2026, 5, 4, 9, 0)
	f := newFixture(t, now)
	f.must(f.d.PutType(ctx, visit))
	a := f.addSlot(now.Add(72*time.Hour), clinA, visit.ID, 30)
	b := f.addSlot(now.Add(96*time.Hour), clinA, visit.ID, 30)
	f.must(bookErr(f.d.Book(ctx, a, Actor{Staff: staff1}, BookRequest{Patient: pnr1})))
	k := StatsKey{"2026-05", visit.ID, clinA}
	f.must(f.d.st.Update(ctx, func(tx Tx) error { return putJSON(tx, bStats, k.bytes(), Counts{Bookings: 2}) }))
	diffs, err := f.d.RecountStats(ctx)
	f.must(err)
	if len(diffs) != 1 || !strings.Contains(diffs[0], "2026-05") {
		t.Fatalf("a changed aggregate: %v", diffs)
	}
	// As a store written before the aggregates: none, no marker.
	f.must(f.d.st.Update(ctx, func(tx Tx) error {
		if err := tx.Delete(bStats, k.bytes()); err != nil {
			return err
		}
		return tx.Delete(bStats, statsDone)
	}))
	if diffs, _ := f.d.RecountStats(ctx); len(diffs) != 1 || !strings.Contains(diffs[0], "not counted yet") {
		t.Fatalf("never counted: %v", diffs)
	}
	if got, _ := f.d.Stats(ctx, "", ""); got[k] != (Counts{Bookings: 1}) {
		t.Errorf("never counted, read from the times: %+v", got)
	}
	f.must(bookErr(f.d.Book(ctx, b, Actor{Staff: staff1}, BookRequest{Patient: pnr2})))
	if diffs, _ := f.d.RecountStats(ctx); len(diffs) != 0 {
		t.Fatalf("after the next change: %v", diffs)
	}
	if got, _ := f.d.Stats(ctx, "", ""); got[k] != (Counts{Bookings: 2}) {
		t.Errorf("after the next change: %+v", got)
	}
}

// A free time Generate removes (its template deleted) takes its
// cancelled bookings out of the statistics, and the aggregates still
// equal a recount.
func TestStatsGenerateRemoves(t *testing.T) {
	now := stockholm(2026, 5, 4, 9, 0)
	f := newFixture(t, now)
	f.must(f.d.PutType(ctx, visit))
	f.must(f.d.PutTemplate(ctx, Template{ID: "t1", Clinician: clinA, TypeID: visit.ID, Weekday: time.Thursday, Start: "08:00", Count: 2, From: "2026-05-01"}))
	_, err := f.d.Generate(ctx, MinWeeks)
	f.must(err)
	id := SlotID(fmt.Sprintf("%d-%s", stockholm(2026, 5, 7, 8, 0).Unix(), clinA))
	f.must(bookErr(f.d.Book(ctx, id, Actor{Patient: pnr1}, BookRequest{})))
	f.must(f.d.Cancel(ctx, id, Actor{Patient: pnr1}, ""))
	if got, _ := f.d.Stats(ctx, "", ""); got[StatsKey{"2026-05", visit.ID, clinA}] != (Counts{Bookings: 1, Online: 1, Canceled: 1}) {
		t.Fatalf("before: %+v", got)
	}
	f.must(f.d.DeleteTemplate(ctx, "t1"))
	_, err = f.d.Generate(ctx, MinWeeks)
	f.must(err)
	if got, _ := f.d.Stats(ctx, "", ""); len(got) != 0 {
		t.Errorf("after the removal: %+v", got)
	}
	if diffs, err := f.d.RecountStats(ctx); err != nil || len(diffs) > 0 {
		t.Errorf("after the removal: %v %v", diffs, err)
	}
}

// FuzzStatsKey: an aggregate's key decodes to the key it was made of, and
// whatever the bytes, parseStatsKey returns a key or false, never panics.
func FuzzStatsKey(f *testing.F) {
	f.Add("2026-11", "besok-30", clinA, []byte("2026-11\x00besok-30\x00"+clinA))
	f.Add("", "", "", []byte("v"))
	f.Fuzz(func(t *testing.T, month, typ, clin string, raw []byte) {
		parseStatsKey(raw)
		if strings.ContainsRune(month+typ+clin, 0) {
			return
		}
		k := StatsKey{month, typ, clin}
		if got, ok := parseStatsKey(k.bytes()); !ok || got != k {
			t.Fatalf("%q → %q, %v", k.bytes(), got, ok)
		}
	})
}
