//go:build !linux && !windows

package main

import (
	"context"
	"fmt"
	"runtime"

	"clinicgw/agent"
)

// Elsewhere the gateway runs in the foreground only; the service commands
// say so.

func errNoService() error {
	return fmt.Errorf("service commands are for Linux (systemd) and Windows; on %s run `clinicgw run` under your service manager", runtime.GOOS)
}

func installService(context.Context, *env, *agent.Config) error { return errNoService() }
func uninstallService(context.Context, *env) error              { return errNoService() }
func controlService(context.Context, *env, string) error        { return errNoService() }
func serviceStatus(context.Context, *env) error                 { return errNoService() }
func runUnderServiceManager(*env, *gateway) (bool, error)       { return false, nil }
