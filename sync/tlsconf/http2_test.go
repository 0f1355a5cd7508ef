package tlsconf

import (
	"net/http"
	"testing"
	"time"
)

// HTTP2 sets the frame size where the configuration names none, keeps
// what it names, and a frame with its 9-byte header fills whole TLS
// records.
func TestHTTP2(t *testing.T) {
	if got := HTTP2(nil).MaxReadFrameSize; got != MaxReadFrameSize {
		t.Errorf("nil: MaxReadFrameSize %d, want %d", got, MaxReadFrameSize)
	}
	c := HTTP2(&http.HTTP2Config{PingTimeout: time.Second})
	if c.MaxReadFrameSize != MaxReadFrameSize || c.PingTimeout != time.Second {
		t.Errorf("ping set: %+v", *c)
	}
	if got := HTTP2(&http.HTTP2Config{MaxReadFrameSize: 1 << 20}).MaxReadFrameSize; got != 1<<20 {
		t.Errorf("named: MaxReadFrameSize %d, want %d", got, 1<<20)
	}
	if (MaxReadFrameSize+9)%tlsRecord != 0 || MaxReadFrameSize < 16<<10 || MaxReadFrameSize >= 1<<24 {
		t.Errorf("MaxReadFrameSize %d: a frame is not whole TLS records, or out of HTTP/2's range", MaxReadFrameSize)
	}
}
