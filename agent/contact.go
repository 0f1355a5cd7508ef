package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"clinicgw/agent/store"
	"clinicgw/localui"
	"clinicgw/sync/uplink"
	"clinicgw/sync/wire"
)

// ContactSetting is the sealed store setting that holds the unit's contact
// details for its patients, as the unit administrator saved them on the
// contact page: a wire.UnitContact as JSON.
const ContactSetting = "unit/contact"

// contactKeeper holds the unit's contact details for the contact page:
// kept in the store, handed to the uplink, which publishes them with the
// forms.
type contactKeeper struct {
	db  *store.DB
	log *slog.Logger

	mu sync.Mutex
	up *uplink.Uplink // nil: offline, or not made yet
}

var _ localui.ContactStore = (*contactKeeper)(nil)

// Contact returns the details as stored; empty when never saved. Stored
// details that no longer pass the protocol's rules are not offered (the
// page starts empty) and said in the log.
func (k *contactKeeper) Contact(ctx context.Context) (wire.UnitContact, error) {
	b, err := k.db.Setting(ctx, ContactSetting)
	switch {
	case errors.Is(err, store.ErrNoSetting):
		return wire.UnitContact{}, nil
	case err != nil:
		return wire.UnitContact{}, fmt.Errorf("read the unit's contact details: %w", err)
	}
	c, err := wire.DecodeUnitContact(bytes.NewReader(b))
	if err != nil {
		k.log.Error("the stored contact details break a rule of the sync protocol; the unit administrator must save them again", "err", err)
		return wire.UnitContact{}, nil
	}
	return c, nil
}

// PublishContact checks c by the protocol's rules, keeps it in the store
// under ContactSetting and hands it to the uplink, which publishes it at
// once. Details that break a rule are refused with a *wire.Problem and
// nothing is stored or published.
func (k *contactKeeper) PublishContact(ctx context.Context, c wire.UnitContact) error {
	b, err := wire.Marshal(c) // validates
	if err != nil {
		return fmt.Errorf("publish contact details: %w", err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.db.PutSetting(ctx, ContactSetting, b); err != nil {
		return fmt.Errorf("publish contact details: %w", err)
	}
	if k.up != nil {
		if err := k.up.SetContact(c); err != nil {
			return fmt.Errorf("publish contact details: %w", err)
		}
	}
	return nil
}

// ContactDelivery tells whether the central store has the details.
func (k *contactKeeper) ContactDelivery() localui.ContactDelivery {
	k.mu.Lock()
	up := k.up
	k.mu.Unlock()
	if up == nil {
		return localui.ContactDelivery{}
	}
	st := up.Status()
	return localui.ContactDelivery{Online: true, Pending: st.ContactPending, Unsupported: st.ContactUnsupported}
}

// setUplink gives the keeper the uplink once it is made, with the stored
// details to publish (none if never saved: nothing is published, and the
// central store shows what it has).
func (k *contactKeeper) setUplink(ctx context.Context, up *uplink.Uplink) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.up = up
	b, err := k.db.Setting(ctx, ContactSetting)
	switch {
	case errors.Is(err, store.ErrNoSetting):
		return nil
	case err != nil:
		return fmt.Errorf("read the unit's contact details: %w", err)
	}
	c, err := wire.DecodeUnitContact(bytes.NewReader(b))
	if err != nil {
		k.log.Error("the stored contact details break a rule of the sync protocol; not published until the unit administrator saves them again", "err", err)
		return nil
	}
	return up.SetContact(c)
}
