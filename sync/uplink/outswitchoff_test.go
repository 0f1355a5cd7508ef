package uplink

import (
	"testing"
	"time"
)

// TestOutboundSwitchOffLiftsCentralMark: the central store refuses plain
// outbox items from a unit whose items came sealed (sync/central's
// outdowngrade.go); the real gateway never sends it one while sealing is
// on, and the unit's own switch lifts the refusal: restarted with
// central.sealing = false, the gateway switches sealing off at the
// central store and its answer goes plain and is taken.
func TestOutboundSwitchOffLiftsCentralMark(t *testing.T) {
	o := &oldCentral{}
	c := startCentralWrapped(t, o.wrap)
	g := sealedGateway(t, c.url(), true)
	g.start()
	first, second := c.submit(0), c.submit(1)
	waitFor(t, 20*time.Second, "the cases at the gateway", func() bool { return g.ids()[first] && g.ids()[second] })
	g.answer(first)
	waitFor(t, 20*time.Second, "the answer sealed and taken", func() bool {
		return g.pending() == 0 && g.up.Status().OutboundSealing == OutboundSealed
	})
	if n := o.plain.Load(); n != 0 {
		t.Fatalf("the gateway posted %d plain outbox batches with sealing on", n)
	}
	g.stop()
	g.cfg.Sealing = false
	g.restartUplink()
	g.start()
	g.answer(second)
	waitFor(t, 20*time.Second, "the answer taken plain after the switch", func() bool {
		return g.pending() == 0 && g.up.Status().Sealing == SealingOff
	})
	if o.plain.Load() == 0 {
		t.Error("no plain outbox post after the unit switched sealing off")
	}
}
