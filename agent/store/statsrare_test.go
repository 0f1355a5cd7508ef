package store

import (
	"errors"
	"os"
	"path/filepath"

	"clinicgw/agent/cases"
)

// The rare writers of the statistics' past weeks, which statsWorkload
// runs now and then when it knows the store's folder (dir): besides the
// changes and purges of every step (a case answered weeks ago changed in
// type, group, status or time of answer, or purged), a reopening that
// moves an answered case to another queue, a rebuild of the aggregates,
// a new data key with every value sealed again, and a restore of an
// earlier backup. After each the statistics a view shows, through the
// cache of past weeks (statscache.go), must still equal a full count.

// rare runs one of the rare writers.
func (w *statsWorkload) rare() {
	t := w.t
	var err error
	switch op := w.rnd.IntN(5); {
	case op == 0 && len(w.ids) > 0: // a patient's reply reopens a case, which goes to another queue
		id := w.ids[w.rnd.IntN(len(w.ids))]
		err = w.db.Update(ctx, func(tx cases.Tx) error {
			c, err := tx.Case(id)
			if err != nil {
				return err
			}
			c.Version++
			c.Status = cases.Received
			c.DueAt = cases.DueDate(w.randTime())
			c.Group = statsGroups[w.rnd.IntN(len(statsGroups))]
			return tx.Update(c) // its first answer stays where it was
		})
	case op == 1:
		err = w.db.RebuildStats(ctx, nil)
	case op == 2:
		if _, err = w.db.RotateKey(ctx); err == nil {
			_, err = w.db.Reseal(ctx, 0, nil)
		}
	case op == 3 || w.backup == "": // a backup, restored by a later rare step
		w.backup, _ = backupOf(t, w.db)
	default:
		path := filepath.Join(w.dir, "store.db")
		w.db.Close()
		if _, err := Restore(ctx, path, w.backup, fixtureKEKFrom(t, w.dir), Options{Unit: testUnit}, nil); err != nil {
			t.Fatal(err)
		}
		matches, _ := filepath.Glob(path + ".replaced-*") // the store replaced, kept aside
		for _, m := range matches {
			os.Remove(m)
		}
		w.db = openAt(t, w.dir)
		w.backup = ""
	}
	if err != nil && !errors.Is(err, cases.ErrNotFound) {
		t.Fatal(err)
	}
}
