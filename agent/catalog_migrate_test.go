package agent_test

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"clinicgw/agent"
	"clinicgw/agent/cases"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/catalog"
	"clinicgw/sync/wire/personnummer"
)

// TestMigrateFormsEraStore: a store of the schema before the catalogue —
// the form designer's forms under FormsSetting, no catalogue — opens with
// its forms as the catalogue's services (offered, versions kept), the case
// types it did not offer kept as retired services so that their old cases
// keep their names; the catalogue is stored at once and published. An old
// case of a type no longer offered still opens with its type.
func TestMigrateFormsEraStore(t *testing.T) {
	p, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := startCentral(t, p)
	cfg := gatewayDir(t, p, c.url, nil)
	a := startAgent(t, cfg, agent.Options{Uplink: fast})
	// The fixture: what the forms-era designer stored (a wire.FormSet),
	// and a case of a type the set does not offer.
	old := casetype.DefaultForms()
	old.Forms = old.Forms[:3]
	old.Forms[0].Version = 4
	old.Forms[0].Title.SV = "Boka tid hos oss"
	b, err := wire.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Store().PutSetting(t.Context(), agent.FormsSetting, b); err != nil {
		t.Fatal(err)
	}
	cs, err := a.Cases().Receive(t.Context(), cases.Submission{Type: casetype.ContactMe,
		Patient: cases.Person{PNR: personnummer.Synthetic(time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC), 982), Name: "Testperson Migrering"},
		Text:    "Ring mig.", SubmittedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}

	a = startAgent(t, cfg, agent.Options{Uplink: fast})
	raw, err := a.Store().Setting(t.Context(), agent.CatalogSetting)
	if err != nil {
		t.Fatalf("no catalogue stored after the migration: %v", err)
	}
	cat, err := catalog.Decode(bytes.NewReader(raw), catalog.Rules{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Services) != len(casetype.All) || len(cat.Offered()) != 3 {
		t.Fatalf("%d services, %d offered", len(cat.Services), len(cat.Offered()))
	}
	if s, _ := cat.Find(string(casetype.BookAppointment)); s.Version != 4 || s.Name.SV != "Boka tid hos oss" || s.Retired {
		t.Errorf("a migrated form: %+v", s)
	}
	if s, _ := cat.Find(string(casetype.ContactMe)); !s.Retired || s.Name.SV != "Kontakta mig" {
		t.Errorf("a type the forms did not offer: %+v", s)
	}
	waitFor(t, "the migrated catalogue at the central store", func() bool {
		got, err := c.store.Forms(t.Context(), unit)
		return err == nil && reflect.DeepEqual(got, old)
	})
	dist := cases.Actor{Kind: cases.Staff, HSAID: "SE2321000016-D001", Roles: []cases.Role{cases.Distributor}}
	got, err := a.Cases().Get(t.Context(), dist, cs.ID)
	if err != nil || got.Type != casetype.ContactMe {
		t.Fatalf("the old case: %+v, %v", got, err)
	}
}
