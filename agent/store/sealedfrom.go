package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
)

// settingSealedFrom holds the central store's sequence number from which
// it seals the unit's events, as the gateway recorded it when the central
// store first confirmed the unit's sealing switch (sync/uplink refuses
// plain content from there on: a downgrade). A decimal number; no
// setting: sealing was never confirmed, or the unit switched it off.
const settingSealedFrom = "unit/sealed-from"

// SealedFrom returns the sequence number from which the central store
// confirmed sealing the unit's events; on is false when it never did or
// the mark was lifted (ClearSealedFrom).
func (db *DB) SealedFrom(ctx context.Context) (seq uint64, on bool, err error) {
	b, err := db.Setting(ctx, settingSealedFrom)
	if errors.Is(err, ErrNoSetting) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	seq, err = strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("read setting %s: not a sequence number", settingSealedFrom)
	}
	return seq, true, nil
}

// SetSealedFrom records that the central store seals the unit's events
// from seq on.
func (db *DB) SetSealedFrom(ctx context.Context, seq uint64) error {
	return db.PutSetting(ctx, settingSealedFrom, strconv.AppendUint(nil, seq, 10))
}

// ClearSealedFrom lifts the mark: the unit switched sealing off.
func (db *DB) ClearSealedFrom(ctx context.Context) error {
	return db.DeleteSetting(ctx, settingSealedFrom)
}
