package cases_test

import (
	"testing"
	"time"

	"clinicgw/agent/cases"
)

// TestRetiredKeyDuplicates: a sealed event that no longer opens because
// it is sealed to a retired key, naming a case (or a follow-up message id)
// already here, is a duplicate, not quarantined; anything else refused —
// a retired key's event for what is not here, or another refusal for
// what is — is quarantined.
func TestRetiredKeyDuplicates(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	const id = cases.ID("01jnjz5f8g0000000000000001")
	const other = cases.ID("01jnjz5f8g0000000000000002")
	created := cases.Inbound{Kind: cases.InboundCreated, EventID: "e1", CaseID: id, At: t0, Submission: func() *cases.Submission {
		s := dueSub(t0)
		s.ID = id
		return &s
	}()}
	followUp := cases.Inbound{Kind: cases.InboundFollowUp, EventID: "e2", CaseID: id, At: t0.Add(time.Hour), MessageID: "m-fu", Text: "Och en sak till"}
	refused := func(ev cases.Inbound, why string, caseID cases.ID, msgID string) cases.Inbound {
		ev.EventID, ev.CaseID, ev.Submission, ev.Text, ev.MessageID, ev.SealRefusal = ev.EventID+"-again", caseID, nil, "", msgID, why
		return ev
	}
	for _, tc := range []struct {
		name string
		ev   cases.Inbound
		dup  bool
	}{
		{"a case here, retired key", refused(created, cases.SealRetiredKey, id, ""), true},
		{"a follow-up here, retired key", refused(followUp, cases.SealRetiredKey, id, "m-fu"), true},
		{"a case not here, retired key", refused(created, cases.SealRetiredKey, other, ""), false},
		{"another follow-up, retired key", refused(followUp, cases.SealRetiredKey, id, "m-other"), false},
		{"a follow-up without its message id, retired key", refused(followUp, cases.SealRetiredKey, id, ""), false},
		{"a case here, altered", refused(created, "altered", id, ""), false},
		{"a case here, unknown key", refused(created, "unknown-key", id, ""), false},
		{"a case here, another unit's", refused(created, "wrong-unit", id, ""), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, clock := dueEnv(t)
			clock.Set(t0.Add(3 * time.Hour))
			ctx := t.Context()
			if _, err := svc.ApplyInbound(ctx, []cases.Inbound{created, followUp}, 2); err != nil {
				t.Fatal(err)
			}
			rep, err := svc.ApplyInbound(ctx, []cases.Inbound{tc.ev}, 3)
			if err != nil {
				t.Fatal(err)
			}
			qs, err := svc.Quarantine(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if tc.dup && (rep.Duplicates != 1 || rep.Quarantined != 0 || len(qs) != 0) {
				t.Errorf("report %+v, %d quarantined; want a duplicate", rep, len(qs))
			}
			if !tc.dup && (rep.Duplicates != 0 || rep.Quarantined != 1 || len(qs) != 1 || qs[0].Field != "sealed."+tc.ev.SealRefusal) {
				t.Errorf("report %+v, quarantine %+v; want it quarantined", rep, qs)
			}
			c, err := svc.Get(ctx, cases.Actor{Kind: cases.System}, id)
			if err == nil && len(c.Messages) != 2 {
				t.Errorf("the case has %d messages after it", len(c.Messages))
			}
		})
	}
}

// TestRetiredKeyDuplicateRetried: a case sealed to a retired key that
// came before its case (quarantined) is settled by a retry of the
// quarantine once the case is here, as a duplicate.
func TestRetiredKeyDuplicateRetried(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	const id = cases.ID("01jnjz5f8g0000000000000001")
	svc, clock := dueEnv(t)
	clock.Set(t0.Add(3 * time.Hour))
	ctx := t.Context()
	stale := cases.Inbound{Kind: cases.InboundCreated, EventID: "e0", CaseID: id, At: t0, SealRefusal: cases.SealRetiredKey}
	if rep, err := svc.ApplyInbound(ctx, []cases.Inbound{stale}, 1); err != nil || rep.Quarantined != 1 {
		t.Fatalf("%+v %v", rep, err)
	}
	sub := dueSub(t0)
	sub.ID = id
	if _, err := svc.ApplyInbound(ctx, []cases.Inbound{{Kind: cases.InboundCreated, EventID: "e1", CaseID: id, At: t0, Submission: &sub}}, 2); err != nil {
		t.Fatal(err)
	}
	rr, err := svc.RetryQuarantine(ctx)
	if err != nil || rr.Applied != 1 || rr.Remaining != 0 {
		t.Fatalf("retry: %+v %v", rr, err)
	}
	if qs, _ := svc.Quarantine(ctx); len(qs) != 0 {
		t.Errorf("%d left in the quarantine", len(qs))
	}
}
