//go:build unix

package main

import "syscall"

// signalReload sends SIGHUP, on which the gateway reads its configuration
// again (agent's reload).
func signalReload(pid int) error { return syscall.Kill(pid, syscall.SIGHUP) }
