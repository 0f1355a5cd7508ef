//go:build !windows

package agent

import (
	"os"
	"os/signal"
	"syscall"
)

// reloadSignal delivers SIGHUP, the Unix way of asking a service to read
// its configuration again (systemctl reload).
func reloadSignal() (<-chan os.Signal, func()) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGHUP)
	return c, func() { signal.Stop(c) }
}
