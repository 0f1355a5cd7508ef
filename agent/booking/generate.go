package booking

import (
	"context"
	"fmt"
	"time"

	"clinicgw/sync/wire/workday"
)

// MinWeeks is how far ahead Generate makes times at least.
const MinWeeks = 8

// GenerateReport says what Generate did.
type GenerateReport struct {
	Made, Kept, Removed int
	// Conflicts are booked (or held) times the schedule no longer has,
	// after a change of template or a new exception: left as they are for
	// staff to rebook or cancel.
	Conflicts []SlotID
}

// Generate makes the times of the templates from now's date for weeks
// weeks (at least MinWeeks), in one transaction, idempotently: a time that
// exists is kept as it is (never made twice, a booked one never moved); a
// free, unheld time in that range that the schedule no longer has is
// removed; a booked or held one is reported in Conflicts; a time no
// template made (Slot.Template empty) is left alone. Days on the
// Swedish public-holiday list (workday.Holidays) and days under an
// exception make no times. Times that have begun are not made.
func (d *Diary) Generate(ctx context.Context, weeks int) (GenerateReport, error) {
	var rep GenerateReport
	if weeks < MinWeeks {
		weeks = MinWeeks
	}
	err := d.st.Update(ctx, func(tx Tx) error {
		rep = GenerateReport{}
		now := d.clock.Now().UTC()
		types, err := loadAll[TimeType](tx, bTypes)
		if err != nil {
			return err
		}
		tmpls, err := loadAll[Template](tx, bTemplates)
		if err != nil {
			return err
		}
		excs, err := loadAll[Exception](tx, bExceptions)
		if err != nil {
			return err
		}
		first := dateOf(now)
		end := first.addDays(7 * weeks)
		want := plan(now, first, end, types, tmpls, excs)
		from, to := startKey(first.midnight()), startKey(end.midnight())
		// The times there are, by the clear index: which the plan keeps,
		// and which it no longer has.
		var drop [][]byte
		err = tx.IndexScan(iTimes, from, to, func(k, _ []byte) bool {
			if _, ok := want[string(k)]; ok {
				delete(want, string(k))
				rep.Kept++
			} else {
				drop = append(drop, append([]byte(nil), k...))
			}
			return true
		})
		if err != nil {
			return err
		}
		for _, k := range drop {
			s, err := loadSlot(tx, k)
			if err != nil {
				return err
			}
			if s.Template == "" {
				continue // a time made by hand, not by a template: Generate leaves it
			}
			if s.State != Free || (s.Hold != nil && now.Before(s.Hold.Until)) || !now.Before(s.Start) {
				if now.Before(s.Start) {
					rep.Conflicts = append(rep.Conflicts, s.ID())
				}
				continue
			}
			if err := removeSlot(tx, k); err != nil {
				return err
			}
			rep.Removed++
		}
		for _, s := range want {
			if err := saveSlot(tx, s); err != nil {
				return err
			}
			rep.Made++
		}
		return nil
	})
	if err != nil {
		return GenerateReport{}, fmt.Errorf("generate the diary: %w", err)
	}
	return rep, nil
}

// plan is the times the schedule has from date first up to (not
// including) end that have not begun at now, by key.
func plan(now time.Time, first, end date, types map[string]TimeType, tmpls map[string]Template, excs map[string]Exception) map[string]*Slot {
	holidays := map[date]bool{}
	for y := first.y; y <= end.y; y++ {
		for _, h := range workday.Holidays(y) {
			holidays[dateOf(h.Date)] = true
		}
	}
	closed := func(day date, clin string) bool {
		for _, e := range excs {
			if e.Clinician != "" && e.Clinician != clin {
				continue
			}
			f, _ := parseDate(e.From)
			u, _ := parseDate(e.Until)
			if day.inRange(f, u) {
				return true
			}
		}
		return false
	}
	want := map[string]*Slot{}
	for day := first; day.before(end); day = day.addDays(1) {
		if holidays[day] {
			continue
		}
		for _, t := range tmpls {
			typ, ok := types[t.TypeID]
			if !ok || day.weekday() != t.Weekday {
				continue
			}
			if f, err := parseDate(t.From); err != nil || day.before(f) {
				continue
			}
			if t.Until != "" {
				if u, err := parseDate(t.Until); err != nil || u.before(day) {
					continue
				}
			}
			if closed(day, t.Clinician) {
				continue
			}
			start, _ := parseClock(t.Start)
			for i := range t.Count {
				m := start + i*typ.Minutes
				if m >= 24*60 {
					break
				}
				at, ok := resolve(day, m)
				if !ok || !now.Before(at) {
					continue
				}
				key := string(slotKey(at, t.Clinician))
				if _, dup := want[key]; dup {
					continue
				}
				want[key] = &Slot{Start: at, Minutes: typ.Minutes, Clinician: t.Clinician, TypeID: t.TypeID, Template: t.ID, State: Free}
			}
		}
	}
	return want
}
