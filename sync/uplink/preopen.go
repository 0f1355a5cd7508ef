package uplink

import (
	"context"
	"sync"

	"clinicgw/sync/wire"
)

// Opening ahead. A sealed event's opening (the envelope's base64, the
// AEAD, the content's JSON decode and validation) would otherwise run in
// the apply stage of the pull, one page after another; the plain page's
// decode runs in the fetch stage, beside the apply of the page before.
// So the prefetch opens each page's sealed events as it fetches it
// (preopen), and the apply stage takes what opened (inbound,
// takePreopened): the same work, on the other core. Only events that
// opened are kept, by event id with their seq and envelope, so that an
// event is never taken for another; a refusal, a key ring that cannot be
// read or an epoch that cannot be fetched is left for the apply stage,
// which opens again and decides as before. An epoch fetched here is
// kept in the store before its page is handed on (sealepochs.go), so
// before its events are applied. What is held is at most the prefetched
// pages' events, and is dropped at the start of every pull.

// preopened holds the events the prefetch opened, by event id.
type preopened struct {
	mu sync.Mutex
	m  map[string]wire.Event // the opened event; its Sealed field keeps the envelope it opened from
}

// preopen opens the sealed events of a fetched page ahead of their apply.
func (u *Uplink) preopen(ctx context.Context, events []wire.Event) {
	for _, ev := range events {
		if ev.Sealed == "" {
			continue
		}
		plain, err := u.unseal(ctx, ev)
		if err != nil {
			continue
		}
		plain.Sealed = ev.Sealed // the key it is taken by (inbound clears it)
		u.pre.mu.Lock()
		if u.pre.m == nil {
			u.pre.m = map[string]wire.Event{}
		}
		u.pre.m[ev.ID] = plain
		u.pre.mu.Unlock()
	}
}

// takePreopened returns ev opened, if the prefetch opened this very
// event (the same id, seq and envelope), and forgets it.
func (u *Uplink) takePreopened(ev wire.Event) (wire.Event, bool) {
	u.pre.mu.Lock()
	defer u.pre.mu.Unlock()
	plain, ok := u.pre.m[ev.ID]
	if !ok || plain.Seq != ev.Seq || plain.Sealed != ev.Sealed {
		return wire.Event{}, false
	}
	delete(u.pre.m, ev.ID)
	plain.Sealed = ""
	return plain, true
}

// reset drops what is held: at the start of every pull.
func (p *preopened) reset() {
	p.mu.Lock()
	p.m = nil
	p.mu.Unlock()
}
