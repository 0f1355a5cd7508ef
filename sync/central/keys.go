package central

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"clinicgw/sync/clock"
	"clinicgw/sync/seal"
)

// Keys is the store's key ring opened without the store, for the key
// commands (`clinicgw central-keys`): the store's file is locked (shared)
// meanwhile, so no central store serves it, and none is started, while a
// command changes its keys.
type Keys struct {
	s    *Store // the parts of a store the key methods use
	lock *bolt.DB
	// resumed: the ring already opened with the KEK a rewrap moves to,
	// not the one the store was opened with (a rewrap stopped after it
	// replaced the ring).
	resumed bool
}

// OpenKeys opens the key ring of the store at path with the KEK opts
// name. next, when not nil, is the KEK a rewrap moves the ring to: a ring
// that opens with it rather than opts' KEK is taken (Resumed says so).
// A file KEK whose rewrap stopped before its last step is finished
// (kekrewrap.go).
func OpenKeys(ctx context.Context, path string, opts Options, next KEK) (*Keys, error) {
	opts.fillDefaults()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("the central store %s: %w", path, err)
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout, ReadOnly: true})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("the central store %s is in use by another process: stop the central store first", path)
	}
	if err != nil {
		return nil, fmt.Errorf("the central store %s: %w", path, err)
	}
	k := &Keys{lock: bdb, s: &Store{clock: opts.Clock, rand: &lockedReader{r: opts.Rand}, log: opts.Logger}}
	k.s.ring, err = openKeyRing(path, opts)
	if err != nil && next != nil {
		moved := opts
		moved.KEK = next
		if r, nerr := openKeyRing(path, moved); nerr == nil {
			k.s.ring, k.resumed, err = r, true, nil
		}
	}
	if err != nil {
		bdb.Close()
		return nil, fmt.Errorf("the central store %s: %w", path, err)
	}
	if opts.IndexKeyFile == "" {
		opts.IndexKeyFile = path + ".index-key"
	}
	if err := k.s.loadStoreKeys(opts.IndexKeyFile, path+".seal-key", opts.Clock.Now); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("the central store %s: %w", path, err)
	}
	return k, nil
}

// fillDefaults sets the clock, randomness, logger and lock timeout
// options left zero, for Open and OpenKeys.
func (opts *Options) fillDefaults() {
	if opts.Clock == nil {
		opts.Clock = clock.System
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.LockTimeout == 0 {
		opts.LockTimeout = 2 * time.Second
	}
}

// Close unlocks the store's file.
func (k *Keys) Close() error { return k.lock.Close() }

// Resumed reports that the ring opened with the next KEK given to OpenKeys.
func (k *Keys) Resumed() bool { return k.resumed }

// KEKID is the id of the KEK the ring opens with now.
func (k *Keys) KEKID() string { return k.s.ring.kek.ID() }

// SealingKeys lists the store's sealing keys (Store.SealingKeys).
func (k *Keys) SealingKeys() []SealingKey { return k.s.SealingKeys() }

// RotateSealingKey makes a new sealing key current (Store.RotateSealingKey);
// the store publishes it from its next start.
func (k *Keys) RotateSealingKey() (SealingKey, error) { return k.s.RotateSealingKey() }

// RetireSealingKey destroys an older sealing key (Store.RetireSealingKey).
func (k *Keys) RetireSealingKey(id seal.KeyID, overlap time.Duration) error {
	return k.s.RetireSealingKey(id, overlap)
}
