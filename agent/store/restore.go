package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/atomicfile"
	"clinicgw/sync/clock"
)

// keyRestoredFrom, in the meta bucket, is the manifest of the backup the
// store was last restored from, with the time of the restore (plain JSON:
// no patient data).
var keyRestoredFrom = []byte("restored-from")

// RestoredFrom is what a restored store records of its backup.
type RestoredFrom struct {
	Backup     Manifest  `json:"backup"`
	RestoredAt time.Time `json:"restoredAt"`
	// ReconciledAt is when the gateway got back from the central store
	// what it confirmed after the backup (MarkRestoreReconciled); zero
	// until then.
	ReconciledAt time.Time `json:"reconciledAt,omitzero"`
}

// RestoreReport says what Restore did.
type RestoreReport struct {
	Backup Manifest    // the backup's manifest
	Check  CheckReport // what the check of the backup found
	// Aside is where the store that was replaced now is (path with the
	// time of the restore added); "" when there was none.
	Aside string
}

// Restore replaces the store file at path with the backup at from, after
// checking the backup in full, and returns what it did. Nothing is
// replaced unless every check passes:
//   - the manifest beside the backup, and the backup's size and SHA-256;
//   - the backup is of opts.Unit;
//   - the store at path is not open (its lock is held throughout; a
//     running gateway is ErrInUse);
//   - a copy of the backup in path's folder passes Check with kek: its
//     structure, bbolt's check, every sealed value, the access log's chain
//     (another KEK is ErrWrongKey);
//   - the copy's sync cursor is the manifest's.
//
// Then the copy's access log records the restore (a system record), the
// store at path is kept aside under a new name (a hard link, so path
// never goes missing; never deleted), and the copy is renamed over path
// and the folder synced. The restored store's sync cursor is the
// backup's, so the gateway pulls again from there.
func Restore(ctx context.Context, path, from string, kek KEK, opts Options, progress func(CheckPhase, int, int)) (RestoreReport, error) {
	var rep RestoreReport
	if opts.LockTimeout == 0 {
		opts.LockTimeout = 2 * time.Second
	}
	if opts.Clock == nil {
		opts.Clock = clock.System
	}
	m, err := ReadManifest(from)
	if err != nil {
		return rep, err
	}
	rep.Backup = m
	if m.Unit != opts.Unit {
		return rep, fmt.Errorf("backup %s is of care unit %q, but this gateway is %q: a store is restored only from its own unit's backup", from, m.Unit, opts.Unit)
	}
	// The store in place stays locked until the copy is renamed over it:
	// a gateway started meanwhile waits, then refuses.
	cur, err := os.Open(path)
	release := func() {}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		cur = nil
	case err != nil:
		return rep, fmt.Errorf("restore %s: %w", path, err)
	default:
		unlock, err := lockFile(cur, opts.LockTimeout)
		if err != nil {
			cur.Close()
			if errors.Is(err, errInUse) {
				return rep, fmt.Errorf("restore %s: %w: stop the service first; nothing was replaced", path, ErrInUse)
			}
			return rep, fmt.Errorf("restore %s: %w", path, err)
		}
		release = sync.OnceFunc(func() { unlock(); cur.Close() })
		defer release()
	}
	dir := filepath.Dir(path)
	tmp, err := copyInto(dir, "."+filepath.Base(path)+".restore-*.tmp", from)
	if err != nil {
		return rep, fmt.Errorf("restore %s: copy the backup beside it: %w", path, err)
	}
	done := false
	defer func() {
		if !done {
			os.Remove(tmp)
		}
	}()
	rep.Check, err = Check(ctx, tmp, kek, opts, progress)
	if err != nil {
		return rep, fmt.Errorf("backup %s does not check; nothing was replaced: %w", from, err)
	}
	if err := checkCopyMatches(tmp, m); err != nil {
		return rep, fmt.Errorf("backup %s: %w; nothing was replaced", from, err)
	}
	now := opts.Clock.Now().UTC()
	if err := recordRestore(ctx, tmp, kek, opts, RestoredFrom{Backup: m, RestoredAt: now}); err != nil {
		return rep, fmt.Errorf("restore %s: record the restore in the backup's copy: %w; nothing was replaced", path, err)
	}
	if cur != nil {
		rep.Aside = fmt.Sprintf("%s.replaced-%s", path, now.Format("20060102T150405Z"))
		if err := os.Link(path, rep.Aside); err != nil {
			return rep, fmt.Errorf("restore %s: keep the store in place aside as %s: %w; nothing was replaced", path, rep.Aside, err)
		}
	}
	if !replaceKeepsLock {
		release()
	}
	if err := os.Rename(tmp, path); err != nil {
		return rep, fmt.Errorf("restore %s: %w (the store in place is unchanged)", path, err)
	}
	done = true
	if err := atomicfile.SyncDir(dir); err != nil {
		return rep, fmt.Errorf("restore %s: sync its folder: %w", path, err)
	}
	return rep, nil
}

// copyInto copies the file from into a new file in dir named after
// pattern (os.CreateTemp), synced, and returns its name.
func copyInto(dir, pattern, from string) (string, error) {
	src, err := os.Open(from)
	if err != nil {
		return "", err
	}
	defer src.Close()
	dst, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	_, err = io.Copy(dst, src)
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst.Name())
		return "", err
	}
	return dst.Name(), nil
}

// checkCopyMatches checks that the copy at path is the store the manifest
// describes: its unit, sync cursor and access log's end.
func checkCopyMatches(path string, m Manifest) error {
	bdb, err := openBoltReadOnly(path, time.Second)
	if err != nil {
		return err
	}
	defer bdb.Close()
	return bdb.View(func(btx *bolt.Tx) error {
		got, err := manifestOf(btx, m.TakenAt)
		if err != nil {
			return err
		}
		if got.Unit != m.Unit || got.SyncCursor != m.SyncCursor || got.AuditSeq != m.AuditSeq || got.Schema != m.Schema {
			return fmt.Errorf("the copy is not the store its manifest describes (unit %q, sync cursor %d, access log %d, schema %d; the manifest says %q, %d, %d, %d)",
				got.Unit, got.SyncCursor, got.AuditSeq, got.Schema, m.Unit, m.SyncCursor, m.AuditSeq, m.Schema)
		}
		return nil
	})
}

// recordRestore opens the checked copy at path as the gateway would and
// appends the restore to its access log (a system record), with the
// backup's manifest in the meta bucket. The sync cursor stays the
// backup's.
func recordRestore(ctx context.Context, path string, kek KEK, opts Options, rf RestoredFrom) error {
	db, err := Open(ctx, path, kek, opts)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(rf)
	if err == nil {
		err = db.Update(ctx, func(ct cases.Tx) error {
			t := ct.(*tx)
			if err := t.bucket(bucketMeta).Put(keyRestoredFrom, raw); err != nil {
				return err
			}
			return t.AppendAudit(audit.Entry{Time: rf.RestoredAt, Actor: string(cases.System), Unit: opts.Unit,
				Action: string(cases.RestoreBackup), Outcome: audit.Allowed})
		})
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return err
}

// RestoredFrom reports the backup the store was last restored from; ok is
// false if it never was.
func (db *DB) RestoredFrom() (rf RestoredFrom, ok bool, err error) {
	err = db.view(func(btx *bolt.Tx) error {
		raw := btx.Bucket([]byte(bucketMeta)).Get(keyRestoredFrom)
		if raw == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(raw, &rf)
	})
	return rf, ok, err
}

// MarkRestoreReconciled records durably that the store got back from the
// central store what it confirmed after the backup it was restored from
// (at), and appends a system record of it to the access log; a store that
// was never restored, or is already marked, is left as it is.
func (db *DB) MarkRestoreReconciled(ctx context.Context, at time.Time) error {
	return db.Update(ctx, func(ct cases.Tx) error {
		t := ct.(*tx)
		meta := t.bucket(bucketMeta)
		raw := meta.Get(keyRestoredFrom)
		if raw == nil {
			return nil
		}
		var rf RestoredFrom
		if err := json.Unmarshal(raw, &rf); err != nil {
			return fmt.Errorf("read the restore record: %w", err)
		}
		if !rf.ReconciledAt.IsZero() {
			return nil
		}
		rf.ReconciledAt = at.UTC()
		b, err := json.Marshal(rf)
		if err != nil {
			return err
		}
		if err := meta.Put(keyRestoredFrom, b); err != nil {
			return err
		}
		return t.AppendAudit(audit.Entry{Time: rf.ReconciledAt, Actor: string(cases.System), Unit: db.unit,
			Action: string(cases.RecoverFromCentral), Outcome: audit.Allowed})
	})
}

// SyncCursorOf reads the sync cursor of the closed store file at path
// without a key (it is stored plain).
func SyncCursorOf(path string) (uint64, error) {
	bdb, err := openBoltReadOnly(path, time.Second)
	if err != nil {
		return 0, err
	}
	defer bdb.Close()
	var c uint64
	err = bdb.View(func(btx *bolt.Tx) error {
		meta := btx.Bucket([]byte(bucketMeta))
		if meta == nil {
			return errors.New("no meta bucket")
		}
		if raw := meta.Get(keySyncCursor); len(raw) == 8 {
			c = binary.BigEndian.Uint64(raw)
		}
		return nil
	})
	return c, err
}
