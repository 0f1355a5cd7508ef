package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"clinicgw/agent/cases"
)

// fullJournalOf turns the slim sync journal records (schema 4,
// cases.JournalRecordCase) of the cases ids back into full records, in
// the purge's transaction, before their case records go: a slim record
// rebuilds its event from its case record, which a purge removes, and a
// reconciliation after it must still give the event back. It reads the
// whole journal (the retention's events), once per purge. A record that
// does not rebuild to its hash (cases.ErrJournalDamaged) refuses the
// purge: the event would be lost.
func (t *tx) fullJournalOf(ids []cases.ID) error {
	if len(ids) == 0 {
		return nil
	}
	want := make(map[cases.ID]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	type slimRec struct {
		pos uint64
		id  cases.ID
		rec []byte
	}
	var slim []slimRec
	err := t.SyncLog(cases.LogJournal, 0, func(pos uint64, rec []byte) bool {
		if id, ok := cases.JournalRecordCase(rec); ok && want[id] {
			slim = append(slim, slimRec{pos, id, bytes.Clone(rec)})
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("the sync journal: %w", err)
	}
	if len(slim) == 0 {
		return nil
	}
	// The purge's transaction puts what it writes itself: the records
	// are put before it goes on.
	defer t.stopWriter()
	for _, r := range slim {
		c, err := t.Case(r.id)
		if err != nil {
			return fmt.Errorf("the sync journal: case %s: %w", r.id, err)
		}
		full, err := cases.FullJournalRecord(r.pos, r.rec, c)
		if err != nil {
			return fmt.Errorf("the sync journal: %w", err)
		}
		if err := t.PutSyncLog(cases.LogJournal, r.pos, full); err != nil {
			return err
		}
	}
	return t.putPending()
}

// checkJournal rebuilds every slim sync journal record from its case
// record and checks it against the hash it keeps (Check): one that does
// not match is a *DamagedError, found before a reconciliation needs it.
func (db *DB) checkJournal(ctx context.Context) error {
	err := db.View(ctx, func(rtx cases.ReadTx) error {
		var ferr error
		err := rtx.SyncLog(cases.LogJournal, 0, func(pos uint64, rec []byte) bool {
			id, slim := cases.JournalRecordCase(rec)
			var c *cases.Case
			if slim {
				if c, ferr = rtx.Case(id); errors.Is(ferr, cases.ErrNotFound) {
					c, ferr = nil, nil
				}
			}
			if ferr == nil {
				_, ferr = cases.FullJournalRecord(pos, rec, c)
			}
			return ferr == nil && ctx.Err() == nil
		})
		if err == nil {
			err = ferr
		}
		if err == nil {
			err = ctx.Err()
		}
		return err
	})
	if errors.Is(err, cases.ErrJournalDamaged) {
		return damaged(db.path, err, true)
	}
	return err
}
