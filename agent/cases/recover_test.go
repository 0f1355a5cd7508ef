package cases_test

import (
	"slices"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
)

// TestRecoverConfirmed: the rules by which confirmed items the central
// store gives back after a restore of the gateway's store are put back.
func TestRecoverConfirmed(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	const id = cases.ID("01jnjz5f8g0000000000000001")
	const other = cases.ID("01jnjz5f8g0000000000000002")
	answer := cases.Outbound{Key: "k-ans", CaseID: id, Kind: cases.OutboundAnswer, At: t0.Add(time.Hour),
		MessageID: "m-ans", Text: "Svar", Signature: "Doris", AuthorTitle: "Läkare"}
	created := cases.Inbound{Kind: cases.InboundCreated, EventID: "e1", CaseID: id, At: t0, Submission: func() *cases.Submission {
		s := dueSub(t0)
		s.ID = id
		return &s
	}()}
	followUp := func(at time.Time) cases.Inbound {
		return cases.Inbound{Kind: cases.InboundFollowUp, EventID: "e2", CaseID: id, At: at, MessageID: "m-fu", Text: "Och en sak till"}
	}
	withdrawn := cases.Inbound{Kind: cases.InboundWithdrawn, EventID: "e3", CaseID: id, At: t0.Add(2 * time.Hour)}
	tests := []struct {
		name     string
		events   []cases.Inbound
		before   []cases.Outbound // recovered first
		item     cases.Outbound
		want     cases.RecoverReport
		status   cases.Status
		messages int
	}{
		{"an answer comes back", []cases.Inbound{created}, nil, answer, cases.RecoverReport{Applied: 1}, cases.Answered, 2},
		{"twice: the second is known", []cases.Inbound{created}, []cases.Outbound{answer}, answer, cases.RecoverReport{Known: 1}, cases.Answered, 2},
		{"the same message under another key is known", []cases.Inbound{created}, []cases.Outbound{answer},
			func() cases.Outbound { o := answer; o.Key = "k-other"; return o }(), cases.RecoverReport{Known: 1}, cases.Answered, 2},
		{"the patient wrote later: the status stands", []cases.Inbound{created, followUp(t0.Add(2 * time.Hour))}, nil, answer,
			cases.RecoverReport{Applied: 1}, cases.Received, 3},
		{"the patient wrote before: the answer's status", []cases.Inbound{created, followUp(t0.Add(30 * time.Minute))}, nil, answer,
			cases.RecoverReport{Applied: 1}, cases.Answered, 3},
		{"withdrawn stays withdrawn", []cases.Inbound{created, withdrawn}, nil, answer, cases.RecoverReport{Applied: 1}, cases.Withdrawn, 2},
		{"a counter-question", []cases.Inbound{created}, nil, cases.Outbound{Key: "k-cq", CaseID: id, Kind: cases.OutboundCounterQuestion,
			At: t0.Add(time.Hour), MessageID: "m-cq", Text: "Fråga"}, cases.RecoverReport{Applied: 1}, cases.WaitingForPatient, 2},
		{"a status change", []cases.Inbound{created}, []cases.Outbound{answer}, cases.Outbound{Key: "k-st", CaseID: id,
			Kind: cases.OutboundStatus, At: t0.Add(2 * time.Hour), Status: cases.Closed}, cases.RecoverReport{Applied: 1}, cases.Closed, 2},
		{"an assignment: the case stays in the inbox", []cases.Inbound{created}, nil, cases.Outbound{Key: "k-as", CaseID: id,
			Kind: cases.OutboundStatus, At: t0.Add(time.Hour), Status: cases.Assigned}, cases.RecoverReport{Applied: 1}, cases.Received, 1},
		{"a case this store does not hold", nil, nil, answer, cases.RecoverReport{Missing: 1}, "", 0},
		{"a case staff started", nil, nil, cases.Outbound{Key: "m-first", CaseID: other, Kind: cases.OutboundInitiated, At: t0,
			MessageID: "m-first", Text: "Hej", Initiated: &cases.InitiatedCase{Type: casetype.AdviceNurse, Patient: dueSub(t0).Patient,
				Subject: "Prover", ReplyAllowed: true}}, cases.RecoverReport{Applied: 1}, cases.WaitingForPatient, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, clock := dueEnv(t)
			clock.Set(t0.Add(3 * time.Hour))
			ctx := t.Context()
			if len(tt.events) > 0 {
				if _, err := svc.ApplyInbound(ctx, tt.events, uint64(len(tt.events))); err != nil {
					t.Fatal(err)
				}
			}
			if tt.before != nil {
				if _, err := svc.RecoverConfirmed(ctx, tt.before); err != nil {
					t.Fatal(err)
				}
			}
			rep, err := svc.RecoverConfirmed(ctx, []cases.Outbound{tt.item})
			if err != nil {
				t.Fatal(err)
			}
			if rep != tt.want {
				t.Errorf("report %+v, want %+v", rep, tt.want)
			}
			c, err := svc.Get(ctx, dueDist, tt.item.CaseID)
			if tt.status == "" {
				if err == nil {
					t.Errorf("a case was made: %+v", c)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Status != tt.status || len(c.Messages) != tt.messages {
				t.Errorf("status %s with %d messages, want %s with %d", c.Status, len(c.Messages), tt.status, tt.messages)
			}
			if !slices.ContainsFunc(c.Messages, func(m cases.Message) bool {
				return m.ID == tt.item.MessageID && m.Text == tt.item.Text && m.At.Equal(tt.item.At)
			}) && tt.item.MessageID != "" {
				t.Errorf("the message did not come back: %+v", c.Messages)
			}
			if !slices.IsSortedFunc(c.Messages, func(a, b cases.Message) int { return a.At.Compare(b.At) }) {
				t.Errorf("messages out of time order: %+v", c.Messages)
			}
			if tt.want.Applied > 0 && !slices.ContainsFunc(c.History, func(e cases.Event) bool {
				return e.Action == cases.RecoverFromCentral && e.Actor == string(cases.System)
			}) {
				t.Errorf("no history event: %+v", c.History)
			}
		})
	}
}

// TestRecoverConfirmedStaff: an item that names its author and the case's
// assignee by HSA-ID gives them back; one that does not (or names
// something else) leaves the system as author and the case unassigned.
func TestRecoverConfirmedStaff(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	const id = cases.ID("01jnjz5f8g0000000000000001")
	const other = cases.ID("01jnjz5f8g0000000000000002")
	clin := dueClin.HSAID
	created := cases.Inbound{Kind: cases.InboundCreated, EventID: "e1", CaseID: id, At: t0, Submission: func() *cases.Submission {
		s := dueSub(t0)
		s.ID = id
		return &s
	}()}
	assigned := cases.Outbound{Key: "k-as", CaseID: id, Kind: cases.OutboundStatus, At: t0.Add(time.Hour), Status: cases.Assigned, AssigneeHSAID: clin}
	answer := cases.Outbound{Key: "k-ans", CaseID: id, Kind: cases.OutboundAnswer, At: t0.Add(2 * time.Hour), Status: cases.Answered,
		MessageID: "m-ans", Text: "Svar", AuthorTitle: "Läkare", AuthorHSAID: clin, AssigneeHSAID: clin}
	started := cases.Outbound{Key: "m-first", CaseID: other, Kind: cases.OutboundInitiated, At: t0, MessageID: "m-first", Text: "Hej",
		AuthorHSAID: clin, AssigneeHSAID: clin, Initiated: &cases.InitiatedCase{Type: casetype.AdviceNurse, Patient: dueSub(t0).Patient,
			Subject: "Prover", ReplyAllowed: true}}
	anon := func(o cases.Outbound, who string) cases.Outbound { o.AuthorHSAID, o.AssigneeHSAID = who, who; return o }
	const clin2 = "SE2321000016-C002"
	reassigned := func(key string, minutes int, to string) cases.Outbound {
		return cases.Outbound{Key: key, CaseID: id, Kind: cases.OutboundAssignment, At: t0.Add(time.Duration(minutes) * time.Minute), AssigneeHSAID: to}
	}
	tests := []struct {
		name             string
		items            []cases.Outbound
		status           cases.Status
		assignee, author string // author: of the item's message
	}{
		{"an assignment comes back", []cases.Outbound{assigned}, cases.Assigned, clin, ""},
		{"an assignment without its assignee: the inbox", []cases.Outbound{anon(assigned, "")}, cases.Received, "", ""},
		{"a reassignment comes back; the status stays", []cases.Outbound{assigned, reassigned("k-re", 70, clin2)}, cases.Assigned, clin2, ""},
		{"reassigned and back", []cases.Outbound{assigned, reassigned("k-re", 70, clin2), reassigned("k-re2", 80, clin)}, cases.Assigned, clin, ""},
		{"a reassignment without its assignee changes nothing", []cases.Outbound{assigned, reassigned("k-re", 70, "")}, cases.Assigned, clin, ""},
		{"reassigned, then answered by the new one", []cases.Outbound{assigned, reassigned("k-re", 70, clin2),
			func() cases.Outbound { o := anon(answer, clin2); return o }()}, cases.Answered, clin2, clin2},
		{"reassigned, then taken back", []cases.Outbound{assigned, reassigned("k-re", 70, clin2), {Key: "k-tb", CaseID: id, Kind: cases.OutboundStatus,
			At: t0.Add(90 * time.Minute), Status: cases.Received}}, cases.Received, "", ""},
		{"an answer comes back with its author", []cases.Outbound{answer}, cases.Answered, clin, clin},
		{"assigned, then answered", []cases.Outbound{assigned, answer}, cases.Answered, clin, clin},
		{"assigned, then taken back", []cases.Outbound{assigned, {Key: "k-tb", CaseID: id, Kind: cases.OutboundStatus,
			At: t0.Add(90 * time.Minute), Status: cases.Received}}, cases.Received, "", ""},
		{"an answer without its author: the system", []cases.Outbound{anon(answer, "")}, cases.Answered, "", "system"},
		{"an author that is no member of staff: the system", []cases.Outbound{anon(answer, "patient")}, cases.Answered, "", "system"},
		{"a case staff started", []cases.Outbound{started}, cases.WaitingForPatient, clin, clin},
		{"a case staff started, nobody named", []cases.Outbound{anon(started, "")}, cases.WaitingForPatient, "", "system"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, clock := dueEnv(t)
			clock.Set(t0.Add(3 * time.Hour))
			ctx := t.Context()
			if _, err := svc.ApplyInbound(ctx, []cases.Inbound{created}, 1); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.RecoverConfirmed(ctx, tt.items); err != nil {
				t.Fatal(err)
			}
			last := tt.items[len(tt.items)-1]
			c, err := svc.Get(ctx, dueDist, last.CaseID)
			if err != nil {
				t.Fatal(err)
			}
			if c.Status != tt.status || c.Assignee != tt.assignee {
				t.Errorf("status %s assignee %q, want %s %q", c.Status, c.Assignee, tt.status, tt.assignee)
			}
			if last.Kind == cases.OutboundInitiated && c.InitiatedBy != tt.author {
				t.Errorf("initiated by %q, want %q", c.InitiatedBy, tt.author)
			}
			if tt.author != "" && !slices.ContainsFunc(c.Messages, func(m cases.Message) bool { return m.ID == last.MessageID && m.Author == tt.author }) {
				t.Errorf("the message's author is not %q: %+v", tt.author, c.Messages)
			}
		})
	}
}
