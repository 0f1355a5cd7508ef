package central

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/seal"
	"clinicgw/sync/wire"
)

// A unit's gateway publishes its sealing key with PUT
// wire.PathSealingKey2: a statement signed with the unit's certificate.
// The store keeps it only when it is the unit's own, signed with the very
// client certificate of the request (seal.VerifyStatement against the
// certificate the mutual TLS verified): one unit cannot publish a key for
// another, and a statement signed with any other key is refused. It
// replaces the unit's previous statement, durably, and is served back
// as it was given at GET wire.PathSealingKey2, for the gateway to check
// that nothing swapped it here. Sealing the unit's payloads to it is the
// next step (issue 22); what is kept now is the public key and its
// statement, no secret.

// keySealingKey, in a unit bucket: the unit's wire.SealingKeyStatement JSON.
const keySealingKey = "sealing-key"

// SealingKey returns the unit's published sealing key statement, if any,
// as the unit signed it (not verified again here: verified when taken).
func (s *Store) SealingKey(ctx context.Context, unit string) (wire.SealingKeyStatement, bool, error) {
	if !s.unitSet[unit] {
		return wire.SealingKeyStatement{}, false, ErrUnknownUnit
	}
	if err := ctx.Err(); err != nil {
		return wire.SealingKeyStatement{}, false, err
	}
	var st wire.SealingKeyStatement
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		st, ok, err = sealingKeyOf(unitBucket(tx, unit))
		return err
	})
	return st, ok, err
}

func sealingKeyOf(ub *bolt.Bucket) (wire.SealingKeyStatement, bool, error) {
	v := ub.Get([]byte(keySealingKey))
	if v == nil {
		return wire.SealingKeyStatement{}, false, nil
	}
	var st wire.SealingKeyStatement
	if err := json.Unmarshal(v, &st); err != nil {
		return st, false, fmt.Errorf("read the unit's sealing key: %w", err)
	}
	return st, true, nil
}

// servePutSealingKey answers PUT wire.PathSealingKey2.
func (s *Store) servePutSealingKey(w http.ResponseWriter, r *http.Request, unit string) {
	st, err := decode(w, r, wire.MaxBodyBytes, wire.DecodeSealingKeyStatement)
	if err != nil {
		s.writeError(w, "sealing-key", unit, err)
		return
	}
	if _, err := seal.VerifyStatement(st, r.TLS.VerifiedChains[0][0], unit); err != nil {
		s.log.Warn("sealing key statement refused: not signed with the unit's client certificate", "unit", unit, "keyId", st.KeyID, "statementUnit", st.Unit)
		if errors.Is(err, seal.ErrStatement) {
			s.writeError(w, "sealing-key", unit, wire.Forbidden("The sealing key statement is not the unit's own, signed with the client certificate of this request."))
			return
		}
		s.writeError(w, "sealing-key", unit, err)
		return
	}
	b, err := wire.Marshal(st)
	if err != nil {
		s.writeError(w, "sealing-key", unit, err)
		return
	}
	var prev string
	err = s.db.Update(func(tx *bolt.Tx) error {
		ub := unitBucket(tx, unit)
		if old, ok, err := sealingKeyOf(ub); err != nil {
			return err
		} else if ok {
			prev = old.KeyID
		}
		return ub.Put([]byte(keySealingKey), b)
	})
	if err != nil {
		s.writeError(w, "sealing-key", unit, err)
		return
	}
	if prev != st.KeyID {
		s.log.Info("sealing key published", "unit", unit, "keyId", st.KeyID, "previousKeyId", prev)
	}
	noContent(w)
}

// serveGetSealingKey answers GET wire.PathSealingKey2.
func (s *Store) serveGetSealingKey(w http.ResponseWriter, r *http.Request, unit string) {
	st, ok, err := s.SealingKey(r.Context(), unit)
	if err != nil {
		s.writeError(w, "sealing-key", unit, err)
		return
	}
	out := wire.PublishedSealingKey{Statements: []wire.SealingKeyStatement{}}
	if ok {
		out.Statements = append(out.Statements, st)
	}
	w.Header().Set("Cache-Control", "no-store")
	if err := wire.WriteJSON(w, http.StatusOK, out); err != nil {
		s.log.Error("sealing key response", "unit", unit, "err", err)
	}
}
