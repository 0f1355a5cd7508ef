package main

import (
	"context"
	"flag"
)

// runFlags is `clinicgw run`: the gateway in the foreground, under systemd
// (Type=notify) or as a Windows service; runGateway (service.go) tells
// which.
func runFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	return configCommand(fs, runGateway)
}
