package central

import (
	"bytes"
	"fmt"
	"strconv"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// The outbound sealing figures on the store's /metrics (MetricsHandler),
// the central side of the gateway's clinicgw_sync_outbox_* figures: per
// unit, the outbox items taken sealed (opened and applied) and plain since
// start, the ones refused — a sealed item that did not open, a plain
// batch's items or plain bookings after the unit's came sealed
// (outdowngrade.go) — whether the unit's items come sealed (the durable
// mark, so it survives a restart where the counts start again), and the
// store's own sealing key id. Units by HSA-ID, counts and a key id: no
// case id, no patient data.

// outboundCounts are the counts since start, per unit.
type outboundCounts struct {
	mu sync.Mutex
	by map[string]*[3]int // sealed, plain, refused
}

// add counts items of unit taken sealed or plain, and refused.
func (c *outboundCounts) add(unit string, sealed, plain, refused int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.by == nil {
		c.by = make(map[string]*[3]int)
	}
	n := c.by[unit]
	if n == nil {
		n = new([3]int)
		c.by[unit] = n
	}
	n[0], n[1], n[2] = n[0]+sealed, n[1]+plain, n[2]+refused
}

// of returns unit's counts.
func (c *outboundCounts) of(unit string) [3]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := c.by[unit]; n != nil {
		return *n
	}
	return [3]int{}
}

// writeOutboundMetrics writes the outbound sealing families for every
// unit the store serves, reading the marks in tx.
func (s *Store) writeOutboundMetrics(buf *bytes.Buffer, tx *bolt.Tx) {
	units := s.unitsSorted()
	buf.WriteString("# HELP clinicgw_central_outbox_items_total Outbox items the unit's gateway sent that the store took since start: sealed (opened and applied) or plain.\n")
	buf.WriteString("# TYPE clinicgw_central_outbox_items_total counter\n")
	for _, u := range units {
		n := s.outCounts.of(u)
		fmt.Fprintf(buf, "clinicgw_central_outbox_items_total{unit=%s,sealing=\"sealed\"} %d\n", strconv.Quote(u), n[0])
		fmt.Fprintf(buf, "clinicgw_central_outbox_items_total{unit=%s,sealing=\"plain\"} %d\n", strconv.Quote(u), n[1])
	}
	buf.WriteString("# HELP clinicgw_central_outbox_refused_total Outbox items (and plain bookings) of the unit the store refused since start: sealed ones that did not open, plain ones after the unit's came sealed.\n")
	buf.WriteString("# TYPE clinicgw_central_outbox_refused_total counter\n")
	for _, u := range units {
		fmt.Fprintf(buf, "clinicgw_central_outbox_refused_total{unit=%s} %d\n", strconv.Quote(u), s.outCounts.of(u)[2])
	}
	buf.WriteString("# HELP clinicgw_central_outbound_sealed 1 once the unit's items came sealed: plain ones are refused until the unit switches sealing off.\n")
	buf.WriteString("# TYPE clinicgw_central_outbound_sealed gauge\n")
	for _, u := range units {
		v := 0
		if unitBucket(tx, u).Get([]byte(keyOutboundSealed)) != nil {
			v = 1
		}
		fmt.Fprintf(buf, "clinicgw_central_outbound_sealed{unit=%s} %d\n", strconv.Quote(u), v)
	}
	buf.WriteString("# HELP clinicgw_central_sealing_key The store's own sealing key, which the gateways seal their outbox to (keyId).\n")
	buf.WriteString("# TYPE clinicgw_central_sealing_key gauge\n")
	fmt.Fprintf(buf, "clinicgw_central_sealing_key{keyId=%s} 1\n", strconv.Quote(s.SealingKeyID().String()))
}
