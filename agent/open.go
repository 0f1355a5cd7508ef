package agent

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"

	"clinicgw/agent/store"
)

// OpenExistingStore opens the encrypted store that cfg names, with the key
// file or token it names; closeAll closes the store, then releases the
// token; calling it again does nothing. The store must exist already: the commands that inspect or
// change a store (keys, audit, stats) never create one by accident.
func OpenExistingStore(ctx context.Context, cfg *Config, log *slog.Logger) (db *store.DB, closeAll func() error, err error) {
	if _, err := os.Stat(cfg.StorePath()); errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("store %s does not exist yet; no gateway has run with this configuration", cfg.StorePath())
	}
	kek, release, err := OpenKEK(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	db, err = store.Open(ctx, cfg.StorePath(), kek, store.Options{Unit: cfg.Unit.HSAID, Logger: log})
	if err != nil {
		release()
		return nil, nil, err
	}
	closeAll = sync.OnceValue(func() error { return errors.Join(db.Close(), release()) })
	return db, closeAll, nil
}
