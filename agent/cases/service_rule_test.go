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
	"clinicgw/sync/logtest"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/workday"
)

// fixedRules is a catalogue's answer rules for the test: id → version, days.
type fixedRules map[casetype.Type][2]int

func (r fixedRules) Rule(id string) (version, days int) {
	v, ok := r[casetype.Type(id)]
	if !ok {
		return 0, 2
	}
	return v[0], v[1]
}

func (r fixedRules) RuleAt(id string, version int) (days int, known bool) {
	v, ok := r[casetype.Type(id)]
	if !ok {
		return 2, false
	}
	return v[1], v[0] == version
}

// TestServiceMadeYesterday: a case of a service that is not one of the
// built-in case types arrives, carries the service's version, and is due
// by the service's answer rule; a service with a shorter rule is due
// sooner, and the default stays two working days.
func TestServiceMadeYesterday(t *testing.T) {
	clock := clocktest.New(time.Time{})
	rules := fixedRules{"renew-assistive-device": {3, 2}, "test-results": {1, 1}, "request-certificate": {2, 5}}
	svc, err := cases.NewService(cases.ServiceConfig{Unit: casestest.Unit, Store: newMemStore(casestest.Unit),
		Clock: clock, Rand: rand.NewChaCha8([32]byte{'s', 'v', 'c'}), Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil)),
		Services: rules})
	if err != nil {
		t.Fatal(err)
	}
	s := workday.Stockholm()
	monday := time.Date(2026, 3, 9, 10, 0, 0, 0, s)
	clock.Set(monday)
	tests := []struct {
		typ     casetype.Type
		version int
		dueDay  int // of March 2026
	}{
		{"renew-assistive-device", 3, 11},
		{"test-results", 1, 10},
		{"request-certificate", 2, 16},
		{casetype.AdviceNurse, 0, 11},
	}
	for _, tt := range tests {
		sub := dueSub(monday)
		sub.Type = tt.typ
		c, err := svc.Receive(context.Background(), sub)
		if err != nil {
			t.Fatalf("%s: %v", tt.typ, err)
		}
		if c.Type != tt.typ || c.ServiceVersion != tt.version || c.DueAt.Day() != tt.dueDay {
			t.Errorf("%s: version %d due %v; want %d, March %d", tt.typ, c.ServiceVersion, c.DueAt, tt.version, tt.dueDay)
		}
	}
	// A list filter by a new service's id is valid too.
	got, err := svc.List(context.Background(), dueDist, cases.Filter{Type: "test-results"})
	if err != nil || len(got) != 1 {
		t.Fatalf("list by a new service: %d, %v", len(got), err)
	}
	// An id that is not a form id's syntax is refused.
	sub := dueSub(monday)
	sub.Type = "Not A Type"
	if _, err := svc.Receive(context.Background(), sub); err == nil {
		t.Error("a type of bad syntax was accepted")
	}
}

// historyRules is a catalogue whose service "renew" is at version 3 (one
// day to answer) and was at version 1 (five days).
type historyRules struct{}

func (historyRules) Rule(id string) (version, days int) { return 3, 1 }
func (historyRules) RuleAt(id string, version int) (days int, known bool) {
	switch version {
	case 3:
		return 1, true
	case 1:
		return 5, true
	}
	return 1, false
}

// TestCaseKeepsFormVersion: a case records the version of the service
// the patient wrote on, as the central store sent it, and that version's
// answer rule; without one, the current version; a version the catalogue
// does not know is recorded as sent under the current rule, the case
// arrives, and the log says so once.
func TestCaseKeepsFormVersion(t *testing.T) {
	clock := clocktest.New(time.Time{})
	logs := &logtest.Buffer{}
	svc, err := cases.NewService(cases.ServiceConfig{Unit: casestest.Unit, Store: newMemStore(casestest.Unit),
		Clock: clock, Rand: rand.NewChaCha8([32]byte{'v', 'e', 'r'}), Logger: slog.New(slog.NewJSONHandler(logs, nil)),
		Services: historyRules{}})
	if err != nil {
		t.Fatal(err)
	}
	monday := time.Date(2026, 3, 9, 10, 0, 0, 0, workday.Stockholm())
	clock.Set(monday)
	tests := []struct {
		sent, version, days int
	}{
		{0, 3, 1}, // an older central store: the current version
		{3, 3, 1},
		{1, 1, 5}, // written on version 1, version 3 published since
		{7, 7, 1}, // a version the catalogue does not know: as sent
	}
	for _, tt := range tests {
		sub := dueSub(monday)
		sub.Type = "renew"
		sub.FormVersion = tt.sent
		c, err := svc.Receive(context.Background(), sub)
		if err != nil {
			t.Fatalf("sent %d: %v", tt.sent, err)
		}
		days := c.AnswerDays
		if days == 0 {
			days = cases.DefaultAnswerDays
		}
		if c.ServiceVersion != tt.version || days != tt.days {
			t.Errorf("sent version %d: recorded version %d, %d answer days; want %d, %d", tt.sent, c.ServiceVersion, days, tt.version, tt.days)
		}
	}
	if n := strings.Count(logs.String(), "service version the catalogue does not know"); n != 1 {
		t.Errorf("the unknown version logged %d times, want once:\n%s", n, logs)
	}
}
