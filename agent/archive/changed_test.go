package archive

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"clinicgw/agent/cases"
)

// TestChangedAfterExportIsKept: a case written after the export read it
// (here: reopened, as a patient's reply to an answer reopens it) is not
// purged, whether the purge follows the export in the same run or in the
// next run after a kill; it keeps its change, and the package's other cases
// are purged.
func TestChangedAfterExportIsKept(t *testing.T) {
	for _, tt := range []struct {
		name, step string
		resume     bool
	}{
		{"same run", "written", false},
		{"resumed after a kill", "verified", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t)
			ids := f.seed(t, 6, true, false)
			slices.Sort(ids)
			f.clock.Advance(100 * 24 * time.Hour)
			reopen := func() {
				err := f.db.Update(ctx, func(tx cases.Tx) error {
					c, err := tx.Case(ids[1])
					if err != nil {
						return err
					}
					c.Status, c.Version = cases.Assigned, c.Version+1
					return tx.Update(c)
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			a := f.archiver(t, 3)
			first := true
			a.fault = func(s string) error {
				if s == tt.step && first {
					first = false
					if tt.resume {
						return errKilled
					}
					reopen()
				}
				return nil
			}
			_, err := a.Run(ctx, nil)
			if tt.resume {
				if !errors.Is(err, errKilled) {
					t.Fatalf("first run: %v", err)
				}
				reopen()
				_, err = f.archiver(t, 3).Run(ctx, nil)
			}
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			for i, id := range ids {
				c, err := f.svc.Get(ctx, dist, id)
				if i == 1 {
					if err != nil || c.Status != cases.Assigned {
						t.Errorf("the case changed after its export was purged or lost its change: %v", err)
					}
					continue
				}
				if !errors.Is(err, cases.ErrNotFound) {
					t.Errorf("case %d not purged: %v", i, err)
				}
			}
			if keys, _ := f.db.SettingKeys(ctx, journalPrefix); len(keys) != 0 {
				t.Errorf("journal entries left: %v", keys)
			}
		})
	}
}

// TestResumeJournalWithoutVersions: a package an older gateway journalled
// (no versions of its cases) and was stopped in is finished by this one as
// the older did: verified, its cases purged, the journal entry removed.
func TestResumeJournalWithoutVersions(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	ids := f.seed(t, 6, true, true)
	f.clock.Advance(100 * 24 * time.Hour)
	a := f.archiver(t, 3)
	a.fault = func(s string) error {
		if s == "written" {
			return errKilled
		}
		return nil
	}
	if _, err := a.Run(ctx, nil); !errors.Is(err, errKilled) {
		t.Fatalf("first run: %v", err)
	}
	keys, err := f.db.SettingKeys(ctx, journalPrefix)
	if err != nil || len(keys) != 1 {
		t.Fatalf("journal %v, %v", keys, err)
	}
	j, err := a.loadJournal(ctx, keys[0])
	if err != nil || len(j.Versions) != len(j.Cases) {
		t.Fatalf("journal %+v, %v", j, err)
	}
	j.Versions = nil // as an older gateway wrote it
	if err := a.saveJournal(ctx, j); err != nil {
		t.Fatal(err)
	}
	if _, err := f.archiver(t, 3).Run(ctx, nil); err != nil {
		t.Fatalf("second run: %v", err)
	}
	for _, id := range ids {
		if _, err := f.svc.Get(ctx, dist, id); !errors.Is(err, cases.ErrNotFound) {
			t.Errorf("case %s not purged: %v", id, err)
		}
	}
	if keys, _ := f.db.SettingKeys(ctx, journalPrefix); len(keys) != 0 {
		t.Errorf("journal entries left: %v", keys)
	}
}
