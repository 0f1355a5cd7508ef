package cases

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"
)

// The distributor's inbox: its counts, its due-first order and its search
// by patient. Everything here reads indexes; only the cases a page or a
// search shows are decoded.

// The access-log actions of a search by patient (SearchPatient): the
// search itself (who, for which patient), then one entry per case found.
const (
	Search    Action = "search"     // a member of staff searched for a patient's cases
	SearchHit Action = "search-hit" // one case a search found (access log only)
)

// InboxStatuses are the statuses of the inbox's open view: the cases still
// to be worked on, including those waiting for the patient.
var InboxStatuses = []Status{Received, Assigned, PartiallyAnswered, WaitingForPatient}

// InboxCounts are the numbers beside the inbox's views. They come from the
// store's aggregates (inboxagg.go) or its indexes (ids only), never from
// decoding a case.
type InboxCounts struct {
	Open       int // every case in InboxStatuses
	New        int // received and never assigned
	Unassigned int // received: new, or handed or taken back
	Overdue    int // open and past its due date
	Today      int // open and due before the end of today (overdue included)
	// ByType is the open cases per case type (service); types without
	// open cases are absent.
	ByType map[casetype.Type]int
	// ByGroup is the open cases per group, nil while cases have no group
	// (groupCounts).
	ByGroup map[string]int
}

// FreshCounter is a ReadTx that may keep an index of the received cases
// that were never assigned (agent/store's idx-new) and count it without
// decoding a case; ok false says it keeps none (a wrapper of a store that
// does not), and they are counted by decoding the received cases (the
// in-memory fake of the tests).
type FreshCounter interface {
	CountFresh() (n int, ok bool, err error)
}

// dueOpenEnd is later than any due date: a DueScan to it walks every open
// case that has one.
var dueOpenEnd = time.Unix(0, math.MaxInt64)

// InboxCounts returns the inbox's counts, for a distributor: from the
// store's aggregates when it keeps them (inboxagg.go), else from its
// indexes. It reads no patient data and so writes no access-log entry
// (as Stats).
func (s *Service) InboxCounts(ctx context.Context, actor Actor) (InboxCounts, error) {
	if err := s.checkActor(actor, List); err != nil {
		return InboxCounts{}, fmt.Errorf("inbox counts: %w", err)
	}
	if !actor.Has(Distributor) {
		s.denied("inbox counts denied", actor, List, "")
		return InboxCounts{}, fmt.Errorf("inbox counts: %w", ErrNotAllowed)
	}
	now := s.clock.Now()
	y, m, d := now.In(workday.Stockholm()).Date()
	endOfToday := time.Date(y, m, d+1, 0, 0, 0, 0, workday.Stockholm())
	if st, ok := s.store.(InboxStore); ok {
		out, ok, err := inboxFromBuckets(ctx, st, now, endOfToday) // inboxagg.go
		if err != nil {
			return InboxCounts{}, fmt.Errorf("inbox counts: %w", err)
		}
		if ok {
			return out, nil
		}
	}
	var out InboxCounts
	err := s.store.View(ctx, func(tx ReadTx) error {
		out = InboxCounts{ByType: map[casetype.Type]int{}}
		// A case has one value per index: the values are counted one by
		// one, without the merge a list needs.
		count := func(idx Index, values []string) (int, error) {
			n := 0
			for _, v := range values {
				if err := tx.Scan(idx, []string{v}, Walk{}, func(ID) bool { n++; return true }); err != nil {
					return 0, err
				}
			}
			return n, nil
		}
		var err error
		if out.Unassigned, err = count(ByStatus, []string{string(Received)}); err != nil {
			return err
		}
		if out.New, err = countFresh(tx); err != nil {
			return err
		}
		for _, t := range casetype.All {
			values := make([]string, len(InboxStatuses))
			for i, st := range InboxStatuses {
				values[i] = IndexKey(string(st), string(t))
			}
			n, err := count(ByStatusType, values)
			if err != nil {
				return err
			}
			if n > 0 {
				out.ByType[t] = n
				out.Open += n
			}
		}
		err = tx.DueScan(ByDue, "", endOfToday, DuePos{}, false, func(_ ID, due time.Time) bool {
			out.Today++
			if IsOverdue(due, now) {
				out.Overdue++
			}
			return true
		})
		if err != nil {
			return err
		}
		out.ByGroup, err = groupCounts(tx)
		return err
	})
	if err != nil {
		return InboxCounts{}, fmt.Errorf("inbox counts: %w", err)
	}
	return out, nil
}

// groupCounts is the cases waiting in each staff group's queue (queue.go:
// countQueues); nil when none waits in any.
func groupCounts(tx ReadTx) (map[string]int, error) { return countQueues(tx) }

// countFresh counts the received cases never assigned: from the store's
// index when it keeps one, else by decoding the received cases.
func countFresh(tx ReadTx) (int, error) {
	if fc, ok := tx.(FreshCounter); ok {
		if n, ok, err := fc.CountFresh(); ok || err != nil {
			return n, err
		}
	}
	n := 0
	var lerr error
	err := tx.Scan(ByStatus, []string{string(Received)}, Walk{}, func(id ID) bool {
		c, err := tx.Case(id)
		if err != nil {
			lerr = err
			return false
		}
		if IsFresh(c) {
			n++
		}
		return true
	})
	if err == nil {
		err = lerr
	}
	return n, err
}

// IsFresh says c is new in the inbox: received and never assigned.
func IsFresh(c *Case) bool { return c.Status == Received && len(c.History) <= 1 }

// listDueFirst walks f's cases for List earliest due first: the open ones
// by due date (DueScan, no limit), then those without a due date (waiting
// for the patient; answered and closed when f asks for them) by id, oldest
// first. A page before from (back) walks the same order backwards. from,
// the page's edge, is placed where that case is now.
func listDueFirst(tx ReadTx, f Filter, from ID, back bool, load func(ID) bool) error {
	sts := f.Status
	if len(sts) == 0 {
		sts = statuses
	}
	var rest []Status // the statuses whose cases have no due date
	for _, st := range sts {
		if !st.Open() {
			rest = append(rest, st)
		}
	}
	hasDue := len(rest) < len(sts)
	var pos DuePos
	inRest := false
	if from != "" {
		c, err := tx.Case(from)
		switch {
		case err == nil && c.Status.Open() && !c.DueAt.IsZero():
			pos = DuePos{Due: c.DueAt, ID: from}
		case err == nil:
			inRest = true
		case !errors.Is(err, ErrNotFound):
			return err
		}
	}
	stopped := false
	idx, value := dueIndex(f) // the open cases of f's type and assignee
	walkDue := func(pos DuePos) error {
		return tx.DueScan(idx, value, dueOpenEnd, pos, back, func(id ID, _ time.Time) bool {
			stopped = !load(id)
			return !stopped
		})
	}
	walkRest := func(after ID) error {
		if len(rest) == 0 {
			return nil
		}
		rf := f
		rf.Status = rest
		idx, values := listIndex(rf)
		return tx.Scan(idx, values, Walk{After: after, Desc: back}, func(id ID) bool {
			stopped = !load(id)
			return !stopped
		})
	}
	if !back {
		if hasDue && !inRest {
			if err := walkDue(pos); err != nil || stopped {
				return err
			}
			from = ""
		}
		return walkRest(from)
	}
	if inRest {
		if err := walkRest(from); err != nil || stopped {
			return err
		}
		pos = DuePos{}
	}
	if hasDue {
		return walkDue(pos)
	}
	return nil
}

// SearchPatient returns the cases of the patient with personnummer pnr
// (as patient or guardian) that actor may read, newest first, found
// through the patient index. The search is in the access log with who
// searched and for which patient (Search), and each case found with its
// own entry (SearchHit): the number of hits is the number of those.
func (s *Service) SearchPatient(ctx context.Context, actor Actor, pnr personnummer.Personnummer) ([]*Case, error) {
	if err := s.checkActor(actor, Search); err != nil {
		return nil, fmt.Errorf("search cases: %w", err)
	}
	now := s.clock.Now()
	p := Person{PNR: pnr, Name: "-"}
	if err := checkPerson("patient", &p, now); err != nil {
		return nil, fmt.Errorf("search cases: %w", err)
	}
	pnr = p.PNR // the 12-digit form the index and the log hold
	allowed := actor.Has(Distributor) || actor.Has(Clinician) || actor.Kind == Integration
	var out []*Case
	outcome := audit.Denied
	if allowed {
		outcome = audit.Allowed
		err := s.store.View(ctx, func(tx ReadTx) error {
			var lerr error
			err := tx.Lookup(ByPatient, string(pnr), func(id ID) bool {
				c, err := tx.Case(id)
				if err != nil {
					lerr = err
					return false
				}
				if s.readable(actor, c) {
					out = append(out, c)
				}
				return len(out) < MaxListLimit
			})
			if err == nil {
				err = lerr
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("search cases: %w", err)
		}
		slices.Reverse(out) // newest first
	}
	// The search (who, for which patient), then each case found.
	entries := make([]audit.Entry, 0, 1+len(out))
	entries = append(entries, audit.Entry{Time: now, Actor: actor.Name(), Unit: s.unit, Action: string(Search), Patient: string(pnr), Outcome: outcome})
	for _, c := range out {
		entries = append(entries, s.entry(now, actor, SearchHit, c, audit.Allowed))
	}
	if err := s.logRead(ctx, entries...); err != nil {
		return nil, fmt.Errorf("search cases: %w", err)
	}
	if !allowed {
		s.denied("case search denied", actor, Search, "")
		return nil, fmt.Errorf("search cases: %w", ErrNotAllowed)
	}
	return out, nil
}
