package store

import (
	"bytes"

	"clinicgw/agent/cases"
)

// A new case's id must be free: InsertPrepared looks it up in the id
// index unless it sorts after the index's last id (idBound). A backlog's
// commits end where a page ends, not where a millisecond of the central
// store's ids does (it takes a thousand cases at once, their ids in
// random order), so the next commit's first cases have ids below the
// last, and half of a backlog's new ids were searched for from the root
// of the index on the one goroutine that applies it.
//
// So the store keeps what the last write transaction (DB.Update) knew
// when it committed (recentIDs): the index's last id before it (floor)
// and the ids it put; every id in the index after floor is one of those.
// The next write transaction, if it is the very next commit (its bbolt
// transaction id follows), knows an id after floor is free unless it is
// one of them. Any other change of the id index (a purge, a record key
// made by a migration, a case's numbers changed, a case put by a
// transaction object other than DB.Update's) marks the transaction's id
// (DB.idsChangedIn), and then neither that transaction nor the next uses
// or keeps the ids; a transaction that changes nothing of the index
// hands them on. An id they name is looked up as before, so the answer
// is the index's, never the memory's alone.

// recentIDs is what the commit txid left known of the id index.
type recentIDs struct {
	txid  int    // bbolt's transaction id of the commit; 0: nothing known
	floor []byte // the index's last id before that commit
	// ids are the new cases' own ids (Case.ID), kept past their
	// transaction: they must be strings of their own, never views of a
	// buffer used again (the decoders make none).
	ids map[cases.ID]bool
}

// useRecent gives t, DB.Update's new write transaction, what the commit
// before it left, if that is the commit right before it, and has t keep
// what it knows when it commits.
func (db *DB) useRecent(t *tx) {
	id := t.btx.ID() // bbolt forgets it at the commit
	if db.recent.txid != 0 && db.recent.txid == id-1 {
		t.recent = &db.recent
	}
	t.keepsRecent = true
	t.btx.OnCommit(func() { db.keepRecent(id) })
}

// changedIDs notes that the id index was changed otherwise than by an
// insert of DB.Update's transaction.
func (t *tx) changedIDs() {
	if t.idsChanged != nil {
		t.idsChanged.Store(int64(t.btx.ID()))
	}
}

// recentFree reports whether id, not after the index's last, is known to
// be free from what the commit before left (t.recent).
func (t *tx) recentFree(id cases.ID) bool {
	r := t.recent
	if r == nil || t.idsChanged == nil || t.idsChanged.Load() == int64(t.btx.ID()) || !t.idFloorKnown {
		return false
	}
	return string(id) > string(r.floor) && !r.ids[id]
}

// noteFloor keeps the index's last id as t first read it, before t put
// any: the floor of what t leaves known.
func (t *tx) noteFloor(last []byte) {
	if !t.idFloorKnown {
		t.idFloor, t.idFloorKnown = bytes.Clone(last), true
	}
}

// keepRecent runs when DB.Update's transaction, bbolt's transaction id,
// has committed: what it left (db.nextRecent, handed by giveScratch)
// becomes db.recent.
func (db *DB) keepRecent(id int) {
	n := &db.nextRecent
	switch {
	case db.idsChanged.Load() == int64(id) || !n.set:
		db.recent.txid = 0
	case len(n.ids) > 0 && n.floorKnown:
		old := db.recent.ids
		db.recent = recentIDs{txid: id, floor: n.floor, ids: n.ids}
		n.ids = old // cleared and reused by the next (takeScratch)
	case len(n.ids) == 0 && db.recent.txid == id-1:
		db.recent.txid = id // nothing of the index changed
	default:
		db.recent.txid = 0
	}
	n.set, n.floor = false, nil
}

// nextRecent is what a DB.Update transaction knows as it ends, for
// keepRecent should it commit.
type nextRecent struct {
	set        bool
	floor      []byte
	floorKnown bool
	ids        map[cases.ID]bool // the ids it inserted
}
