package central

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"clinicgw/sync/wire"
)

// TestServices: a unit publishes its services on protocol v2: the forms
// are then its services' (GET forms answers them), the patient pages offer
// a service made yesterday with its answer time and note, a case of it is
// accepted, and a changed form under the same version is refused (409).
// Publishing a form set afterwards (a gateway back on the old protocol)
// drops the answer rules with it.
func TestServices(t *testing.T) {
	e := newEnv(t)
	set := wire.ServiceSet{Services: []wire.PublishedService{
		{Form: wire.Form{ID: "fornya-hjalpmedel", Version: 2, Title: wire.Text{SV: "Förnya hjälpmedel"},
			Fields: []wire.FormField{{Name: "device", Label: wire.Text{SV: "Vilket hjälpmedel?"}, Kind: wire.FieldText, Required: true}}},
			AnswerDays: 5, AnswerNote: wire.Text{SV: "Arbetsterapeuten är här på torsdagar."}},
		{Form: wire.Form{ID: "renew-prescription", Version: 1, Title: wire.Text{SV: "Förnya recept"}}, AnswerDays: 1},
	}}
	b, err := wire.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	if st, _, body := e.do(e.api, unitA, http.MethodPut, wire.PathServices2, wire.ContentTypeJSON, b); st != http.StatusNoContent {
		t.Fatalf("publish: %d %s", st, body)
	}
	if _, _, body := e.do(e.api, unitA, http.MethodGet, wire.PathServices2, "", nil); !bytes.Equal(body, b) {
		t.Errorf("GET services:\n%s\nwant\n%s", body, b)
	}
	forms, _ := wire.Marshal(set.Forms())
	if _, _, body := e.do(e.api, unitA, http.MethodGet, wire.PathForms2, "", nil); !bytes.Equal(body, forms) {
		t.Errorf("GET forms after services:\n%s", body)
	}

	br := e.browser()
	br.login(adultPNR, adultName)
	p := br.get("/skriv/" + unitA + "/fornya-hjalpmedel")
	if p.status != http.StatusOK || !strings.Contains(p.body, "Mottagningen svarar inom 5 arbetsdagar. Arbetsterapeuten är här på torsdagar.") {
		t.Fatalf("form page: %d\n%s", p.status, p.body)
	}
	if p := br.get("/skriv/" + unitA + "/renew-prescription"); !strings.Contains(p.body, "Mottagningen svarar inom 1 arbetsdagar.") {
		t.Errorf("shorter rule not shown:\n%s", p.body)
	}
	sub := Submission{PatientPNR: adultPNR, PatientName: adultName, FormID: "fornya-hjalpmedel", Fields: []wire.Field{{Name: "device", Value: "Rullator"}}}
	if _, err := e.store.Submit(e.ctx, unitA, sub); err != nil {
		t.Fatalf("a case of a service made yesterday: %v", err)
	}

	changed := set
	changed.Services = append([]wire.PublishedService(nil), set.Services...)
	changed.Services[0].Form.Title.SV = "Förnya ditt hjälpmedel"
	cb, _ := wire.Marshal(changed)
	if st, _, body := e.do(e.api, unitA, http.MethodPut, wire.PathServices2, wire.ContentTypeJSON, cb); st != http.StatusConflict {
		t.Errorf("a changed form under its version: %d %s", st, body)
	}
	legacy, _ := wire.Marshal(wire.FormSet{Forms: []wire.Form{set.Services[1].Form}})
	if st, _, body := e.do(e.api, unitA, http.MethodPut, wire.PathForms2, wire.ContentTypeJSON, legacy); st != http.StatusNoContent {
		t.Fatalf("form set: %d %s", st, body)
	}
	if rules, err := e.store.AnswerRules(e.ctx, unitA); err != nil || len(rules) != 0 {
		t.Errorf("answer rules after a form set: %v %v", rules, err)
	}
	if p := br.get("/skriv/" + unitA + "/renew-prescription"); !strings.Contains(p.body, "Mottagningen svarar inom 2 arbetsdagar.") {
		t.Errorf("default rule not shown:\n%s", p.body)
	}
}
