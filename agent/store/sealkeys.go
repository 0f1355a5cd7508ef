package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/seal"
)

// The unit's sealing keys (package sync/seal) live in the key ring's
// bucket beside the data keys, under keySealing: each key's public half
// in clear, its private half (the 32-byte seed) wrapped by the KEK exactly
// as the data keys are, bound by the wrap's additional data to the unit
// and the key's id, so on a PKCS#11 token KEK it is wrapped under the
// token. One key is current: the central store seals to it. Rotation
// makes a new current key and keeps the older ones for opening what was
// sealed to them; retiring one destroys its wrapped private half (and the
// next Open compacts the file, so no copy lingers in a free page) and
// keeps its id, so that an envelope sealed to it is refused as sealed to a
// retired key rather than to a stranger's.

var keySealing = []byte("sealing-keys")

// ErrNoSealingKey means the store has no sealing key yet
// (EnsureSealingKey makes the first).
var ErrNoSealingKey = errors.New("the store has no sealing key yet")

// SealingKeyInfo describes one of the unit's sealing keys. It holds no
// secret.
type SealingKeyInfo struct {
	ID      seal.KeyID
	Created time.Time
	Current bool      // the central store seals new payloads to it
	Retired time.Time // when its private half was destroyed; zero while it opens
	Public  []byte    // seal.PublicKeySize bytes
}

type sealingRecord struct {
	Format  int                `json:"format"`
	KEKID   string             `json:"kekId"`
	Current string             `json:"current"`
	Keys    []sealingKeyRecord `json:"keys"`
}

type sealingKeyRecord struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	Public  []byte    `json:"public"`
	Wrapped []byte    `json:"wrapped,omitempty"` // nil once retired
	Retired time.Time `json:"retired,omitzero"`
}

func sealingAAD(unit, id string) []byte {
	return []byte("clinicgw sealing key v1 " + unit + " " + id)
}

func loadSealing(meta *bolt.Bucket) (*sealingRecord, error) {
	raw := meta.Get(keySealing)
	if raw == nil {
		return &sealingRecord{Format: 1}, nil
	}
	var r sealingRecord
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("the sealing keys do not decode: %w", err)
	}
	if r.Format != 1 {
		return nil, fmt.Errorf("sealing keys of format %d are not known to this clinicgw", r.Format)
	}
	return &r, nil
}

func (r *sealingRecord) info() []SealingKeyInfo {
	out := make([]SealingKeyInfo, 0, len(r.Keys))
	for _, k := range r.Keys {
		id, _ := seal.ParseKeyID(k.ID)
		out = append(out, SealingKeyInfo{ID: id, Created: k.Created, Current: k.ID == r.Current, Retired: k.Retired, Public: k.Public})
	}
	return out
}

// changeSealing runs change on the stored sealing keys in one write
// transaction and saves them when it reports a change.
func (db *DB) changeSealing(ctx context.Context, change func(btx *bolt.Tx, r *sealingRecord) (bool, error)) (*sealingRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var r *sealingRecord
	err := db.update(func(btx *bolt.Tx) error {
		meta := btx.Bucket([]byte(bucketMeta))
		var err error
		if r, err = loadSealing(meta); err != nil {
			return err
		}
		changed, err := change(btx, r)
		if err != nil || !changed {
			return err
		}
		raw, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return meta.Put(keySealing, raw)
	})
	return r, err
}

// addSealingKey generates a key, wraps its private half and makes it
// current.
func (db *DB) addSealingKey(r *sealingRecord) (SealingKeyInfo, error) {
	k, err := seal.GenerateKey(db.rand)
	if err != nil {
		return SealingKeyInfo{}, err
	}
	if r.KEKID != "" && r.KEKID != db.kek.ID() {
		return SealingKeyInfo{}, fmt.Errorf("%w: the sealing keys are wrapped with key %s, but the key given is %s", ErrWrongKey, r.KEKID, db.kek.ID())
	}
	id := k.ID().String()
	wrapped, err := db.kek.Wrap(k.Seed(), sealingAAD(db.unit, id))
	if err != nil {
		return SealingKeyInfo{}, fmt.Errorf("wrap the sealing key: %w", err)
	}
	now := db.clock.Now().UTC()
	r.KEKID = db.kek.ID()
	r.Keys = append(r.Keys, sealingKeyRecord{ID: id, Created: now, Public: k.Public().Bytes(), Wrapped: wrapped})
	r.Current = id
	return SealingKeyInfo{ID: k.ID(), Created: now, Current: true, Public: k.Public().Bytes()}, nil
}

// EnsureSealingKey makes the unit's first sealing key if it has none (the
// gateway's first start) and returns the current one; created says
// whether it was made now.
func (db *DB) EnsureSealingKey(ctx context.Context) (info SealingKeyInfo, created bool, err error) {
	_, err = db.changeSealing(ctx, func(_ *bolt.Tx, r *sealingRecord) (bool, error) {
		for _, k := range r.info() {
			if k.Current {
				info = k
				return false, nil
			}
		}
		info, err = db.addSealingKey(r)
		created = err == nil
		return created, err
	})
	if err != nil {
		return SealingKeyInfo{}, false, fmt.Errorf("sealing key: %w", err)
	}
	if created {
		db.log.Info("sealing key created", "unit", db.unit, "keyId", info.ID.String())
	}
	return info, created, nil
}

// RotateSealingKey makes a new current sealing key. The older keys keep
// opening what was sealed to them until RetireSealingKey.
func (db *DB) RotateSealingKey(ctx context.Context) (SealingKeyInfo, error) {
	var info SealingKeyInfo
	_, err := db.changeSealing(ctx, func(_ *bolt.Tx, r *sealingRecord) (bool, error) {
		var err error
		info, err = db.addSealingKey(r)
		return err == nil, err
	})
	if err != nil {
		return SealingKeyInfo{}, fmt.Errorf("rotate the sealing key: %w", err)
	}
	db.log.Info("sealing key rotated", "unit", db.unit, "keyId", info.ID.String())
	return info, nil
}

// RetireSealingKey destroys the private half of a sealing key that is not
// the current one: what was sealed to it never opens again. Its id is
// kept, so such an envelope is refused as sealed to a retired key. The
// next Open compacts the file, so the wrapped key does not linger in a
// free page.
func (db *DB) RetireSealingKey(ctx context.Context, id seal.KeyID) error {
	_, err := db.changeSealing(ctx, func(btx *bolt.Tx, r *sealingRecord) (bool, error) {
		s := id.String()
		if s == r.Current {
			return false, fmt.Errorf("key %s is the current sealing key: rotate first", s)
		}
		for i := range r.Keys {
			if k := &r.Keys[i]; k.ID == s {
				if k.Wrapped == nil {
					return false, nil
				}
				k.Wrapped, k.Retired = nil, db.clock.Now().UTC()
				return true, btx.Bucket([]byte(bucketMeta)).Put(keyCompact, []byte{1})
			}
		}
		return false, fmt.Errorf("the store has no sealing key %s", s)
	})
	if err != nil {
		return fmt.Errorf("retire the sealing key: %w", err)
	}
	db.log.Info("sealing key retired", "unit", db.unit, "keyId", id.String())
	return nil
}

// sealingRecord reads the stored sealing keys.
func (db *DB) sealingRecord() (*sealingRecord, error) {
	var r *sealingRecord
	err := db.view(func(btx *bolt.Tx) error {
		var err error
		r, err = loadSealing(btx.Bucket([]byte(bucketMeta)))
		return err
	})
	return r, err
}

// SealingKeys lists the unit's sealing keys, oldest first.
func (db *DB) SealingKeys() ([]SealingKeyInfo, error) {
	r, err := db.sealingRecord()
	if err != nil {
		return nil, err
	}
	return r.info(), nil
}

// CurrentSealingKey returns the key the central store is to seal to, or
// ErrNoSealingKey.
func (db *DB) CurrentSealingKey() (SealingKeyInfo, error) {
	keys, err := db.SealingKeys()
	if err != nil {
		return SealingKeyInfo{}, err
	}
	for _, k := range keys {
		if k.Current {
			return k, nil
		}
	}
	return SealingKeyInfo{}, ErrNoSealingKey
}

// CurrentSealingPublicKey returns the current sealing key's public half
// and when it was made (sync/uplink publishes it), or ErrNoSealingKey.
func (db *DB) CurrentSealingPublicKey(ctx context.Context) (*seal.PublicKey, time.Time, error) {
	if err := ctx.Err(); err != nil {
		return nil, time.Time{}, err
	}
	k, err := db.CurrentSealingKey()
	if err != nil {
		return nil, time.Time{}, err
	}
	pub, err := seal.ParsePublicKey(k.Public)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("the current sealing key: %w", err)
	}
	if pub.ID() != k.ID {
		return nil, time.Time{}, fmt.Errorf("the current sealing key %s is stored with another key's public half", k.ID)
	}
	return pub, k.Created, nil
}

// SealingOpener unwraps the private halves of the unit's live sealing keys
// with the KEK and returns an opener of envelopes sealed to them (and
// aware of the retired ones). A key that does not unwrap is ErrWrongKey.
func (db *DB) SealingOpener(ctx context.Context) (*seal.Opener, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r, err := db.sealingRecord()
	if err != nil {
		return nil, fmt.Errorf("sealing keys: %w", err)
	}
	if r.KEKID != "" && r.KEKID != db.kek.ID() {
		return nil, fmt.Errorf("sealing keys: %w: they are wrapped with key %s, but the key given is %s", ErrWrongKey, r.KEKID, db.kek.ID())
	}
	var keys []*seal.PrivateKey
	var retired []seal.KeyID
	for _, k := range r.Keys {
		id, err := seal.ParseKeyID(k.ID)
		if err != nil {
			return nil, fmt.Errorf("sealing keys: %w", err)
		}
		if k.Wrapped == nil {
			retired = append(retired, id)
			continue
		}
		seed, err := db.kek.Unwrap(k.Wrapped, sealingAAD(db.unit, k.ID))
		if err != nil {
			return nil, fmt.Errorf("sealing keys: %w: sealing key %s does not unwrap", ErrWrongKey, k.ID)
		}
		pk, err := seal.NewPrivateKey(seed)
		clear(seed)
		if err != nil {
			return nil, fmt.Errorf("sealing keys: key %s: %w", k.ID, err)
		}
		if pk.ID() != id {
			return nil, fmt.Errorf("sealing keys: key %s unwraps to the private half of another key", k.ID)
		}
		keys = append(keys, pk)
	}
	return seal.NewOpener(db.unit, keys, retired), nil
}

// checkSealingKeys is store check's part: every live sealing key's
// private half unwraps with the KEK to the key its id and public half
// name; one that does not makes a *DamagedError.
func (db *DB) checkSealingKeys(ctx context.Context) error {
	r, err := db.sealingRecord()
	if err != nil {
		return damaged(db.path, err, true)
	}
	if _, err := db.SealingOpener(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return damaged(db.path, err, true)
	}
	for _, k := range r.Keys {
		if k.Wrapped == nil {
			continue
		}
		pub, err := seal.ParsePublicKey(k.Public)
		if err != nil || pub.ID().String() != k.ID {
			return damaged(db.path, fmt.Errorf("sealing key %s: its public half is not the key its id names", k.ID), true)
		}
	}
	return nil
}
