package cases

import (
	"context"
	"fmt"
	"slices"

	"clinicgw/agent/audit"
)

// Queue returns a page of the cases waiting in group's queue (received,
// unassigned, routed to the group), oldest first, after the case after
// ("" from the start), at most limit (0: DefaultListLimit), for a
// distributor or a clinician in the group. Anyone else is refused with
// ErrNotAllowed. Each call writes one access-log entry (action list, no
// case), allowed or denied, like List.
func (s *Service) Queue(ctx context.Context, actor Actor, group string, after ID, limit int) ([]*Case, error) {
	if err := s.checkActor(actor, List); err != nil {
		return nil, fmt.Errorf("group queue: %w", err)
	}
	switch {
	case !ValidGroupID(group):
		return nil, fmt.Errorf("group queue: %w", invalid("group", "not a group id", swedish("cases.refused.noSuchGroup")))
	case limit < 0 || limit > MaxListLimit:
		return nil, fmt.Errorf("group queue: %w", invalid("limit", fmt.Sprintf("not between 0 and %d", MaxListLimit), ""))
	case after != "" && !validID(after):
		return nil, fmt.Errorf("group queue: %w", invalid("after", "not a case id", ""))
	}
	if limit == 0 {
		limit = DefaultListLimit
	}
	actor = s.withGroups(actor)
	allowed := actor.Kind == System || actor.Has(Distributor) ||
		actor.Has(Clinician) && slices.Contains(actor.Groups, group)
	now := s.clock.Now()
	var out []*Case
	outcome := audit.Denied
	if allowed {
		outcome = audit.Allowed
		err := s.store.View(ctx, func(tx ReadTx) error {
			var loadErr error
			err := tx.Scan(ByQueue, []string{group}, Walk{After: after}, func(id ID) bool {
				c, err := tx.Case(id)
				if err != nil {
					loadErr = fmt.Errorf("case %s from index: %w", id, err)
					return false
				}
				// The index holds exactly the queue; the rule is checked
				// again, as List does, so an index out of step shows
				// nothing it should not.
				if s.readable(actor, c) && c.Group == group && c.Status == Received && c.Assignee == "" {
					out = append(out, c)
				}
				return len(out) < limit
			})
			if err == nil {
				err = loadErr
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("group queue: %w", err)
		}
	}
	if err := s.logRead(ctx, s.entry(now, actor, List, nil, outcome)); err != nil {
		return nil, fmt.Errorf("group queue: %w", err)
	}
	if !allowed {
		s.denied("group queue denied", actor, List, "")
		return nil, fmt.Errorf("group queue: %w", ErrNotAllowed)
	}
	return out, nil
}

// QueueCounter is a ReadTx that counts the cases waiting in each group's
// queue from its queue index (ByQueue) without decoding a case; ok false
// says it keeps none (a wrapper of a store that does not), and they are
// counted by decoding the received cases.
type QueueCounter interface {
	CountQueues() (perGroup map[string]int, ok bool, err error)
}

// countQueues is the cases waiting in each group's queue; nil when none
// waits in any.
func countQueues(tx ReadTx) (map[string]int, error) {
	if qc, ok := tx.(QueueCounter); ok {
		if m, ok, err := qc.CountQueues(); ok || err != nil {
			if len(m) == 0 {
				m = nil
			}
			return m, err
		}
	}
	var out map[string]int
	var lerr error
	err := tx.Scan(ByStatus, []string{string(Received)}, Walk{}, func(id ID) bool {
		c, err := tx.Case(id)
		if err != nil {
			lerr = err
			return false
		}
		if c.Group != "" && c.Assignee == "" {
			if out == nil {
				out = map[string]int{}
			}
			out[c.Group]++
		}
		return true
	})
	if err == nil {
		err = lerr
	}
	return out, err
}
