package booking

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"clinicgw/sync/i18n"
)

// TestRules: the authority's rules, each request against a fresh diary
// with the clock at Monday 2026-05-04 09:00 Stockholm. Every decline
// leaves the times as they were.
func TestRules(t *testing.T) {
	now := stockholm(2026, 5, 4, 9, 0)
	in := func(h int) time.Time { return now.Add(time.Duration(h) * time.Hour) }
	pat1, pat2, stf := Actor{Patient: pnr1}, Actor{Patient: pnr2}, Actor{Staff: staff1}

	type setup struct {
		f            *fixture
		a, b, c, off SlotID // a, b: visit with clinA at +72h, +96h; c: visit with clinB +96h; off: phone clinA +96h
		soon         SlotID // visit with clinA at +30h (released to staff)
		short        SlotID // 20-minute visit-typed time with clinA at +100h
	}
	mk := func(t *testing.T) setup {
		f := newFixture(t, now)
		f.must(f.d.PutType(ctx, visit))
		f.must(f.d.PutType(ctx, phone))
		return setup{f: f,
			a: f.addSlot(in(72), clinA, visit.ID, 30), b: f.addSlot(in(96), clinA, visit.ID, 30),
			c: f.addSlot(in(96), clinB, visit.ID, 30), off: f.addSlot(in(97), clinA, phone.ID, 30),
			soon: f.addSlot(in(30), clinA, visit.ID, 30), short: f.addSlot(in(100), clinA, visit.ID, 20)}
	}

	tests := []struct {
		name string
		run  func(s setup) error
		want Code
	}{
		{"patient books a free online time", func(s setup) error { _, err := s.f.d.Book(ctx, s.a, pat1, BookRequest{}); return err }, ""},
		{"staff book for a patient", func(s setup) error { _, err := s.f.d.Book(ctx, s.a, stf, BookRequest{Patient: pnr1}); return err }, ""},
		{"staff without a patient", func(s setup) error { _, err := s.f.d.Book(ctx, s.a, stf, BookRequest{}); return err }, BadRequest},
		{"staff, not a personnummer", func(s setup) error {
			_, err := s.f.d.Book(ctx, s.a, stf, BookRequest{Patient: "19121212-1213"})
			return err
		}, BadRequest},
		{"nobody", func(s setup) error { _, err := s.f.d.Book(ctx, s.a, Actor{}, BookRequest{Patient: pnr1}); return err }, BadRequest},
		{"second booking of a time", func(s setup) error {
			s.f.must(bookErr(s.f.d.Book(ctx, s.a, pat1, BookRequest{})))
			_, err := s.f.d.Book(ctx, s.a, stf, BookRequest{Patient: pnr2})
			return err
		}, Taken},
		{"time that does not exist", func(s setup) error { _, err := s.f.d.Book(ctx, "1777000000-"+clinA, pat1, BookRequest{}); return err }, NotFound},
		{"malformed time id", func(s setup) error { _, err := s.f.d.Book(ctx, "x", pat1, BookRequest{}); return err }, NotFound},
		{"time in the past", func(s setup) error {
			s.f.clock.Advance(73 * time.Hour)
			_, err := s.f.d.Book(ctx, s.a, stf, BookRequest{Patient: pnr1})
			return err
		}, InPast},
		{"patient, staff-only type", func(s setup) error { _, err := s.f.d.Book(ctx, s.off, pat1, BookRequest{}); return err }, StaffOnly},
		{"staff, staff-only type", func(s setup) error { _, err := s.f.d.Book(ctx, s.off, stf, BookRequest{Patient: pnr1}); return err }, ""},
		{"patient, released to staff", func(s setup) error { _, err := s.f.d.Book(ctx, s.soon, pat1, BookRequest{}); return err }, Released},
		{"staff, released time", func(s setup) error { _, err := s.f.d.Book(ctx, s.soon, stf, BookRequest{Patient: pnr1}); return err }, ""},
		{"held by another patient", func(s setup) error {
			_, err := s.f.d.Hold(ctx, s.a, pat1)
			s.f.must(err)
			_, err = s.f.d.Book(ctx, s.a, pat2, BookRequest{})
			return err
		}, Taken},
		{"held: staff cannot take it either", func(s setup) error {
			_, err := s.f.d.Hold(ctx, s.a, pat1)
			s.f.must(err)
			_, err = s.f.d.Book(ctx, s.a, stf, BookRequest{Patient: pnr2})
			return err
		}, Taken},
		{"own hold, in time", func(s setup) error {
			h, err := s.f.d.Hold(ctx, s.a, pat1)
			s.f.must(err)
			s.f.clock.Advance(HoldFor - time.Second)
			_, err = s.f.d.Book(ctx, s.a, pat1, BookRequest{HoldToken: h.Token})
			return err
		}, ""},
		{"own hold, expired", func(s setup) error {
			h, err := s.f.d.Hold(ctx, s.a, pat1)
			s.f.must(err)
			s.f.clock.Advance(HoldFor)
			_, err = s.f.d.Book(ctx, s.a, pat1, BookRequest{HoldToken: h.Token})
			return err
		}, HoldExpired},
		{"expired hold frees the time for others", func(s setup) error {
			_, err := s.f.d.Hold(ctx, s.a, pat1)
			s.f.must(err)
			s.f.clock.Advance(HoldFor)
			_, err = s.f.d.Book(ctx, s.a, pat2, BookRequest{})
			return err
		}, ""},
		{"rebook to same type, clinician, length", func(s setup) error { return rebook(s.f, s.a, s.b, pat1) }, ""},
		{"rebook to another clinician", func(s setup) error { return rebook(s.f, s.a, s.c, pat1) }, WrongClinician},
		{"rebook to another type", func(s setup) error { return rebook(s.f, s.a, s.off, pat1) }, WrongType},
		{"rebook to another length", func(s setup) error { return rebook(s.f, s.a, s.short, pat1) }, WrongLength},
		{"rebook after the deadline", func(s setup) error {
			s.f.must(bookErr(s.f.d.Book(ctx, s.a, pat1, BookRequest{})))
			s.f.clock.Advance(48*time.Hour + time.Minute) // 23h59 before a
			_, err := s.f.d.Rebook(ctx, s.a, s.b, pat1)
			return err
		}, TooLate},
		{"rebook another's booking", func(s setup) error {
			s.f.must(bookErr(s.f.d.Book(ctx, s.a, pat1, BookRequest{})))
			_, err := s.f.d.Rebook(ctx, s.a, s.b, pat2)
			return err
		}, NotYours},
		{"rebook to a taken time", func(s setup) error {
			s.f.must(bookErr(s.f.d.Book(ctx, s.b, pat2, BookRequest{})))
			return rebook(s.f, s.a, s.b, pat1)
		}, Taken},
		{"rebook where the type does not allow it", func(s setup) error {
			v := visit
			v.Rebook = false
			s.f.must(s.f.d.PutType(ctx, v))
			return rebook(s.f, s.a, s.b, pat1)
		}, NotAllowed},
		{"rebook a free time", func(s setup) error { _, err := s.f.d.Rebook(ctx, s.a, s.b, pat1); return err }, NotBooked},
		{"patient cancels in time", func(s setup) error { return cancel(s.f, s.a, pat1, "") }, ""},
		{"patient cancels after the deadline", func(s setup) error {
			s.f.must(bookErr(s.f.d.Book(ctx, s.a, pat1, BookRequest{})))
			s.f.clock.Advance(49 * time.Hour)
			return s.f.d.Cancel(ctx, s.a, pat1, "")
		}, TooLate},
		{"cancel where the type does not allow it", func(s setup) error {
			v := visit
			v.Cancel = false
			s.f.must(s.f.d.PutType(ctx, v))
			return cancel(s.f, s.a, pat1, "")
		}, NotAllowed},
		{"staff cancel without a reason", func(s setup) error { return cancel(s.f, s.a, stf, "  ") }, ReasonRequired},
		{"staff cancel after the patients' deadline", func(s setup) error {
			s.f.must(bookErr(s.f.d.Book(ctx, s.a, pat1, BookRequest{})))
			s.f.clock.Advance(71 * time.Hour)
			return s.f.d.Cancel(ctx, s.a, stf, "Behandlaren är sjuk")
		}, ""},
		{"another patient cancels", func(s setup) error { return cancel(s.f, s.a, pat2, "") }, NotYours},
		{"cancel a free time", func(s setup) error { return s.f.d.Cancel(ctx, s.a, pat1, "") }, NotBooked},
		{"arrived before the day", func(s setup) error {
			s.f.must(bookErr(s.f.d.Book(ctx, s.a, pat1, BookRequest{})))
			return s.f.d.MarkArrived(ctx, s.a, stf)
		}, NotYet},
		{"arrived on the day", func(s setup) error {
			s.f.must(bookErr(s.f.d.Book(ctx, s.a, pat1, BookRequest{})))
			s.f.clock.Advance(72*time.Hour - time.Hour)
			return s.f.d.MarkArrived(ctx, s.a, stf)
		}, ""},
		{"no-show before the start", func(s setup) error {
			s.f.must(bookErr(s.f.d.Book(ctx, s.a, pat1, BookRequest{})))
			s.f.clock.Advance(72*time.Hour - time.Minute)
			return s.f.d.MarkNoShow(ctx, s.a, stf)
		}, NotYet},
		{"no-show after the start", func(s setup) error {
			s.f.must(bookErr(s.f.d.Book(ctx, s.a, pat1, BookRequest{})))
			s.f.clock.Advance(72 * time.Hour)
			return s.f.d.MarkNoShow(ctx, s.a, stf)
		}, ""},
		{"a patient marks arrived", func(s setup) error {
			s.f.must(bookErr(s.f.d.Book(ctx, s.a, pat1, BookRequest{})))
			return s.f.d.MarkArrived(ctx, s.a, pat1)
		}, NotAllowed},
		{"mark a free time", func(s setup) error { return s.f.d.MarkArrived(ctx, s.a, stf) }, NotBooked},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mk(t)
			before := snapshot(t, s.f)
			s.f.d.st = spy{s.f.d.st, func() { before = snapshot(t, s.f) }}
			err := tc.run(s)
			if got := code(err); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			if tc.want != "" {
				d, _ := DeclineOf(err)
				if msg := d.Message("sv"); msg == "" || msg == d.Key() {
					t.Errorf("decline %s has no Swedish text", tc.want)
				}
				// A decline changes nothing: the times are as they
				// were before the declined (last) transaction.
				if after := snapshot(t, s.f); !reflect.DeepEqual(before, after) {
					t.Errorf("a decline changed the diary:\nbefore %s\nafter  %s", show(before), show(after))
				}
			}
		})
	}
}

// spy calls committed after every committed write transaction, so that
// the test knows the state a declined request must leave as it was.
type spy struct {
	Store
	committed func()
}

func (s spy) Update(ctx context.Context, fn func(Tx) error) error {
	err := s.Store.Update(ctx, fn)
	if err == nil {
		s.committed()
	}
	return err
}

func show(ss []*Slot) string {
	b, _ := json.Marshal(ss)
	return string(b)
}

func bookErr(_ Booking, err error) error { return err }

func rebook(f *fixture, from, to SlotID, who Actor) error {
	f.must(bookErr(f.d.Book(ctx, from, who, BookRequest{})))
	_, err := f.d.Rebook(ctx, from, to, who)
	return err
}

func cancel(f *fixture, id SlotID, who Actor, reason string) error {
	f.must(bookErr(f.d.Book(ctx, id, Actor{Patient: pnr1}, BookRequest{})))
	return f.d.Cancel(ctx, id, who, reason)
}

func snapshot(t testing.TB, f *fixture) []*Slot {
	s, err := f.d.Slots(ctx, time.Unix(1, 0), time.Unix(1<<40, 0))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestEveryDeclineHasTexts: each decline code has a Swedish and an
// English text.
func TestEveryDeclineHasTexts(t *testing.T) {
	for _, c := range Codes {
		d := &Decline{Code: c}
		if !i18n.Has(d.Key()) {
			t.Errorf("no text %s", d.Key())
			continue
		}
		if sv, en := d.Message("sv"), d.Message("en"); sv == en || sv == "" {
			t.Errorf("%s: sv %q en %q", d.Key(), sv, en)
		}
	}
}
