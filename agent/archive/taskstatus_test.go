package archive

import (
	"encoding/json"
	"testing"
	"time"

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
