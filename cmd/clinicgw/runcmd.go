package main

import (
	"context"
	"flag"
	"fmt"

	"clinicgw/agent"
)

func runFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	return configCommand(fs, runGateway)
}

// runGateway runs the gateway in the foreground until ctx ends (Ctrl-C,
// SIGTERM) or a part of it fails.
func runGateway(ctx context.Context, e *env, cfg *agent.Config) error {
	a, err := agent.New(cfg, agent.Options{Logger: e.log, Version: versionString()})
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
