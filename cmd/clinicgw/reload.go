package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
)

// reloadFlags is `clinicgw reload PID`: asks the running gateway with
// process id PID to read its configuration again (SIGHUP; a bad file keeps
// the one in use, and the gateway's log says why). The systemd unit's
// ExecReload= runs it with $MAINPID, so that `systemctl reload clinicgw`
// needs nothing the package does not ship (no /bin/kill, which a minimal
// Debian lacks). The gateway also reloads by itself when the file changes.
func reloadFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	return func(ctx context.Context, e *env) error {
		if fs.NArg() != 1 {
			return usagef("expected the gateway's process id (systemctl reload clinicgw passes the service's $MAINPID)")
		}
		pid, err := strconv.Atoi(fs.Arg(0))
		if err != nil || pid <= 1 {
			return usagef("%q is not a gateway's process id", fs.Arg(0))
		}
		if err := signalReload(pid); err != nil {
			return fmt.Errorf("ask process %d to reload its configuration: %w", pid, err)
		}
		fmt.Fprintf(e.stdout, "asked process %d to read its configuration again; its log says whether the file was taken\n", pid)
		return nil
	}
}
