package tlsconf

import "net/http"

// tlsRecord is the most a TLS record carries (2^14 bytes of plaintext):
// crypto/tls cuts every write into records of that size, each its own
// write to the connection.
const tlsRecord = 16 << 10

// MaxReadFrameSize is the largest HTTP/2 frame the sync protocol's client
// takes (SETTINGS_MAX_FRAME_SIZE), so the largest DATA frame the central
// store sends it: four TLS records less the frame's 9-byte header, so
// that a frame goes out in four full records. Go's default, 16 KiB,
// makes every frame a full record and a 9-byte one: twice the records
// and write syscalls, four times the frames (each a goroutine and a
// wake-up at both ends). Four records, not more: each end keeps a buffer
// of the largest frame for as long as the connection lives, and a
// region's central store holds a connection to every unit.
const MaxReadFrameSize = 4*tlsRecord - 9

// HTTP2 returns c (a new configuration if nil) with the frame size of the
// sync protocol's client (MaxReadFrameSize) where c names none. Give it
// to the http.Transport of a client that fetches large bodies, as the
// gateway's uplink does; the flow-control windows are the standard
// library's (4 MiB per stream, far more than the uplink's pages of about
// 512 KiB, so a page never waits for a WINDOW_UPDATE).
func HTTP2(c *http.HTTP2Config) *http.HTTP2Config {
	if c == nil {
		c = &http.HTTP2Config{}
	}
	if c.MaxReadFrameSize == 0 {
		c.MaxReadFrameSize = MaxReadFrameSize
	}
	return c
}
