package fhirtask

import (
	"testing"

	"clinicgw/agent/cases"
)

// TestEveryStatusMapped: every case status has a FHIR Task.status of
// R4's value set, and searching by that code finds the status again.
func TestEveryStatusMapped(t *testing.T) {
	r4 := map[string]bool{"draft": true, "requested": true, "received": true, "accepted": true, "rejected": true, "ready": true,
		"cancelled": true, "in-progress": true, "on-hold": true, "failed": true, "completed": true, "entered-in-error": true}
	want := map[cases.Status]string{cases.Received: "requested", cases.Assigned: "accepted", cases.PartiallyAnswered: "in-progress",
		cases.WaitingForPatient: "on-hold", cases.Answered: "completed", cases.Closed: "completed", cases.Withdrawn: "cancelled"}
	for _, st := range cases.Statuses() {
		code := Status(st)
		if !r4[code] || code == "entered-in-error" {
			t.Errorf("%s → %q: not mapped to an R4 Task.status", st, code)
		}
		if code != want[st] {
			t.Errorf("%s → %q, want %q", st, code, want[st])
		}
		found := false
		for _, back := range CaseStatuses(code) {
			found = found || back == st
		}
		if !found {
			t.Errorf("status=%s does not find %s", code, st)
		}
	}
}
