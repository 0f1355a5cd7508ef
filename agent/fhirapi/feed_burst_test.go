package fhirapi_test

import (
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
)

// TestChangeFeedBurst: after a burst of 250 new cases, the feed answers
// them a page of at most 100 Tasks at a time (each answer's access-log
// entries one group commit, not one per case after another), and its
// next links lead through all of them, each once, then to none.
func TestChangeFeedBurst(t *testing.T) {
	f := newFixture(t, 0, 6000)
	start := f.curl("record", "/Task/_changes")
	next := strings.TrimPrefix(link(start.decode(t), "next"), f.url)
	var subs []cases.Submission
	for range 250 {
		subs = append(subs, cases.Submission{Type: casetype.AdviceNurse, Patient: cases.Person{PNR: f.adult, Name: "Test Testsson"},
			Text: "Ny fråga.", SubmittedAt: f.clock.Now().Add(-time.Minute)})
	}
	burst, err := f.svc.ReceiveBatch(t.Context(), subs)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for i := 0; ; i++ {
		if i > 10 {
			t.Fatal("the feed's next links do not end")
		}
		r := f.curl("record", next)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", next, r.status, r.body)
		}
		got := entries(t, r.decode(t))
		if len(got) > 100 {
			t.Fatalf("one answer has %d Tasks, want at most 100", len(got))
		}
		if len(got) == 0 {
			break
		}
		if i == 0 {
			validate(t, "burst", r.body)
		}
		for _, e := range got {
			seen[e["id"].(string)]++
		}
		next = strings.TrimPrefix(link(r.decode(t), "next"), f.url)
	}
	for _, c := range burst {
		if seen[string(c.ID)] != 1 {
			t.Errorf("case %s answered %d times, want once", c.ID, seen[string(c.ID)])
		}
	}
	if len(seen) != len(burst) {
		t.Errorf("the feed answered %d cases, want %d", len(seen), len(burst))
	}
}
