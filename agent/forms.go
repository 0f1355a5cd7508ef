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
	"clinicgw/sync/wire/casetype"
)

// FormsSetting is the sealed store setting that holds the unit's forms
// once the unit administrator has published them in the form designer: a
// wire.FormSet as JSON. At start it wins over central.forms_file.
const FormsSetting = "forms"

// formKeeper holds the unit's forms for the form designer: the set in use,
// kept in the store and handed to the uplink when it changes.
type formKeeper struct {
	db  *store.DB
	log *slog.Logger
	up  *uplink.Uplink // nil: offline, or not made yet

	mu  sync.Mutex
	set wire.FormSet
}

var _ localui.FormStore = (*formKeeper)(nil)

// openForms picks the unit's forms at start: the set stored by the form
// designer if there is one, else the one from central.forms_file (file),
// else casetype.DefaultForms. It returns the keeper and the set the uplink
// is to publish (nil: none, and the central store keeps showing what it
// has, its defaults if nothing). A stored set that no longer passes the
// protocol's rules is not published; the designer starts from the
// fallback and says nothing is lost on the central side.
func openForms(ctx context.Context, db *store.DB, file *wire.FormSet, log *slog.Logger) (*formKeeper, *wire.FormSet, error) {
	k := &formKeeper{db: db, log: log}
	fallback := func() {
		if file != nil {
			k.set = *file
		} else {
			k.set = casetype.DefaultForms()
		}
	}
	b, err := db.Setting(ctx, FormsSetting)
	switch {
	case errors.Is(err, store.ErrNoSetting):
		fallback()
		return k, file, nil
	case err != nil:
		return nil, nil, fmt.Errorf("read the unit's forms: %w", err)
	}
	set, err := wire.DecodeFormSet(bytes.NewReader(b))
	if err != nil {
		log.Error("the forms stored by the form designer break a rule of the sync protocol; none are published until the unit administrator publishes again", "err", err)
		fallback()
		return k, nil, nil
	}
	k.set = set
	log.Info("forms from the form designer", "forms", len(set.Forms))
	return k, &set, nil
}

// storedForms returns the unit's forms as openForms picks them at start —
// the set the form designer stored, else central.forms_file, else
// casetype.DefaultForms — for readers that run without the keeper (the
// archive export, also as its own command).
func storedForms(ctx context.Context, cfg *Config, db *store.DB) (wire.FormSet, error) {
	b, err := db.Setting(ctx, FormsSetting)
	switch {
	case err == nil:
		if set, err := wire.DecodeFormSet(bytes.NewReader(b)); err == nil {
			return set, nil
		}
	case !errors.Is(err, store.ErrNoSetting):
		return wire.FormSet{}, fmt.Errorf("read the unit's forms: %w", err)
	}
	if f := cfg.Central.FormsFile; f != "" {
		return LoadForms(cfg.CentralFile(f))
	}
	return casetype.DefaultForms(), nil
}

// Current returns the unit's forms as they are published (or will be at
// the next connect).
func (k *formKeeper) Current(ctx context.Context) (wire.FormSet, error) {
	if err := ctx.Err(); err != nil {
		return wire.FormSet{}, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.set, nil
}

// Publish checks set by the sync protocol's rules, keeps it in the store
// under FormsSetting and hands it to the uplink, which publishes it at
// once. A set that breaks a rule is refused with a *wire.Problem and
// nothing is stored or published.
func (k *formKeeper) Publish(ctx context.Context, set wire.FormSet) error {
	b, err := wire.Marshal(set) // validates
	if err != nil {
		return fmt.Errorf("publish forms: %w", err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.db.PutSetting(ctx, FormsSetting, b); err != nil {
		return fmt.Errorf("publish forms: %w", err)
	}
	k.set = set
	if k.up != nil {
		if err := k.up.SetForms(set); err != nil {
			return fmt.Errorf("publish forms: %w", err)
		}
	}
	return nil
}

// Delivery tells whether the central store has the unit's forms.
func (k *formKeeper) Delivery() localui.FormsDelivery {
	k.mu.Lock()
	up := k.up
	k.mu.Unlock()
	if up == nil {
		return localui.FormsDelivery{}
	}
	st := up.Status()
	return localui.FormsDelivery{Online: true, Pending: st.FormsPending, PublishedAt: st.FormsPublishedAt}
}

// setUplink gives the keeper the uplink once it is made.
func (k *formKeeper) setUplink(up *uplink.Uplink) {
	k.mu.Lock()
	k.up = up
	k.mu.Unlock()
}

// setFile takes up the forms of a changed central.forms_file (nil: none
// named): they are the unit's forms, and published, unless the form
// designer's stored set is in use, which wins as it does at start.
func (k *formKeeper) setFile(ctx context.Context, file *wire.FormSet) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	_, err := k.db.Setting(ctx, FormsSetting)
	switch {
	case err == nil:
		k.log.Info("central.forms_file changed; the forms published in the form designer stay in use")
		return nil
	case !errors.Is(err, store.ErrNoSetting):
		return fmt.Errorf("read the unit's forms: %w", err)
	}
	if file == nil {
		return nil // the central store keeps what it has, as at start
	}
	k.set = *file
	if k.up != nil {
		if err := k.up.SetForms(*file); err != nil {
			return fmt.Errorf("publish forms: %w", err)
		}
	}
	k.log.Info("forms from central.forms_file", "forms", len(file.Forms))
	return nil
}
