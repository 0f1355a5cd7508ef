package cases

import (
	"testing"
	"time"

	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"
)

// TestInboundReference: the rule that judges a central event's dates of
// birth. The reference is the event's time of record (the central store's
// clock) plus wire.ClockSkewTolerance, never this gateway's clock; an event
// without one falls back to its arrival here.
func TestInboundReference(t *testing.T) {
	sthlm := workday.Stockholm()
	at := time.Date(2026, 3, 3, 0, 2, 0, 0, sthlm)
	born := func(y int, m time.Month, d int) personnummer.Personnummer {
		return personnummer.Synthetic(time.Date(y, m, d, 0, 0, 0, 0, time.UTC), 988)
	}
	tests := []struct {
		name    string
		at, now time.Time
		pnr     personnummer.Personnummer
		ok      bool
	}{
		{"born today, gateway clock a day behind", at, at.Add(-5 * time.Minute), born(2026, 3, 3), true},
		{"born today, gateway clock hours behind", at, at.Add(-20 * time.Hour), born(2026, 3, 3), true},
		{"born within the skew tolerance after the time of record", time.Date(2026, 3, 2, 23, 30, 0, 0, sthlm), at, born(2026, 3, 3), true},
		{"born beyond the tolerance after the time of record", time.Date(2026, 3, 2, 22, 0, 0, 0, sthlm), at.Add(48 * time.Hour), born(2026, 3, 3), false},
		{"born tomorrow by the time of record, gateway clock ahead", at, at.Add(48 * time.Hour), born(2026, 3, 4), false},
		{"no time of record: the arrival", time.Time{}, at, born(2026, 3, 3), true},
		{"no time of record, born after the arrival", time.Time{}, at.Add(-5 * time.Minute), born(2026, 3, 3), false},
		{"an adult, any clock", at, at.AddDate(-1, 0, 0), born(1980, 5, 17), true},
	}
	for _, tt := range tests {
		ref := inboundRef(tt.at, tt.now)
		_, err := personnummer.Parse(tt.pnr.String(), ref)
		if (err == nil) != tt.ok {
			t.Errorf("%s: reference %s, err %v; want ok %v", tt.name, ref.In(sthlm).Format(time.DateTime), err, tt.ok)
		}
	}
}
