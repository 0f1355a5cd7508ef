package main

import (
	"fmt"
	"net"
	"os"
)

// sdNotify sends state (newline-separated KEY=VALUE pairs, like READY=1)
// to the service manager on $NOTIFY_SOCKET, as sd_notify(3) does. Without
// the variable (not started by systemd, or not Type=notify) it does
// nothing. A name starting with '@' is a socket in the abstract namespace;
// Go's net package maps the '@' to the leading NUL byte itself.
func sdNotify(state string) error {
	name := os.Getenv("NOTIFY_SOCKET")
	if name == "" {
		return nil
	}
	if name[0] != '/' && name[0] != '@' {
		return fmt.Errorf("NOTIFY_SOCKET %q is neither a path nor an abstract socket name", name)
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("notify the service manager: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("notify the service manager: %w", err)
	}
	return nil
}
