package cases_test

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/agent/cases/casestest"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"
)

// dueEnv is a service on the in-memory store with a clock the test sets.
func dueEnv(t *testing.T) (*cases.Service, *clocktest.Fake) {
	t.Helper()
	clock := clocktest.New(time.Time{})
	svc, err := cases.NewService(cases.ServiceConfig{Unit: casestest.Unit, Store: newMemStore(casestest.Unit),
		Clock: clock, Rand: rand.NewChaCha8([32]byte{'d', 'u', 'e'}), Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return svc, clock
}

// dueWaiting makes a case that arrived at start (the clock set to it)
// and waits for the patient's answer to a counter-question; its id.
func dueWaiting(t *testing.T, svc *cases.Service, clock *clocktest.Fake, start time.Time) cases.ID {
	t.Helper()
	ctx := context.Background()
	clock.Set(start)
	id := cases.ID("06fd000000000000000000000b")
	sub := dueSub(start)
	if _, err := svc.ApplyInbound(ctx, []cases.Inbound{{Kind: cases.InboundCreated, EventID: "ev-1", CaseID: id, At: start, Submission: &sub}}, 1); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		a   cases.Actor
		cmd cases.Command
	}{
		{dueDist, cases.Command{Action: cases.Assign, Assignee: dueClin.HSAID}},
		{dueClin, cases.Command{Action: cases.SendCounter, Text: "Har du feber?"}},
	} {
		if _, err := svc.Do(ctx, step.a, id, step.cmd); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

var (
	dueDist = cases.Actor{Kind: cases.Staff, HSAID: "SE2321000016-D001", Roles: []cases.Role{cases.Distributor}}
	dueClin = cases.Actor{Kind: cases.Staff, HSAID: "SE2321000016-C001", Roles: []cases.Role{cases.Clinician}}
)

// dueSub is a synthetic patient's case sent at sent.
func dueSub(sent time.Time) cases.Submission {
	return cases.Submission{
		Type:    casetype.AdviceNurse,
		Patient: cases.Person{PNR: personnummer.Synthetic(time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC), 980), Name: "Testperson Frist"},
		Text:    "Jag har ont i halsen.", SubmittedAt: sent,
	}
}

// dueTests are the rule of due dates for a patient's action: counted from
// when the central store accepted it (its time of record), never from a
// time later than its arrival here.
var dueTests = func() []struct {
	name              string
	accepted, arrived time.Time
	due               time.Time // the due day; its time is ignored
} {
	s := workday.Stockholm()
	at := func(m time.Month, d, hh, mm int) time.Time { return time.Date(2026, m, d, hh, mm, 0, 0, s) }
	return []struct {
		name              string
		accepted, arrived time.Time
		due               time.Time
	}{
		{"sent Friday 23:59, gateway offline until Monday 08:00: due Tuesday",
			at(3, 6, 23, 59), at(3, 9, 8, 0), at(3, 10, 0, 0)},
		{"sent and arrived Monday: due Wednesday", at(3, 9, 10, 0), at(3, 9, 10, 0), at(3, 11, 0, 0)},
		{"arrived a second after acceptance", at(3, 9, 10, 0), at(3, 9, 10, 0).Add(time.Second), at(3, 11, 0, 0)},
		{"sent Monday 23:59, arrived Tuesday 00:01: due Wednesday", at(3, 9, 23, 59), at(3, 10, 0, 1), at(3, 11, 0, 0)},
		{"sent in UTC late Friday, Saturday in Stockholm, arrived Monday",
			time.Date(2026, 3, 6, 23, 30, 0, 0, time.UTC), at(3, 9, 8, 0), at(3, 10, 0, 0)},
		{"Easter: sent Maundy Thursday, arrived Tuesday after Easter Monday",
			at(4, 2, 22, 0), at(4, 7, 8, 0), at(4, 8, 0, 0)},
		{"Christmas: sent Julafton, arrived Monday 28 December", at(12, 24, 10, 0), at(12, 28, 8, 0), at(12, 29, 0, 0)},
		{"Midsummer: sent Midsommarafton, arrived Monday", at(6, 19, 9, 0), at(6, 22, 7, 0), at(6, 23, 0, 0)},
		{"a long outage: sent ten days before arrival, already overdue", at(3, 2, 9, 0), at(3, 12, 9, 0), at(3, 4, 0, 0)},
		{"skew: the central clock 5 minutes ahead across midnight: counted from arrival",
			at(3, 10, 0, 3), at(3, 9, 23, 58), at(3, 11, 0, 0)},
		{"skew: the central clock 3 days ahead: counted from arrival", at(3, 12, 9, 0), at(3, 9, 9, 0), at(3, 11, 0, 0)},
	}
}()

// dueEnd is the last instant of the Stockholm day of d.
func dueEnd(d time.Time) time.Time {
	y, m, dd := d.In(workday.Stockholm()).Date()
	return time.Date(y, m, dd, 23, 59, 59, 999999999, workday.Stockholm())
}

// TestDueFromAcceptTime: a new case is due two working days after the day
// the central store accepted it, whether it comes as a central event or
// through Receive; its arrival stays the gateway's time.
func TestDueFromAcceptTime(t *testing.T) {
	ctx := context.Background()
	for _, tt := range dueTests {
		t.Run(tt.name, func(t *testing.T) {
			for _, via := range []string{"inbound", "receive"} {
				svc, clock := dueEnv(t)
				clock.Set(tt.arrived)
				sub := dueSub(tt.accepted)
				var id cases.ID
				if via == "inbound" {
					id = cases.ID("06fd000000000000000000000a")
					in := []cases.Inbound{{Kind: cases.InboundCreated, EventID: "ev-1", CaseID: id, At: tt.accepted, Submission: &sub}}
					if rep, err := svc.ApplyInbound(ctx, in, 1); err != nil || rep.Applied != 1 {
						t.Fatalf("%s: apply %+v %v", via, rep, err)
					}
				} else {
					c, err := svc.Receive(ctx, sub)
					if err != nil {
						t.Fatalf("%s: %v", via, err)
					}
					id = c.ID
				}
				c, err := svc.Get(ctx, dueDist, id)
				if err != nil {
					t.Fatal(err)
				}
				if want := dueEnd(tt.due); !c.DueAt.Equal(want) {
					t.Errorf("%s: due %s, want %s", via, c.DueAt.In(workday.Stockholm()).Format(time.DateTime+" Mon"),
						want.Format(time.DateTime+" Mon"))
				}
				if !c.ReceivedAt.Equal(tt.arrived) {
					t.Errorf("%s: arrival %v, want the gateway's clock %v", via, c.ReceivedAt, tt.arrived)
				}
				wantSent := tt.accepted
				if tt.accepted.After(tt.arrived) {
					wantSent = tt.arrived // clock skew: never later than arrival
				}
				if !c.SentAt.Equal(wantSent) {
					t.Errorf("%s: sent %v, want %v", via, c.SentAt, wantSent)
				}
				if !c.Messages[0].At.Equal(tt.accepted) {
					t.Errorf("%s: the patient's message is dated %v, want its time of record %v", via, c.Messages[0].At, tt.accepted)
				}
			}
		})
	}
}

func TestDueFrom(t *testing.T) {
	arrived := time.Date(2026, 3, 9, 8, 0, 0, 0, workday.Stockholm())
	for _, tt := range []struct {
		name           string
		accepted, want time.Time
	}{
		{"before arrival", arrived.Add(-60 * time.Hour), arrived.Add(-60 * time.Hour)},
		{"at arrival", arrived, arrived},
		{"unknown", time.Time{}, arrived},
		{"after arrival (skew)", arrived.Add(time.Millisecond), arrived},
	} {
		if got := cases.DueFrom(tt.accepted, arrived); !got.Equal(tt.want) {
			t.Errorf("%s: DueFrom = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestFollowUpDueFromAcceptTime: a patient's reply to a counter-question
// renews the due date from the central store's time of record of the
// reply, not from when the gateway pulled it; without one (zero) from its
// arrival.
func TestFollowUpDueFromAcceptTime(t *testing.T) {
	ctx := context.Background()
	tests := append(dueTests[:len(dueTests):len(dueTests)], struct {
		name              string
		accepted, arrived time.Time
		due               time.Time
	}{"no time of record: counted from arrival", time.Time{},
		time.Date(2026, 3, 9, 8, 0, 0, 0, workday.Stockholm()), time.Date(2026, 3, 11, 0, 0, 0, 0, workday.Stockholm())})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, clock := dueEnv(t)
			start := tt.arrived.AddDate(0, 0, -20)
			if !tt.accepted.IsZero() && tt.accepted.Before(start) {
				start = tt.accepted.AddDate(0, 0, -20)
			}
			id := dueWaiting(t, svc, clock, start)
			clock.Set(tt.arrived)
			in := []cases.Inbound{{Kind: cases.InboundFollowUp, EventID: "ev-2", CaseID: id, At: tt.accepted,
				MessageID: "06fd000000000000000000000c", Text: "Ja, 38,5."}}
			if rep, err := svc.ApplyInbound(ctx, in, 2); err != nil || rep.Applied != 1 {
				t.Fatalf("apply %+v %v", rep, err)
			}
			c, err := svc.Get(ctx, dueDist, id)
			if err != nil {
				t.Fatal(err)
			}
			if c.Status != cases.Assigned {
				t.Fatalf("status %s after the reply", c.Status)
			}
			if want := dueEnd(tt.due); !c.DueAt.Equal(want) {
				t.Errorf("due %s, want %s", c.DueAt.In(workday.Stockholm()).Format(time.DateTime+" Mon"), want.Format(time.DateTime+" Mon"))
			}
			if h := c.History[len(c.History)-1]; !h.At.Equal(tt.arrived) {
				t.Errorf("history of the reply at %v, want its arrival %v", h.At, tt.arrived)
			}
		})
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// TestSkewLogged: a page with a time of record after its arrival here is
// logged once, with the count and the largest skew, and no patient data;
// a page without skew logs nothing of it.
func TestSkewLogged(t *testing.T) {
	var logs strings.Builder
	arrived := time.Date(2026, 3, 9, 8, 0, 0, 0, workday.Stockholm())
	clock := clocktest.New(arrived)
	svc, err := cases.NewService(cases.ServiceConfig{Unit: casestest.Unit, Store: newMemStore(casestest.Unit),
		Clock: clock, Rand: rand.NewChaCha8([32]byte{'s'}), Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ok := dueSub(arrived.Add(-time.Hour))
	ahead := dueSub(arrived.Add(90 * time.Second))
	ahead.Patient.PNR = personnummer.Synthetic(time.Date(1981, 5, 17, 0, 0, 0, 0, time.UTC), 981)
	in := []cases.Inbound{
		{Kind: cases.InboundCreated, EventID: "ev-1", CaseID: "06fd000000000000000000000a", At: ok.SubmittedAt, Submission: &ok},
		{Kind: cases.InboundCreated, EventID: "ev-2", CaseID: "06fd000000000000000000000b", At: ahead.SubmittedAt, Submission: &ahead},
	}
	if _, err := svc.ApplyInbound(context.Background(), in[:1], 1); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "time of record after arrival") {
		t.Errorf("skew logged for a page without it:\n%s", logs.String())
	}
	if _, err := svc.ApplyInbound(context.Background(), in[1:], 2); err != nil {
		t.Fatal(err)
	}
	if got := logs.String(); strings.Count(got, "central time of record after arrival") != 1 ||
		!strings.Contains(got, "events=1") || !strings.Contains(got, "maxAhead=1m30s") || strings.Contains(got, "Testperson") {
		t.Errorf("logs:\n%s", got)
	}
}
