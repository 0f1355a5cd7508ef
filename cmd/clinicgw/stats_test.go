package main

import (
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
)

// TestPrintStatsPerGroup: the command line prints the statistics per staff
// group as the statistics page does: one row per group the cases were
// routed to, the inbox's own cases as "(inkorgen)", in id order.
func TestPrintStatsPerGroup(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	st := cases.Stats{Now: now, Received: 5, ByGroup: map[cases.GroupID]cases.GroupStats{
		"psykologer": {Received: 2, Unanswered: 1, Overdue: 1, Answered: 1,
			Handling: cases.HandlingTime{Count: 1, Median: 90 * time.Minute, P90: 90 * time.Minute, Mean: 90 * time.Minute}},
		"":       {Received: 1, Unanswered: 1},
		"lakare": {Received: 2, Answered: 2, Handling: cases.HandlingTime{Count: 2, Median: 26 * time.Hour, P90: 30 * time.Hour, Mean: 28 * time.Hour}},
	}}
	var b strings.Builder
	if err := printStats(&b, st); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	want := []string{
		"  group       received  unanswered  overdue  answered  median     p90",
		"  (inkorgen)         1           1        0         0       -       -",
		"  lakare             2           0        0         2   1d 2h   1d 6h",
		"  psykologer         2           1        1         1  1h 30m  1h 30m",
	}
	i := strings.Index(out, want[0])
	if i < 0 {
		t.Fatalf("no table per group in:\n%s", out)
	}
	got := strings.Split(strings.TrimRight(out[i:], "\n"), "\n")
	if len(got) < len(want) {
		t.Fatalf("table per group:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for j, w := range want {
		if got[j] != w {
			t.Errorf("row %d:\n got %q\nwant %q", j, got[j], w)
		}
	}
}
