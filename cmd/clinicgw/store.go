package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"

	"clinicgw/agent"
	"clinicgw/agent/store"
)

// configFlag adds the --config flag the store commands share.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", "", "`FILE` is the gateway's configuration file (required), as `clinicgw init` wrote it")
}

// openStore loads the configuration at path and opens the store it names.
// The store must exist already: these commands inspect or change a store,
// they never create one by accident.
func openStore(ctx context.Context, path string, log *slog.Logger) (*agent.Config, *store.DB, error) {
	if path == "" {
		return nil, nil, usagef("--config is required")
	}
	cfg, err := agent.LoadConfig(path)
	if err != nil {
		return nil, nil, err
	}
	if _, err := os.Stat(cfg.StorePath()); errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("store %s does not exist yet; no gateway has run with this configuration", cfg.StorePath())
	}
	kek, err := store.LoadKeyFile(cfg.KeyFilePath())
	if err != nil {
		return nil, nil, err
	}
	db, err := store.Open(ctx, cfg.StorePath(), kek, store.Options{Unit: cfg.Unit.HSAID, Logger: log})
	if err != nil {
		return nil, nil, err
	}
	return cfg, db, nil
}
