package cases

import (
	"context"
	"slices"
	"time"

	"clinicgw/sync/wire/casetype"
)

// The inbox's counts from aggregates (issue 18). A store that keeps, in
// the same transaction as every write of a case, how many cases of
// InboxStatuses are in each InboxBucket (agent/store, beside the
// statistics' aggregates: TallyOf) answers InboxCounts from those few
// buckets (InboxStore): an inbox load or a refresh of its counts costs
// the buckets, not the open cases. The buckets hold what the indexes the
// counts were read from hold (status, type, group, new, waiting in a
// queue, due date), so the counts are the same.

// InboxBucket is one of the inbox's aggregates: the cases in
// InboxStatuses of one status, type and group, new or not, waiting in
// their group's queue or not, due at one time (the due-date index's: an
// open case's DueAt; zero for none).
type InboxBucket struct {
	Status Status
	Type   casetype.Type
	Group  string
	Fresh  bool // IsFresh
	Queued bool // received, unassigned, routed to Group (the queue index's)
	Due    time.Time
}

// InboxBucketOf returns the bucket c counts in; false when c is in none
// (its status is not one of InboxStatuses).
func InboxBucketOf(c *Case) (InboxBucket, bool) {
	if !slices.Contains(InboxStatuses, c.Status) {
		return InboxBucket{}, false
	}
	b := InboxBucket{Status: c.Status, Type: c.Type, Group: c.Group, Fresh: IsFresh(c),
		Queued: c.Group != "" && c.Assignee == "" && c.Status == Received}
	if c.Status.Open() {
		b.Due = c.DueAt
	}
	return b, true
}

// InboxStore is a Store that keeps the inbox's aggregates (agent/store).
type InboxStore interface {
	// InboxBuckets calls fn with each bucket that holds cases and their
	// number, from one snapshot, and reports true; false, having called
	// fn for none, when its aggregates are not complete (a count of them
	// under way).
	InboxBuckets(ctx context.Context, fn func(b InboxBucket, n int)) (bool, error)
}

// inboxFromBuckets reads the inbox's counts from st's aggregates at now,
// counting as due today what is due before endOfToday; false when st
// keeps none that are complete.
func inboxFromBuckets(ctx context.Context, st InboxStore, now, endOfToday time.Time) (InboxCounts, bool, error) {
	out := InboxCounts{ByType: map[casetype.Type]int{}}
	ok, err := st.InboxBuckets(ctx, func(b InboxBucket, n int) {
		out.Open += n
		out.ByType[b.Type] += n
		if b.Status == Received {
			out.Unassigned += n
		}
		if b.Fresh {
			out.New += n
		}
		if b.Queued {
			if out.ByGroup == nil {
				out.ByGroup = map[string]int{}
			}
			out.ByGroup[b.Group] += n
		}
		if !b.Due.IsZero() && b.Due.Before(endOfToday) {
			out.Today += n
			if IsOverdue(b.Due, now) {
				out.Overdue += n
			}
		}
	})
	if err != nil || !ok {
		return InboxCounts{}, false, err
	}
	for t, n := range out.ByType {
		if n == 0 {
			delete(out.ByType, t)
		}
	}
	return out, true, nil
}
