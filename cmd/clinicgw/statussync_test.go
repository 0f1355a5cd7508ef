package main

import (
	"bytes"
	"testing"

	"clinicgw/agent"
)

// TestStatusOutboundSealing: `clinicgw status --config` says how the
// running gateway's outbox travels, in words region IT can act on, with
// the counts and the central store's key id, one table row per state.
func TestStatusOutboundSealing(t *testing.T) {
	for _, tc := range []struct {
		o    agent.OutboundSealing
		want string
	}{
		{agent.OutboundSealing{State: "sealed", Sealed: 12, Refused: 1, CentralKeyID: "4f2a"},
			"outbox: sealed to the central store's key 4f2a\noutbox items since start: 12 sealed, 0 plain, 1 refused by the central store\n"},
		{agent.OutboundSealing{State: "off", Plain: 3},
			"outbox: plain (central.sealing is off)\noutbox items since start: 0 sealed, 3 plain, 0 refused by the central store\n"},
		{agent.OutboundSealing{State: "plain", Plain: 2},
			"outbox: plain (the central store offers no sealing key: a release before outbound sealing)\noutbox items since start: 0 sealed, 2 plain, 0 refused by the central store\n"},
		{agent.OutboundSealing{State: "waiting", Sealed: 5},
			"outbox: WAITING: sealed before, and the central store offers no sealing key now; nothing is sent plain (check the central store's release, or set central.sealing = false)\noutbox items since start: 5 sealed, 0 plain, 0 refused by the central store\n"},
		{agent.OutboundSealing{State: "refused"},
			"outbox: WAITING: the central store's sealing key is not signed by a certificate of the pinned central CA; nothing is sealed to it (an incident: see Sealing keys in the README)\noutbox items since start: 0 sealed, 0 plain, 0 refused by the central store\n"},
		{agent.OutboundSealing{},
			"outbox: no sync figures (the gateway does not sync with a central store)\n"},
	} {
		var b bytes.Buffer
		printOutboundSealing(&b, tc.o)
		if b.String() != tc.want {
			t.Errorf("%+v:\n got %q\nwant %q", tc.o, b.String(), tc.want)
		}
	}
}
