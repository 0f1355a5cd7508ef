package fhirapi

import (
	"testing"

	"clinicgw/agent/cases"
	"clinicgw/agent/fhirtask"
)

// TestOneMapping: the Task the API emits for a case in every status has
// the one mapping's status (agent/fhirtask), the archive's too.
func TestOneMapping(t *testing.T) {
	for _, st := range cases.Statuses() {
		c := &cases.Case{ID: "01kjprzb00f4s5jf3tmfd16d59", Unit: "SE2321000016-E001", Type: "advice-nurse", Status: st}
		if got := taskOf(c).Status; got != fhirtask.Status(st) {
			t.Errorf("a %s case: Task.status %q, the one mapping's %q", st, got, fhirtask.Status(st))
		}
	}
}
