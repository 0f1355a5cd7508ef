package agent

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"

	"clinicgw/agent/store"
)

// OpenExistingStore opens the encrypted store that cfg names, with the key
// file it names. The store must exist already: the commands that inspect or
// change a store (keys, audit, stats) never create one by accident.
func OpenExistingStore(ctx context.Context, cfg *Config, log *slog.Logger) (*store.DB, error) {
	if _, err := os.Stat(cfg.StorePath()); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("store %s does not exist yet; no gateway has run with this configuration", cfg.StorePath())
	}
	kek, err := store.LoadKeyFile(cfg.KeyFilePath())
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, cfg.StorePath(), kek, store.Options{Unit: cfg.Unit.HSAID, Logger: log})
}
