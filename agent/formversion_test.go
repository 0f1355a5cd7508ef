package agent_test

import (
	"testing"
	"time"

	"clinicgw/agent"
	"clinicgw/agent/cases"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/central"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/catalog"
)

// TestCaseKeepsFormVersion: a patient writes a case on version 1 of a
// service; the unit publishes version 2 (another label) before the
// gateway pulls the case. The case keeps version 1 and its answer rule,
// and the archive names its answers by version 1's labels.
func TestCaseKeepsFormVersion(t *testing.T) {
	p, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := startCentral(t, p)
	forms := casetype.DefaultForms()
	cfg := gatewayDir(t, p, c.url, &forms)
	ctx := t.Context()

	a := startAgent(t, cfg, agent.Options{Uplink: fast})
	renew := string(casetype.RenewPrescription)
	waitFor(t, "version 1 published", func() bool {
		// The catalogue, not the built-in forms a unit that published
		// nothing has: a gateway that published it reads formVersion.
		rules, err := c.store.AnswerRules(ctx, unit)
		return err == nil && len(rules) > 0
	})
	// Version 2: another label for the medicine and a shorter answer rule,
	// saved while the gateway runs; it takes effect at the next start.
	cat := catalog.FromForms(forms)
	v1, _ := cat.Find(renew)
	v2 := v1
	v2.Fields = append([]wire.FormField(nil), v1.Fields...)
	medicine := -1
	for i, f := range v2.Fields {
		if f.Name == "medicine" {
			medicine = i
		}
	}
	if medicine < 0 {
		t.Fatal("no field medicine")
	}
	v1Label := v1.Fields[medicine].Label.SV
	v2.Fields[medicine].Label = wire.Text{SV: "Läkemedel (version 2)", EN: "Medicine (version 2)"}
	v2.AnswerDays = 1
	cat.Put(v2)
	b, err := cat.Encode(catalog.Rules{GroupExists: func(string) bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Store().PutSetting(ctx, agent.CatalogSetting, b); err != nil {
		t.Fatal(err)
	}
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}

	// The patient writes on version 1, still what the central store has.
	id, err := c.store.Submit(ctx, unit, central.Submission{PatientPNR: patientPNR, PatientName: patientName,
		FormID: renew, Text: caseText, Fields: []wire.Field{{Name: "medicine", Value: "Kanarin 5 mg"}}})
	if err != nil {
		t.Fatal(err)
	}

	// The gateway starts on version 2 and pulls the case.
	a = startAgent(t, cfg, agent.Options{Uplink: fast})
	var got *cases.Case
	waitFor(t, "the case in the gateway", func() bool {
		got, err = a.Cases().Get(ctx, distributor, cases.ID(id))
		return err == nil
	})
	if got.ServiceVersion != 1 || got.AnswerDays != 0 {
		t.Errorf("the case has service version %d, answer days %d; want version 1 and the default rule (0)", got.ServiceVersion, got.AnswerDays)
	}
	if got.Fields[0].Label != v1Label {
		t.Errorf("the case's field label %q, want version 1's %q", got.Fields[0].Label, v1Label)
	}

}
