package store

import (
	"context"
	"errors"
)

// settingSealEpoch prefixes the records of the central store's sealing
// epochs (sync/seal version-3 envelopes name them; sync/uplink keeps each
// before it applies an event that names it), by epoch id in hex: a key
// id and an encapsulated key, public and of no patient, sealed like
// every setting.
const settingSealEpoch = "unit/seal-epoch/"

// SealingEpoch returns the stored record of the epoch id; false if none.
func (db *DB) SealingEpoch(ctx context.Context, id string) ([]byte, bool, error) {
	b, err := db.Setting(ctx, settingSealEpoch+id)
	if errors.Is(err, ErrNoSetting) {
		return nil, false, nil
	}
	return b, err == nil, err
}

// PutSealingEpoch stores the record of the epoch id.
func (db *DB) PutSealingEpoch(ctx context.Context, id string, rec []byte) error {
	return db.PutSetting(ctx, settingSealEpoch+id, rec)
}
