package archive

import (
	"strings"
	"testing"
	"time"

	"clinicgw/sync/wire"
)

// TestServiceNames: a case of a service the unit made itself (not a
// built-in case type) is named in the FHIR export and in case.json by its
// form's title, the service's name, not by its id.
func TestServiceNames(t *testing.T) {
	tc := fhirCases()["fhir-closed.json"]
	c := *tc.c
	c.Type = "fornya-hjalpmedel"
	form := wire.Form{ID: "fornya-hjalpmedel", Version: 3, Title: wire.Text{SV: "Förnya hjälpmedel", EN: "Renew an aid"}}
	b, err := FHIR(&c, &form, tc.records, time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"display":"Förnya hjälpmedel"`) {
		t.Errorf("the FHIR Task does not name the service:\n%.1500s", b)
	}
	if a := archived(&c, &form); a.SV.Type != "Förnya hjälpmedel" {
		t.Errorf("case.json names the service %q", a.SV.Type)
	}
}
