package archive

import (
	"bytes"
	"context"
	"crypto/rand"
	"log/slog"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/catalog"
	"clinicgw/sync/wire/personnummer"
)

// TestArchiveReadsCaseVersion: a case written on version 1 of a service,
// archived after version 2 changed the form's labels, is named in
// case.json and in the FHIR QuestionnaireResponse by version 1's labels.
func TestArchiveReadsCaseVersion(t *testing.T) {
	f := newFixture(t)
	// Version 2 renames the service and the pharmacy choice's options:
	// what the archive takes from the form, beside the labels the case
	// carries.
	const v1Label, v2Label = "Valfritt apotek (version 1)", "Valfritt apotek (version 2)"
	const v1Title, v2Title = "Förnya recept (version 1)", "Förnya recept (version 2)"
	form := func(title, option string) wire.Form {
		return wire.Form{ID: "renew-prescription", Version: 1, Title: wire.Text{SV: title},
			Fields: []wire.FormField{{Name: "pharmacy", Label: wire.Text{SV: "Apotek"}, Kind: wire.FieldSelect,
				Options: []wire.Option{{Value: "any", Label: wire.Text{SV: option}}}}}}
	}
	cat := catalog.Catalog{Format: catalog.Format}
	cat.Put(catalog.FromForm(form(v1Title, v1Label)))
	cat.Put(catalog.FromForm(form(v2Title, v2Label)))
	svc, err := cases.NewService(cases.ServiceConfig{Unit: unit, Store: f.db, Clock: f.clock, Rand: rand.Reader,
		Logger: slog.New(slog.DiscardHandler), Services: cat})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := svc.Receive(ctx, cases.Submission{Type: casetype.RenewPrescription, FormVersion: 1,
		Patient:     cases.Person{PNR: personnummer.Synthetic(time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), 980), Name: canary + "-namn"},
		SubmittedAt: f.clock.Now(), Fields: []cases.Field{{Name: "pharmacy", Label: "Apotek", Value: "any"}}, Text: canary + "-text"})
	if err != nil {
		t.Fatal(err)
	}
	if c.ServiceVersion != 1 {
		t.Fatalf("the case has service version %d, want 1", c.ServiceVersion)
	}
	for _, cmd := range []struct {
		a   cases.Actor
		cmd cases.Command
	}{
		{dist, cases.Command{Action: cases.Assign, Assignee: hsaClin}},
		{clin, cases.Command{Action: cases.SendAnswer, Text: canary + "-svar", Signature: "Doris", AuthorTitle: "Läkare"}},
		{dist, cases.Command{Action: cases.Close}},
	} {
		if _, err := svc.Do(ctx, cmd.a, c.ID, cmd.cmd); err != nil {
			t.Fatal(err)
		}
	}
	out, err := svc.PendingOutbound(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out {
		if err := svc.ConfirmOutbound(ctx, []string{o.Key}); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Advance(100 * 24 * time.Hour)
	a, err := New(Config{DB: f.db, Unit: unit, Dir: f.arch, Signer: f.signer, Clock: f.clock,
		Catalog: func(context.Context) (catalog.Catalog, error) { return cat, nil }})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := a.Run(ctx, nil); err != nil || rep.Cases != 1 {
		t.Fatalf("run: %+v %v", rep, err)
	}
	var files map[string][]byte
	for name := range f.packages(t) {
		files = untar(t, f.arch+"/"+name)
	}
	for name, b := range files {
		if !strings.HasSuffix(name, "/case.json") && !strings.HasSuffix(name, "/fhir.json") {
			continue
		}
		if !bytes.Contains(b, []byte(v1Label)) || !bytes.Contains(b, []byte(v1Title)) ||
			bytes.Contains(b, []byte(v2Label)) || bytes.Contains(b, []byte(v2Title)) {
			t.Errorf("%s is not named by version 1's labels:\n%.2000s", name, b)
		}
	}
}
