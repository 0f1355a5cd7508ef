//go:build !linux

package cardtest

import "net"

// quickAck does nothing here: TCP_QUICKACK is Linux's.
func quickAck(net.Conn) {}
