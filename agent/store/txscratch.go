package store

import "clinicgw/agent/cases"

// A backlog's transactions each note hundreds of pending index entries,
// access-log index keys and pending case ids (caseidxputs.go,
// auditidx.go, casewriter.go) on the one goroutine that applies the
// backlog. The slices and the set they are noted in are handed from one
// write transaction to the next, emptied, not grown anew from nothing
// each time (TestBacklogTxAllocs): write transactions run one at a time,
// only the writer touches DB.scratch, and bbolt copies the keys it is
// given, so nothing of one transaction is reachable from the next.

// writeScratch is what a write transaction hands on.
type writeScratch struct {
	idxPuts  pendingIndexPuts
	auditIdx auditIndexPuts
	ids      map[cases.ID]bool
}

// takeScratch moves the scratch the last write transaction left into t,
// a new write transaction's. A second taker in the same transaction (a
// tx nested in another) finds it empty and grows its own.
func (db *DB) takeScratch(t *tx) {
	s := &db.scratch
	t.idxPuts, t.auditIdx, t.spareIDs = s.idxPuts, s.auditIdx, s.ids
	if t.spareIDs == nil { // the set db.recent held before the last commit (keepRecent)
		t.spareIDs, db.nextRecent.ids = db.nextRecent.ids, nil
		clear(t.spareIDs)
	}
	*s = writeScratch{}
}

// giveScratch empties t's slices and set and moves them to db for the
// next write transaction. t notes nothing after it.
func (t *tx) giveScratch(db *DB) {
	p := &t.idxPuts
	for i := range p.buckets {
		clear(p.buckets[i].kvs)
		p.buckets[i].kvs = p.buckets[i].kvs[:0]
	}
	p.n, p.err, p.order = 0, nil, p.order[:0]
	a := &t.auditIdx
	clear(a.actor)
	clear(a.byCase)
	a.actor, a.byCase, a.keys = a.actor[:0], a.byCase[:0], a.keys[:0]
	ids := t.spareIDs
	if t.cw != nil {
		ids = t.cw.ids
	}
	if t.keepsRecent { // the ids it inserted, for keepRecent; the spare it held back
		n := &db.nextRecent
		n.set, n.floor, n.floorKnown = true, t.idFloor, t.idFloorKnown
		ids, n.ids = n.ids, ids
	}
	clear(ids)
	db.scratch = writeScratch{idxPuts: *p, auditIdx: *a, ids: ids}
	t.idxPuts, t.auditIdx, t.spareIDs = pendingIndexPuts{}, auditIndexPuts{}, nil
}
