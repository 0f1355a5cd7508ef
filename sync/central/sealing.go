package central

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/seal"
	"clinicgw/sync/wire"
)

// Sealing at the first moment (issue 22, item 2). A unit's gateway
// switches sealing on with PUT wire.PathSealing2 once the central store
// holds its signed sealing key (sealkey.go). From then on every
// case.created and case.followup event of the unit is sealed to that key
// when the patient submits it (seal.Epochs: one encapsulation per epoch,
// one AEAD per event; the epoch's secret in memory only), the event log
// keeps the sealed event only, and the case record keeps in the clear
// only what routing needs: the unit, the case id, the form (service) id,
// the times and the status; the patient index names people by a keyed
// hash of the personnummer (HMAC-SHA256 under the index key, a file of
// its own beside the store's, mode 0600), for every case. The patient's
// own copy, which the patient pages show back, is sealed under the
// central store's own key ring with a data key per patient (atrest.go,
// keyring.go; issue 22's item 3).

// keySealing, in a unit bucket: the unit's sealingState JSON.
const keySealing = "sealing"

// sealingState is a unit's sealing switch as stored.
type sealingState struct {
	Sealed  bool   `json:"sealed"`
	FromSeq uint64 `json:"fromSeq,omitempty"`
	// Envelope is seal.VersionEpochRef when the unit's gateway asked for
	// envelopes that name their epoch (sealepochs.go); else 0: version 2.
	Envelope int `json:"envelope,omitempty"`
}

// IndexKeySize is the length of the patient index key.
const IndexKeySize = 32

// pnrKey is the patient index's name for a personnummer in a sealed case:
// "#" and the hex of HMAC-SHA256 under the index key (a personnummer
// starts with a digit, so the two kinds of key never share a prefix).
func (s *Store) pnrKey(pnr string) string {
	m := hmac.New(sha256.New, s.indexKey)
	m.Write([]byte(pnr))
	return "#" + hex.EncodeToString(m.Sum(nil))
}

// sealingOf reads a unit's sealing switch.
func sealingOf(ub *bolt.Bucket) (sealingState, error) {
	var st sealingState
	if v := ub.Get([]byte(keySealing)); v != nil {
		if err := json.Unmarshal(v, &st); err != nil {
			return st, fmt.Errorf("read the unit's sealing switch: %w", err)
		}
	}
	return st, nil
}

// sealingKey returns the public key to seal the unit's events to in tx,
// or nil when the unit's sealing is off.
func (s *Store) sealingKey(tx *bolt.Tx, unit string) (*seal.PublicKey, error) {
	ub := unitBucket(tx, unit)
	st, err := sealingOf(ub)
	if err != nil || !st.Sealed {
		return nil, err
	}
	stmt, ok, err := sealingKeyOf(ub)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errors.New("the unit's sealing is on without a sealing key")
	}
	raw, _, _, err := stmt.Decoded()
	if err != nil {
		return nil, fmt.Errorf("the unit's sealing key: %w", err)
	}
	return seal.ParsePublicKey(raw)
}

// sealEvent replaces ev's content by its envelope to pub, in tx: version
// 3 with its epoch kept in the unit's epoch table when the unit's gateway
// asked for it (sealepochs.go), else version 2.
func (s *Store) sealEvent(tx *bolt.Tx, pub *seal.PublicKey, unit string, ev *wire.Event) error {
	pt, err := wire.ContentOf(*ev)
	if err != nil {
		return err
	}
	ref, err := sealsRef(tx, unit)
	if err != nil {
		return err
	}
	var env []byte
	if ref {
		var rec seal.EpochRecord
		if env, rec, err = s.sealer.SealRef(pub, seal.EventContext(unit, *ev), pt); err == nil {
			err = keepEpoch(tx, unit, rec)
		}
	} else {
		env, err = s.sealer.Seal(pub, seal.EventContext(unit, *ev), pt)
	}
	if err != nil {
		return fmt.Errorf("seal event %s: %w", ev.ID, err)
	}
	route := s.routeOf(*ev)
	ev.Case, ev.Message, ev.Sealed, ev.Route = nil, nil, encodeSealed(env), route
	return nil
}

// serveGetSealing answers GET wire.PathSealing2.
func (s *Store) serveGetSealing(w http.ResponseWriter, r *http.Request, unit string) {
	var out wire.SealingState
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = s.sealingStateOf(tx, unit)
		return err
	})
	if err != nil {
		s.writeError(w, "sealing", unit, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if err := wire.WriteJSON(w, http.StatusOK, out); err != nil {
		s.log.Error("sealing response", "unit", unit, "err", err)
	}
}

// sealingStateOf is the unit's sealing as the wire says it.
func (s *Store) sealingStateOf(tx *bolt.Tx, unit string) (wire.SealingState, error) {
	ub := unitBucket(tx, unit)
	st, err := sealingOf(ub)
	if err != nil || !st.Sealed {
		return wire.SealingState{}, err
	}
	stmt, _, err := sealingKeyOf(ub)
	return wire.SealingState{Sealed: true, KeyID: stmt.KeyID, FromSeq: st.FromSeq}, err
}

// servePutSealing answers PUT wire.PathSealing2.
func (s *Store) servePutSealing(w http.ResponseWriter, r *http.Request, unit string) {
	sw, err := decode(w, r, wire.MaxBodyBytes, wire.DecodeSealingSwitch)
	if err != nil {
		s.writeError(w, "sealing", unit, err)
		return
	}
	var out wire.SealingState
	var changed bool
	envelope := 0 // a gateway of this release asks for version 3; ignored by the release before
	if sw.Sealed && r.URL.Query().Get(wire.SealingEnvelopeParam) == wire.SealingEnvelopeRef {
		envelope = seal.VersionEpochRef
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		ub := unitBucket(tx, unit)
		st, err := sealingOf(ub)
		if err != nil {
			return err
		}
		if sw.Sealed {
			if _, ok, err := sealingKeyOf(ub); err != nil {
				return err
			} else if !ok {
				return wire.Conflict("The unit has no published sealing key: publish it (PUT /v2/sealing-key) before switching sealing on.")
			}
		}
		if !sw.Sealed {
			if lifted, err := clearOutboundSealed(ub); err != nil {
				return err
			} else if lifted {
				changed = true
			}
		}
		if st.Sealed != sw.Sealed || st.Envelope != envelope {
			changed = true
			if st.Sealed != sw.Sealed {
				st = sealingState{Sealed: sw.Sealed}
				if sw.Sealed {
					st.FromSeq = ub.Bucket([]byte(bucketEvents)).Sequence() + 1
				}
			}
			st.Envelope = envelope
			b, err := json.Marshal(st)
			if err != nil {
				return err
			}
			if err := ub.Put([]byte(keySealing), b); err != nil {
				return err
			}
		}
		out, err = s.sealingStateOf(tx, unit)
		return err
	})
	if err != nil {
		s.writeError(w, "sealing", unit, err)
		return
	}
	if changed {
		s.log.Info("unit's sealing switched", "unit", unit, "sealed", out.Sealed, "keyId", out.KeyID, "fromSeq", out.FromSeq, "envelope", envelope)
	}
	w.Header().Set("Cache-Control", "no-store")
	if err := wire.WriteJSON(w, http.StatusOK, out); err != nil {
		s.log.Error("sealing response", "unit", unit, "err", err)
	}
}

// Sealing reports whether the central store seals the unit's new events.
func (s *Store) Sealing(ctx context.Context, unit string) (bool, error) {
	if !s.unitSet[unit] {
		return false, ErrUnknownUnit
	}
	var on bool
	err := s.db.View(func(tx *bolt.Tx) error {
		st, err := sealingOf(unitBucket(tx, unit))
		on = st.Sealed
		return err
	})
	return on, err
}

// encodeSealed is Event.Sealed's form of an envelope.
func encodeSealed(env []byte) string { return base64.StdEncoding.EncodeToString(env) }
