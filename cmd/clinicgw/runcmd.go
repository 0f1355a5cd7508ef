package main

import (
	"context"
	"flag"
	"fmt"

	"clinicgw/agent"
)

func runFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	path := fs.String("config", "", "`FILE` is the gateway's configuration file (required), as `clinicgw init` wrote it")
	return func(ctx context.Context, e *env) error {
		if *path == "" {
			return usagef("--config is required")
		}
		cfg, err := agent.LoadConfig(*path)
		if err != nil {
			return err
		}
		return runGateway(ctx, e, cfg)
	}
}

// runGateway runs the gateway in the foreground until ctx ends (Ctrl-C,
// SIGTERM) or a part of it fails.
func runGateway(ctx context.Context, e *env, cfg *agent.Config) error {
	a, err := agent.New(cfg, agent.Options{Logger: e.log})
	if err != nil {
		return err
	}
	if err := a.Start(ctx); err != nil {
		return err
	}
	central := "none: offline, answers wait in the outbox"
	if cfg.Central.Online() {
		central = cfg.Central.URL
	}
	fmt.Fprintf(e.stdout, "clinicgw %s running for %s (%s)\n  store:   %s\n  central: %s\nStop with Ctrl-C.\n",
		version, cfg.Unit.Name, cfg.Unit.HSAID, cfg.StorePath(), central)
	return a.Wait()
}
