package store

import (
	"context"
	"errors"
	"sync"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
)

// Shared runs fn in a write transaction that it may share with other
// callers' (a group commit): the access-log entry of a read costs a share
// of one fsync, not one of its own, when staff read at the same time. It
// returns once that transaction is on disk, as Update does, so what a read
// found (in View, before: cases.Service's reads hold only their entries'
// appends in fn, agent/cases readlog.go) is shown only once its access-log
// entry is durable.
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
	return db.group.do(db, fn)
}

// groupCommit queues the fns of Shared and runs them in groups: one caller
// leads, taking everything queued into one transaction; who arrives during
// that commit waits for the next group, led by the first of them. A caller
// alone commits at once: no timer, unlike bolt.DB.Batch.
type groupCommit struct {
	mu      sync.Mutex
	queue   []*groupCall
	leading bool
	// commits counts the transactions the groups committed (tests).
	commits int
}

type groupCall struct {
	fn   func(cases.Tx) error
	err  error
	done bool
	// wake is signalled once: when the call is done, or when it is to lead
	// the next group.
	wake chan struct{}
}

func (g *groupCommit) do(db *DB, fn func(cases.Tx) error) error {
	c := &groupCall{fn: fn, wake: make(chan struct{}, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, c)
	if g.leading {
		g.mu.Unlock()
		<-c.wake
		if c.done {
			return c.err
		}
		g.mu.Lock() // promoted: lead the group queued behind the last one
	}
	g.leading = true
	group := g.queue
	g.queue = nil
	g.mu.Unlock()

	g.run(db, group)

	g.mu.Lock()
	if len(g.queue) > 0 {
		next := g.queue[0]
		next.wake <- struct{}{}
	} else {
		g.leading = false
	}
	g.mu.Unlock()
	return c.err
}

// errGroupMember marks a rollback for one fn's error.
var errGroupMember = errors.New("a call in the group failed")

// run commits group's fns in one transaction; a fn that fails is run alone
// and the others again without it.
func (g *groupCommit) run(db *DB, group []*groupCall) {
	for len(group) > 0 {
		failed := -1
		err := db.update(func(btx *bolt.Tx) error {
			t := db.newTx(btx)
			defer t.stopWriter()
			for i, c := range group {
				if err := c.fn(t); err != nil {
					failed = i
					return errGroupMember
				}
			}
			return t.flush()
		})
		if failed < 0 {
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
		g.finish(alone, db.Update(context.Background(), alone.fn))
		group = append(group[:failed:failed], group[failed+1:]...)
	}
}

// finish gives c its result and wakes it (the leader's own call is woken
// too; it reads err after run returns).
func (g *groupCommit) finish(c *groupCall, err error) {
	c.err, c.done = err, true
	c.wake <- struct{}{}
}
