package uplink

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sync"

	"clinicgw/agent/cases"
	"clinicgw/sync/seal"
	"clinicgw/sync/wire"
)

// Sealed events (wire.Event.Sealed, issue 22 item 2). The unit's sealing
// switch is Config.Sealing (central.sealing): once the central store
// publishes the unit's current key as signed here (sealkey.go), the
// uplink sets the switch there (PUT wire.PathSealing2) to what the
// setting says; a central store of the previous release answers 404 and
// the sync goes on plain (SealingUnsupported). Whatever the switch, a
// sealed event is opened with the unit's key ring (SealingOpener, the
// private halves unwrapped under the KEK, held in memory with the
// epochs opened so far) after its page's chain is checked and before it
// is applied, and applied exactly like a plain one. One that does not
// open — sealed to another unit, to a retired or unknown key, truncated,
// altered, or opening to content that breaks a rule of the wire — is
// never applied: it goes to the quarantine through the case service with
// the reason invalid and the field "sealed.<why>" (cases.Inbound.
// SealRefusal), in the same transaction as the rest of its page, and is
// counted (Status.SealedRefused). The journal keeps every event as sent,
// sealed.

// SealingOpener is the unit's key ring for opening (*store.DB); the
// uplink uses it when Config.SealingKeys is one.
type SealingOpener interface {
	SealingOpener(ctx context.Context) (*seal.Opener, error)
}

// SealingSwitchState says where the unit's sealing switch stands.
type SealingSwitchState string

// The states of the sealing switch.
const (
	SealingUnset       SealingSwitchState = ""            // not set yet (the key is not settled)
	SealingOn          SealingSwitchState = "on"          // the central store seals the unit's new events
	SealingOff         SealingSwitchState = "off"         // it does not (central.sealing is false)
	SealingUnsupported SealingSwitchState = "unsupported" // it predates sealing (404)
)

// switchSealing sets the central store's switch to Config.Sealing, the
// key keyID being published as signed here. An error means try again.
func (u *Uplink) switchSealing(ctx context.Context, keyID string) error {
	b, err := wire.Marshal(wire.SealingSwitch{Sealed: u.cfg.Sealing})
	if err != nil {
		return err
	}
	var st wire.SealingState
	// envelopes that name their epoch (sealepochs.go); ignored by a
	// central store of the previous release
	q := url.Values{wire.SealingEnvelopeParam: {wire.SealingEnvelopeRef}}.Encode()
	err = u.roundTrip(ctx, "sealing", http.MethodPut, wire.PathSealing2, q, b, func(r io.Reader) error {
		st, err = wire.DecodeSealingState(r)
		return err
	})
	if se, ok := errors.AsType[*statusError](err); ok && se.status == http.StatusNotFound {
		u.setSealing(SealingUnsupported)
		if !u.warnDowngrade(ctx) {
			u.log.Info("the central store does not seal events (an older release): the sync stays plain")
		}
		return nil
	}
	if err != nil {
		return err
	}
	switch {
	case st.Sealed && st.KeyID != keyID:
		u.setSealing(SealingUnset)
		u.log.Error("the central store seals to another key than the one it publishes for this unit", "keyId", keyID, "sealingKeyId", st.KeyID)
	case st.Sealed:
		if err := u.markSealed(ctx, st.FromSeq); err != nil {
			return err
		}
		u.setSealing(SealingOn)
		u.log.Info("the central store seals the unit's new events", "keyId", st.KeyID, "fromSeq", st.FromSeq)
	default:
		u.setSealing(SealingOff)
		u.log.Info("the central store does not seal the unit's events (central.sealing is off)")
	}
	return nil
}

func (u *Uplink) setSealing(s SealingSwitchState) {
	u.mu.Lock()
	u.st.Sealing = s
	u.mu.Unlock()
}

// openerCache holds the unit's opener between pages.
type openerCache struct {
	mu sync.Mutex
	o  *seal.Opener
}

// opener returns the unit's opener, loading it when there is none or
// reload says the one held lacks a key (a rotation since it was loaded).
func (u *Uplink) openerFor(ctx context.Context, reload bool) (*seal.Opener, error) {
	c := &u.opener
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.o != nil && !reload {
		return c.o, nil
	}
	so, ok := u.cfg.SealingKeys.(SealingOpener)
	if !ok {
		return nil, errors.New("this gateway has no sealing keys to open with")
	}
	o, err := so.SealingOpener(ctx)
	if err != nil {
		return nil, err
	}
	c.o = o
	return o, nil
}

// refusalOf names why a sealed event did not open, for the quarantine's
// field (never any of its content).
func refusalOf(err error) string {
	switch {
	case errors.Is(err, seal.ErrUnknownEpoch): // sealepochs.go
		return "unknown-epoch"
	case errors.Is(err, seal.ErrWrongUnit):
		return "wrong-unit"
	case errors.Is(err, seal.ErrRetiredKey):
		return "retired-key"
	case errors.Is(err, seal.ErrUnknownKey):
		return "unknown-key"
	case errors.Is(err, seal.ErrTruncated):
		return "truncated"
	case errors.Is(err, seal.ErrMalformed):
		return "malformed"
	case errors.Is(err, seal.ErrAltered):
		return "altered"
	}
	return "content"
}

// inbound is inboundOf for a run that may hold sealed events: each is
// opened first; one that does not open becomes an Inbound with its
// routing and SealRefusal only. An error means the key ring could not be
// read at all (the run is not applied; the pull retries).
func (u *Uplink) inbound(ctx context.Context, events []wire.Event) ([]cases.Inbound, error) {
	from, marked, err := u.sealedFrom(ctx)
	if err != nil {
		u.log.Error("the gateway's sealing mark cannot be read", "err", err)
		return nil, errNoKeyRing
	}
	var refused map[int]string
	opened := events
	for i, ev := range events {
		if ev.Sealed == "" && !plainAfterMark(ev, from, marked) {
			continue
		}
		if refused == nil {
			opened = append([]wire.Event(nil), events...)
			refused = map[int]string{}
		}
		if ev.Sealed == "" { // a downgrade (downgrade.go): the content never applies
			refused[i] = "plain"
			opened[i].Case, opened[i].Message = nil, nil
			continue
		}
		plain, ok := u.takePreopened(ev) // preopen.go
		var err error
		if !ok {
			plain, err = u.unseal(ctx, ev)
		}
		if err != nil {
			if !errors.Is(err, errNoKeyRing) && !errors.Is(err, errEpochUnreachable) {
				refused[i] = refusalOf(err)
				opened[i].Sealed = ""
				continue
			}
			return nil, err
		}
		opened[i] = plain
	}
	in := inboundOf(opened)
	for i, why := range refused {
		in[i].SealRefusal = why
		routeInbound(&in[i], events[i]) // sealrecheck.go
	}
	if len(refused) > 0 {
		u.mu.Lock()
		u.st.SealedRefused += len(refused)
		u.mu.Unlock()
		u.log.Error("sealed central events did not open; quarantined", "events", len(refused))
		u.recheckOnStaleKey(refused)
	}
	return in, nil
}

// errNoKeyRing: the unit's key ring could not be read.
var errNoKeyRing = errors.New("the unit's sealing keys cannot be read")

// unseal opens one sealed event to its plain form.
func (u *Uplink) unseal(ctx context.Context, ev wire.Event) (wire.Event, error) {
	env, ok := ev.SealedBytes()
	if !ok {
		return wire.Event{}, seal.ErrMalformed
	}
	o, err := u.openerFor(ctx, false)
	if err != nil {
		u.log.Error("the unit's sealing keys cannot be read", "err", err)
		return wire.Event{}, errNoKeyRing
	}
	c := seal.EventContext(o.Unit(), ev)
	pt, err := o.Open(c, env)
	if errors.Is(err, seal.ErrUnknownKey) { // a key made since the opener was loaded?
		if o2, err2 := u.openerFor(ctx, true); err2 == nil {
			o = o2
			pt, err = o.Open(c, env)
		}
	}
	var ee *seal.EpochError
	if errors.As(err, &ee) { // an epoch not given to the opener yet (sealepochs.go)
		if err = u.giveEpoch(ctx, o, ee.ID); err == nil {
			if pt, err = o.Open(c, env); err == nil {
				err = u.keepEpoch(ctx, ee.ID)
			}
		}
	}
	if err != nil {
		return wire.Event{}, err
	}
	return wire.Unsealed(ev, pt)
}

// reset drops the opener held, so that the next sealed event loads the
// key ring as it stands (a key rotated or retired since): once per pull.
func (c *openerCache) reset() {
	c.mu.Lock()
	c.o = nil
	c.mu.Unlock()
}
