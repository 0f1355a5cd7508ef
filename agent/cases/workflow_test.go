package cases

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"
)

// The parties of the workflow tests. clinA is the clinician who has the
// case in every status where someone has it; clinB is another clinician,
// in no group; member is a clinician in the case's group (fixtureGroup),
// whose queue holds the case while no one has it.
type role string

const (
	rDist    role = "distributor"
	rClinA   role = "assigned-clinician"
	rClinB   role = "other-clinician"
	rMember  role = "group-member"
	rAdmin   role = "unit-admin"
	rAuditor role = "auditor"
	rPatient role = "patient"
	rSystem  role = "system"
	// rIntegration is a system of the unit's calling the integration API
	// (its record system): what it may do beyond reading, the API decides
	// from the directory (write-messages).
	rIntegration role = "integration"
)

var allRoles = []role{rDist, rClinA, rClinB, rMember, rAdmin, rAuditor, rPatient, rSystem, rIntegration}

// fixtureGroup is the group whose queue every fixture case was routed to;
// otherGroup is the queue Route moves it to.
const (
	fixtureGroup = "lakare"
	otherGroup   = "psykologer"
)

const (
	hsaDist    = "SE2321000016-D001"
	hsaClinA   = "SE2321000016-C001"
	hsaClinB   = "SE2321000016-C002"
	hsaMember  = "SE2321000016-C003"
	hsaAdmin   = "SE2321000016-U001"
	hsaAuditor = "SE2321000016-G001"
	hsaSystem  = "SE2321000016-9001"
	testUnit   = "SE2321000016-E001"
)

func actorFor(r role) Actor {
	switch r {
	case rDist:
		return Actor{Kind: Staff, HSAID: hsaDist, Roles: []Role{Distributor}}
	case rClinA:
		return Actor{Kind: Staff, HSAID: hsaClinA, Roles: []Role{Clinician}}
	case rClinB:
		return Actor{Kind: Staff, HSAID: hsaClinB, Roles: []Role{Clinician}, Groups: []string{otherGroup}}
	case rMember:
		return Actor{Kind: Staff, HSAID: hsaMember, Roles: []Role{Clinician}, Groups: []string{"fysio", fixtureGroup}}
	case rAdmin:
		return Actor{Kind: Staff, HSAID: hsaAdmin, Roles: []Role{UnitAdmin}}
	case rAuditor:
		return Actor{Kind: Staff, HSAID: hsaAuditor, Roles: []Role{Auditor}}
	case rPatient:
		return Actor{Kind: Patient}
	case rSystem:
		return Actor{Kind: System}
	case rIntegration:
		return IntegrationActor(hsaSystem)
	}
	panic("unknown role " + r)
}

// allActions is every Action, workflow or not.
var allActions = []Action{Receive, Assign, Reassign, TakeBack, HandBack, SendPartial, SendCounter,
	SendAnswer, Close, Withdraw, FollowUp, Take, Route, Read, List, ReadAccessLog}

// allStatuses is every Status and "" (a case not yet received).
var allStatuses = []Status{"", Received, Assigned, PartiallyAnswered, WaitingForPatient, Answered, Closed, Withdrawn}

// wantMoves is the workflow written out by hand, independently of the
// transitions table: every allowed (action, from) with its result and who
// may make it. Anything not listed is refused.
var wantMoves = []struct {
	action Action
	from   Status
	to     Status
	roles  []role
}{
	{Receive, "", Received, []role{rSystem}},

	{Assign, Received, Assigned, []role{rDist}},

	{Reassign, Assigned, Assigned, []role{rDist}},
	{Reassign, PartiallyAnswered, PartiallyAnswered, []role{rDist}},
	{Reassign, WaitingForPatient, WaitingForPatient, []role{rDist}},

	{TakeBack, Assigned, Received, []role{rDist}},
	{TakeBack, PartiallyAnswered, Received, []role{rDist}},
	{TakeBack, WaitingForPatient, Received, []role{rDist}},

	{HandBack, Assigned, Received, []role{rClinA}},
	{HandBack, PartiallyAnswered, Received, []role{rClinA}},

	// The unit's record system writes to the patient on an open case,
	// assigned or not (the clinician wrote in the record); staff answer
	// only the cases they have.
	{SendPartial, Received, PartiallyAnswered, []role{rIntegration}},
	{SendPartial, Assigned, PartiallyAnswered, []role{rClinA, rIntegration}},
	{SendPartial, PartiallyAnswered, PartiallyAnswered, []role{rClinA, rIntegration}},

	{SendCounter, Received, WaitingForPatient, []role{rIntegration}},
	{SendCounter, Assigned, WaitingForPatient, []role{rClinA, rIntegration}},
	{SendCounter, PartiallyAnswered, WaitingForPatient, []role{rClinA, rIntegration}},

	{SendAnswer, Received, Answered, []role{rIntegration}},
	{SendAnswer, Assigned, Answered, []role{rClinA, rIntegration}},
	{SendAnswer, PartiallyAnswered, Answered, []role{rClinA, rIntegration}},

	{Close, Answered, Closed, []role{rDist, rClinA, rSystem, rIntegration}},

	{Withdraw, Received, Withdrawn, []role{rPatient}},
	{Withdraw, Assigned, Withdrawn, []role{rPatient}},
	{Withdraw, PartiallyAnswered, Withdrawn, []role{rPatient}},
	{Withdraw, WaitingForPatient, Withdrawn, []role{rPatient}},

	{FollowUp, WaitingForPatient, Assigned, []role{rPatient}},
	{FollowUp, Answered, Received, []role{rPatient}},
	{FollowUp, Closed, Received, []role{rPatient}},
	{FollowUp, Received, Received, []role{rPatient}},
	{FollowUp, Assigned, Assigned, []role{rPatient}},
	{FollowUp, PartiallyAnswered, PartiallyAnswered, []role{rPatient}},

	// Only a member of the case's group takes it from the queue; the
	// distributor moves it between queues, or from its clinician to one.
	{Take, Received, Assigned, []role{rMember}},

	{Route, Received, Received, []role{rDist}},
	{Route, Assigned, Received, []role{rDist}},
	{Route, PartiallyAnswered, Received, []role{rDist}},
	{Route, WaitingForPatient, Received, []role{rDist}},
}

// wantRefusal is the expected error for a move not in wantMoves. The order
// of the checks is part of the contract: an action that is not a workflow
// action is an invalid command; a role that may never make the move is
// not allowed (every clinician counts as "a clinician" here); a status the
// move cannot start from, for that role, is illegal; a clinician who does
// not have the case (or is not in its group) is not allowed.
func wantRefusal(a Action, from Status, r role) error {
	var union []role
	var row []role
	gate := pick(r == rClinB || r == rMember, rClinA, r)
	for _, m := range wantMoves {
		if m.action != a {
			continue
		}
		var gates []role
		for _, r := range m.roles {
			gates = append(gates, pick(r == rClinB || r == rMember, rClinA, r))
		}
		union = append(union, gates...)
		if m.from == from && slices.Contains(gates, gate) {
			row = m.roles
		}
	}
	if len(union) == 0 {
		return ErrInvalidCommand
	}
	if !slices.Contains(union, gate) {
		return ErrNotAllowed
	}
	if row == nil {
		return ErrIllegalTransition
	}
	if !slices.Contains(row, r) {
		return ErrNotAllowed
	}
	return nil
}

var (
	wfReceived = time.Date(2026, 3, 2, 9, 0, 0, 0, workday.Stockholm()) // a Monday
	wfNow      = time.Date(2026, 3, 9, 14, 30, 0, 0, workday.Stockholm())
	wfPNR      = personnummer.Synthetic(time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC), 980)
)

// fixture returns a case in status st as the workflow would have left it.
func fixture(st Status) *Case {
	c := &Case{
		ID: "01jnjz5f8g0000000000000000", Unit: testUnit, Type: casetype.AdviceNurse,
		Patient: Person{PNR: wfPNR, Name: "Tolvan Kanariesson"},
		Fields:  []Field{{Name: "symptom", Label: "Besvär", Value: "ont i halsen"}},
		Status:  st, ReceivedAt: wfReceived, DueAt: DueDate(wfReceived), Version: 3, Group: fixtureGroup,
		Messages: []Message{{ID: "m1", Kind: FromPatient, Author: "patient", Text: "hej", At: wfReceived}},
		History:  []Event{{At: wfReceived, Actor: "system", Action: Receive, To: Received}},
	}
	switch st {
	case "":
		c.ReceivedAt, c.DueAt, c.Messages, c.History, c.Version, c.Group = time.Time{}, time.Time{}, nil, nil, 0, ""
	case Assigned, PartiallyAnswered, WaitingForPatient, Withdrawn:
		c.Assignee = hsaClinA
	case Answered:
		c.Assignee, c.AnsweredAt = hsaClinA, wfReceived.Add(time.Hour)
	case Closed:
		c.Assignee, c.AnsweredAt, c.ClosedAt = hsaClinA, wfReceived.Add(time.Hour), wfReceived.Add(2*time.Hour)
	}
	return c
}

// commandFor is a well-formed command for the action.
func commandFor(a Action) Command {
	switch a {
	case Receive:
		return Command{Action: a, Text: "hej"}
	case Assign:
		return Command{Action: a, Assignee: hsaClinA}
	case Reassign:
		return Command{Action: a, Assignee: hsaClinB}
	case SendPartial, SendCounter, SendAnswer:
		return Command{Action: a, Text: "svar", Signature: "Anna Andersson, sjuksköterska"}
	case FollowUp:
		return Command{Action: a, Text: "en fråga till"}
	case Route:
		return Command{Action: a, Group: otherGroup}
	}
	return Command{Action: a}
}

// wantMessage is the kind of message each action appends, if any.
var wantMessage = map[Action]MessageKind{
	Receive: FromPatient, SendPartial: PartialAnswer, SendCounter: CounterQuestion,
	SendAnswer: Answer, FollowUp: FromPatient,
}

func mustJSON(t *testing.T, c *Case) []byte {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestApplyEveryActionStatusRole(t *testing.T) {
	allowed := 0
	for _, a := range allActions {
		for _, st := range allStatuses {
			for _, r := range allRoles {
				name := fmt.Sprintf("%s/%s/%s", a, pick(st == "", "new", string(st)), r)
				t.Run(name, func(t *testing.T) {
					c := fixture(st)
					before := mustJSON(t, c)
					actor := actorFor(r)
					err := Apply(c, actor, commandFor(a), wfNow, "m2")
					want := wantRefusal(a, st, r)
					if want != nil {
						if !errors.Is(err, want) {
							t.Fatalf("Apply = %v, want %v", err, want)
						}
						var te *TransitionError
						if !errors.As(err, &te) || te.Action != a || te.From != st || te.Swedish() == "" {
							t.Errorf("error %#v is not a complete *TransitionError", err)
						}
						if after := mustJSON(t, c); !bytes.Equal(before, after) {
							t.Errorf("refused Apply changed the case:\n%s\n%s", before, after)
						}
						return
					}
					if err != nil {
						t.Fatalf("Apply = %v, want allowed", err)
					}
					allowed++
					checkMove(t, c, fixture(st), actor, a)
				})
			}
		}
	}
	want := 0
	for _, m := range wantMoves {
		want += len(m.roles)
	}
	if allowed != want {
		t.Errorf("%d moves allowed, want %d", allowed, want)
	}
}

// checkMove checks c after an allowed move a by actor from the fixture old.
func checkMove(t *testing.T, c, old *Case, actor Actor, a Action) {
	t.Helper()
	var to Status
	for _, m := range wantMoves {
		if m.action == a && m.from == old.Status {
			to = m.to
		}
	}
	if c.Status != to {
		t.Errorf("status %q, want %q", c.Status, to)
	}
	wantAssignee := old.Assignee
	switch {
	case a == Assign:
		wantAssignee = hsaClinA
	case a == Reassign:
		wantAssignee = hsaClinB
	case a == Take:
		wantAssignee = actor.HSAID
	case a == TakeBack || a == HandBack || a == Route:
		wantAssignee = ""
	case a == FollowUp && (old.Status == Answered || old.Status == Closed):
		wantAssignee = ""
	}
	if c.Assignee != wantAssignee {
		t.Errorf("assignee %q, want %q", c.Assignee, wantAssignee)
	}
	renew := a == Receive || a == FollowUp && old.Status != to
	if wantDue := pick(renew, DueDate(wfNow), old.DueAt); !c.DueAt.Equal(wantDue) {
		t.Errorf("due %v, want %v", c.DueAt, wantDue)
	}
	wantAnswered := pick(a == SendAnswer, wfNow, old.AnsweredAt)
	if !c.AnsweredAt.Equal(wantAnswered) {
		t.Errorf("answeredAt %v, want %v", c.AnsweredAt, wantAnswered)
	}
	wantClosed := old.ClosedAt
	if a == Close {
		wantClosed = wfNow
	} else if a == FollowUp && old.Status == Closed {
		wantClosed = time.Time{}
	}
	if !c.ClosedAt.Equal(wantClosed) {
		t.Errorf("closedAt %v, want %v", c.ClosedAt, wantClosed)
	}
	kind, ok := wantMessage[a]
	if got, want := len(c.Messages), len(old.Messages)+pick(ok, 1, 0); got != want {
		t.Fatalf("%d messages, want %d", got, want)
	}
	if ok {
		m := c.Messages[len(c.Messages)-1]
		cmd := commandFor(a)
		wantSig := pick(actor.Kind == Staff || actor.Kind == Integration, cmd.Signature, "")
		if m.Kind != kind || m.Author != actor.Name() || m.Text != cmd.Text || m.ID != "m2" ||
			!m.At.Equal(wfNow) || m.Signature != wantSig {
			t.Errorf("message %+v", m)
		}
	}
	if len(c.History) != len(old.History)+1 {
		t.Fatalf("%d events, want %d", len(c.History), len(old.History)+1)
	}
	ev := c.History[len(c.History)-1]
	wantGroup := pick(a == Route, otherGroup, old.Group)
	if c.Group != wantGroup {
		t.Errorf("group %q, want %q", c.Group, wantGroup)
	}
	want := Event{At: wfNow, Actor: actor.Name(), Action: a, From: old.Status, To: to, Assignee: wantAssignee, Group: wantGroup}
	if ev != want {
		t.Errorf("event %+v, want %+v", ev, want)
	}
	if c.Version != old.Version {
		t.Errorf("Apply changed the version to %d", c.Version)
	}
}

func TestTransitionTableUnambiguous(t *testing.T) {
	seen := map[string]bool{}
	for _, tr := range transitions {
		if tr.who == 0 {
			t.Errorf("%s: nobody may do it", tr.action)
		}
		for _, s := range tr.from {
			k := string(tr.action) + "/" + string(s)
			if tr.unassigned {
				k += "/unassigned" // replaces the row for a case with an assignee
			}
			if seen[k] {
				t.Errorf("two rows for %s", k)
			}
			seen[k] = true
			if s == Withdrawn {
				t.Errorf("%s leaves Withdrawn, which is final", tr.action)
			}
		}
	}
}

// TestFollowUpStaffStarted: the patient's reply to a case staff started
// goes to its clinician, or to the inbox when a distributor started it
// without one, and is refused where the unit allowed no reply.
func TestFollowUpStaffStarted(t *testing.T) {
	patient := Actor{Kind: Patient}
	tests := []struct {
		name     string
		assignee string
		noReply  bool
		want     Status
		wantErr  error
	}{
		{"clinician's case", "SE2321000016-C001", false, Assigned, nil},
		{"distributor's case", "", false, Received, nil},
		{"no reply allowed", "SE2321000016-C001", true, "", ErrNotAllowed},
		{"no reply allowed, unassigned", "", true, "", ErrNotAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &Case{Status: WaitingForPatient, Assignee: tc.assignee, NoReply: tc.noReply, InitiatedBy: "SE2321000016-C001"}
			err := Apply(c, patient, Command{Action: FollowUp, Text: "Tack"}, wfNow, "m1")
			if !errors.Is(err, tc.wantErr) || tc.wantErr == nil && err != nil {
				t.Fatalf("Apply: %v, want %v", err, tc.wantErr)
			}
			if err == nil && (c.Status != tc.want || c.Assignee != tc.assignee) {
				t.Errorf("status %s assignee %q, want %s %q", c.Status, c.Assignee, tc.want, tc.assignee)
			}
		})
	}
}

func TestApplyInvalidCommand(t *testing.T) {
	long := strings.Repeat("å", MaxTextRunes+1)
	tests := []struct {
		name  string
		from  Status
		r     role
		cmd   Command
		msgID string
	}{
		{"answer without text", Assigned, rClinA, Command{Action: SendAnswer}, "m"},
		{"answer with blank text", Assigned, rClinA, Command{Action: SendAnswer, Text: " \n\t"}, "m"},
		{"counter without text", PartiallyAnswered, rClinA, Command{Action: SendCounter}, "m"},
		{"partial without text", Assigned, rClinA, Command{Action: SendPartial}, "m"},
		{"follow-up without text", WaitingForPatient, rPatient, Command{Action: FollowUp}, "m"},
		{"answer too long", Assigned, rClinA, Command{Action: SendAnswer, Text: long}, "m"},
		{"answer not UTF-8", Assigned, rClinA, Command{Action: SendAnswer, Text: "hej \xff"}, "m"},
		{"answer with a multi-line title", Assigned, rClinA, Command{Action: SendAnswer, Text: "svar", AuthorTitle: "Läkare\nforged"}, "m"},
		{"answer with an HSA-ID as title", Assigned, rClinA, Command{Action: SendAnswer, Text: "svar", AuthorTitle: hsaClinA}, "m"},
		{"answer with a title too long", Assigned, rClinA, Command{Action: SendAnswer, Text: "svar", AuthorTitle: strings.Repeat("L", MaxTitleRunes+1)}, "m"},
		{"answer without message id", Assigned, rClinA, Command{Action: SendAnswer, Text: "svar"}, ""},
		{"answer with assignee", Assigned, rClinA, Command{Action: SendAnswer, Text: "svar", Assignee: hsaClinB}, "m"},
		{"assign without assignee", Received, rDist, Command{Action: Assign}, "m"},
		{"assign to a malformed HSA-ID", Received, rDist, Command{Action: Assign, Assignee: "SE1\nforged"}, "m"},
		{"reassign to the same", Assigned, rDist, Command{Action: Reassign, Assignee: hsaClinA}, "m"},
		{"close with text", Answered, rDist, Command{Action: Close, Text: "svar"}, "m"},
		{"withdraw with text", Received, rPatient, Command{Action: Withdraw, Text: "x"}, "m"},
		{"unknown action", Received, rDist, Command{Action: "delete"}, "m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fixture(tt.from)
			before := mustJSON(t, c)
			err := Apply(c, actorFor(tt.r), tt.cmd, wfNow, tt.msgID)
			if !errors.Is(err, ErrInvalidCommand) {
				t.Fatalf("Apply = %v, want ErrInvalidCommand", err)
			}
			if !bytes.Equal(before, mustJSON(t, c)) {
				t.Error("refused Apply changed the case")
			}
		})
	}
}

func TestApplyVersion(t *testing.T) {
	c := fixture(Assigned)
	cmd := commandFor(SendAnswer)
	cmd.Version = c.Version - 1
	if err := Apply(c, actorFor(rClinA), cmd, wfNow, "m"); !errors.Is(err, ErrConflict) {
		t.Fatalf("stale version: %v, want ErrConflict", err)
	}
	if c.Status != Assigned {
		t.Fatal("stale command changed the case")
	}
	cmd.Version = c.Version
	if err := Apply(c, actorFor(rClinA), cmd, wfNow, "m"); err != nil {
		t.Fatalf("current version: %v", err)
	}
}

// TestAuthorTitleKept: a staff message keeps its author's title, the
// patient's does not get one.
func TestAuthorTitleKept(t *testing.T) {
	for _, title := range []string{"Psykolog", "Sjuksköterska", "Läkare", "ST-läkare", "SE-specialist"} {
		c := fixture(Assigned)
		cmd := commandFor(SendAnswer)
		cmd.AuthorTitle = title
		if err := Apply(c, actorFor(rClinA), cmd, wfNow, "m1"); err != nil {
			t.Errorf("title %q: %v", title, err)
		}
	}
	c := fixture(Assigned)
	cmd := commandFor(SendAnswer)
	cmd.AuthorTitle = "Distriktssköterska"
	if err := Apply(c, actorFor(rClinA), cmd, wfNow, "m1"); err != nil {
		t.Fatal(err)
	}
	if got := c.Messages[len(c.Messages)-1].AuthorTitle; got != "Distriktssköterska" {
		t.Errorf("staff message title %q", got)
	}
	follow := commandFor(FollowUp)
	follow.AuthorTitle = "Läkare"
	if err := Apply(c, actorFor(rPatient), follow, wfNow, "m2"); err != nil {
		t.Fatal(err)
	}
	if got := c.Messages[len(c.Messages)-1].AuthorTitle; got != "" {
		t.Errorf("patient message title %q, want none", got)
	}
}

func TestAnsweredAtIsTheFirstAnswer(t *testing.T) {
	c := fixture(Answered)
	first := c.AnsweredAt
	steps := []struct {
		r   role
		cmd Command
	}{
		{rPatient, commandFor(FollowUp)},
		{rDist, commandFor(Assign)},
		{rClinA, commandFor(SendAnswer)},
	}
	for _, s := range steps {
		if err := Apply(c, actorFor(s.r), s.cmd, wfNow, "m"); err != nil {
			t.Fatalf("%s: %v", s.cmd.Action, err)
		}
	}
	if c.Status != Answered || !c.AnsweredAt.Equal(first) {
		t.Errorf("status %s answeredAt %v, want answered at %v", c.Status, c.AnsweredAt, first)
	}
}

func TestTransitionErrorText(t *testing.T) {
	tests := []struct {
		from      Status
		r         role
		cmd       Command
		wantSv    string
		wantError string
	}{
		{Answered, rClinA, commandFor(SendAnswer), "Ärendet är redan besvarat.", "answer refused (case answered): the case is already answered"},
		{Assigned, rClinB, commandFor(SendAnswer), "Bara den som har ärendet kan svara.", "only the assigned clinician can answer"},
		{Withdrawn, rDist, commandFor(Reassign), "Ärendet är återkallat av patienten.", "withdrawn"},
		{Assigned, rAdmin, commandFor(Assign), "Du har inte behörighet att göra detta.", "role does not permit"},
		{Assigned, rClinA, Command{Action: SendAnswer}, "Skriv ett meddelande först.", "text is required"},
	}
	for _, tt := range tests {
		c := fixture(tt.from)
		if tt.cmd.Text != "" {
			tt.cmd.Text += " Tolvan Kanariesson " + string(wfPNR)
		}
		err := Apply(c, actorFor(tt.r), tt.cmd, wfNow, "m")
		var te *TransitionError
		if !errors.As(err, &te) {
			t.Fatalf("%s from %s: %v, want *TransitionError", tt.cmd.Action, tt.from, err)
		}
		if te.Swedish() != tt.wantSv {
			t.Errorf("Swedish() = %q, want %q", te.Swedish(), tt.wantSv)
		}
		if !strings.Contains(err.Error(), tt.wantError) {
			t.Errorf("Error() = %q, want it to contain %q", err, tt.wantError)
		}
		for _, canary := range []string{"Kanariesson", string(wfPNR), "halsen"} {
			if strings.Contains(err.Error()+te.Swedish(), canary) {
				t.Errorf("error text carries patient data: %q", err)
			}
		}
	}
}

func TestCanRead(t *testing.T) {
	// want lists, per role, whether it may read a case that clinA has and
	// one that nobody has.
	// A member of the case's group reads it only while it waits in the
	// queue; a clinician of another group never.
	want := map[role][2]bool{
		rDist: {true, true}, rClinA: {true, false}, rClinB: {false, false}, rMember: {false, true},
		rAdmin: {false, false}, rAuditor: {false, false}, rPatient: {true, true}, rSystem: {true, true}, rIntegration: {true, true},
	}
	for _, r := range allRoles {
		for i, st := range []Status{Assigned, Received} {
			if got := CanRead(actorFor(r), fixture(st)); got != want[r][i] {
				t.Errorf("CanRead(%s, %s case) = %v, want %v", r, st, got, want[r][i])
			}
		}
	}
	both := Actor{Kind: Staff, HSAID: hsaClinB, Roles: []Role{Clinician, Distributor}}
	if !CanRead(both, fixture(Assigned)) {
		t.Error("a clinician who is also distributor cannot read the unit's cases")
	}
	for _, a := range []Actor{
		{Kind: Staff, HSAID: "", Roles: []Role{Distributor}},
		{Kind: Staff, HSAID: hsaClinA + "\n", Roles: []Role{Clinician}},
		{Kind: "", HSAID: hsaClinA, Roles: []Role{Clinician}},
		{Kind: Staff, HSAID: hsaClinA},
	} {
		if CanRead(a, fixture(Assigned)) {
			t.Errorf("CanRead(%+v) = true for a malformed actor", a)
		}
	}
}

func TestKnownType(t *testing.T) {
	for _, ty := range casetype.All {
		if !casetype.Known(ty) {
			t.Errorf("casetype.Known(%s) = false", ty)
		}
	}
	if len(casetype.All) != 11 {
		t.Errorf("%d types, want the seeds' 11", len(casetype.All))
	}
	if casetype.Known("") || casetype.Known("book-appointment ") {
		t.Error("KnownType accepts an unknown type")
	}
}

// pick returns a if cond, else b.
func pick[T any](cond bool, a, b T) T {
	if cond {
		return a
	}
	return b
}
