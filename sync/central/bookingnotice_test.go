package central

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
)

// TestStreamAnnouncesBookingOnlyWhenAsked: a patient's booking request is
// announced (type booking) on the unit's stream that asked with
// announce=booking, and never on one that did not (a gateway of the
// release before, which would refuse the unknown type): that stream's
// next message is the case submitted after the request.
func TestStreamAnnouncesBookingOnlyWhenAsked(t *testing.T) {
	e := newEnv(t)
	body, _ := wire.Marshal(bookingTimes())
	if st, _, out := e.do(e.api, unitA, http.MethodPut, wire.PathBookingTimes2, wire.ContentTypeJSON, body); st != http.StatusNoContent {
		t.Fatalf("publish: %d %s", st, out)
	}
	dial := func(query string) <-chan any {
		cfg := tlsconf.Client(e.certs[unitA], e.pki.RootPool(), "127.0.0.1", nil)
		cfg.NextProtos = []string{"http/1.1"}
		d := websocket.Dialer{TLSClientConfig: cfg, HandshakeTimeout: streamWait}
		conn, _, err := d.Dial("wss"+strings.TrimPrefix(e.api.URL, "https")+wire.PathStream2+query, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		ch := streamReader(conn)
		if m := next(t, ch); m.Type != wire.StreamHello {
			t.Fatalf("first message %+v; want hello", m)
		}
		return ch
	}
	asked, old := dial("?"+wire.StreamAnnounceBooking), dial("")
	if _, err := e.store.RequestBooking(e.ctx, unitA, adultPNR, wire.BookingBook, "t1", ""); err != nil {
		t.Fatal(err)
	}
	if m := next(t, asked); m.Type != wire.StreamBooking {
		t.Fatalf("the stream that asked got %+v; want booking", m)
	}
	e.submit(unitA, "Efter bokningen.")
	if m := next(t, old); m.Type != wire.StreamEvents {
		t.Fatalf("the stream that did not ask got %+v; want the case's events only", m)
	}
	if m := next(t, asked); m.Type != wire.StreamEvents || m.Seq == 0 {
		t.Fatalf("then %+v; want events", m)
	}
}
