package uplink

import (
	"testing"
	"time"
)

// TestContact: the header badge's source. With the central store up the
// uplink has reached it and says when; with the central store cut it has
// not, keeps the time it last heard from it, and counts what waits in the
// outbox; with the central store back the answer goes and the
// outbox is empty again.
func TestContact(t *testing.T) {
	c := startCentral(t)
	g := newGateway(t, c.url(), unitCert(t), nil)
	if ct := g.up.Contact(); ct.Reached || !ct.Last.IsZero() || ct.Waiting != 0 {
		t.Fatalf("before the start: %+v", ct)
	}
	g.start()
	waitFor(t, 10*time.Second, "contact", func() bool { return g.up.Contact().Reached })
	id := c.submit(0)
	waitFor(t, 10*time.Second, "case stored at the gateway", func() bool { return g.ids()[id] })

	c.close()
	waitFor(t, 10*time.Second, "contact lost", func() bool { return !g.up.Contact().Reached })
	last := g.up.Contact().Last
	if last.IsZero() {
		t.Fatal("contact lost, but no time of the last contact")
	}
	g.answer(id)
	g.up.Kick()
	// The assignment's status and the answer.
	waitFor(t, 10*time.Second, "the answer counted as waiting", func() bool { return g.up.Contact().Waiting == 2 })
	if ct := g.up.Contact(); ct.Reached || !ct.Last.Equal(last) {
		t.Fatalf("while the central store is cut: %+v, want not reached, last contact %v", ct, last)
	}

	c.open(c.addr)
	waitFor(t, 20*time.Second, "contact back, the outbox empty", func() bool {
		ct := g.up.Contact()
		return ct.Reached && ct.Waiting == 0 && ct.Last.After(last)
	})
}
