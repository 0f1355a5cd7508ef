package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"clinicgw/agent/cases"
	"clinicgw/agent/store"
	"clinicgw/localui"
	"clinicgw/sync/uplink"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/catalog"
)

// FormsSetting is the sealed store setting that held the unit's forms
// before the catalogue (a wire.FormSet as JSON): a store that has it and
// no CatalogSetting is migrated at start, its forms becoming the
// catalogue's services.
const FormsSetting = "forms"

// CatalogSetting is the sealed store setting that holds the unit's
// catalogue of services (sync/wire/catalog's JSON) once the unit
// administrator has changed it. At start it wins over FormsSetting and
// central.forms_file.
const CatalogSetting = "catalog"

// formKeeper holds the unit's catalogue of services for the designer:
// kept in the store, handed to the uplink when it changes, and read by the
// case service for each new case's answer rule and version.
type formKeeper struct {
	db  *store.DB
	log *slog.Logger
	up  *uplink.Uplink // nil: offline, or not made yet
	// groupExists tells whether a staff group exists, for the routes of
	// services; nil: no groups, every service goes to the inbox.
	groupExists func(id string) bool

	mu  sync.Mutex
	cat catalog.Catalog
}

var (
	_ localui.FormStore   = (*formKeeper)(nil)
	_ cases.ServiceRules  = (*formKeeper)(nil)
	_ localui.ServiceBook = (*formKeeper)(nil)
)

// openForms picks the unit's catalogue at start: the one stored by the
// designer if there is one; else the forms a store from before the
// catalogue kept (FormsSetting), migrated into a catalogue that is stored
// at once; else the forms of central.forms_file (file), else the built-in
// forms. It returns the keeper and the set the uplink is to publish (nil:
// none, and the central store keeps showing what it has, its defaults if
// nothing). A stored catalogue that no longer passes the rules is not
// published; the designer starts from the fallback and says nothing is
// lost on the central side.
func openForms(ctx context.Context, db *store.DB, file *wire.FormSet, log *slog.Logger) (*formKeeper, *catalog.Catalog, error) {
	k := &formKeeper{db: db, log: log}
	fallback := func() {
		if file != nil {
			k.cat = catalog.FromForms(*file)
		} else {
			k.cat = catalog.FromForms(casetype.DefaultForms())
		}
	}
	b, err := db.Setting(ctx, CatalogSetting)
	switch {
	case errors.Is(err, store.ErrNoSetting):
		set, present, err := legacyForms(ctx, db)
		switch {
		case err != nil && present:
			log.Error("the forms stored by the form designer break a rule of the sync protocol; none are published until the unit administrator publishes again", "err", err)
			fallback()
			return k, nil, nil
		case err != nil:
			return nil, nil, err
		case !present:
			fallback()
			if file == nil {
				return k, nil, nil
			}
			c := k.cat
			return k, &c, nil
		}
		k.cat = catalog.FromForms(set)
		if err := k.store(ctx, k.cat); err != nil {
			return nil, nil, fmt.Errorf("migrate the unit's forms to its catalogue: %w", err)
		}
		log.Info("forms of the form designer migrated to the catalogue of services", "services", len(k.cat.Services))
		c := k.cat
		return k, &c, nil
	case err != nil:
		return nil, nil, fmt.Errorf("read the unit's catalogue: %w", err)
	}
	c, err := catalog.Decode(bytes.NewReader(b), catalog.Rules{GroupExists: func(string) bool { return true }})
	if err != nil {
		log.Error("the catalogue stored by the designer breaks a rule; nothing is published until the unit administrator saves it again", "err", err)
		fallback()
		return k, nil, nil
	}
	k.cat = c
	log.Info("catalogue of services from the designer", "services", len(c.Services))
	return k, &c, nil
}

// legacyForms reads FormsSetting: the forms a store from before the
// catalogue kept. present says the store has the setting; with an error,
// present means the forms break a rule of the protocol.
func legacyForms(ctx context.Context, db *store.DB) (set wire.FormSet, present bool, err error) {
	b, err := db.Setting(ctx, FormsSetting)
	switch {
	case errors.Is(err, store.ErrNoSetting):
		return wire.FormSet{}, false, nil
	case err != nil:
		return wire.FormSet{}, false, fmt.Errorf("read the unit's forms: %w", err)
	}
	set, err = wire.DecodeFormSet(bytes.NewReader(b))
	return set, true, err
}

// storedCatalog is the unit's catalogue, with its history, as openForms
// picks it at start, for readers that run without the keeper (the
// archive export, also as its own command), so that every case's service
// has its name and each case is read by the version it was written on.
func storedCatalog(ctx context.Context, cfg *Config, db *store.DB) (catalog.Catalog, error) {
	b, err := db.Setting(ctx, CatalogSetting)
	switch {
	case err == nil:
		if c, err := catalog.Decode(bytes.NewReader(b), catalog.Rules{GroupExists: func(string) bool { return true }}); err == nil {
			return c, nil
		}
	case !errors.Is(err, store.ErrNoSetting):
		return catalog.Catalog{}, fmt.Errorf("read the unit's catalogue: %w", err)
	}
	if set, present, err := legacyForms(ctx, db); err == nil && present {
		return catalog.FromForms(set), nil
	} else if err != nil && !present {
		return catalog.Catalog{}, err
	}
	if f := cfg.Central.FormsFile; f != "" {
		set, err := LoadForms(cfg.CentralFile(f))
		return catalog.FromForms(set), err
	}
	return catalog.FromForms(casetype.DefaultForms()), nil
}

// rules are the catalogue's rules with the unit's groups.
func (k *formKeeper) rules() catalog.Rules { return catalog.Rules{GroupExists: k.groupExists} }

// Catalog returns the unit's catalogue as it is.
func (k *formKeeper) Catalog(ctx context.Context) (catalog.Catalog, error) {
	if err := ctx.Err(); err != nil {
		return catalog.Catalog{}, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.cat, nil
}

// SaveCatalog checks c by the catalogue's rules with the unit's groups,
// keeps it in the store under CatalogSetting and hands what it offers to
// the uplink, which publishes it at once. A catalogue that breaks a rule
// is refused with a *catalog.Error and nothing changes.
func (k *formKeeper) SaveCatalog(ctx context.Context, c catalog.Catalog) error {
	if err := c.Check(k.rules()); err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.store(ctx, c); err != nil {
		return err
	}
	k.cat = c
	if k.up != nil {
		if err := k.up.SetServices(c.Published(), c.Legacy()); err != nil {
			return fmt.Errorf("publish services: %w", err)
		}
	}
	return nil
}

// store keeps c under CatalogSetting.
func (k *formKeeper) store(ctx context.Context, c catalog.Catalog) error {
	b, err := c.Encode(catalog.Rules{GroupExists: func(string) bool { return true }})
	if err != nil {
		return fmt.Errorf("save the catalogue: %w", err)
	}
	if err := k.db.PutSetting(ctx, CatalogSetting, b); err != nil {
		return fmt.Errorf("save the catalogue: %w", err)
	}
	return nil
}

// GroupExists reports whether the unit has a staff group with the id
// (groupExists; false without groups).
func (k *formKeeper) GroupExists(id string) bool {
	return k.groupExists != nil && k.groupExists(id)
}

// RouteFor is who handles service id's new cases: "" for the message
// administrator's inbox, else a staff group's id.
func (k *formKeeper) RouteFor(id string) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.cat.RouteFor(id)
}

// Rule is service id's current version and answer rule, for the case
// service (cases.ServiceRules).
func (k *formKeeper) Rule(id string) (version, days int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.cat.Rule(id)
}

// RuleAt is the answer rule of service id at version, for the case
// service (cases.ServiceRules).
func (k *formKeeper) RuleAt(id string, version int) (days int, known bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.cat.RuleAt(id, version)
}

// Current returns the forms the unit offers, as they are published (or
// will be at the next connect).
func (k *formKeeper) Current(ctx context.Context) (wire.FormSet, error) {
	c, err := k.Catalog(ctx)
	if err != nil {
		return wire.FormSet{}, err
	}
	return c.Published().Forms(), nil
}

// Publish makes set the forms the unit offers (the form designer's per
// form editing and its import of a form set): each form becomes its
// service's current version (a new service if the catalogue has none of
// the id), and every offered service without a form in set is retired. A
// set that breaks a rule is refused and nothing changes.
func (k *formKeeper) Publish(ctx context.Context, set wire.FormSet) error {
	if err := set.Validate(); err != nil {
		return fmt.Errorf("publish forms: %w", err)
	}
	c, err := k.Catalog(ctx)
	if err != nil {
		return err
	}
	c = withForms(c, set)
	return k.SaveCatalog(ctx, c)
}

// withForms is c with set's forms as the offered services' forms.
func withForms(c catalog.Catalog, set wire.FormSet) catalog.Catalog {
	c.Services = append([]catalog.Service(nil), c.Services...)
	c.History = append([]catalog.Service(nil), c.History...)
	in := map[string]bool{}
	for _, f := range set.Forms {
		in[f.ID] = true
		s, ok := c.Find(f.ID)
		if !ok {
			s = catalog.FromForm(f)
		}
		s.Name, s.Intro, s.Fields, s.AllowGuardian, s.Retired = f.Title, f.Intro, f.Fields, f.AllowGuardian, false
		s.Version = max(s.Version, f.Version)
		c.Put(s)
	}
	for _, s := range c.Offered() {
		if !in[s.ID] {
			c.Retire(s.ID)
		}
	}
	return c
}

// Delivery tells whether the central store has the unit's services.
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
// named): they are the unit's services, and published, unless the
// catalogue stored by the designer (or migrated) is in use, which wins as
// it does at start.
func (k *formKeeper) setFile(ctx context.Context, file *wire.FormSet) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	_, err := k.db.Setting(ctx, CatalogSetting)
	switch {
	case err == nil:
		k.log.Info("central.forms_file changed; the catalogue of the designer stays in use")
		return nil
	case !errors.Is(err, store.ErrNoSetting):
		return fmt.Errorf("read the unit's catalogue: %w", err)
	}
	if file == nil {
		return nil // the central store keeps what it has, as at start
	}
	k.cat = catalog.FromForms(*file)
	if k.up != nil {
		if err := k.up.SetServices(k.cat.Published(), k.cat.Legacy()); err != nil {
			return fmt.Errorf("publish forms: %w", err)
		}
	}
	k.log.Info("forms from central.forms_file", "forms", len(file.Forms))
	return nil
}
