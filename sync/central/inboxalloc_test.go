package central

import (
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// submitPage submits n cases of about 2 KiB of text each to unit, in one
// transaction.
func (e *env) submitPage(unit string, n int) {
	e.t.Helper()
	subs := make([]Submission, n)
	for i := range subs {
		subs[i] = Submission{PatientPNR: adultPNR, PatientName: adultName, FormID: string(casetype.AdviceNurse),
			Fields: []wire.Field{{Name: "question", Value: "Ont i halsen"}},
			Text:   strings.Repeat("Jag har haft ont i halsen sedan i tisdags, det blir inte bättre. ", 30)}
	}
	if _, err := e.store.SubmitBatch(e.ctx, unit, subs); err != nil {
		e.t.Fatalf("submit: %v", err)
	}
}

// Serving an inbox page allocates per page, not per event: the events are
// opened straight into the page's one buffer, made once at its size, each
// owner's cipher made once per page (issue 18: the central store's serving
// competes for the CPU with the gateway's apply). A page of 200 events
// allocates as much as one of 20. The page is the same either way
// (env.inbox checks every page is canonical).
func TestInboxPageAllocsPerPage(t *testing.T) {
	e := newEnv(t)
	const n = 200
	e.submitPage(unitA, n)
	for _, chained := range []bool{false, true} {
		allocs := func(limit int) float64 {
			return testing.AllocsPerRun(5, func() {
				err := e.store.db.View(func(tx *bolt.Tx) error {
					_, k, _, err := e.store.inboxPage(tx, unitA, wire.InboxQuery{After: 0, Limit: limit}, chained, &pageBuf{})
					if err == nil && k != limit {
						t.Fatalf("chained %v: %d events in the page, want %d", chained, k, limit)
					}
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
			})
		}
		small, large := allocs(n/10), allocs(n)
		if large > small+2 {
			t.Errorf("chained %v: a page of %d events allocates %.0f times, one of %d %.0f: %.1f more per event, want none",
				chained, n, large, n/10, small, (large-small)/(n-n/10))
		}
	}
	if page := e.inbox(unitA, 0, wire.MaxInboxLimit); len(page.Events) != n {
		t.Errorf("inbox: %d events, want %d", len(page.Events), n)
	}
}
