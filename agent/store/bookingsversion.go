package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
)

// settingBookingsVersion holds the version of the last bookings state the
// gateway put to the central store (sync/uplink's bookingversion.go), 8
// bytes big-endian: the next state's is higher, so the central store can
// refuse an older one put again.
const settingBookingsVersion = "unit/bookings-version"

// BookingsVersion returns the last bookings version kept (0: none).
func (db *DB) BookingsVersion(ctx context.Context) (uint64, error) {
	b, err := db.Setting(ctx, settingBookingsVersion)
	if errors.Is(err, ErrNoSetting) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(b) != 8 {
		return 0, fmt.Errorf("the setting %s is %d bytes, not 8", settingBookingsVersion, len(b))
	}
	return binary.BigEndian.Uint64(b), nil
}

// SetBookingsVersion keeps v as the last bookings version.
func (db *DB) SetBookingsVersion(ctx context.Context, v uint64) error {
	return db.PutSetting(ctx, settingBookingsVersion, binary.BigEndian.AppendUint64(nil, v))
}
