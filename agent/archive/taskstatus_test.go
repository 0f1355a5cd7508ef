package archive

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"clinicgw/agent/cases"
	"clinicgw/agent/fhirtask"
)

// TestOneMapping: the archive's Task.status of a case in every status is
// the one the integration API shows (agent/fhirtask): a record system
// reading a case through the API and later from the archive sees one
// status. (The archive wrote in-progress for an assigned case while the
// API wrote accepted.)
func TestOneMapping(t *testing.T) {
	tc := fhirCases()["fhir-closed.json"]
	for _, st := range cases.Statuses() {
		c := *tc.c
		c.Status = st
		b, err := FHIR(&c, tc.form, nil, time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		var bundle struct {
			Entry []struct {
				Resource struct {
					ResourceType string `json:"resourceType"`
					Status       string `json:"status"`
				} `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(b, &bundle); err != nil {
			t.Fatal(err)
		}
		for _, e := range bundle.Entry {
			if e.Resource.ResourceType == "Task" && e.Resource.Status != fhirtask.Status(st) {
				t.Errorf("a %s case: the archive's Task.status %q, the API's %q", st, e.Resource.Status, fhirtask.Status(st))
			}
		}
	}
}

// TestArchiveKeepsSystemRefs: the references the unit's systems attached
// to a case (the record note's id) are in the archived Task's identifier,
// as the integration API shows them.
func TestArchiveKeepsSystemRefs(t *testing.T) {
	tc := fhirCases()["fhir-closed.json"]
	c := *tc.c
	c.Refs = []cases.Ref{{By: "SE2321000016-9001", System: "urn:oid:1.2.752.0.99.3", Value: "anteckning-4711", At: c.ClosedAt}}
	b, err := FHIR(&c, tc.form, nil, time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"system":"urn:oid:1.2.752.0.99.3","value":"anteckning-4711"}`
	if !strings.Contains(string(b), `"identifier":[{"system":"urn:clinicgw:case-id","value":"`+string(c.ID)+`"},`+want+`]`) {
		t.Errorf("the archived Task lacks the system's reference:\n%s", b)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := loadFHIRSchema(t).validate(doc); err != nil {
		t.Error(err)
	}
}
