package casestest

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// The inbox suite: the due-first order and its pages, the counts beside
// the views, the search by patient and its access-log entries.

// inboxCase is one case the inbox suite stores: its status, due date
// (from now; 0 for none) and type.
type inboxCase struct {
	status cases.Status
	due    time.Duration
	typ    casetype.Type
}

// inboxCases stores cs, oldest id first, as copies of a received case,
// straight into the store; it returns their ids in that order.
func (e *env) inboxCases(cs []inboxCase) []cases.ID {
	e.t.Helper()
	proto := e.receive()
	now := e.clock.Now()
	rnd := rand.NewChaCha8([32]byte{9})
	ids := make([]cases.ID, len(cs))
	err := e.store.Update(e.ctx, func(tx cases.Tx) error {
		for i, ic := range cs {
			at := now.Add(time.Duration(i+1) * time.Second)
			id, err := caseid.New(at, rnd)
			if err != nil {
				return err
			}
			c := *proto
			c.ID, c.Version, c.ReceivedAt, c.Status, c.Type = id, 1, at, ic.status, ic.typ
			c.DueAt = time.Time{}
			if ic.due != 0 {
				c.DueAt = now.Add(ic.due)
			}
			if ic.status != cases.Received {
				c.Assignee = hsaClinA
			}
			if err := tx.Insert(&c); err != nil {
				return err
			}
			ids[i] = id
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	// The proto case is closed out of the way: the suite's cases are these.
	e.do(dist, proto.ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA})
	e.do(clinA, proto.ID, cases.Command{Action: cases.SendAnswer, Text: "Svar."})
	return ids
}

// suiteInboxOrder: the inbox's orders, a page of two at a time, forward to
// the end and back to the start; each order holds across the pages.
func suiteInboxOrder(t *testing.T, e *env) {
	const day = 24 * time.Hour
	ids := e.inboxCases([]inboxCase{
		{cases.Received, 5 * day, casetype.AdviceNurse},            // 0
		{cases.Assigned, -time.Hour, casetype.AdviceNurse},         // 1: overdue
		{cases.WaitingForPatient, 0, casetype.AdviceNurse},         // 2: no due date
		{cases.Received, 3 * day, casetype.AdviceNurse},            // 3
		{cases.PartiallyAnswered, time.Hour, casetype.AdviceNurse}, // 4
		{cases.Closed, 0, casetype.AdviceNurse},                    // 5
		{cases.WaitingForPatient, 0, casetype.AdviceNurse},         // 6
	})
	pick := func(is ...int) []cases.ID {
		out := make([]cases.ID, len(is))
		for i, n := range is {
			out[i] = ids[n]
		}
		return out
	}
	tests := []struct {
		name string
		f    cases.Filter
		want []cases.ID
	}{
		{"due first", cases.Filter{Status: cases.InboxStatuses, DueFirst: true}, pick(1, 4, 3, 0, 2, 6)},
		{"newest", cases.Filter{Status: cases.InboxStatuses, Newest: true}, pick(6, 4, 3, 2, 1, 0)},
		{"oldest", cases.Filter{Status: cases.InboxStatuses}, pick(0, 1, 2, 3, 4, 6)},
		{"due first, unassigned", cases.Filter{Status: []cases.Status{cases.Received}, DueFirst: true}, pick(3, 0)},
		{"due first, waiting only", cases.Filter{Status: []cases.Status{cases.WaitingForPatient}, DueFirst: true}, pick(2, 6)},
		{"due first, open and closed", cases.Filter{Status: []cases.Status{cases.Received, cases.Assigned, cases.PartiallyAnswered,
			cases.WaitingForPatient, cases.Closed}, DueFirst: true}, pick(1, 4, 3, 0, 2, 5, 6)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.f
			f.Limit = 2
			var got [][]cases.ID
			for i := 0; i < 10; i++ {
				page := idsOf(need(e.svc.List(e.ctx, dist, f))(t))
				if len(page) == 0 {
					break
				}
				got = append(got, page)
				f.After = page[len(page)-1]
			}
			if flat := slices.Concat(got...); !slices.Equal(flat, tt.want) {
				t.Fatalf("forward pages %v, want %v", got, tt.want)
			}
			// Back from the last page, a page at a time, to the first.
			f.After = ""
			back := got[len(got)-1]
			for i := len(got) - 2; i >= 0; i-- {
				f.Before = back[0]
				back = idsOf(need(e.svc.List(e.ctx, dist, f))(t))
				if !slices.Equal(back, got[i]) {
					t.Fatalf("page %d backwards %v, want %v", i, back, got[i])
				}
			}
		})
	}
}

// suiteInboxCounts: the counts beside the inbox's views, from indexes: a
// store that keeps the index of new cases decodes none.
func suiteInboxCounts(t *testing.T, e *env) {
	const day = 24 * time.Hour
	e.inboxCases([]inboxCase{
		{cases.Received, 5 * day, casetype.AdviceNurse},
		{cases.Assigned, -time.Hour, casetype.AdviceNurse},
		{cases.WaitingForPatient, 0, casetype.RenewPrescription},
		{cases.Received, 3 * day, casetype.RenewPrescription},
		{cases.PartiallyAnswered, time.Hour, casetype.AdviceNurse},
		{cases.Closed, 0, casetype.AdviceNurse},
	})
	// Taken back: unassigned, but not new.
	c := e.receive()
	e.do(dist, c.ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA})
	e.do(dist, c.ID, cases.Command{Action: cases.TakeBack})
	var got cases.InboxCounts
	decoded := e.decodes(func() { got = need(e.svc.InboxCounts(e.ctx, dist))(t) })
	want := cases.InboxCounts{Open: 6, New: 2, Unassigned: 3, Overdue: 1, Today: 2,
		ByType: map[casetype.Type]int{casetype.AdviceNurse: 4, casetype.RenewPrescription: 2}}
	if got.Open != want.Open || got.New != want.New || got.Unassigned != want.Unassigned ||
		got.Overdue != want.Overdue || got.Today != want.Today || len(got.ByType) != len(want.ByType) ||
		got.ByType[casetype.AdviceNurse] != 4 || got.ByType[casetype.RenewPrescription] != 2 || got.ByGroup != nil {
		t.Errorf("counts %+v, want %+v", got, want)
	}
	var indexed bool
	_ = e.store.Store.View(e.ctx, func(tx cases.ReadTx) error {
		if fc, ok := tx.(cases.FreshCounter); ok {
			_, indexed, _ = fc.CountFresh()
		}
		return nil
	})
	if indexed && decoded != 0 {
		t.Errorf("the counts decoded %d cases, want none", decoded)
	}
	if _, err := e.svc.InboxCounts(e.ctx, clinA); !errors.Is(err, cases.ErrNotAllowed) {
		t.Errorf("a clinician's counts: %v, want ErrNotAllowed", err)
	}
}

// suiteSearchPatient: a search by personnummer finds the patient's cases
// through the patient index, only those the searcher may read, and writes
// who searched for whom and each case found to the access log.
func suiteSearchPatient(t *testing.T, e *env) {
	c1 := e.receive()
	e.clock.Advance(time.Second) // ids in time order
	c2 := e.receive()
	other := e.sub()
	other.Patient.PNR = personnummer.Synthetic(time.Date(1990, 1, 2, 0, 0, 0, 0, time.UTC), 990)
	need(e.svc.Receive(e.ctx, other))(t)
	e.do(dist, c2.ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA})

	tests := []struct {
		name    string
		actor   cases.Actor
		want    []cases.ID
		outcome audit.Outcome
	}{
		{"distributor", dist, []cases.ID{c2.ID, c1.ID}, audit.Allowed},
		{"clinician sees own", clinA, []cases.ID{c2.ID}, audit.Allowed},
		{"other clinician none", clinB, nil, audit.Allowed},
		{"auditor refused", auditor, nil, audit.Denied},
	}
	t.Run("wrong check digit refused, not logged", func(t *testing.T) {
		s := string(e.adult)
		bad := personnummer.Personnummer(s[:11] + string('0'+(s[11]-'0'+1)%10))
		before := len(e.records(hsaDist))
		if _, err := e.svc.SearchPatient(e.ctx, dist, bad); !errors.Is(err, cases.ErrInvalidInput) {
			t.Errorf("search with a wrong check digit: %v, want ErrInvalidInput", err)
		}
		if n := len(e.records(hsaDist)); n != before {
			t.Errorf("a refused search wrote %d access-log records", n-before)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(e.records(tt.actor.HSAID))
			got, err := e.svc.SearchPatient(e.ctx, tt.actor, e.adult)
			if tt.outcome == audit.Denied {
				if !errors.Is(err, cases.ErrNotAllowed) {
					t.Fatalf("search: %v, want ErrNotAllowed", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if ids := idsOf(got); !slices.Equal(ids, tt.want) {
				t.Errorf("found %v, want %v", ids, tt.want)
			}
			rs := e.records(tt.actor.HSAID)[before:]
			if len(rs) != 1+len(tt.want) {
				t.Fatalf("%d access-log records, want the search and %d hits: %+v", len(rs), len(tt.want), rs)
			}
			s := rs[0].Entry
			if s.Action != string(cases.Search) || s.Patient != string(e.adult) || s.CaseID != "" || s.Outcome != tt.outcome {
				t.Errorf("search entry %+v", s)
			}
			for i, r := range rs[1:] {
				if r.Entry.Action != string(cases.SearchHit) || r.Entry.CaseID != string(tt.want[i]) || r.Entry.Patient != string(e.adult) {
					t.Errorf("hit entry %d: %+v", i, r.Entry)
				}
			}
		})
	}
}
