package uplink

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// TestSetFormsReachesCentral: a running uplink that started with no forms
// publishes the set SetForms gives it at once, to a real central store
// over mutual TLS; a second set replaces the first there; a set that
// breaks the protocol's rules is refused and the central store keeps the
// last good one; after the central store restarts the set is published
// again.
func TestSetFormsReachesCentral(t *testing.T) {
	ctx := context.Background()
	c := startCentral(t)
	g := newGateway(t, c.url(), unitCert(t), func(cfg *Config) { cfg.PushInterval = time.Hour })
	g.start()
	waitFor(t, 10*time.Second, "stream connected", func() bool { return g.up.Status().Connected })
	if st := g.up.Status(); st.FormsPending || !st.FormsPublishedAt.IsZero() {
		t.Fatalf("no forms configured, yet status %+v", st)
	}

	published := func(want wire.FormSet) func() bool {
		return func() bool {
			got, err := c.store.Forms(ctx, unit)
			if err != nil {
				t.Fatal(err)
			}
			return reflect.DeepEqual(got, want)
		}
	}
	set := casetype.DefaultForms()
	f := &set.Forms[len(set.Forms)-1]
	f.Version++
	f.Title = wire.Text{SV: "Ring mig (formulärdesignern)", EN: "Call me"}
	f.Fields = append(f.Fields,
		wire.FormField{Name: "urgent", Label: wire.Text{SV: "Det är bråttom"}, Kind: wire.FieldCheckbox},
		wire.FormField{Name: "why", Label: wire.Text{SV: "Varför?"}, Kind: wire.FieldText, Required: true,
			ShowIf: &wire.Condition{Field: "urgent", Equals: "true"}})
	if err := g.up.SetForms(set); err != nil {
		t.Fatal(err)
	}
	if !g.up.Status().FormsPending {
		t.Error("status does not say the new set is pending")
	}
	waitFor(t, 10*time.Second, "first set at the central store", published(set))
	waitFor(t, 10*time.Second, "status: published", func() bool {
		st := g.up.Status()
		return !st.FormsPending && !st.FormsPublishedAt.IsZero()
	})

	set2 := casetype.DefaultForms()
	set2.Forms = set2.Forms[:3]
	if err := g.up.SetForms(set2); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "second set at the central store", published(set2))

	bad := casetype.DefaultForms()
	bad.Forms[0].Fields[0].ShowIf = &wire.Condition{Field: "missing", Equals: "true"}
	var p *wire.Problem
	if err := g.up.SetForms(bad); !errors.As(err, &p) || p.Status != 400 {
		t.Fatalf("an invalid set: %v, want a 400 problem", err)
	}

	// The central store comes back without what it had (a new file): the
	// set goes again on reconnect.
	c.path = filepath.Join(t.TempDir(), "central-new.db")
	c.restart()
	waitFor(t, 10*time.Second, "set republished after reconnect", published(set2))
	if got, _ := c.store.Forms(ctx, unit); len(got.Forms) != 3 || got.Forms[0].ID != string(casetype.All[0]) {
		t.Fatalf("central store has %d forms", len(got.Forms))
	}
	g.stop()
	checkNoPatientData(t, "gateway", g.logs.String())
}
