package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Settings: a small sealed key–value area for the web UI's settings —
// staff preferences (a personal signature with a name, an e-mail address,
// a mobile number) and the unit's standard answers, contact text, notice
// address and form drafts.
//
// Values are sealed like every other value: AES-256-GCM under the key
// ring's active term, with the bucket and key as additional data, so a
// value moved to another key does not open. Rotating the key adds a term;
// settings sealed under an older term keep opening, and the next
// PutSetting of a key seals it under the new term.
//
// Keys are stored in clear and must never hold patient data (no
// personnummer, no names, no case text): use HSA-IDs and fixed words, as
// in "staff/SE2321000016-1003/prefs" or "unit/standard-answers".
//
// The bucket is made with the others for a new store, and added on open to
// a store made by a clinicgw that did not have it (addBuckets).

// Limits on settings.
const (
	maxSettingKey   = 200     // bytes
	maxSettingValue = 1 << 20 // bytes, before sealing
)

// ErrNoSetting means a setting was never written, or was deleted.
var ErrNoSetting = errors.New("no such setting")

// ErrInvalidSetting means a setting key or value breaks the rules above;
// nothing was read or written. The error says which rule.
var ErrInvalidSetting = errors.New("invalid setting")

// checkSettingChars reports the first byte of s that is not printable
// ASCII or is a space. It does not quote s: a mistaken key might hold
// something that must not reach a log.
func checkSettingChars(what, s string) error {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c > '~' {
			return fmt.Errorf("%w: the %s has a space, a control character or a non-ASCII byte at byte %d; keys are printable ASCII without spaces, like \"unit/standard-answers\"", ErrInvalidSetting, what, i)
		}
	}
	return nil
}

func checkSettingKey(key string) error {
	if key == "" || len(key) > maxSettingKey {
		return fmt.Errorf("%w: the key is %d bytes; keys are 1 to %d bytes", ErrInvalidSetting, len(key), maxSettingKey)
	}
	return checkSettingChars("key", key)
}

// Setting returns the value of key, or ErrNoSetting if it is not set.
func (db *DB) Setting(ctx context.Context, key string) ([]byte, error) {
	if err := checkSettingKey(key); err != nil {
		return nil, fmt.Errorf("read setting: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read setting %s: %w", key, err)
	}
	var out []byte
	err := db.view(func(btx *bolt.Tx) error {
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
		return nil, fmt.Errorf("read setting %s: %w", key, err)
	}
	if out == nil {
		out = []byte{} // set, to an empty value
	}
	return out, nil
}

// PutSetting seals value and stores it under key, replacing any value
// there; it returns after the write is committed to disk. key must be 1 to
// 200 bytes of printable ASCII without spaces and must not hold patient
// data (it is stored in clear); value is at most 1 MiB. A key or value
// that breaks these rules fails with ErrInvalidSetting and nothing is
// written.
func (db *DB) PutSetting(ctx context.Context, key string, value []byte) error {
	if err := checkSettingKey(key); err != nil {
		return fmt.Errorf("write setting: %w", err)
	}
	if len(value) > maxSettingValue {
		return fmt.Errorf("write setting %s: %w: the value is %d bytes; at most %d bytes (1 MiB)", key, ErrInvalidSetting, len(value), maxSettingValue)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("write setting %s: %w", key, err)
	}
	err := db.update(func(btx *bolt.Tx) error {
		b, err := settingsBucket(btx)
		if err != nil {
			return err
		}
		// Sealed inside the write transaction, as tx.go does: a rotation
		// commits its term before the new sealer is used, and either term
		// opens afterwards.
		sealed, err := db.sealer.Load().seal(bucketSettings, []byte(key), value)
		if err != nil {
			return err
		}
		return b.Put([]byte(key), sealed)
	})
	if err != nil {
		return fmt.Errorf("write setting %s: %w", key, err)
	}
	return nil
}

// DeleteSetting removes key; removing a key that is not set is no error.
// The sealed bytes stay in freed pages of the file until they are reused;
// they open only with the store's key ring.
func (db *DB) DeleteSetting(ctx context.Context, key string) error {
	if err := checkSettingKey(key); err != nil {
		return fmt.Errorf("delete setting: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete setting %s: %w", key, err)
	}
	err := db.update(func(btx *bolt.Tx) error {
		b, err := settingsBucket(btx)
		if err != nil {
			return err
		}
		return b.Delete([]byte(key))
	})
	if err != nil {
		return fmt.Errorf("delete setting %s: %w", key, err)
	}
	return nil
}

// SettingKeys returns the keys that start with prefix, in byte order; an
// empty prefix lists every key. It opens no value.
func (db *DB) SettingKeys(ctx context.Context, prefix string) ([]string, error) {
	if len(prefix) > maxSettingKey {
		return nil, fmt.Errorf("list settings: %w: the prefix is %d bytes; keys are at most %d bytes", ErrInvalidSetting, len(prefix), maxSettingKey)
	}
	if err := checkSettingChars("prefix", prefix); err != nil {
		return nil, fmt.Errorf("list settings: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list settings %s: %w", prefix, err)
	}
	var keys []string
	err := db.view(func(btx *bolt.Tx) error {
		b := btx.Bucket([]byte(bucketSettings))
		if b == nil {
			return nil
		}
		p := []byte(prefix)
		c := b.Cursor()
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			keys = append(keys, string(k))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list settings %s: %w", prefix, err)
	}
	return keys, nil
}

// settingsBucket returns the settings bucket for a write. Open makes it, so
// its absence means the file was changed behind the store's back.
func settingsBucket(btx *bolt.Tx) (*bolt.Bucket, error) {
	b := btx.Bucket([]byte(bucketSettings))
	if b == nil {
		return nil, errors.New("the store has no settings bucket: it is damaged; reopen it to recreate the bucket")
	}
	return b, nil
}
