package booking

import (
	"fmt"
	"testing"
	"time"
)

// TestOnlineFigureOf: the share of coming times open online and how far
// ahead they reach, against the regions' aim of 80% at least eight weeks
// ahead.
func TestOnlineFigureOf(t *testing.T) {
	now := stockholm(2026, 5, 4, 9, 0)
	types := map[string]TimeType{"on": {Online: true}, "off": {}}
	week := 7 * 24 * time.Hour
	times := func(spec ...any) (out []TimeOfType) { // pairs: type, weeks ahead (float)
		for i := 0; i < len(spec); i += 2 {
			out = append(out, TimeOfType{Start: now.Add(time.Duration(spec[i+1].(float64) * float64(week))), TypeID: spec[i].(string)})
		}
		return out
	}
	rep := func(typ string, n int, weeks float64) (out []any) {
		for range n {
			out = append(out, typ, weeks)
		}
		return out
	}
	cat := func(parts ...[]any) (out []any) {
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name  string
		times []TimeOfType
		want  Figure
	}{
		{"no times", nil, Figure{}},
		{"all online, nine weeks", times(cat(rep("on", 9, 1), rep("on", 1, 9))...), Figure{Times: 10, Online: 10, Share: 1, WeeksAhead: 9, MeetsAim: true}},
		{"80% online, eight weeks", times(cat(rep("on", 8, 8.5), rep("off", 2, 1))...), Figure{Times: 10, Online: 8, Share: 0.8, WeeksAhead: 8, MeetsAim: true}},
		{"70% online", times(cat(rep("on", 7, 8.5), rep("off", 3, 1))...), Figure{Times: 10, Online: 7, Share: 0.7, WeeksAhead: 8}},
		{"all online, only seven weeks", times(rep("on", 5, 7.9)...), Figure{Times: 5, Online: 5, Share: 1, WeeksAhead: 7}},
		{"staff-only times further ahead do not count", times("on", 2.0, "off", 12.0), Figure{Times: 2, Online: 1, Share: 0.5, WeeksAhead: 2}},
		{"past times do not count", times("off", -1.0, "on", 9.0), Figure{Times: 1, Online: 1, Share: 1, WeeksAhead: 9, MeetsAim: true}},
	}
	for _, tc := range tests {
		got := OnlineFigureOf(tc.times, types, now)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// TestOnlineFigureOfDiary: the figure of a generated diary, from the
// store's clear index.
func TestOnlineFigureOfDiary(t *testing.T) {
	f := newFixture(t, stockholm(2026, 5, 4, 7, 0))
	f.must(f.d.PutType(ctx, visit))
	f.must(f.d.PutType(ctx, phone))
	weekdays(f, clinA, visit.ID, "08:00", 8)
	weekdays(f, clinB, phone.ID, "08:00", 2)
	_, err := f.d.Generate(ctx, 10)
	f.must(err)
	got, err := f.d.OnlineFigure(ctx)
	f.must(err)
	if got.Times == 0 || got.Online*10 != got.Times*8 || got.WeeksAhead < 9 || !got.MeetsAim {
		t.Errorf("figure %+v: want 80%% online, nine weeks ahead at least, meeting the aim", got)
	}
}

// TestFreeTimes: the query leaves out booked, held, begun, staff-only
// (for patients) and released times, and lets an expired hold's time
// show again.
func TestFreeTimes(t *testing.T) {
	now := stockholm(2026, 5, 4, 9, 0)
	f := newFixture(t, now)
	f.must(f.d.PutType(ctx, visit))
	f.must(f.d.PutType(ctx, phone))
	day := 24 * time.Hour
	booked := f.addSlot(now.Add(3*day), clinA, visit.ID, 30)
	held := f.addSlot(now.Add(4*day), clinA, visit.ID, 30)
	free := f.addSlot(now.Add(5*day), clinA, visit.ID, 30)
	other := f.addSlot(now.Add(5*day), clinB, visit.ID, 30)
	staffOnly := f.addSlot(now.Add(6*day), clinA, phone.ID, 30)
	soon := f.addSlot(now.Add(day), clinA, visit.ID, 30)
	f.addSlot(now.Add(-time.Hour), clinA, visit.ID, 30)
	_, err := f.d.Book(ctx, booked, Actor{Patient: pnr1}, BookRequest{})
	f.must(err)
	_, err = f.d.Hold(ctx, held, Actor{Patient: pnr2})
	f.must(err)

	ids := func(q FreeQuery) (out []SlotID) {
		q.From, q.To = now.Add(-day), now.Add(30*day)
		ft, err := f.d.FreeTimes(ctx, q)
		f.must(err)
		for _, x := range ft {
			out = append(out, x.ID)
		}
		return out
	}
	check := func(name string, got []SlotID, want ...SlotID) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	check("staff", ids(FreeQuery{}), soon, free, other, staffOnly)
	check("online", ids(FreeQuery{Online: true}), free, other)
	check("clinician", ids(FreeQuery{Clinician: clinB}), other)
	check("type", ids(FreeQuery{TypeID: phone.ID}), staffOnly)
	f.clock.Advance(HoldFor)
	check("online, the hold expired", ids(FreeQuery{Online: true}), held, free, other)
}
