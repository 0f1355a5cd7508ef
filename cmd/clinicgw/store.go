package main

import (
	"context"
	"flag"

	"clinicgw/agent"
	"clinicgw/agent/store"
)

// configCommand adds the --config flag and returns a command that loads
// the configuration and runs fn with it.
func configCommand(fs *flag.FlagSet, fn func(ctx context.Context, e *env, cfg *agent.Config) error) func(context.Context, *env) error {
	path := fs.String("config", "", "`FILE` is the gateway's configuration file (required), as `clinicgw init` wrote it")
	return func(ctx context.Context, e *env) error {
		if *path == "" {
			return usagef("--config is required")
		}
		cfg, err := agent.LoadConfig(*path)
		if err != nil {
			return err
		}
		if err := e.useLogConfig(cfg.Log); err != nil {
			return err
		}
		return fn(ctx, e, cfg)
	}
}

// storeCommand is a configCommand that opens the configured, existing
// store, runs fn on it and closes it.
func storeCommand(fs *flag.FlagSet, fn func(ctx context.Context, e *env, cfg *agent.Config, db *store.DB) error) func(context.Context, *env) error {
	return configCommand(fs, func(ctx context.Context, e *env, cfg *agent.Config) error {
		db, closeAll, err := agent.OpenExistingStore(ctx, cfg, e.log)
		if err != nil {
			return err
		}
		defer closeAll()
		return fn(ctx, e, cfg, db)
	})
}
