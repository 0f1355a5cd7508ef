package store

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"clinicgw/agent/atomicfile"
	"clinicgw/agent/cases"
)

// Bucket names. Index buckets hold keys only, never patient data in clear:
// patient entries are keyed by a blinded (HMAC) personnummer.
const (
	bucketMeta         = "meta"
	bucketCases        = "cases"
	bucketByStatus     = "idx-status"
	bucketByAssignee   = "idx-assignee"
	bucketByType       = "idx-type"
	bucketByPatient    = "idx-patient"
	bucketByDue        = "idx-due"
	bucketAudit        = "audit"
	bucketAuditPatient = "idx-audit-patient"
	bucketAuditActor   = "idx-audit-actor"
	bucketAuditCase    = "idx-audit-case" // case id, 0, sequence number: a case's records (auditlog.go)
	bucketOutbox       = "outbox"
	bucketOutboxKeys   = "outbox-keys"
	bucketSettings     = "settings" // UI settings, sealed; keys in clear (settings.go)
)

var allBuckets = []string{
	bucketMeta, bucketCases, bucketByStatus, bucketByAssignee, bucketByType,
	bucketByPatient, bucketByDue, bucketAudit, bucketAuditPatient, bucketAuditActor,
	bucketOutbox, bucketOutboxKeys, bucketSettings, bucketAuditCase,
}

var (
	keySchema    = []byte("schema")
	keyUnit      = []byte("unit")
	keyAuditHead = []byte("audit-head")
	// keyCompact, in the meta bucket, says that key terms were retired
	// while the store was open: their old wrapped copies (and the values
	// they sealed) may linger in free pages until the file is compacted,
	// which the next Open does.
	keyCompact = []byte("compact-pending")
	// keyAuditCaseUpTo is the sequence number up to which the access log
	// is in bucketAuditCase (indexAuditByCase).
	keyAuditCaseUpTo = []byte("audit-case-upto")
)

// Clock tells the time.
type Clock interface{ Now() time.Time }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Options configure Open. Unit is required; the rest have defaults.
type Options struct {
	Unit   string       // the care unit's HSA-ID; a store belongs to one unit
	Rand   io.Reader    // nonces and keys; crypto/rand by default
	Clock  Clock        // key-ring timestamps; the system clock by default
	Logger *slog.Logger // discarded by default
	// LockTimeout is how long Open waits for another process to release the
	// file; 2 s by default.
	LockTimeout time.Duration
}

// DB is an open store. It implements cases.Store.
type DB struct {
	bolt   *bolt.DB
	unit   string
	kek    KEK
	rand   io.Reader
	clock  Clock
	log    *slog.Logger
	sealer atomic.Pointer[sealer]
}

var _ cases.Store = (*DB)(nil)

// Open opens the store at path, creating it (with a new key ring wrapped by
// kek) if the file does not exist. It fails with ErrWrongKey if kek does not
// open an existing store, and refuses a store that belongs to another unit
// or was written by a newer clinicgw.
func Open(ctx context.Context, path string, kek KEK, opts Options) (*DB, error) {
	if opts.Unit == "" {
		return nil, errors.New("open store: the care unit's HSA-ID is not set")
	}
	if kek == nil {
		return nil, errors.New("open store: no key-encryption key")
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if opts.Clock == nil {
		opts.Clock = systemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.LockTimeout == 0 {
		opts.LockTimeout = 2 * time.Second
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	bdb, err := openBolt(path, opts.LockTimeout)
	if err != nil {
		return nil, err
	}
	db := &DB{bolt: bdb, unit: opts.Unit, kek: kek, rand: opts.Rand, clock: opts.Clock, log: opts.Logger}
	if err := db.init(); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := db.indexAuditByCase(ctx); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := db.compactIfPending(ctx, opts.LockTimeout); err != nil {
		db.bolt.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return db, nil
}

func openBolt(path string, lockTimeout time.Duration) (*bolt.DB, error) {
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:      lockTimeout,
		FreelistType: bolt.FreelistMapType,
		// The freelist is rebuilt by scanning on open instead of being
		// written at every commit. Data and meta pages are still synced at
		// every commit (NoSync is never set): durability is unchanged.
		NoFreelistSync: true,
		PageSize:       16384,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open store %s: it is in use by another clinicgw process", path)
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// bbolt syncs the file but never its folder: a store file it has just
	// created would vanish with the power, acknowledged cases and all
	// (measured with agent/powercut). Synced at every open, so that a
	// creation cut short before this line is made durable the next time.
	if err := atomicfile.SyncDir(filepath.Dir(path)); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("open store %s: sync its folder: %w", path, err)
	}
	return bdb, nil
}

// compactIfPending compacts the file when key terms were retired while it
// was last open (keyCompact): the retired keys' old wrapped copies and
// the values they sealed leave the free pages. A running service retires
// terms after an archive run; its next start compacts.
func (db *DB) compactIfPending(ctx context.Context, lockTimeout time.Duration) error {
	var pending bool
	db.bolt.View(func(btx *bolt.Tx) error {
		pending = btx.Bucket([]byte(bucketMeta)).Get(keyCompact) != nil
		return nil
	})
	if !pending {
		return nil
	}
	path := db.bolt.Path()
	before := fileSize(path)
	if err := compactFile(ctx, db.bolt, path); err != nil {
		return err
	}
	bdb, err := openBolt(path, lockTimeout)
	if err != nil {
		return err
	}
	db.bolt = bdb
	db.log.Info("store compacted: retired keys and removed values left its free pages", "bytesBefore", before, "bytesAfter", fileSize(path))
	return nil
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// init creates a new store's buckets and key ring, or checks an existing
// store's unit, schema and key, then runs pending migrations and adds the
// buckets a store made by an older clinicgw lacks (addBuckets).
func (db *DB) init() error {
	var kr *keyringRecord
	var fresh bool
	err := db.bolt.View(func(btx *bolt.Tx) error {
		meta := btx.Bucket([]byte(bucketMeta))
		if meta == nil {
			fresh = true
			return nil
		}
		var err error
		if kr, err = loadKeyring(meta); err != nil {
			return err
		}
		if kr == nil {
			return errors.New("the store has no key ring: it is damaged or not a clinicgw store")
		}
		if unit := string(meta.Get(keyUnit)); unit != db.unit {
			return fmt.Errorf("the store belongs to care unit %q, but the configuration says %q", unit, db.unit)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if fresh {
		if kr, err = createKeyring(db.kek, db.rand, db.clock.Now()); err != nil {
			return err
		}
		err = db.bolt.Update(func(btx *bolt.Tx) error {
			for _, name := range allBuckets {
				if _, err := btx.CreateBucketIfNotExists([]byte(name)); err != nil {
					return err
				}
			}
			meta := btx.Bucket([]byte(bucketMeta))
			if err := meta.Put(keyUnit, []byte(db.unit)); err != nil {
				return err
			}
			if err := meta.Put(keySchema, binary.BigEndian.AppendUint32(nil, schemaVersion)); err != nil {
				return err
			}
			return saveKeyring(meta, kr)
		})
		if err != nil {
			return fmt.Errorf("create: %w", err)
		}
		db.log.Info("store created", "unit", db.unit, "schema", schemaVersion)
	}
	s, err := kr.unlock(db.kek, db.rand)
	if err != nil {
		return err
	}
	db.sealer.Store(s)
	if err := db.migrate(); err != nil {
		return err
	}
	return db.addBuckets()
}

// Close closes the file. Transactions in progress finish first.
func (db *DB) Close() error { return db.bolt.Close() }

// Update runs fn in a read-write transaction and returns after it is
// committed to disk. If fn returns an error nothing is written.
func (db *DB) Update(ctx context.Context, fn func(cases.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.bolt.Update(func(btx *bolt.Tx) error {
		t := db.newTx(btx)
		defer t.stopWriter()
		if err := fn(t); err != nil {
			return err
		}
		return t.flush()
	})
}

// View runs fn in a read-only snapshot.
func (db *DB) View(ctx context.Context, fn func(cases.ReadTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.bolt.View(func(btx *bolt.Tx) error {
		return fn(db.newTx(btx))
	})
}

// RotateKey adds a key-ring term with a fresh data key; values written from
// now on are sealed under it, older values keep opening with their terms.
func (db *DB) RotateKey(ctx context.Context) (TermInfo, error) {
	if err := ctx.Err(); err != nil {
		return TermInfo{}, err
	}
	kr, _, err := db.changeKeyring(func(_ *bolt.Tx, kr *keyringRecord) (bool, error) {
		return true, kr.addTerm(db.kek, db.rand, db.clock.Now())
	})
	if err != nil {
		return TermInfo{}, fmt.Errorf("rotate key: %w", err)
	}
	info := kr.info()
	db.log.Info("key rotated", "term", kr.Active)
	return info[len(info)-1], nil
}

// changeKeyring runs change on the stored key ring in one write
// transaction. When change reports that it changed the ring, the ring is
// saved and, once that is committed, the store's sealer is rebuilt from
// it: only a durable term may seal values, and a retired one must stop
// opening them.
func (db *DB) changeKeyring(change func(btx *bolt.Tx, kr *keyringRecord) (bool, error)) (*keyringRecord, bool, error) {
	var kr *keyringRecord
	var changed bool
	err := db.bolt.Update(func(btx *bolt.Tx) error {
		meta := btx.Bucket([]byte(bucketMeta))
		var err error
		if kr, err = loadKeyring(meta); err != nil {
			return err
		}
		if changed, err = change(btx, kr); err != nil || !changed {
			return err
		}
		return saveKeyring(meta, kr)
	})
	if err != nil || !changed {
		return kr, false, err
	}
	s, err := kr.unlock(db.kek, db.rand)
	if err != nil {
		return kr, true, err
	}
	db.sealer.Store(s)
	return kr, true, nil
}

// Keyring lists the key ring's terms, oldest first.
func (db *DB) Keyring() ([]TermInfo, error) {
	var out []TermInfo
	err := db.bolt.View(func(btx *bolt.Tx) error {
		kr, err := loadKeyring(btx.Bucket([]byte(bucketMeta)))
		if err != nil {
			return err
		}
		out = kr.info()
		return nil
	})
	return out, err
}

// Check runs bbolt's consistency check over the whole file.
func (db *DB) Check(ctx context.Context) error {
	return db.bolt.View(func(btx *bolt.Tx) error {
		var errs []error
		for err := range btx.Check() {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
		}
		return errors.Join(errs...)
	})
}

// Path returns the store's file name.
func (db *DB) Path() string { return db.bolt.Path() }
