package main

import (
	"context"
	"flag"

	"clinicgw/agent"
	"clinicgw/agent/store"
)

// storeCommand adds the --config flag that the store commands share and
// returns a command that opens the configured, existing store, runs fn on
// it and closes it.
func storeCommand(fs *flag.FlagSet, fn func(ctx context.Context, e *env, cfg *agent.Config, db *store.DB) error) func(context.Context, *env) error {
	path := fs.String("config", "", "`FILE` is the gateway's configuration file (required), as `clinicgw init` wrote it")
	return func(ctx context.Context, e *env) error {
		if *path == "" {
			return usagef("--config is required")
		}
		cfg, err := agent.LoadConfig(*path)
		if err != nil {
			return err
		}
		db, closeAll, err := agent.OpenExistingStore(ctx, cfg, e.log)
		if err != nil {
			return err
		}
		defer closeAll()
		return fn(ctx, e, cfg, db)
	}
}
