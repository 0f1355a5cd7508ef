package store

import (
	"context"
	"errors"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
)

// Shared runs fn in a write transaction that it may share with other
// callers' (a group commit): the access-log entry of a read costs a share
// of one fsync, not one of its own, when staff read at the same time. It
// returns once that transaction is on disk, as Update does, so nothing
// written in fn is shown before it is durable.
//
// fn may run more than once (when another fn in its group fails, the group
// is rolled back and run again without it) and sees what the fns before it
// in its group wrote: it must set its results afresh on each run. An error
// from fn is its own: fn then runs alone, its error is returned and
// nothing of it is written, as with Update.
func (db *DB) Shared(ctx context.Context, fn func(cases.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.group.do(db, &groupCall{fn: fn})
}

// LogReads appends the access-log entries of a read (cases.ReadLogger:
// what the read found, read before in a View) and returns once they are
// on disk. They go in the group commit's next transaction, or in the
// transaction of another writer (Update: the sync's) under way when they
// are queued, whichever commits first: a page waits for one commit, not
// for the writer's and then its own. The entries are checked before they
// are queued, so that appending them cannot fail another writer's
// transaction for their sake.
func (db *DB) LogReads(ctx context.Context, entries []audit.Entry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, e := range entries {
		if err := e.Validate(); err != nil {
			return fmt.Errorf("access log: %w", err)
		}
	}
	return db.group.do(db, &groupCall{entries: entries})
}

var _ cases.ReadLogger = (*DB)(nil)

// groupCommit queues the calls of Shared and LogReads and runs them in
// groups: one caller leads, taking everything queued when its transaction
// has the writer's lock; who arrives during that commit waits for the
// next group, led by the first of them. A caller alone commits at once: no
// timer, unlike bolt.DB.Batch. A writer's Update that commits first
// carries the queued entries of LogReads (carry).
type groupCommit struct {
	mu      sync.Mutex
	queue   []*groupCall
	leading bool
	// commits counts the transactions the groups committed, carried the
	// calls other writers' transactions committed (tests).
	commits, carried int
}

type groupCall struct {
	fn      func(cases.Tx) error // Shared's; nil for LogReads'
	entries []audit.Entry        // LogReads'
	err     error
	done    chan struct{} // closed once err is set
	// lead is signalled (at most once) when the call is to lead the next
	// group.
	lead chan struct{}
}

func (c *groupCall) apply(t cases.Tx) error {
	if c.fn != nil {
		return c.fn(t)
	}
	for _, e := range c.entries {
		if err := t.AppendAudit(e); err != nil {
			return err
		}
	}
	return nil
}

func (g *groupCommit) do(db *DB, c *groupCall) error {
	c.done, c.lead = make(chan struct{}), make(chan struct{}, 1)
	g.mu.Lock()
	g.queue = append(g.queue, c)
	if g.leading {
		g.mu.Unlock()
		select {
		case <-c.done:
			// Out of the queue for good; promoted before that, it
			// leads all the same.
			select {
			case <-c.lead:
			default:
				return c.err
			}
		case <-c.lead: // promoted: lead the group queued behind the last one
		}
	} else {
		g.leading = true
		g.mu.Unlock()
	}

	g.run(db)

	g.mu.Lock()
	if len(g.queue) > 0 {
		g.queue[0].lead <- struct{}{}
	} else {
		g.leading = false
	}
	g.mu.Unlock()
	<-c.done // in the group run, or carried by a writer that finishes it after its commit
	return c.err
}

// take empties the queue and returns what it held.
func (g *groupCommit) take() []*groupCall {
	g.mu.Lock()
	defer g.mu.Unlock()
	q := g.queue
	g.queue = nil
	return q
}

// errGroupMember marks a rollback for one fn's error; errGroupEmpty one
// for a group that a writer before it carried whole.
var (
	errGroupMember = errors.New("a call in the group failed")
	errGroupEmpty  = errors.New("nothing queued")
)

// run commits the calls queued when its transaction has the writer's lock
// in that transaction; a fn that fails is run alone and the others again
// without it.
func (g *groupCommit) run(db *DB) {
	var group []*groupCall
	taken := false
	for {
		failed := -1
		err := db.update(func(btx *bolt.Tx) error {
			if !taken {
				group, taken = g.take(), true
			}
			if len(group) == 0 {
				return errGroupEmpty
			}
			t := db.newTx(btx)
			defer t.stopWriter()
			for i, c := range group {
				if err := c.apply(t); err != nil {
					failed = i
					return errGroupMember
				}
			}
			return t.flush()
		})
		switch {
		case !taken: // the transaction never began (a damaged store)
			for _, c := range g.take() {
				g.finish(c, err)
			}
			return
		case errors.Is(err, errGroupEmpty):
			return
		case failed < 0:
			if err == nil {
				g.mu.Lock()
				g.commits++
				g.mu.Unlock()
			}
			for _, c := range group {
				g.finish(c, err)
			}
			return
		}
		alone := group[failed]
		g.finish(alone, db.Update(context.Background(), alone.apply))
		group = append(group[:failed:failed], group[failed+1:]...)
	}
}

// carry appends, in t (a writer's transaction, before its commit), the
// entries of the LogReads calls queued, and returns those calls for
// carried to finish after the commit. An append that fails fails t.
func (g *groupCommit) carry(t *tx) ([]*groupCall, error) {
	g.mu.Lock()
	var calls []*groupCall
	rest := g.queue[:0]
	for _, c := range g.queue {
		if c.fn == nil {
			calls = append(calls, c)
		} else {
			rest = append(rest, c)
		}
	}
	clear(g.queue[len(rest):])
	g.queue = rest
	g.mu.Unlock()
	for _, c := range calls {
		if err := c.apply(t); err != nil {
			return calls, err
		}
	}
	return calls, nil
}

// finishCarried gives the calls carry took the result of their writer's
// commit.
func (g *groupCommit) finishCarried(calls []*groupCall, err error) {
	if len(calls) == 0 {
		return
	}
	if err == nil {
		g.mu.Lock()
		g.carried += len(calls)
		g.mu.Unlock()
	}
	for _, c := range calls {
		g.finish(c, err)
	}
}

// finish gives c its result and wakes it.
func (g *groupCommit) finish(c *groupCall, err error) {
	c.err = err
	close(c.done)
}
