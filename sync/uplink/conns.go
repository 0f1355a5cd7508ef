package uplink

import (
	"context"
	"net"
	"sync"
)

// connSet is the connections the uplink's HTTP client dialled and has not
// closed. Run closes them when it ends: CloseIdleConnections alone misses
// an HTTP/2 connection whose last stream (a request cancelled by the
// stop) the client has not yet forgotten, and that connection, with its
// reader goroutine, would then stay open for the idle timeout.
type connSet struct {
	d  net.Dialer
	mu sync.Mutex
	m  map[*trackedConn]struct{}
}

// dial is the HTTP client's DialContext.
func (s *connSet) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := s.d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, set: s}
	s.mu.Lock()
	if s.m == nil {
		s.m = map[*trackedConn]struct{}{}
	}
	s.m[tc] = struct{}{}
	s.mu.Unlock()
	return tc, nil
}

// closeAll closes every connection still open.
func (s *connSet) closeAll() {
	s.mu.Lock()
	conns := make([]*trackedConn, 0, len(s.m))
	for c := range s.m {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// trackedConn leaves its set when it is closed.
type trackedConn struct {
	net.Conn
	set *connSet
}

func (c *trackedConn) Close() error {
	c.set.mu.Lock()
	delete(c.set.m, c)
	c.set.mu.Unlock()
	return c.Conn.Close()
}
