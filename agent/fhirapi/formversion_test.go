package fhirapi

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/catalog"
)

// versionedForms is a catalogue whose service renew-prescription changed
// its pharmacy option's label from version 1 to version 2.
type versionedForms struct{ cat catalog.Catalog }

func (v versionedForms) Current(context.Context) (wire.FormSet, error) {
	return v.cat.Published().Forms(), nil
}
func (v versionedForms) Catalog(context.Context) (catalog.Catalog, error) { return v.cat, nil }

// TestResponseReadsCaseVersion: a case's QuestionnaireResponse names its
// answers by the version of the service the case was written on, not by
// the current one.
func TestResponseReadsCaseVersion(t *testing.T) {
	form := func(option string) wire.Form {
		return wire.Form{ID: "renew-prescription", Version: 1, Title: wire.Text{SV: "Förnya recept"},
			Fields: []wire.FormField{{Name: "pharmacy", Label: wire.Text{SV: "Apotek"}, Kind: wire.FieldSelect,
				Options: []wire.Option{{Value: "any", Label: wire.Text{SV: option}}}}}}
	}
	cat := catalog.Catalog{Format: catalog.Format}
	cat.Put(catalog.FromForm(form("Valfritt apotek (version 1)")))
	cat.Put(catalog.FromForm(form("Valfritt apotek (version 2)")))
	s := &Server{cfg: Config{Forms: versionedForms{cat}, Logger: slog.New(slog.DiscardHandler)}}
	c := &cases.Case{ID: "01kjprzb00t1fntzwjqnev7nw4", Type: "renew-prescription", ServiceVersion: 1,
		Fields: []cases.Field{{Name: "pharmacy", Label: "Apotek", Value: "any"}}}
	r := responseOf(c, s.caseForm(context.Background(), c))
	if len(r.Item) != 1 || len(r.Item[0].Answer) != 1 || r.Item[0].Answer[0].ValueCoding == nil ||
		!strings.Contains(r.Item[0].Answer[0].ValueCoding.Display, "version 1") {
		t.Errorf("the answer is not named by version 1: %+v", r.Item)
	}
}
