package main

import (
	"context"
	"flag"
)

// runFlags is `clinicgw run`: the gateway in the foreground, under systemd
// (Type=notify) or as a Windows service; runGateway (service.go) tells
// which.
func runFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	path := fs.String("config", "", "`FILE` is the gateway's configuration file (required), as `clinicgw init` wrote it")
	return func(ctx context.Context, e *env) error {
		if *path == "" {
			return usagef("--config is required")
		}
		return runGateway(ctx, e, *path)
	}
}
