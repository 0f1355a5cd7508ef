package store

import (
	"context"
	"errors"
)

// settingSealedOut holds the id of the central store's sealing key the
// gateway first sealed its outbox items to (sync/uplink, outseal.go):
// from then on its items never go plain (a downgrade), whatever the
// central store answers, until the unit switches sealing off. No
// setting: the gateway never sealed outbound, or the unit switched
// sealing off.
const settingSealedOut = "unit/outbound-sealed-to"

// OutboundSealedTo returns the central key id the gateway first sealed
// its outbox to; on is false when it never did or the mark was lifted.
func (db *DB) OutboundSealedTo(ctx context.Context) (keyID string, on bool, err error) {
	b, err := db.Setting(ctx, settingSealedOut)
	if errors.Is(err, ErrNoSetting) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return string(b), true, nil
}

// SetOutboundSealedTo records that the gateway seals its outbox to the
// central store's key keyID.
func (db *DB) SetOutboundSealedTo(ctx context.Context, keyID string) error {
	return db.PutSetting(ctx, settingSealedOut, []byte(keyID))
}

// ClearOutboundSealedTo lifts the mark: the unit switched sealing off.
func (db *DB) ClearOutboundSealedTo(ctx context.Context) error {
	return db.DeleteSetting(ctx, settingSealedOut)
}
