package store

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"clinicgw/agent/cases"
	"clinicgw/sync/atomicfile"
	"clinicgw/sync/clock"
)

// Bucket names. Index buckets hold keys only, never patient data in clear:
// patient entries are keyed by a blinded (HMAC) personnummer.
const (
	bucketMeta         = "meta"
	bucketCases        = "case-records" // arrival sequence number (8 BE) → sealed case (casekey.go)
	bucketCaseIDs      = "case-ids"     // case id → its record's key, blinded personnummer (casekey.go, patientidx.go)
	bucketByAssignee   = "idx-assignee"
	bucketAudit        = "audit"
	bucketAuditPatient = "idx-audit-patient"
	bucketAuditActor   = "idx-audit-actor"
	bucketAuditCase    = "idx-audit-case" // case id, 0, sequence number: a case's records (auditlog.go)
	bucketOutbox       = "outbox"
	bucketOutboxKeys   = "outbox-keys"
	bucketSettings     = "settings" // UI settings, sealed; keys in clear (settings.go)

	bucketQuarantine   = "quarantine"      // central events that could not apply, sealed (quarantine.go)
	bucketQuarantineEv = "quarantine-keys" // event id → number and reason (quarantine.go)
)

var allBuckets = []string{
	bucketMeta, bucketCases, bucketCaseIDs, bucketByAssignee,
	bucketAudit, bucketAuditPatient, bucketAuditActor,
	bucketOutbox, bucketOutboxKeys, bucketSettings, bucketAuditCase,
	bucketQuarantine, bucketQuarantineEv,
	bucketSyncJournal, bucketOutboxDone, bucketStats,
	bucketByStatusAssignee, bucketByStatusType, bucketByStatusTypeAssignee, // listidx.go
	bucketAuditPatientHead,                                        // auditpatient.go
	bucketByTypeDue, bucketByAssigneeDue, bucketByTypeAssigneeDue, // dueidx.go
	bucketByQueue, // queueidx.go
}

// retiredBucket is a bucket earlier schemas held and later ones do not: a
// store of a schema below requiredBelow must hold it, one of a schema
// above heldThrough must not (a migration that bumps the schema with its
// first batch, as schema 7's fold does, may leave it in a store of that
// schema until its last).
type retiredBucket struct {
	name                       string
	requiredBelow, heldThrough uint32
}

// retired are the buckets schema 5 retired (derivedidx.go) and
// idx-patient, which schema 7 folds into the id index (patientidx.go).
var retired = append(retiredAt(retiredBuckets, 5, 4), retiredBucket{bucketByPatient, 7, 7})

func retiredAt(names []string, requiredBelow, heldThrough uint32) []retiredBucket {
	out := make([]retiredBucket, len(names))
	for i, n := range names {
		out[i] = retiredBucket{n, requiredBelow, heldThrough}
	}
	return out
}

// isRetired reports whether name is one of retired.
func isRetired(name string) bool {
	return slices.ContainsFunc(retired, func(r retiredBucket) bool { return r.name == name })
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

// Options configure Open. Unit is required; the rest have defaults.
type Options struct {
	Unit   string       // the care unit's HSA-ID; a store belongs to one unit
	Rand   io.Reader    // nonces and keys; crypto/rand by default
	Clock  clock.Clock  // key-ring timestamps; the system clock by default
	Logger *slog.Logger // discarded by default
	// LockTimeout is how long Open waits for another process to release the
	// file; 2 s by default.
	LockTimeout time.Duration
	// diskFree tells the bytes free for the store's folder (tests fake
	// it); the file system's figure by default.
	diskFree func(dir string) (uint64, error)
}

// DB is an open store. It implements cases.Store.
type DB struct {
	bolt   *bolt.DB
	path   string
	unit   string
	kek    KEK
	rand   io.Reader
	clock  clock.Clock
	log    *slog.Logger
	sealer atomic.Pointer[sealer]
	// damage is why the store is damaged, once something found it;
	// noWrites the same once a panic in bbolt made writing unsafe.
	damage, noWrites atomic.Pointer[error]
	// txBlinds counts the personnummer a transaction blinded itself
	// (tx.blind), not prepared (prepinsert.go).
	txBlinds atomic.Uint64
	// group runs Shared's transactions, several callers to a commit.
	group groupCommit
	// auditOpened counts the access-log records opened: what an extract
	// page cost (tests); casesDecoded the cases opened: what a list
	// page cost (tests); insertsBuilt the new cases whose index entries,
	// blinded numbers and tally a transaction made itself (prepinsert.go);
	// idLookups the case ids looked up in the id index.
	auditOpened, casesDecoded, insertsBuilt, idLookups atomic.Uint64
	// statsCache keeps the statistics' handling times of past weeks
	// (statscache.go).
	statsCache statsCache
	// scratch is what the last write transaction left for the next
	// (txscratch.go); only the writer touches it.
	scratch writeScratch
	// recent is what the last commit of DB.Update knew of the id index,
	// nextRecent what the transaction under way hands it should it
	// commit; idsChanged the bbolt id of the last transaction that
	// changed the index otherwise (recentids.go). Only the writer
	// touches them.
	recent     recentIDs
	nextRecent nextRecent
	idsChanged atomic.Int64
}

var _ cases.Store = (*DB)(nil)

// Open opens the store at path, creating it (with a new key ring wrapped by
// kek) if the file does not exist. It fails with ErrWrongKey if kek does not
// open an existing store, and refuses a store that belongs to another unit
// or was written by a newer clinicgw.
//
// An existing file is checked before bbolt maps it (package boltfile), and
// every sealed value in it must open before anything is written to it: a
// damaged, empty or foreign file is refused with a *DamagedError, never
// panicked on, never replaced and never changed.
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
		opts.Clock = clock.System
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
	existed, err := preflight(ctx, path, opts.LockTimeout, opts.Logger)
	if err != nil {
		return nil, err
	}
	if !existed {
		if err := createFile(path); err != nil {
			return nil, err
		}
	}
	bdb, err := openBolt(path, opts.LockTimeout)
	if err != nil {
		return nil, err
	}
	db := &DB{bolt: bdb, path: path, unit: opts.Unit, kek: kek, rand: opts.Rand, clock: opts.Clock, log: opts.Logger}
	if err := db.init(ctx, existed); err != nil {
		bdb.Close()
		if errors.Is(err, ErrDamaged) || errors.Is(err, context.Canceled) {
			return nil, err
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := db.indexAuditByCase(ctx); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := db.chainAuditByPatient(ctx); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := db.ensureStats(ctx); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := db.indexLists(ctx); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := db.markFresh(ctx); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := db.indexDue(ctx); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if opts.diskFree == nil {
		opts.diskFree = diskFree
	}
	if err := db.compactIfPending(ctx, opts.LockTimeout, opts.diskFree); err != nil {
		db.bolt.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return db, nil
}

// preflight checks an existing store file before bbolt maps it: with the
// file locked (another clinicgw writing it would make a sound file look
// torn), its whole structure (boltfile.Check). It reports whether the
// file existed; a missing one is created by bbolt.
func preflight(ctx context.Context, path string, lockTimeout time.Duration, log *slog.Logger) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("open store %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("open store %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return false, fmt.Errorf("open store %s: not a regular file", path)
	}
	unlock, err := lockFile(f, lockTimeout)
	if err != nil {
		return false, fmt.Errorf("open store %s: %w", path, err)
	}
	defer unlock()
	rep, err := checkFile(ctx, f, fi.Size(), nil)
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return false, damaged(path, err, true)
	}
	for _, m := range rep.BadMeta {
		// After a power cut during a commit that is expected; otherwise
		// the page was damaged and the last change before it may be lost.
		log.Warn("store: one of its two meta pages does not check; bbolt goes on from the other and rewrites it at the next commit (run clinicgw store check)",
			"path", path, "metaPage", m, "txid", rep.Txid)
	}
	return true, nil
}

// createFile makes a new, empty bbolt file at path, whole or not at all
// (atomicfile.Create): bbolt writes and syncs its first pages under a
// temporary name. Left to create path itself, bbolt would leave a power
// cut during the first start an empty store.db on a file system that
// commits names before data (agent/powercut's KeepNames), which Open then
// refuses as damaged.
func createFile(path string) error {
	err := atomicfile.Create(path, func(tmp string) error {
		bdb, err := bolt.Open(tmp, 0o600, boltOptions(0))
		if err != nil {
			return err
		}
		return bdb.Close()
	})
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	return nil
}

// boltOptions are the options every store file is opened with.
func boltOptions(lockTimeout time.Duration) *bolt.Options {
	return &bolt.Options{
		Timeout:      lockTimeout,
		FreelistType: bolt.FreelistMapType,
		// The freelist is rebuilt by scanning on open instead of being
		// written at every commit. Data and meta pages are still synced at
		// every commit (NoSync is never set): durability is unchanged.
		NoFreelistSync:  true,
		PageSize:        16384,
		InitialMmapSize: mapAheadBytes(),
	}
}

// mapAheadSize is how much of the store file bbolt maps at open (where
// mapAhead): mapped as it grows, bbolt maps it again at every doubling up
// to 1 GiB (15 times as a new store fills to 500 MB), each time copying
// every key and value of the nodes the commit under way touched to the
// heap and waiting for every read transaction to end, on the one
// goroutine that applies a backlog (TestBacklogKeepsTheMapping). Address
// space only: a page is read when it is used, and the file grows as
// before (growStep).
const mapAheadSize = 1 << 30

// mapAheadBytes is the mapping at open: mapAheadSize on a 64-bit system
// where mapAhead, else bbolt's own (0).
func mapAheadBytes() int {
	if mapAhead && strconv.IntSize == 64 {
		return mapAheadSize
	}
	return 0
}

// allocSize is how much bbolt grows the file by once it is past that
// size (doubling up to it). Each growth truncates the file and syncs it
// whole, a wait on the disk in the commit that crossed the end: grown by
// bbolt's default 16 MiB, a backlog paid one every second commit
// (TestBacklogGrowsTheFileRarely). The space beyond the data is a hole in
// the file, not written; backups copy the data only.
const allocSize = 128 << 20

// growStep is bbolt's AllocSize for a write transaction on a store of
// size bytes: the store's size, between minGrow and allocSize. bbolt
// grows the file to its mapping while that is at most AllocSize and by
// AllocSize after; mapped mapAheadSize ahead, a new store would be grown
// by allocSize at its first commit, a hole the size of the disk's free
// room that compaction (which needs room for a copy) counts as data.
// Grown by its size, it doubles as it did when it was mapped as it grew
// (TestBacklogGrowsTheFileRarely).
func growStep(size int64) int {
	return int(min(max(size, minGrow), allocSize))
}

const minGrow = 1 << 20

// errInUse is the lock timing out.
var errInUse = errors.New("it is in use by another clinicgw process")

// openBolt opens the file with bbolt. A file that passed preflight opens
// without a panic; should bbolt still panic or fault in the goroutine
// that opens it, the file is closed and the panic is a *DamagedError.
func openBolt(path string, lockTimeout time.Duration) (bdb *bolt.DB, err error) {
	var file *os.File
	defer func() {
		if p := recover(); p != nil {
			if file != nil {
				file.Close()
			}
			bdb, err = nil, damaged(path, fmt.Errorf("bbolt stopped on it: %v", p), true)
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	opts := boltOptions(lockTimeout)
	opts.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag, perm)
		file = f
		return f, err
	}
	bdb, err = bolt.Open(path, 0o600, opts)
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("open store %s: %w", path, errInUse)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum), errors.Is(err, berrors.ErrVersionMismatch):
		return nil, damaged(path, err, true)
	case err != nil:
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	bdb.AllocSize = allocSize
	// bbolt syncs the file but never its folder: a store file just created
	// would vanish with the power, acknowledged cases and all (measured
	// with agent/powercut). createFile syncs it; synced again at every
	// open all the same, for a file made by anything else.
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
//
// The copy needs room beside the file. When the disk has too little, or
// the compaction fails for any other reason (the disk filling meanwhile),
// it is postponed with a warning and the store opens as it is: the mark
// stays, and a later start compacts. A gateway that will not start helps
// nobody; the old ciphertext in free pages waits a little longer.
func (db *DB) compactIfPending(ctx context.Context, lockTimeout time.Duration, free func(dir string) (uint64, error)) error {
	var pending bool
	db.view(func(btx *bolt.Tx) error {
		pending = btx.Bucket([]byte(bucketMeta)).Get(keyCompact) != nil
		return nil
	})
	if !pending {
		return nil
	}
	path := db.path
	before := fileSize(path)
	live := before - int64(db.bolt.Stats().FreePageN)*int64(db.bolt.Info().PageSize)
	need := uint64(max(live, 0))*5/4 + 1<<20 // the copy, with bbolt's slack
	if have, err := free(filepath.Dir(path)); err == nil && have < need {
		db.log.Warn("store compaction postponed: too little free disk space for the copy; retired keys' old copies and removed values stay in the store's free pages until a start with enough room",
			"path", path, "bytesNeeded", need, "bytesFree", have)
		return nil
	}
	if err := compactFile(ctx, db.bolt, path); err != nil {
		// compactFile closed the file and left it as it was: open it again.
		bdb, oerr := openBolt(path, lockTimeout)
		if oerr != nil {
			return oerr
		}
		db.bolt = bdb
		if ctx.Err() != nil {
			return ctx.Err()
		}
		db.log.Warn("store compaction postponed: it failed; retired keys' old copies and removed values stay in the store's free pages until a later start compacts",
			"path", path, "err", err)
		return nil
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
// store: only clinicgw's buckets, its unit, schema and key, every sealed
// value opening (existed: a file that was there before Open; bbolt's empty
// file, left by a first start cut short, is made a store). Then it runs
// pending migrations and adds the buckets a store made by an older
// clinicgw lacks (addBuckets). Nothing is written before all that passed.
func (db *DB) init(ctx context.Context, existed bool) error {
	var kr *keyringRecord
	var fresh bool
	var dmg error // a reason the file is damaged
	err := db.view(func(btx *bolt.Tx) error {
		var foreign []string
		buckets := 0
		btx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			buckets++
			if !slices.Contains(allBuckets, string(name)) && string(name) != bucketCasesV2 && !isRetired(string(name)) {
				foreign = append(foreign, string(name))
			}
			return nil
		})
		meta := btx.Bucket([]byte(bucketMeta))
		if buckets == 0 {
			fresh = true
			return nil
		}
		if len(foreign) > 0 || meta == nil {
			dmg = fmt.Errorf("it holds buckets clinicgw never writes (%q): it is not a clinicgw store, or a bucket's name is damaged", foreign)
			return nil
		}
		var err error
		if kr, err = loadKeyring(meta); err != nil {
			dmg = err
			return nil
		}
		if kr == nil {
			dmg = errors.New("it has no key ring")
			return nil
		}
		if unit := string(meta.Get(keyUnit)); unit != db.unit {
			return fmt.Errorf("the store belongs to care unit %q, but the configuration says %q", unit, db.unit)
		}
		v, err := readSchema(btx)
		if err != nil {
			dmg = err
			return nil
		}
		if v > schemaVersion {
			return fmt.Errorf("the store has schema %d, written by a newer clinicgw; this one knows schema %d: upgrade clinicgw", v, schemaVersion)
		}
		for _, name := range allBuckets {
			if btx.Bucket([]byte(name)) == nil && !slices.Contains(addedBuckets, name) &&
				(v >= 2 || (name != bucketOutbox && name != bucketOutboxKeys)) &&
				(v >= 3 || (name != bucketCases && name != bucketCaseIDs)) {
				dmg = fmt.Errorf("its bucket %q is missing", name)
				return nil
			}
		}
		for _, r := range retired {
			switch have := btx.Bucket([]byte(r.name)) != nil; {
			case have && v > r.heldThrough:
				dmg = fmt.Errorf("it holds bucket %q, which its schema %d no longer has", r.name, v)
				return nil
			case !have && v < r.requiredBelow && r.name != bucketFresh: // not every schema-4 store had idx-new
				dmg = fmt.Errorf("its bucket %q is missing", r.name)
				return nil
			}
		}
		if v < 3 && btx.Bucket([]byte(bucketCasesV2)) == nil {
			dmg = fmt.Errorf("its bucket %q is missing", bucketCasesV2)
			return nil
		}
		return nil
	})
	if err == nil && dmg != nil {
		err = damaged(db.path, dmg, true)
	}
	if err != nil {
		return err
	}
	if fresh {
		if kr, err = createKeyring(db.kek, db.rand, db.clock.Now()); err != nil {
			return err
		}
		err = db.update(func(btx *bolt.Tx) error {
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
			// No cases: the back-fills of indexes have nothing to do.
			for _, k := range [][]byte{keyFreshMarked, keyDueIndexed} {
				if err := meta.Put(k, []byte{1}); err != nil {
					return err
				}
			}
			if err := meta.Put(keyListIndexed, listIndexedDone); err != nil {
				return err
			}
			// No cases: the statistics' aggregates are complete.
			if err := meta.Put(keyStatsVersion, binary.BigEndian.AppendUint32(nil, statsVersion)); err != nil {
				return err
			}
			return saveKeyring(meta, kr)
		})
		if err != nil {
			return fmt.Errorf("create: %w", err)
		}
		db.log.Info("store created", "unit", db.unit, "schema", schemaVersion, "emptyFileBefore", existed)
	}
	s, err := kr.unlock(db.kek, db.rand)
	if errors.Is(err, errKeyringDamaged) {
		return damaged(db.path, err, true)
	}
	if err != nil {
		return err
	}
	db.sealer.Store(s)
	if existed && !fresh {
		if _, err := db.verifySealed(ctx, nil); err != nil {
			return err
		}
	}
	if err := db.migrate(ctx); err != nil {
		return err
	}
	return db.addBuckets()
}

// Close closes the file. Transactions in progress finish first.
func (db *DB) Close() error { return db.bolt.Close() }

// Update runs fn in a read-write transaction and returns after it is
// committed to disk. If fn returns an error nothing is written. The
// access-log entries of reads queued meanwhile (LogReads) commit in it.
func (db *DB) Update(ctx context.Context, fn func(cases.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var carried []*groupCall // reads' access-log entries queued meanwhile (groupcommit.go)
	err := db.update(func(btx *bolt.Tx) error {
		t := db.newTx(btx)
		db.useRecent(t) // before stopWriter: keepRecent runs after its giveScratch
		defer t.stopWriter()
		if err := fn(t); err != nil {
			return err
		}
		var err error
		if carried, err = db.group.carry(t); err != nil {
			return err
		}
		return t.flush()
	})
	db.group.finishCarried(carried, err)
	return err
}

// View runs fn in a read-only snapshot.
func (db *DB) View(ctx context.Context, fn func(cases.ReadTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.view(func(btx *bolt.Tx) error {
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
	err := db.update(func(btx *bolt.Tx) error {
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
	err := db.view(func(btx *bolt.Tx) error {
		kr, err := loadKeyring(btx.Bucket([]byte(bucketMeta)))
		if err != nil {
			return err
		}
		out = kr.info()
		return nil
	})
	return out, err
}

// Check runs bbolt's consistency check over the whole file; what it finds
// is a *DamagedError.
func (db *DB) Check(ctx context.Context) error {
	return db.view(func(btx *bolt.Tx) error {
		var errs []error
		for err := range btx.Check() {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if len(errs) > 0 {
			return damaged(db.path, fmt.Errorf("bbolt's check: %w", errors.Join(errs...)), false)
		}
		return nil
	})
}

// Path returns the store's file name.
func (db *DB) Path() string { return db.path }
