package casestest

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/casetype"
)

// The list suite: lists read through indexes of what they show, in the
// order they show it, a page at a time.

var (
	openStatuses = []cases.Status{cases.Received, cases.Assigned, cases.PartiallyAnswered, cases.WaitingForPatient}
	doneStatuses = []cases.Status{cases.Answered, cases.Closed, cases.Withdrawn}
)

// history stores n closed cases of clinA, older than anything the clock
// made so far, like proto but for id and times: one transaction, straight
// into the store, as years of work would have left them.
func (e *env) history(proto *cases.Case, n int) []cases.ID {
	e.t.Helper()
	rnd := rand.NewChaCha8([32]byte{7})
	start := proto.ReceivedAt.Add(-time.Duration(n+10) * time.Minute)
	ids := make([]cases.ID, n)
	err := e.store.Update(e.ctx, func(tx cases.Tx) error {
		for i := range n {
			at := start.Add(time.Duration(i) * time.Minute)
			id, err := caseid.New(at, rnd)
			if err != nil {
				return err
			}
			c := *proto
			c.ID, c.Version, c.ReceivedAt = id, 1, at
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
	return ids
}

// decodes returns how many cases fn made the store decode.
func (e *env) decodes(fn func()) int64 {
	before := e.store.decoded.Load()
	fn()
	return e.store.decoded.Load() - before
}

func idsOf(cs []*cases.Case) []cases.ID {
	out := make([]cases.ID, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// suiteListCostsThePage: a clinician with 5,000 closed cases and 3 open
// ones. "My cases" reads the 3, not the history; the done view shows the
// newest first and reads one page; paging forward and back goes through
// all of them, each once; a type and status with no cases reads none.
func suiteListCostsThePage(t *testing.T, e *env) {
	const closed = 5000
	c := e.receive()
	e.do(dist, c.ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA})
	c = e.do(clinA, c.ID, cases.Command{Action: cases.SendAnswer, Text: "Svar."})
	if c.Status != cases.Answered {
		t.Fatalf("status %s after the answer", c.Status)
	}
	hist := e.history(c, closed)
	done := append(slices.Clone(hist), c.ID) // oldest first
	var open []cases.ID
	for range 3 {
		e.clock.Advance(time.Minute)
		o := e.receive()
		e.do(dist, o.ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA})
		open = append(open, o.ID)
	}

	var mine []*cases.Case
	n := e.decodes(func() {
		mine = need(e.svc.List(e.ctx, clinA, cases.Filter{Assignee: hsaClinA, Status: openStatuses}))(t)
	})
	if got := idsOf(mine); !slices.Equal(got, open) {
		t.Errorf("my open cases = %v, want %v", got, open)
	}
	if n > 2*int64(len(open)) {
		t.Errorf("my 3 open cases decoded %d cases: the list walks the closed history", n)
	}

	// The done view: newest first, one page read.
	const page = 50
	var got []*cases.Case
	n = e.decodes(func() {
		got = need(e.svc.List(e.ctx, dist, cases.Filter{Status: doneStatuses, Newest: true, Limit: page}))(t)
	})
	want := slices.Clone(done)
	slices.Reverse(want)
	if ids := idsOf(got); !slices.Equal(ids, want[:page]) {
		t.Errorf("done view, first page: %d cases starting %v, want the newest first, starting %v", len(ids), ids[:min(3, len(ids))], want[:3])
	}
	if n > 2*page {
		t.Errorf("a done page of %d decoded %d cases", page, n)
	}

	// Forward through every page, then back from the last.
	var all []cases.ID
	var pages [][]cases.ID
	f := cases.Filter{Status: doneStatuses, Newest: true, Limit: cases.MaxListLimit}
	for range len(want)/cases.MaxListLimit + 2 {
		p := idsOf(need(e.svc.List(e.ctx, dist, f))(t))
		if len(p) == 0 {
			break
		}
		pages = append(pages, p)
		all = append(all, p...)
		f.After = p[len(p)-1]
	}
	if !slices.Equal(all, want) {
		t.Errorf("paging forward gave %d cases, want the %d done ones, newest first, each once", len(all), len(want))
	}
	for i := len(pages) - 1; i > 0; i-- {
		f := cases.Filter{Status: doneStatuses, Newest: true, Limit: cases.MaxListLimit, Before: pages[i][0]}
		if p := idsOf(need(e.svc.List(e.ctx, dist, f))(t)); !slices.Equal(p, pages[i-1]) {
			t.Errorf("the page before page %d: %d cases, want page %d (%d)", i, len(p), i-1, len(pages[i-1]))
		}
	}
	// Oldest first through the same index.
	if p := idsOf(need(e.svc.List(e.ctx, dist, cases.Filter{Status: doneStatuses, Limit: 3}))(t)); !slices.Equal(p, done[:3]) {
		t.Errorf("done, oldest first = %v, want %v", p, done[:3])
	}

	// A clinician's done cases, a page after a cursor, read one page.
	n = e.decodes(func() {
		got = need(e.svc.List(e.ctx, clinA, cases.Filter{Status: doneStatuses, Newest: true, Limit: page, After: want[page]}))(t)
	})
	if ids := idsOf(got); !slices.Equal(ids, want[page+1:2*page+1]) {
		t.Errorf("my done cases after a cursor: %d, want the %d after it", len(ids), page)
	}
	if n > 2*page {
		t.Errorf("a page of my done cases decoded %d cases", n)
	}
	// Type and status with nothing to show read nothing.
	n = e.decodes(func() {
		got = need(e.svc.List(e.ctx, dist, cases.Filter{Status: doneStatuses, Type: casetype.RenewPrescription}))(t)
	})
	if len(got) != 0 || n != 0 {
		t.Errorf("done prescriptions: %d cases, %d decoded; want none of either", len(got), n)
	}
	n = e.decodes(func() {
		got = need(e.svc.List(e.ctx, dist, cases.Filter{Assignee: hsaClinA, Type: casetype.AdviceNurse, Status: []cases.Status{cases.Assigned}}))(t)
	})
	if ids := idsOf(got); !slices.Equal(ids, open) || n > 2*int64(len(open)) {
		t.Errorf("clinA's assigned advice cases = %v (%d decoded), want %v", ids, n, open)
	}
}

// suiteListPaging pages every kind of list, both ways, on a few cases.
func suiteListPaging(t *testing.T, e *env) {
	var c [6]*cases.Case
	for i := range c {
		s := e.sub()
		if i%2 == 1 {
			s.Type = casetype.RenewPrescription
		}
		c[i] = need(e.svc.Receive(e.ctx, s))(t)
		e.clock.Advance(time.Minute)
	}
	for _, i := range []int{0, 1, 3, 4} {
		e.do(dist, c[i].ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA})
	}
	e.do(clinA, c[4].ID, cases.Command{Action: cases.SendAnswer, Text: "Svar."})
	e.clock.Advance(6 * 24 * time.Hour) // all open ones overdue, due in order of arrival
	filters := []struct {
		name string
		who  cases.Actor
		f    cases.Filter
		want []int // the whole list, in its order
	}{
		{"all", dist, cases.Filter{}, []int{0, 1, 2, 3, 4, 5}},
		{"all newest", dist, cases.Filter{Newest: true}, []int{5, 4, 3, 2, 1, 0}},
		{"open", dist, cases.Filter{Status: openStatuses}, []int{0, 1, 2, 3, 5}},
		{"open newest", dist, cases.Filter{Status: openStatuses, Newest: true}, []int{5, 3, 2, 1, 0}},
		{"type", dist, cases.Filter{Type: casetype.RenewPrescription}, []int{1, 3, 5}},
		{"type newest", dist, cases.Filter{Type: casetype.RenewPrescription, Newest: true}, []int{5, 3, 1}},
		{"open type", dist, cases.Filter{Status: openStatuses, Type: casetype.AdviceNurse}, []int{0, 2}},
		{"assignee", dist, cases.Filter{Assignee: hsaClinA}, []int{0, 1, 3, 4}},
		{"assignee type", dist, cases.Filter{Assignee: hsaClinA, Type: casetype.AdviceNurse}, []int{0, 4}},
		{"mine open", clinA, cases.Filter{Status: openStatuses}, []int{0, 1, 3}},
		{"mine newest", clinA, cases.Filter{Newest: true}, []int{4, 3, 1, 0}},
		{"overdue", dist, cases.Filter{Overdue: true}, []int{0, 1, 2, 3, 5}},
		{"overdue newest", dist, cases.Filter{Overdue: true, Newest: true}, []int{0, 1, 2, 3, 5}}, // by due date
		{"mine overdue", clinA, cases.Filter{Overdue: true}, []int{0, 1, 3}},
		{"due by", dist, cases.Filter{DueBy: e.clock.Now()}, []int{0, 1, 2, 3, 5}},
	}
	for _, tt := range filters {
		want := make([]cases.ID, len(tt.want))
		for i, w := range tt.want {
			want[i] = c[w].ID
		}
		if got := idsOf(need(e.svc.List(e.ctx, tt.who, tt.f))(t)); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", tt.name, got, want)
			continue
		}
		for size := 1; size <= 3; size++ {
			f := tt.f
			f.Limit = size
			var fwd []cases.ID
			for range len(want) + 1 {
				p := idsOf(need(e.svc.List(e.ctx, tt.who, f))(t))
				if len(p) == 0 {
					break
				}
				fwd = append(fwd, p...)
				f.After = p[len(p)-1]
			}
			if !slices.Equal(fwd, want) {
				t.Errorf("%s, pages of %d forward: %v, want %v", tt.name, size, fwd, want)
			}
			f = tt.f
			f.Limit, f.Before = size, want[len(want)-1]
			bwd := []cases.ID{want[len(want)-1]}
			for range len(want) + 1 {
				p := idsOf(need(e.svc.List(e.ctx, tt.who, f))(t))
				if len(p) == 0 {
					break
				}
				bwd = append(slices.Clone(p), bwd...)
				f.Before = p[0]
			}
			if !slices.Equal(bwd, want) {
				t.Errorf("%s, pages of %d backward: %v, want %v", tt.name, size, bwd, want)
			}
		}
	}
	for _, f := range []cases.Filter{{After: c[0].ID, Before: c[1].ID}, {After: "x"}, {Before: "../etc"}} {
		_, err := e.svc.List(e.ctx, dist, f)
		wantErr(t, err, cases.ErrInvalidInput)
	}
}
