package cases

// The lists: List and OverdueIDs, and the choice of the index that holds
// exactly the cases a list shows.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"clinicgw/agent/audit"
)

// List returns the cases that match f and that actor may read: a
// distributor (or the system) any of the unit's cases, a clinician only
// their own whatever f says; the unit administrator and the auditor are
// refused. Cases come in id order, oldest first (f.Newest: newest first),
// lists by due date earliest due first; f.After and f.Before page through
// them. Each call writes one access-log entry without case or patient,
// allowed or denied.
func (s *Service) List(ctx context.Context, actor Actor, f Filter) ([]*Case, error) {
	if err := s.checkActor(actor, List); err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	actor = s.withGroups(actor)
	if err := f.check(); err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	f.Status = slices.Clone(f.Status)
	if f.Limit == 0 {
		f.Limit = DefaultListLimit
	}
	allowed := actor.Kind == System || actor.Kind == Integration || actor.Has(Distributor) || actor.Has(Clinician)
	none := false // a clinician asking for someone else's cases
	if actor.Kind == Staff && !actor.Has(Distributor) && actor.Has(Clinician) {
		none = f.Assignee != "" && f.Assignee != actor.HSAID
		f.Assignee = actor.HSAID
	}
	now := s.clock.Now()
	var out []*Case
	outcome := audit.Denied
	if allowed {
		outcome = audit.Allowed
	}
	if allowed && !none {
		err := s.store.View(ctx, func(tx ReadTx) error {
			var err error
			out, err = s.list(tx, actor, f, now)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("list cases: %w", err)
		}
	}
	if err := s.logRead(ctx, s.entry(now, actor, List, nil, outcome)); err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	if !allowed {
		s.denied("case list denied", actor, List, "")
		return nil, fmt.Errorf("list cases: %w", ErrNotAllowed)
	}
	return out, nil
}

// OverdueIDs returns the ids of the open cases past their due date now,
// earliest due first. It reads no patient data (the due-date index only)
// and so writes no access-log entry: it is for notices, which count them.
func (s *Service) OverdueIDs(ctx context.Context) ([]ID, error) {
	now := s.clock.Now()
	var ids []ID
	err := s.store.View(ctx, func(tx ReadTx) error {
		ids = ids[:0]
		return tx.DueBefore(now, func(id ID, due time.Time) bool {
			if IsOverdue(due, now) {
				ids = append(ids, id)
			}
			return true
		})
	})
	if err != nil {
		return nil, fmt.Errorf("overdue cases: %w", err)
	}
	return ids, nil
}

// list finds the cases for List through the index that holds exactly the
// cases f selects, in the list's order (oldest first, Newest: newest
// first; due-date lists earliest due first), so a page reads about as many
// cases as it shows, however long the history behind them. A page before
// f.Before is read backwards from it and turned round.
func (s *Service) list(tx ReadTx, actor Actor, f Filter, now time.Time) ([]*Case, error) {
	var out []*Case
	add := func(c *Case) bool {
		if s.readable(actor, c) &&
			(len(f.Status) == 0 || slices.Contains(f.Status, c.Status)) &&
			(f.Assignee == "" || c.Assignee == f.Assignee) &&
			(f.Type == "" || c.Type == f.Type) &&
			(!f.Overdue || c.Status.Open() && IsOverdue(c.DueAt, now)) &&
			(f.DueBy.IsZero() || c.Status.Open() && c.DueAt.Before(f.DueBy)) {
			out = append(out, c)
		}
		return len(out) < f.Limit
	}
	var loadErr error
	load := func(id ID) bool {
		c, err := tx.Case(id)
		if err != nil {
			loadErr = fmt.Errorf("case %s from index: %w", id, err)
			return false
		}
		return add(c)
	}
	from, back := f.After, f.Before != ""
	if back {
		from = f.Before
	}
	var err error
	if f.DueFirst && !f.Overdue && f.DueBy.IsZero() {
		err = listDueFirst(tx, f, from, back, load) // inbox.go
	} else if f.Overdue || !f.DueBy.IsZero() {
		limit := f.DueBy
		if f.Overdue {
			limit = now
		}
		var pos DuePos
		if from != "" {
			// The page's edge, wherever it is now: its due date then.
			c, cerr := tx.Case(from)
			switch {
			case cerr == nil:
				pos = DuePos{Due: c.DueAt, ID: from}
			case !errors.Is(cerr, ErrNotFound):
				return nil, cerr
			}
		}
		idx, value := dueIndex(f)
		err = tx.DueScan(idx, value, limit, pos, back, func(id ID, _ time.Time) bool { return load(id) })
	} else {
		idx, values := listIndex(f)
		err = tx.Scan(idx, values, Walk{After: from, Desc: f.Newest != back}, load)
	}
	if err == nil {
		err = loadErr
	}
	if err != nil {
		return nil, err
	}
	if back {
		slices.Reverse(out)
	}
	return out, nil
}

// dueIndex is the due-date index, and its value, whose entries are the
// open cases with f's assignee and type, when given.
func dueIndex(f Filter) (Index, string) {
	switch {
	case f.Assignee != "" && f.Type != "":
		return ByTypeAssigneeDue, IndexKey(string(f.Type), f.Assignee)
	case f.Assignee != "":
		return ByAssigneeDue, f.Assignee
	case f.Type != "":
		return ByTypeDue, string(f.Type)
	}
	return ByDue, ""
}

// listIndex is the index, and its values, whose entries are the cases
// with one of f's statuses (any status when none) and f's assignee and
// type, when given.
func listIndex(f Filter) (Index, []string) {
	sts := f.Status
	if len(sts) == 0 {
		sts = statuses
	}
	idx := ByStatus
	switch {
	case f.Assignee != "" && f.Type != "":
		idx = ByStatusTypeAssignee
	case f.Assignee != "":
		idx = ByStatusAssignee
	case f.Type != "":
		idx = ByStatusType
	}
	values := make([]string, len(sts))
	for i, st := range sts {
		switch idx {
		case ByStatusTypeAssignee:
			values[i] = IndexKey(string(st), string(f.Type), f.Assignee)
		case ByStatusAssignee:
			values[i] = IndexKey(string(st), f.Assignee)
		case ByStatusType:
			values[i] = IndexKey(string(st), string(f.Type))
		default:
			values[i] = string(st)
		}
	}
	return idx, values
}
