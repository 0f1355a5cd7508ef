package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/atomicfile"
)

// The end of a case's life here (the archive export builds on these):
// PurgeCases removes exported cases; Reseal moves every value to the
// active key term; RetireTerms destroys the data keys of terms no value
// uses any more; Compact rewrites the file without its free pages, where
// old ciphertext and old wrapped keys linger. After a purge, a rotation,
// a reseal, a retirement and a compaction, nothing of a purged case can be
// read again, even with the key-encryption key.

// sealedBuckets hold a sealed value under every key; in the meta bucket
// only sealedMetaKeys are sealed.
var (
	sealedBuckets  = []string{bucketCases, bucketCasesV2, bucketAudit, bucketOutbox, bucketSettings, bucketQuarantine, bucketSyncJournal, bucketOutboxDone, bucketStats}
	sealedMetaKeys = [][]byte{keyAuditHead, keyAuditCheckpoint}
)

// sealedPos is a place in the walk of eachSealed: a bucket (its index in
// sealedBuckets; len(sealedBuckets) for the meta keys) and a key in it.
type sealedPos struct {
	bucket int
	key    []byte
}

// eachSealed calls fn for every sealed value in the store from from on
// (the zero sealedPos: from the start), bucket by bucket, with its place,
// until fn returns false or an error.
func eachSealed(btx *bolt.Tx, from sealedPos, fn func(at sealedPos, bucket string, key, value []byte) (bool, error)) error {
	for i := from.bucket; i < len(sealedBuckets); i++ {
		name := sealedBuckets[i]
		b := btx.Bucket([]byte(name))
		if b == nil {
			continue
		}
		c := b.Cursor()
		k, v := c.First()
		if i == from.bucket && from.key != nil {
			k, v = c.Seek(from.key)
		}
		for ; k != nil; k, v = c.Next() {
			if more, err := fn(sealedPos{i, k}, name, k, v); err != nil || !more {
				return err
			}
		}
	}
	meta := btx.Bucket([]byte(bucketMeta))
	for _, k := range sealedMetaKeys {
		if v := meta.Get(k); v != nil {
			if more, err := fn(sealedPos{len(sealedBuckets), k}, bucketMeta, k, v); err != nil || !more {
				return err
			}
		}
	}
	return nil
}

// TermUse counts the sealed values under each key term.
func (db *DB) TermUse(ctx context.Context) (map[uint32]int, error) {
	use := map[uint32]int{}
	err := db.view(func(btx *bolt.Tx) error {
		return eachSealed(btx, sealedPos{}, func(_ sealedPos, bucket string, k, v []byte) (bool, error) {
			term, ok := termOf(v)
			if !ok {
				return false, fmt.Errorf("%s: a value has no key term: %w", bucket, ErrTampered)
			}
			use[term]++
			return ctx.Err() == nil, ctx.Err()
		})
	})
	if err != nil {
		return nil, fmt.Errorf("count key terms: %w", err)
	}
	return use, nil
}

// Reseal seals again, under the active term, every value sealed under an
// older one, batch values per transaction (1000 if batch ≤ 0), and calls
// progress after each transaction with the values done and the total it
// found to do. Each transaction goes on where the last stopped, so the
// store is walked once. It can be stopped at any point and run again:
// values already under the active term are skipped. It returns how many
// values it resealed.
func (db *DB) Reseal(ctx context.Context, batch int, progress func(done, total int)) (int, error) {
	if batch <= 0 {
		batch = 1000
	}
	active := db.sealer.Load().active
	use, err := db.TermUse(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for term, n := range use {
		if term != active {
			total += n
		}
	}
	type item struct {
		bucket   string
		key, val []byte
	}
	done := 0
	var from sealedPos // each batch goes on where the last stopped
	for done < total {
		n := 0
		err := db.update(func(btx *bolt.Tx) error {
			s := db.sealer.Load()
			var todo []item
			next := from
			err := eachSealed(btx, from, func(at sealedPos, bucket string, k, v []byte) (bool, error) {
				if term, _ := termOf(v); term != s.active {
					todo = append(todo, item{bucket, slices.Clone(k), v})
					next = sealedPos{at.bucket, slices.Clone(k)}
				}
				return len(todo) < batch && ctx.Err() == nil, ctx.Err()
			})
			if err != nil {
				return err
			}
			for _, it := range todo { // put after the scan: a cursor must not see its bucket change
				plain, err := s.open(it.bucket, it.key, it.val)
				if err != nil {
					return fmt.Errorf("%s %x: %w", it.bucket, it.key, err)
				}
				sealed, err := s.seal(it.bucket, it.key, plain)
				if err != nil {
					return err
				}
				if err := btx.Bucket([]byte(it.bucket)).Put(it.key, sealed); err != nil {
					return err
				}
			}
			n, from = len(todo), next
			return nil
		})
		if err != nil {
			return done, fmt.Errorf("reseal: %w", err)
		}
		if n == 0 {
			break // values written meanwhile were sealed under the active term
		}
		done += n
		if progress != nil {
			progress(min(done, total), total)
		}
	}
	db.log.Info("values resealed", "values", done, "term", active)
	return done, nil
}

// ErrTermInUse means a key term cannot be retired: values are still
// sealed under it (run Reseal first).
var ErrTermInUse = errors.New("values are still sealed under the key term")

// RetireTerms destroys the wrapped data key of every term older than the
// active one that no value uses any more, and returns the terms retired.
// A term still in use is left as it is and named in an ErrTermInUse
// error, after the others were retired. The old wrapped keys stay in the
// file's free pages until Compact, or the next Open, which compacts a file
// whose terms were retired while it was open.
func (db *DB) RetireTerms(ctx context.Context) ([]uint32, error) {
	var retired, inUse []uint32
	_, _, err := db.changeKeyring(func(btx *bolt.Tx, kr *keyringRecord) (bool, error) {
		retired, inUse = nil, nil
		use := map[uint32]bool{}
		err := eachSealed(btx, sealedPos{}, func(_ sealedPos, _ string, _, v []byte) (bool, error) {
			term, _ := termOf(v)
			use[term] = true
			return ctx.Err() == nil, ctx.Err()
		})
		if err != nil {
			return false, err
		}
		now := db.clock.Now()
		for i := range kr.Terms {
			t := &kr.Terms[i]
			if t.Term == kr.Active || t.Wrapped == nil {
				continue
			}
			if use[t.Term] {
				inUse = append(inUse, t.Term)
				continue
			}
			t.Wrapped, t.Retired = nil, now
			retired = append(retired, t.Term)
		}
		if len(retired) == 0 {
			return false, nil
		}
		// The old wrapped keys linger in free pages: the next Open compacts.
		return true, btx.Bucket([]byte(bucketMeta)).Put(keyCompact, []byte{1})
	})
	if err != nil {
		return nil, fmt.Errorf("retire key terms: %w", err)
	}
	if len(retired) > 0 {
		db.log.Info("key terms retired", "terms", retired)
	}
	if len(inUse) > 0 {
		return retired, fmt.Errorf("retire key terms %v: %w (reseal first)", inUse, ErrTermInUse)
	}
	return retired, nil
}

// ErrPendingOutbound means a case cannot be purged: a change of it still
// waits in the outbox for the central store.
var ErrPendingOutbound = errors.New("a change of the case still waits for the central store")

// PurgeCases removes the cases ids and their index entries in one
// transaction, after allow approved each (the archive checks that it was
// exported and verified), and returns how many it removed. A case already
// gone is skipped (a run that purged a package and was stopped before it
// noted so purges it again); if allow refuses one, or a case still has a
// change in the outbox, nothing is removed. The access log keeps its
// records. The sealed bytes stay in free pages until the term is retired
// and the file compacted.
func (db *DB) PurgeCases(ctx context.Context, ids []cases.ID, allow func(*cases.Case) error) (int, error) {
	purged := 0
	err := db.update(func(btx *bolt.Tx) error {
		purged = 0
		t := db.newTx(btx)
		pending := map[cases.ID]bool{}
		if err := t.Outbox(func(o cases.Outbound) bool { pending[o.CaseID] = true; return true }); err != nil {
			return err
		}
		if err := t.fullJournalOf(ids); err != nil {
			return err
		}
		for _, id := range ids {
			if err := ctx.Err(); err != nil {
				return err
			}
			if pending[id] {
				return fmt.Errorf("case %s: %w", id, ErrPendingOutbound)
			}
			c, err := t.Case(id)
			if errors.Is(err, cases.ErrNotFound) {
				continue
			}
			if err != nil {
				return fmt.Errorf("case %s: %w", id, err)
			}
			if err := allow(c); err != nil {
				return fmt.Errorf("case %s: %w", id, err)
			}
			for _, e := range t.indexValuesOf(c).entries(id) {
				if err := btx.Bucket([]byte(e.bucket)).Delete(e.key); err != nil {
					return fmt.Errorf("case %s: index %s: %w", id, e.bucket, err)
				}
			}
			if err := t.deleteCase(id); err != nil {
				return fmt.Errorf("case %s: %w", id, err)
			}
			t.noteStats(id, c, nil)
			purged++
		}
		return t.flushStats()
	})
	if err != nil {
		return 0, fmt.Errorf("purge cases: %w", err)
	}
	db.log.Info("cases purged", "cases", purged)
	return purged, nil
}

// Compact rewrites the closed store file at path without its free pages,
// where removed values and retired keys' old wrapped copies linger: into
// a new file beside it, synced, then renamed over it. The store must not
// be open (the file lock says so).
func Compact(ctx context.Context, path string) error {
	src, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("compact %s: %w (is the service still running?)", path, err)
	}
	if err := compactFile(ctx, src, path); err != nil {
		return fmt.Errorf("%w (the store is as it was; the copy needs room for the store's live data beside it: free disk space and run the command again, or let the service's next start compact it)", err)
	}
	return nil
}

// compactFile copies src, the open file at path, into a new file beside
// it without free pages and with no compaction pending, syncs it, closes
// src and renames the copy over path. On an error src is closed and path
// is left as it was.
func compactFile(ctx context.Context, src *bolt.DB, path string) error {
	defer src.Close()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".compact")
	os.Remove(tmp)
	// As the store opens its file: no freelist page in the copy.
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{PageSize: src.Info().PageSize, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return fmt.Errorf("compact %s: %w", path, err)
	}
	err = bolt.Compact(dst, src, 64<<20)
	if err == nil {
		err = dst.Update(func(btx *bolt.Tx) error {
			if meta := btx.Bucket([]byte(bucketMeta)); meta != nil {
				return meta.Delete(keyCompact)
			}
			return nil
		})
	}
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("compact %s: %w", path, err)
	}
	src.Close()
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("compact %s: %w", path, err)
	}
	return atomicfile.SyncDir(filepath.Dir(path))
}

// AuditOfCases returns the access-log records about the cases ids, by
// case, oldest first, through the index by case: the archive export's
// access-log files.
func (db *DB) AuditOfCases(ctx context.Context, ids []cases.ID) (map[cases.ID][]audit.Record, error) {
	out := make(map[cases.ID][]audit.Record, len(ids))
	err := db.view(func(btx *bolt.Tx) error {
		t := db.newTx(btx)
		for _, id := range ids {
			if err := ctx.Err(); err != nil {
				return err
			}
			err := t.auditOfCase(id, func(r audit.Record) bool {
				out[id] = append(out[id], r)
				return true
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("access log of cases: %w", err)
	}
	return out, nil
}
