package fhirtask

import "clinicgw/agent/cases"

// statuses maps each case status to FHIR Task.status, in the order of
// the workflow (see the package doc for why each).
var statuses = []struct {
	st   cases.Status
	fhir string
}{
	{cases.Received, "requested"},
	{cases.Assigned, "accepted"},
	{cases.PartiallyAnswered, "in-progress"},
	{cases.WaitingForPatient, "on-hold"},
	{cases.Answered, "completed"},
	{cases.Closed, "completed"},
	{cases.Withdrawn, "cancelled"},
}

// Status is a case status as FHIR Task.status; "entered-in-error" for a
// status the workflow does not have (TestEveryStatusMapped).
func Status(s cases.Status) string {
	for _, m := range statuses {
		if m.st == s {
			return m.fhir
		}
	}
	return "entered-in-error"
}

// CaseStatuses are the case statuses shown as Task.status code; nil if
// none is.
func CaseStatuses(code string) []cases.Status {
	var out []cases.Status
	for _, m := range statuses {
		if m.fhir == code {
			out = append(out, m.st)
		}
	}
	return out
}
