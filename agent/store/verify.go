package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"clinicgw/agent/audit"
	"clinicgw/sync/boltfile"
)

// verifySealed opens every sealed value in the store (AES-GCM checks each
// against its bucket and key) and returns how many; a value that does not
// open makes a *DamagedError. progress, if not nil, is called now and then
// with the values done and the total. One read transaction walks the
// buckets and hands batches of values to a worker per CPU (up to 4),
// which open them: at every Open, this is most of the cost of a start.
func (db *DB) verifySealed(ctx context.Context, progress func(done, total int)) (int, error) {
	type item struct {
		bucket string
		k, v   []byte
	}
	var done atomic.Int64
	err := db.view(func(btx *bolt.Tx) error {
		if err := checkCaseIndex(btx); err != nil {
			return damaged(db.path, err, true)
		}
		total := 0
		if progress != nil {
			for _, name := range sealedBuckets {
				if b := btx.Bucket([]byte(name)); b != nil {
					total += b.Stats().KeyN
				}
			}
			total += len(sealedMetaKeys)
			progress(0, total)
		}
		s := db.sealer.Load()
		batches := make(chan []item, 8)
		stop := make(chan struct{})
		var once sync.Once
		var first error
		fail := func(err error) { once.Do(func() { first = err; close(stop) }) }
		var wg sync.WaitGroup
		for range min(runtime.GOMAXPROCS(0), 4) {
			wg.Go(func() {
				var err error
				defer func() {
					if err != nil {
						fail(err)
					}
				}()
				defer db.recoverDamage(&err) // the values are read from the mapped file here
				defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
				var buf []byte
				for batch := range batches {
					for _, it := range batch {
						if err != nil {
							break
						}
						if buf, err = s.openTo(buf[:0], it.bucket, it.k, it.v); err != nil {
							err = damaged(db.path, fmt.Errorf("key %s of %w", printKey(it.k), err), true)
						}
					}
					done.Add(int64(len(batch)))
				}
			})
		}
		batch := make([]item, 0, 256)
		werr := eachSealed(btx, sealedPos{}, func(_ sealedPos, bucket string, k, v []byte) (bool, error) {
			if batch = append(batch, item{bucket, k, v}); len(batch) < cap(batch) {
				return true, nil
			}
			select {
			case batches <- batch:
			case <-stop:
				return false, nil
			}
			batch = make([]item, 0, 256)
			if progress != nil {
				progress(int(done.Load()), total)
			}
			return ctx.Err() == nil, ctx.Err()
		})
		if werr == nil && len(batch) > 0 {
			select {
			case batches <- batch:
			case <-stop:
			}
		}
		close(batches)
		wg.Wait()
		if werr != nil {
			return werr
		}
		return first
	})
	return int(done.Load()), err
}

// printKey shows a key as text when it is printable ASCII (case ids,
// settings), else in hex (access-log sequence numbers).
func printKey(k []byte) string {
	if len(k) > 8 && printable(k[8:]) { // a case record's: sequence number and id
		return fmt.Sprintf("%d/%s", binary.BigEndian.Uint64(k), k[8:])
	}
	if printable(k) {
		return string(k)
	}
	return fmt.Sprintf("%x", k)
}

func printable(k []byte) bool {
	for _, c := range k {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// CheckReport is what Check found in a sound store.
type CheckReport struct {
	File   boltfile.Report // the file's structure
	Values int             // sealed values opened
	Audit  audit.Report    // the access log
}

// CheckPhase names a part of Check, for its progress.
type CheckPhase string

const (
	PhaseStructure CheckPhase = "structure"   // the file's pages (boltfile)
	PhaseBolt      CheckPhase = "bbolt check" // bbolt's own consistency check
	PhaseValues    CheckPhase = "values"      // every sealed value opens
	PhaseAudit     CheckPhase = "access log"  // the access log's chain
)

// Check checks the store file at path without changing it: its structure
// from the raw bytes, bbolt's consistency check, every sealed value
// opening with the key ring that kek unwraps, every slim sync journal
// record rebuilding to the event it keeps the hash of, every sealing key's private
// half unwrapping to its public half, and the access log's hash
// chain up to its head and checkpoint. The store must not be open
// elsewhere (the file is locked). A damaged store is a *DamagedError;
// progress, if not nil, is called now and then.
func Check(ctx context.Context, path string, kek KEK, opts Options, progress func(phase CheckPhase, done, total int)) (CheckReport, error) {
	var rep CheckReport
	if progress == nil {
		progress = func(CheckPhase, int, int) {}
	}
	if opts.LockTimeout == 0 {
		opts.LockTimeout = 2 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	f, err := openLocked(path, opts.LockTimeout)
	if err != nil {
		return rep, err
	}
	fi, err := f.file.Stat()
	if err == nil {
		rep.File, err = checkFile(ctx, f.file, fi.Size(), func(done, total uint64) {
			progress(PhaseStructure, int(done), int(total))
		})
		if err != nil && ctx.Err() == nil {
			err = damaged(path, err, true)
		}
		if err == nil {
			progress(PhaseStructure, int(rep.File.Pages), int(rep.File.Pages))
		}
	}
	f.close()
	if err != nil {
		return rep, err
	}
	bdb, err := openBoltReadOnly(path, opts.LockTimeout)
	if err != nil {
		return rep, err
	}
	defer bdb.Close()
	db := &DB{bolt: bdb, path: path, unit: opts.Unit, kek: kek, log: opts.Logger}
	// bbolt's check asserts both meta pages' headers, also of one that
	// does not check and is not used (a torn write): with one such page
	// it would call a sound store damaged. The structure check above
	// covers the same ground.
	if len(rep.File.BadMeta) == 0 {
		progress(PhaseBolt, 0, 1)
		if err := db.Check(ctx); err != nil {
			return rep, err
		}
		progress(PhaseBolt, 1, 1)
	}
	var kr *keyringRecord
	err = db.view(func(btx *bolt.Tx) error {
		meta := btx.Bucket([]byte(bucketMeta))
		if meta == nil {
			return damaged(path, errors.New("it has no meta bucket: it is not a clinicgw store"), true)
		}
		var err error
		if kr, err = loadKeyring(meta); err != nil || kr == nil {
			return damaged(path, fmt.Errorf("%w: %v", errKeyringDamaged, err), true)
		}
		if unit := string(meta.Get(keyUnit)); unit != opts.Unit {
			return fmt.Errorf("the store belongs to care unit %q, but the configuration says %q", unit, opts.Unit)
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	s, err := kr.unlock(kek, nil)
	if errors.Is(err, errKeyringDamaged) {
		return rep, damaged(path, err, true)
	}
	if err != nil {
		return rep, err
	}
	db.sealer.Store(s)
	if rep.Values, err = db.verifySealed(ctx, func(done, total int) { progress(PhaseValues, done, total) }); err != nil {
		return rep, err
	}
	progress(PhaseValues, rep.Values, rep.Values)
	if err := db.checkJournal(ctx); err != nil {
		return rep, err
	}
	if err := db.checkSealingKeys(ctx); err != nil {
		return rep, err
	}
	if rep.Audit, err = db.verifyAuditChain(ctx, func(done, total int) { progress(PhaseAudit, done, total) }); err != nil {
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		return rep, damaged(path, fmt.Errorf("the access log does not verify after %d good entries: %w", rep.Audit.Entries, err), true)
	}
	return rep, nil
}

// lockedFile is a file held under the same lock bbolt takes.
type lockedFile struct {
	file   *os.File
	unlock func()
}

func (f lockedFile) close() { f.unlock(); f.file.Close() }

// openLocked opens the existing file at path and locks it.
func openLocked(path string, timeout time.Duration) (lockedFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return lockedFile{}, fmt.Errorf("open store %s: %w", path, err)
	}
	unlock, err := lockFile(f, timeout)
	if err != nil {
		f.Close()
		return lockedFile{}, fmt.Errorf("open store %s: %w", path, err)
	}
	return lockedFile{f, unlock}, nil
}

// openBoltReadOnly opens a checked file with bbolt for reading only, which
// writes nothing to it.
func openBoltReadOnly(path string, lockTimeout time.Duration) (bdb *bolt.DB, err error) {
	defer func() {
		if p := recover(); p != nil {
			bdb, err = nil, damaged(path, fmt.Errorf("bbolt stopped on it: %v", p), true)
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	bdb, err = bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: lockTimeout, FreelistType: bolt.FreelistMapType})
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("open store %s: %w", path, errInUse)
	case err != nil:
		return nil, damaged(path, err, true)
	}
	return bdb, nil
}

// seqOf is an access-log key's sequence number.
func seqOf(k []byte) (uint64, error) {
	if len(k) != 8 {
		return 0, fmt.Errorf("record key of %d bytes", len(k))
	}
	return binary.BigEndian.Uint64(k), nil
}
