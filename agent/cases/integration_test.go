package cases_test

import (
	"errors"
	"testing"
	"time"

	"clinicgw/agent/cases"
)

// TestIntegrationActor: a system calling the integration API reads and
// lists the unit's cases and searches by patient, each in the access log
// under its HSA-ID; it makes no workflow change (writes are not its
// kind's yet), and one without a well-formed HSA-ID is refused.
func TestIntegrationActor(t *testing.T) {
	svc, clock := dueEnv(t)
	clock.Set(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	sub := dueSub(clock.Now().Add(-time.Minute))
	c, err := svc.Receive(t.Context(), sub)
	if err != nil {
		t.Fatal(err)
	}
	sys := cases.IntegrationActor("SE2321000016-9001")
	if _, err := svc.Get(t.Context(), sys, c.ID); err != nil {
		t.Errorf("read: %v", err)
	}
	if got, err := svc.List(t.Context(), sys, cases.Filter{}); err != nil || len(got) != 1 {
		t.Errorf("list: %d, %v", len(got), err)
	}
	if got, err := svc.SearchPatient(t.Context(), sys, sub.Patient.PNR); err != nil || len(got) != 1 {
		t.Errorf("search: %d, %v", len(got), err)
	}
	if _, err := svc.Do(t.Context(), sys, c.ID, cases.Command{Action: cases.Assign, Assignee: "SE2321000016-C001"}); !errors.Is(err, cases.ErrNotAllowed) {
		t.Errorf("assign by a system: %v, want ErrNotAllowed", err)
	}
	if _, err := svc.Get(t.Context(), cases.IntegrationActor("not-an-hsa-id"), c.ID); !errors.Is(err, cases.ErrNotAllowed) {
		t.Errorf("read by a malformed system: %v, want ErrNotAllowed", err)
	}
	recs, err := svc.AccessLogByActor(t.Context(), cases.Actor{Kind: cases.Staff, HSAID: "SE2321000016-A001", Roles: []cases.Role{cases.Auditor}}, sys.HSAID)
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]int{}
	for _, r := range recs {
		actions[r.Entry.Action]++
		if r.Entry.Actor != sys.HSAID {
			t.Errorf("entry actor %q", r.Entry.Actor)
		}
	}
	if actions["read"] != 1 || actions["list"] != 1 || actions["search"] != 1 {
		t.Errorf("the system's access-log entries: %v", actions)
	}
}
