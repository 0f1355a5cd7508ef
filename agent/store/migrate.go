package store

import (
	"context"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// schemaVersion is the layout this clinicgw writes. A store with an older
// schema is migrated on open, one step per transaction; a newer one is refused.
const schemaVersion = 7

// migrations[v] moves a store from schema v to v+1 (schema 2 to 3, which
// moves every case record, is keyCasesBySeq: in batches, casekey.go). Each runs in its own
// transaction, together with the schema bump, so a crash repeats at most
// the step it was in.
var migrations = map[uint32]func(*bolt.Tx) error{
	// Schema 2 adds the outbox of changes for the central store.
	1: func(btx *bolt.Tx) error {
		for _, name := range []string{bucketOutbox, bucketOutboxKeys} {
			if _, err := btx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return err
			}
		}
		return nil
	},
	// Schema 4 keeps sync journal records slim (cases.JournalRecordCase):
	// an older clinicgw would give back a slim record's event without its
	// content, so it must refuse the file. Every schema-3 record is a full
	// record, still valid: nothing moves, the bump alone is the step.
	3: func(*bolt.Tx) error { return nil },
	// Schema 5 drops the indexes by status, by type and by due date
	// alone, which idx-status-type and idx-type-due derive, and idx-new,
	// whose cases idx-status-type marks (derivedidx.go); migrate fills
	// and marks those first (fillDerivingIndexes).
	4: dropDerivedIndexes,
	// Schema 6 writes linked slim journal records (cases'
	// journalSlimLinked: the link before the event and a hash of the
	// record's own bytes): a schema-5 clinicgw would take one for a whole
	// event and fail to give it back, so it must refuse the file. Every
	// schema-5 record is still valid: nothing moves, the bump alone is the
	// step.
	5: func(*bolt.Tx) error { return nil },
	// Schema 7 (6 to 7 is foldPatients, in batches: patientidx.go) folds
	// idx-patient into the id index, and keeps runs of an actor's
	// access-log records in the index by actor (auditactor.go; every
	// schema-6 entry is a run of one). A schema-6 clinicgw would find no
	// patient's cases and read a run as its first record alone, so it
	// must refuse the file.
}

func readSchema(btx *bolt.Tx) (uint32, error) {
	raw := btx.Bucket([]byte(bucketMeta)).Get(keySchema)
	if len(raw) != 4 {
		return 0, fmt.Errorf("the store's schema version is missing or damaged")
	}
	return binary.BigEndian.Uint32(raw), nil
}

func (db *DB) migrate(ctx context.Context) error {
	for {
		var v uint32
		err := db.view(func(btx *bolt.Tx) error {
			var err error
			v, err = readSchema(btx)
			return err
		})
		if err != nil {
			return err
		}
		switch {
		case v == schemaVersion:
			// Goes on with a move or fold cut short; nothing if done.
			if err := db.keyCasesBySeq(ctx); err != nil {
				return err
			}
			return db.foldPatients(ctx)
		case v > schemaVersion:
			return fmt.Errorf("the store has schema %d, written by a newer clinicgw; this one knows schema %d: upgrade clinicgw", v, schemaVersion)
		case v == 2:
			if err := db.keyCasesBySeq(ctx); err != nil {
				return fmt.Errorf("migrate schema 2 to 3: %w", err)
			}
			db.log.Info("store migrated", "from", v, "to", v+1)
			continue
		case v == 3:
			// A move to schema 3 cut short is finished before the bump.
			if err := db.keyCasesBySeq(ctx); err != nil {
				return fmt.Errorf("migrate schema 2 to 3: %w", err)
			}
		case v == 6:
			if err := db.foldPatients(ctx); err != nil {
				return fmt.Errorf("migrate schema 6 to 7: %w", err)
			}
			db.log.Info("store migrated", "from", v, "to", v+1)
			continue
		case v == 4:
			if err := db.fillDerivingIndexes(ctx); err != nil {
				return fmt.Errorf("migrate schema 4 to 5: %w", err)
			}
		}
		step, ok := migrations[v]
		if !ok {
			return fmt.Errorf("no migration from schema %d", v)
		}
		err = db.update(func(btx *bolt.Tx) error {
			if err := step(btx); err != nil {
				return err
			}
			return btx.Bucket([]byte(bucketMeta)).Put(keySchema, binary.BigEndian.AppendUint32(nil, v+1))
		})
		if err != nil {
			return fmt.Errorf("migrate schema %d to %d: %w", v, v+1, err)
		}
		db.log.Info("store migrated", "from", v, "to", v+1)
	}
}

// Likewise a new optional member of a case record needs no schema bump:
// records decode with encoding/json, which ignores members it does not
// know, so an older clinicgw reads them as before; decodeCase gives a
// record without the member its default (sentAt: the arrival time, from
// which the record's due date was counted). testdata/schema2 holds a store
// as clinicgw wrote it before sentAt; fixture_test.go opens it.

// addedBuckets are buckets added after schema 2 that need no migration: an
// older clinicgw never opens them, so adding one does not bump the schema
// (which would make an older clinicgw refuse the file after a downgrade).
// Only such buckets are created on open; a missing core bucket is damage and
// is not papered over.
var addedBuckets = []string{bucketSettings, bucketAuditCase, bucketQuarantine, bucketQuarantineEv, bucketSyncJournal, bucketOutboxDone, bucketStats,
	bucketByStatusAssignee, bucketByStatusType, bucketByStatusTypeAssignee, bucketAuditPatientHead,
	bucketByTypeDue, bucketByAssigneeDue, bucketByTypeAssigneeDue, bucketByQueue}

// addBuckets creates the addedBuckets an existing store lacks, in one
// transaction, and writes nothing when none is missing.
func (db *DB) addBuckets() error {
	var missing []string
	err := db.view(func(btx *bolt.Tx) error {
		for _, name := range addedBuckets {
			if btx.Bucket([]byte(name)) == nil {
				missing = append(missing, name)
			}
		}
		return nil
	})
	if err != nil || len(missing) == 0 {
		return err
	}
	err = db.update(func(btx *bolt.Tx) error {
		for _, name := range missing {
			if _, err := btx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return fmt.Errorf("bucket %s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add buckets: %w", err)
	}
	db.log.Info("store buckets added", "buckets", missing)
	return nil
}

// batchedMove is a step that moves the entries of bucket from elsewhere,
// a batch per transaction (keyCasesBySeq, foldPatients): the first
// transaction bumps the schema to schema (so that an older clinicgw
// refuses the file from then on), the last removes from. A move cut
// short goes on at the next Open, where it left off.
type batchedMove struct {
	from   string
	schema uint32
	what   string // for an error: what the move does
	// the log's messages: at the start, after each batch and at the end
	started, moved, finished string
	// step moves a batch in btx: how many entries, and whether it was
	// the last (from is then removed).
	step func(btx *bolt.Tx) (n int, done bool, err error)
}

// runBatched runs m to its end; a store without m.from costs one read.
func (db *DB) runBatched(ctx context.Context, m batchedMove) error {
	left := -1
	db.view(func(btx *bolt.Tx) error {
		if b := btx.Bucket([]byte(m.from)); b != nil {
			left = b.Stats().KeyN
		}
		return nil
	})
	if left < 0 {
		return nil
	}
	db.log.Info(m.started, "entries", left)
	moved := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var done bool
		var n int
		err := db.update(func(btx *bolt.Tx) error {
			if v, err := readSchema(btx); err != nil {
				return err
			} else if v < m.schema { // never back from a later schema
				if err := btx.Bucket([]byte(bucketMeta)).Put(keySchema, binary.BigEndian.AppendUint32(nil, m.schema)); err != nil {
					return err
				}
			}
			var err error
			n, done, err = m.step(btx)
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: %w", m.what, err)
		}
		moved += n
		db.log.Debug(m.moved, "moved", moved, "entries", left)
		if done {
			db.log.Info(m.finished, "entries", moved)
			return nil
		}
	}
}
