package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Settings: a small sealed key–value area for the web UI's settings —
// staff preferences (a personal signature with a name, an e-mail address,
// a mobile number) and the unit's standard answers and contact details.
// Values are sealed like every other value (AAD = bucket and key); keys are
// in clear and must never hold patient data ("staff/HSA-ID/prefs",
// "unit/settings"). The bucket is made at the first write, so stores made
// before it existed need no migration.

const bucketSettings = "settings"

// Limits on settings.
const (
	maxSettingKey   = 200
	maxSettingValue = 1 << 20
)

// ErrNoSetting is a setting never written (or deleted).
var ErrNoSetting = errors.New("no such setting")

func checkSettingKey(key string) error {
	if key == "" || len(key) > maxSettingKey {
		return fmt.Errorf("setting key: expected 1 to %d bytes", maxSettingKey)
	}
	if strings.IndexFunc(key, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
		return fmt.Errorf("setting key %q: expected printable ASCII without spaces", key)
	}
	return nil
}

// Setting returns the value of key, or ErrNoSetting.
func (db *DB) Setting(ctx context.Context, key string) ([]byte, error) {
	if err := checkSettingKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []byte
	err := db.bolt.View(func(btx *bolt.Tx) error {
		b := btx.Bucket([]byte(bucketSettings))
		if b == nil {
			return ErrNoSetting
		}
		sealed := b.Get([]byte(key))
		if sealed == nil {
			return ErrNoSetting
		}
		var err error
		out, err = db.sealer.Load().open(bucketSettings, []byte(key), sealed)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("setting %s: %w", key, err)
	}
	return out, nil
}

// PutSetting seals value and stores it under key, durably.
func (db *DB) PutSetting(ctx context.Context, key string, value []byte) error {
	if err := checkSettingKey(key); err != nil {
		return err
	}
	if len(value) > maxSettingValue {
		return fmt.Errorf("setting %s: value larger than %d bytes", key, maxSettingValue)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	sealed, err := db.sealer.Load().seal(bucketSettings, []byte(key), value)
	if err != nil {
		return fmt.Errorf("setting %s: %w", key, err)
	}
	err = db.bolt.Update(func(btx *bolt.Tx) error {
		b, err := btx.CreateBucketIfNotExists([]byte(bucketSettings))
		if err != nil {
			return err
		}
		return b.Put([]byte(key), sealed)
	})
	if err != nil {
		return fmt.Errorf("setting %s: %w", key, err)
	}
	return nil
}

// DeleteSetting removes key; removing one never written is no error.
func (db *DB) DeleteSetting(ctx context.Context, key string) error {
	if err := checkSettingKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.bolt.Update(func(btx *bolt.Tx) error {
		if b := btx.Bucket([]byte(bucketSettings)); b != nil {
			return b.Delete([]byte(key))
		}
		return nil
	})
}
