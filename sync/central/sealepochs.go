package central

import (
	"fmt"
	"net/http"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/seal"
	"clinicgw/sync/wire"
)

// Sealing epochs (envelope version 3, wire.PathSealingEpochs2). For a unit
// whose gateway asked for them (PUT wire.PathSealing2?envelope=3, kept in
// the unit's sealing switch), a sealed event names its epoch instead of
// carrying the epoch's 1120-byte encapsulated key; the epoch's record
// (key id and encapsulated key: public, nothing in it opens anything
// without the unit's private key) is written in the unit's epoch table
// in the same transaction as the first event that names it, and served
// to the gateway once per epoch it lacks. A gateway that gives back
// events this store lost (a restore) puts their epochs back first; an
// event given back whose epoch this store does not hold is refused, so
// that nothing is served that no gateway could open.

// bucketSealEpochs, in a unit bucket: epoch id (16 bytes) →
// seal.EpochRecord.Bytes (key id, encapsulated key). Made at the first.
const bucketSealEpochs = "seal-epochs"

// sealsRef reports whether the unit's events are sealed as version 3.
func sealsRef(tx *bolt.Tx, unit string) (bool, error) {
	st, err := sealingOf(unitBucket(tx, unit))
	return st.Envelope == seal.VersionEpochRef, err
}

// keepEpoch writes rec in the unit's epoch table unless it is there.
func keepEpoch(tx *bolt.Tx, unit string, rec seal.EpochRecord) error {
	ub := unitBucket(tx, unit)
	id := rec.ID()
	if b := ub.Bucket([]byte(bucketSealEpochs)); b != nil && b.Get(id[:]) != nil {
		return nil
	}
	b, err := ub.CreateBucketIfNotExists([]byte(bucketSealEpochs))
	if err != nil {
		return err
	}
	return b.Put(id[:], rec.Bytes())
}

// epochOf reads the unit's epoch id from its table; false if absent.
func epochOf(tx *bolt.Tx, unit string, id seal.EpochID) (seal.EpochRecord, bool, error) {
	b := unitBucket(tx, unit).Bucket([]byte(bucketSealEpochs))
	if b == nil {
		return seal.EpochRecord{}, false, nil
	}
	v := b.Get(id[:])
	if v == nil {
		return seal.EpochRecord{}, false, nil
	}
	rec, err := seal.ParseEpochRecord(unit, id, v)
	if err != nil {
		return rec, false, fmt.Errorf("the unit's sealing epoch %s is damaged: %w", id, err)
	}
	return rec, true, nil
}

// heldEpoch checks, for an event given back, that this store holds the
// epoch its version-3 envelope names; a refusal for the gateway if not.
func heldEpoch(tx *bolt.Tx, unit string, ev wire.Event) (*wire.Problem, error) {
	env, ok := ev.SealedBytes()
	if !ok {
		return nil, nil
	}
	_, id, ok := seal.EpochOf(env)
	if !ok {
		return nil, nil
	}
	if _, held, err := epochOf(tx, unit, id); err != nil || held {
		return nil, err
	}
	return wire.Conflict("This sealed event names a sealing epoch this central store does not hold: put the epoch (PUT /v2/sealing-epochs) before giving the event back."), nil
}

// serveGetSealingEpoch answers GET wire.PathSealingEpochs2?id=.
func (s *Store) serveGetSealingEpoch(w http.ResponseWriter, r *http.Request, unit string) {
	q, err := wire.ParseSealingEpochQuery(r.URL.Query())
	if err != nil {
		s.writeError(w, "sealing-epoch", unit, err)
		return
	}
	id, err := seal.ParseEpochID(q)
	if err != nil {
		s.writeError(w, "sealing-epoch", unit, wire.BadRequest("The epoch id is not of its form."))
		return
	}
	var rec seal.EpochRecord
	var held bool
	err = s.db.View(func(tx *bolt.Tx) error {
		rec, held, err = epochOf(tx, unit, id)
		return err
	})
	if err == nil && !held {
		err = wire.NotFound("This central store holds no such sealing epoch of the unit.")
	}
	if err != nil {
		s.writeError(w, "sealing-epoch", unit, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if err := wire.WriteJSON(w, http.StatusOK, rec.Wire()); err != nil {
		s.log.Error("sealing epoch response", "unit", unit, "err", err)
	}
}

// servePutSealingEpoch answers PUT wire.PathSealingEpochs2: an epoch put
// back by the unit's gateway, kept once its id binds it to the unit.
func (s *Store) servePutSealingEpoch(w http.ResponseWriter, r *http.Request, unit string) {
	e, err := decode(w, r, wire.MaxBodyBytes, wire.DecodeSealingEpoch)
	if err != nil {
		s.writeError(w, "sealing-epoch", unit, err)
		return
	}
	rec, err := seal.EpochRecordOf(unit, e)
	if err != nil {
		s.writeError(w, "sealing-epoch", unit, wire.BadRequest("The epoch's id is not the hash of the unit, its key id and its encapsulated key: it was altered or belongs to another unit."))
		return
	}
	if err := s.db.Update(func(tx *bolt.Tx) error { return keepEpoch(tx, unit, rec) }); err != nil {
		s.writeError(w, "sealing-epoch", unit, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
