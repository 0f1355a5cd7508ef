package cardtest

import (
	"net"
	"syscall"
)

// quickAck turns on TCP_QUICKACK before each read: vpcd writes a length
// and its data in two writes, which otherwise waits for delayed ACKs
// (~40 ms an APDU).
func quickAck(c net.Conn) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return
	}
	raw.Control(func(fd uintptr) {
		syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
}
