package central

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"clinicgw/sync/atomicfile"
	"clinicgw/sync/boltfile"
	"clinicgw/sync/clock"
	"clinicgw/sync/seal"
	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/hsaid"
)

// Options configure a Store.
type Options struct {
	// Clock tells the time of events, cases and sessions; the system clock
	// if nil.
	Clock clock.Clock
	// Rand supplies ids and session tokens; crypto/rand if nil. It is read
	// under a lock, so it need not be safe for concurrent use.
	Rand io.Reader
	// Logger receives technical logs (case ids and HSA-IDs only); discarded
	// if nil.
	Logger *slog.Logger
	// Units are the HSA-IDs of the care units that may connect, in the
	// order the patient pages list them. At least one is required.
	Units []string
	// UnitNames maps an HSA-ID to the name the patient pages show; a unit
	// without one is shown by its HSA-ID.
	UnitNames map[string]string
	// Notifier tells a patient that a message waits; a LogNotifier on
	// Logger if nil.
	Notifier Notifier
	// LockTimeout bounds the wait for the file lock at Open; 2 s if 0.
	LockTimeout time.Duration
	// Retention is how long a unit's confirmed outbox items are kept for
	// a gateway restored from its own backup (wire.PathConfirmed2);
	// DefaultRetention if 0. Events are never dropped.
	Retention time.Duration
	// IndexKeyFile is where an older store kept the patient index key of
	// sealed cases (sealing.go) in the clear; the store's path and
	// ".index-key" if empty. Open moves it into the key ring under the
	// KEK and removes the file (keyfiles.go).
	IndexKeyFile string
	// KEK is the key-encryption key of the store's data keys (keyring.go),
	// e.g. on a PKCS#11 token; when nil, the key file KEKFile.
	KEK KEK
	// KEKFile is the key-encryption key's file, made (mode 0600) if
	// missing; the store's path and ".kek" if empty. Keep it apart from
	// the store's backups.
	KEKFile string
	// KeyRingFile is the file of the patients' wrapped data keys; the
	// store's path and ".keyring" if empty.
	KeyRingFile string
}

// Store is the central patient-side store. Its methods are safe for
// concurrent use.
type Store struct {
	db        *bolt.DB
	clock     clock.Clock
	rand      *lockedReader
	log       *slog.Logger
	units     []string
	unitSet   map[string]bool
	unitNames map[string]string
	notifier  Notifier
	retention time.Duration
	hub       *hub
	times     timesCache       // the units' published booking times, decoded (bookingcache.go)
	sealer    *seal.Epochs     // the units' sealing epochs, in memory only
	outCounts outboundCounts   // outbox items taken sealed, plain, refused (outmetrics.go)
	indexKey  []byte           // the patient index key of sealed cases
	outbound  *outboundSealing // the store's own sealing key (outseal.go)
	ring      *keyRing         // the patients' data keys (keyring.go)
	web       *web
	// incarnation is the store's incarnation (chain.go), read at Open.
	incarnation string

	closeMu sync.Mutex
	closed  bool
	done    chan struct{}  // closed by Close: streams end
	streams sync.WaitGroup // open websocket streams
}

// lockedReader serialises reads of an io.Reader.
type lockedReader struct {
	mu sync.Mutex
	r  io.Reader
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}

// Bucket and key names.
const (
	bucketMeta     = "meta"     // schema
	bucketUnits    = "units"    // HSA-ID → unit bucket
	bucketCases    = "cases"    // case id → caseRecord JSON
	bucketPatients = "patients" // pnr (12) ‖ case id (26) → role
	bucketEvents   = "events"   // in a unit bucket: seq (8 BE) → wire.Event JSON
	bucketOutbox   = "outbox"   // in a unit bucket: idempotency key → outboxRecord JSON
	// bucketConfirmed, in a unit bucket: seq (8 BE) → confirmedRecord JSON (confirmed.go)
	bucketConfirmed = "confirmed"
	// keyConfirmedDropped, in a unit bucket: the newest time of a confirmed item dropped (RFC 3339)
	keyConfirmedDropped = "confirmed-dropped"
	keySchema           = "schema"
	keyAcked            = "acked"      // in a unit bucket: the acknowledged cursor (8 BE)
	keyForms            = "forms"      // in a unit bucket: the published wire.FormSet JSON
	keyQuarantine       = "quarantine" // in a unit bucket: the last wire.QuarantineReport JSON
	keyContact          = "contact"    // in a unit bucket: the published wire.UnitContact JSON
	schemaVersion       = "1"
)

// Roles in the patient index.
const (
	rolePatient  = "p"
	roleGuardian = "g"
)

// Open opens the store at path, creating it if the file does not exist,
// and makes room for every unit in opts.Units.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if len(opts.Units) == 0 {
		return nil, errors.New("open central store: no care units configured")
	}
	unitSet := make(map[string]bool, len(opts.Units))
	for _, u := range opts.Units {
		if !hsaid.Valid(u) {
			return nil, fmt.Errorf("open central store: %q is not an HSA-ID", u)
		}
		if unitSet[u] {
			return nil, fmt.Errorf("open central store: unit %s is listed twice", u)
		}
		unitSet[u] = true
	}
	opts.fillDefaults() // keys.go
	if opts.Notifier == nil {
		opts.Notifier = LogNotifier{Logger: opts.Logger}
	}
	if opts.Retention < 0 {
		return nil, errors.New("open central store: the retention must not be negative")
	}
	if opts.Retention == 0 {
		opts.Retention = DefaultRetention
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// bbolt trusts its file and panics on a damaged one: check an existing
	// file's structure first. An empty or foreign file is refused too,
	// never made into a new store.
	if _, err := os.Stat(path); err == nil {
		if _, err := boltfile.CheckFile(ctx, path, nil); err != nil {
			return nil, fmt.Errorf("open central store %s: the file is damaged (%w); restore the latest backup of it and keep the damaged one for analysis", path, err)
		}
	} else if errors.Is(err, fs.ErrNotExist) {
		// A new file is made whole under a temporary name and linked into
		// place: a power cut never leaves an empty one to be refused.
		err := atomicfile.Create(path, func(tmp string) error {
			bdb, err := bolt.Open(tmp, 0o600, nil)
			if err != nil {
				return err
			}
			return bdb.Close()
		})
		if err != nil {
			return nil, fmt.Errorf("open central store: %w", err)
		}
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout}) // NoSync is never set
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open central store %s: it is in use by another process", path)
	}
	if err != nil {
		return nil, fmt.Errorf("open central store %s: %w", path, err)
	}
	// bbolt never syncs the file's folder: a new store file would vanish
	// with the power (agent/powercut). Synced at every open, for a file
	// made by anything else.
	if err := atomicfile.SyncDir(filepath.Dir(path)); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("open central store %s: sync its folder: %w", path, err)
	}
	s := &Store{
		db:        bdb,
		clock:     opts.Clock,
		rand:      &lockedReader{r: opts.Rand},
		log:       opts.Logger,
		units:     slices.Clone(opts.Units),
		unitSet:   unitSet,
		unitNames: make(map[string]string, len(opts.UnitNames)),
		notifier:  opts.Notifier,
		retention: opts.Retention,
		hub:       newHub(),
		done:      make(chan struct{}),
	}
	for k, v := range opts.UnitNames {
		s.unitNames[k] = v
	}
	if s.ring, err = openKeyRing(path, opts); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("open central store %s: %w", path, err)
	}
	if opts.IndexKeyFile == "" {
		opts.IndexKeyFile = path + ".index-key"
	}
	if err := s.loadStoreKeys(opts.IndexKeyFile, path+".seal-key", opts.Clock.Now); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("open central store %s: %w", path, err)
	}
	s.sealer = seal.NewEpochs(opts.Clock.Now, s.rand) // nonces; the encapsulation is crypto/rand's
	if err := s.init(); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("open central store %s: %w", path, err)
	}
	if err := s.migrateAtRest(path, bolt.Options{Timeout: opts.LockTimeout}); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("open central store %s: %w", path, err)
	}
	s.web = newWeb(s)
	return s, nil
}

// init creates the buckets or checks the schema of an existing file.
func (s *Store) init() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists([]byte(bucketMeta))
		if err != nil {
			return err
		}
		switch v := meta.Get([]byte(keySchema)); {
		case v == nil:
			if err := meta.Put([]byte(keySchema), []byte(schemaVersion)); err != nil {
				return err
			}
			if err := meta.Put([]byte(keyAtRest), []byte(atRestDone)); err != nil { // a new file: sealed from the start
				return err
			}
		case string(v) != schemaVersion:
			return errors.New("the file was written by another version of the central store")
		}
		for _, name := range []string{bucketUnits, bucketCases, bucketPatients} {
			if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return err
			}
		}
		units := tx.Bucket([]byte(bucketUnits))
		for _, u := range s.units {
			ub, err := units.CreateBucketIfNotExists([]byte(u))
			if err != nil {
				return err
			}
			for _, name := range []string{bucketEvents, bucketOutbox, bucketConfirmed} {
				if _, err := ub.CreateBucketIfNotExists([]byte(name)); err != nil {
					return err
				}
			}
		}
		return s.initChain(tx)
	})
}

// Close ends the websocket streams, waits for them, and closes the file.
// Requests still running fail; call it after the HTTP servers have shut
// down.
func (s *Store) Close() error {
	s.closeMu.Lock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
	s.closeMu.Unlock()
	s.streams.Wait()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close central store: %w", err)
	}
	return nil
}

// enterStream counts a new stream unless the store is closing.
func (s *Store) enterStream() bool {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return false
	}
	s.streams.Add(1)
	return true
}

// Units returns the HSA-IDs of the care units the store serves.
func (s *Store) Units() []string { return slices.Clone(s.units) }

// UnitName returns the name the patient pages show for a unit.
func (s *Store) UnitName(unit string) string {
	if n := s.unitNames[unit]; n != "" {
		return n
	}
	return unit
}

// Head returns the sequence number of the unit's last event (0 if none).
func (s *Store) Head(ctx context.Context, unit string) (uint64, error) {
	if !s.unitSet[unit] {
		return 0, ErrUnknownUnit
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var head uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		head = unitBucket(tx, unit).Bucket([]byte(bucketEvents)).Sequence()
		return nil
	})
	return head, err
}

// Acked returns the cursor the unit's gateway has acknowledged (0 if none).
func (s *Store) Acked(ctx context.Context, unit string) (uint64, error) {
	if !s.unitSet[unit] {
		return 0, ErrUnknownUnit
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var acked uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		acked = ackedOf(unitBucket(tx, unit))
		return nil
	})
	return acked, err
}

// unitBucket returns a configured unit's bucket; Open made it.
func unitBucket(tx *bolt.Tx, unit string) *bolt.Bucket {
	return tx.Bucket([]byte(bucketUnits)).Bucket([]byte(unit))
}

// viewUnit runs read on a known unit's bucket in a read transaction
// (ErrUnknownUnit for another, ctx's error once it is done).
func (s *Store) viewUnit(ctx context.Context, unit string, read func(ub *bolt.Bucket) error) error {
	if !s.unitSet[unit] {
		return ErrUnknownUnit
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(tx *bolt.Tx) error { return read(unitBucket(tx, unit)) })
}

// unitValue decodes the JSON value kept under key in the unit's bucket
// ub into v, which stays as it is when there is none; what names the
// value in an error.
func unitValue(ub *bolt.Bucket, key, what string, v any) error {
	b := ub.Get([]byte(key))
	if b == nil {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("read the unit's %s: %w", what, err)
	}
	return nil
}

func ackedOf(ub *bolt.Bucket) uint64 {
	if v := ub.Get([]byte(keyAcked)); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func seqKey(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}

// newID returns a new time-ordered id (case ids, event ids, message ids).
func (s *Store) newID(now time.Time) (string, error) {
	id, err := caseid.New(now, s.rand)
	return string(id), err
}
