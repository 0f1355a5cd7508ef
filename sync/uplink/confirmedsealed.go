package uplink

import (
	"context"
	"errors"

	"clinicgw/sync/seal"
	"clinicgw/sync/wire"
)

// Sealed confirmed items (issue 22; wire/confirmedsealed.go). A gateway
// restored from a backup gets back its confirmed items sealed to the
// unit's key when the unit's sealing is on; each is opened with the key
// ring (restored with the store) before the case service puts it back.
// One that does not open (another unit's or a retired key, altered,
// moved to another item) keeps its Sealed member: it is not put back,
// logged with its key and why, counted in Status.SealedRefused, and the
// recovery says it is incomplete. When the key ring cannot be read at
// all the page is not used: the recovery tries again.

// openConfirmed opens the sealed items of page in place.
func (u *Uplink) openConfirmed(ctx context.Context, page *wire.ConfirmedPage) error {
	refused := 0
	for i, c := range page.Items {
		if c.Sealed == nil {
			continue
		}
		it, err := u.unsealConfirmed(ctx, *c.Sealed)
		switch {
		case errors.Is(err, errNoKeyRing):
			return err
		case err != nil:
			refused++
			u.log.Error("a confirmed item sealed to the unit does not open: not put back", "key", c.Sealed.IdempotencyKey, "why", refusalOf(err))
			continue
		}
		page.Items[i].Item, page.Items[i].Sealed = it, nil
	}
	if refused > 0 {
		u.mu.Lock()
		u.st.SealedRefused += refused
		u.mu.Unlock()
	}
	return nil
}

// unsealConfirmed opens one sealed confirmed item.
func (u *Uplink) unsealConfirmed(ctx context.Context, s wire.SealedOutboxItem) (wire.OutboxItem, error) {
	env, ok := s.SealedBytes()
	if !ok {
		return wire.OutboxItem{}, seal.ErrMalformed
	}
	o, err := u.openerFor(ctx, false)
	if err != nil {
		u.log.Error("the unit's sealing keys cannot be read", "err", err)
		return wire.OutboxItem{}, errNoKeyRing
	}
	c := seal.ConfirmedContext(o.Unit(), s.IdempotencyKey, s.Kind)
	pt, err := o.Open(c, env)
	if errors.Is(err, seal.ErrUnknownKey) { // a key made since the opener was loaded?
		if o, err2 := u.openerFor(ctx, true); err2 == nil {
			pt, err = o.Open(c, env)
		}
	}
	if err != nil {
		return wire.OutboxItem{}, err
	}
	it, err := wire.OpenedItem(s, pt)
	if err != nil {
		return wire.OutboxItem{}, errConfirmedContent
	}
	return it, nil
}

// errConfirmedContent: a sealed confirmed item opened to another item.
var errConfirmedContent = errors.New("a sealed confirmed item opened to another item or to invalid content")
