package cases

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"clinicgw/sync/wire/hsaid"
)

// Errors a refused workflow command wraps; match with errors.Is.
var (
	// ErrNotAllowed: the actor may not do this (wrong role, not the assignee).
	ErrNotAllowed = errors.New("not allowed")
	// ErrIllegalTransition: the case's status does not allow the action.
	ErrIllegalTransition = errors.New("illegal transition")
	// ErrInvalidCommand: the command itself is malformed (missing text or
	// assignee, the same assignee again, an unknown action, …).
	ErrInvalidCommand = errors.New("invalid command")
)

// TransitionError is a refused workflow command. It names the action and the
// case's status, never anything about the patient.
type TransitionError struct {
	Action Action
	From   Status // "" for a case not yet received
	Reason string // English, for logs and developers
	Err    error  // ErrNotAllowed, ErrIllegalTransition, ErrInvalidCommand or ErrConflict
	sv     string // Swedish, for the UI
}

// Error describes the refusal in English.
func (e *TransitionError) Error() string {
	if e.From == "" {
		return fmt.Sprintf("%s refused: %s", e.Action, e.Reason)
	}
	return fmt.Sprintf("%s refused (case %s): %s", e.Action, e.From, e.Reason)
}

// Unwrap returns the sentinel error the refusal wraps.
func (e *TransitionError) Unwrap() error { return e.Err }

// Swedish describes the refusal for the user, in Swedish.
func (e *TransitionError) Swedish() string {
	if e.sv != "" {
		return e.sv
	}
	switch {
	case errors.Is(e.Err, ErrNotAllowed):
		return swedish("cases.refused.notAllowed")
	case errors.Is(e.Err, ErrIllegalTransition):
		return swedish("cases.refused.illegal")
	case errors.Is(e.Err, ErrConflict):
		return swedish("cases.refused.conflict")
	}
	return swedish("cases.refused.other")
}

// Command is a request to move a case through the workflow.
type Command struct {
	Action    Action
	Assignee  string // HSA-ID: the clinician for Assign and Reassign
	Text      string // the message for answers, counter-questions and follow-ups
	Signature string // the clinician's personal signature, kept with staff messages
	// AuthorTitle is the author's title as the patient sees it with a staff
	// message ("Sjuksköterska"), from the staff directory; never an HSA-ID.
	// Empty: the patient side shows a neutral title.
	AuthorTitle string
	// Group is the queue Route moves the case to: a group's id, or "" for
	// the message administrator's inbox. Only Route takes it.
	Group   string
	Version uint64 // the case.Version the caller saw; 0 = don't check
	// SentAt is, for a patient's action that came through the central
	// store, the store's time of record of it (when it accepted it). A
	// due date the action renews counts from it (DueFrom); zero: from now.
	SentAt time.Time
	// textChecked: Text is a patient's follow-up the sync protocol
	// checked (Inbound.TextChecked), valid UTF-8 within MaxTextRunes, and
	// the command carries no signature or title: not checked again.
	textChecked bool
}

// who is a set of the parties that may make a move.
type who uint8

const (
	bySystem      who = 1 << iota // the gateway itself
	byDistributor                 // staff with the Distributor role
	byAssignee                    // staff with the Clinician role who has the case
	byPatient                     // the patient or guardian, through the central store
	// byGroupMember: staff with the Clinician role in the group whose
	// queue holds the case (Case.Group), while no one has it.
	byGroupMember
	// byIntegration: a system of the unit's (its record system) through
	// the integration API; the API admits only a system the directory
	// lets write messages (agent/fhirapi).
	byIntegration
)

// textRule says whether a command carries text.
type textRule uint8

const (
	textNone textRule = iota
	textOptional
	textRequired
)

// assigneeRule says what a move does to the case's assignee.
type assigneeRule uint8

const (
	keepAssignee   assigneeRule = iota
	setAssignee                 // cmd.Assignee becomes the assignee (required)
	changeAssignee              // as setAssignee, and it must differ from the current one
	clearAssignee
	selfAssignee // the actor becomes the assignee; the command names none
)

// transition is one row of the workflow: action from any of the statuses
// to a status, by whom, and what else changes.
type transition struct {
	action   Action
	from     []Status // "" is a case not yet received
	to       Status   // sameStatus keeps the status
	who      who
	text     textRule
	assignee assigneeRule
	message  MessageKind // appended when set
	renewDue bool        // DueAt = DueDate(DueFrom(cmd.SentAt, now))
	answered bool        // sets AnsweredAt when zero
	closed   bool        // sets ClosedAt
	reopen   bool        // clears ClosedAt
	// unassigned limits the row to a case without an assignee; such a row
	// comes after the one it replaces.
	unassigned bool
	// route sets the case's Group to cmd.Group (the only rows that take a
	// group).
	route bool
}

// sameStatus in a transition's to keeps the case's status.
const sameStatus Status = "="

// active are the statuses in which a clinician has the case.
var active = []Status{Assigned, PartiallyAnswered, WaitingForPatient}

// answering are the statuses in which the assigned clinician may write.
var answering = []Status{Assigned, PartiallyAnswered}

// transitions is the workflow. Withdrawn appears in no from list: it is final.
var transitions = []transition{
	{action: Receive, from: []Status{""}, to: Received, who: bySystem,
		text: textOptional, message: FromPatient, renewDue: true},
	{action: Assign, from: []Status{Received}, to: Assigned, who: byDistributor,
		assignee: setAssignee},
	{action: Reassign, from: active, to: sameStatus, who: byDistributor,
		assignee: changeAssignee},
	{action: TakeBack, from: active, to: Received, who: byDistributor,
		assignee: clearAssignee},
	// A member of the case's group takes it from the group's queue.
	{action: Take, from: []Status{Received}, to: Assigned, who: byGroupMember,
		assignee: selfAssignee},
	// The distributor moves a case between queues (a group's, the inbox),
	// or from its clinician to a queue.
	{action: Route, from: []Status{Received}, to: sameStatus, who: byDistributor, route: true},
	{action: Route, from: active, to: Received, who: byDistributor, route: true,
		assignee: clearAssignee},
	{action: HandBack, from: answering, to: Received, who: byAssignee,
		assignee: clearAssignee},
	{action: SendPartial, from: answering, to: PartiallyAnswered, who: byAssignee | byIntegration,
		text: textRequired, message: PartialAnswer},
	{action: SendCounter, from: answering, to: WaitingForPatient, who: byAssignee | byIntegration,
		text: textRequired, message: CounterQuestion},
	{action: SendAnswer, from: answering, to: Answered, who: byAssignee | byIntegration,
		text: textRequired, message: Answer, answered: true},
	// The record system writes to the patient on a case no one has yet
	// (the clinician wrote in the record); the case keeps no assignee.
	{action: SendPartial, from: []Status{Received}, to: PartiallyAnswered, who: byIntegration,
		text: textRequired, message: PartialAnswer},
	{action: SendCounter, from: []Status{Received}, to: WaitingForPatient, who: byIntegration,
		text: textRequired, message: CounterQuestion},
	{action: SendAnswer, from: []Status{Received}, to: Answered, who: byIntegration,
		text: textRequired, message: Answer, answered: true},
	{action: Close, from: []Status{Answered}, to: Closed, who: byDistributor | byAssignee | bySystem | byIntegration,
		closed: true},
	{action: Withdraw, from: []Status{Received, Assigned, PartiallyAnswered, WaitingForPatient}, to: Withdrawn,
		who: byPatient},
	{action: FollowUp, from: []Status{WaitingForPatient}, to: Assigned, who: byPatient,
		text: textRequired, message: FromPatient, renewDue: true},
	// A distributor started the case with no one assigned: the reply goes
	// to the inbox.
	{action: FollowUp, from: []Status{WaitingForPatient}, to: Received, who: byPatient,
		text: textRequired, message: FromPatient, renewDue: true, unassigned: true},
	{action: FollowUp, from: []Status{Answered, Closed}, to: Received, who: byPatient,
		text: textRequired, message: FromPatient, renewDue: true, assignee: clearAssignee, reopen: true},
	{action: FollowUp, from: []Status{Received, Assigned, PartiallyAnswered}, to: sameStatus, who: byPatient,
		text: textRequired, message: FromPatient},
}

// mayEver reports whether the actor is of a kind or role that w admits,
// before looking at who has the case.
func (w who) mayEver(a Actor) bool {
	switch a.Kind {
	case System:
		return w&bySystem != 0
	case Patient:
		return w&byPatient != 0
	case Integration:
		return w&byIntegration != 0 && hsaid.Valid(a.HSAID)
	case Staff:
		if !hsaid.Valid(a.HSAID) {
			return false
		}
		return (w&byDistributor != 0 && a.Has(Distributor)) || (w&(byAssignee|byGroupMember) != 0 && a.Has(Clinician))
	}
	return false
}

// may reports whether the actor may make the move on c.
func (w who) may(a Actor, c *Case) bool {
	switch a.Kind {
	case System, Patient, Integration:
		return w.mayEver(a)
	case Staff:
		if !hsaid.Valid(a.HSAID) {
			return false
		}
		if w&byDistributor != 0 && a.Has(Distributor) {
			return true
		}
		if w&byGroupMember != 0 && inQueueOf(a, c) {
			return true
		}
		return w&byAssignee != 0 && a.Has(Clinician) && c.Assignee != "" && c.Assignee == a.HSAID
	}
	return false
}

// Apply checks cmd against the workflow and, when it is allowed, applies it
// to c at time now: status, assignee, due date, timestamps, the message
// (with id msgID, written by actor.Name()) and a History event. A refused
// command returns a *TransitionError and leaves c unchanged.
func Apply(c *Case, actor Actor, cmd Command, now time.Time, msgID string) error {
	t, err := check(c, actor, cmd, msgID)
	if err != nil {
		return err
	}
	from := c.Status
	if t.to != sameStatus {
		c.Status = t.to
	}
	switch t.assignee {
	case setAssignee, changeAssignee:
		c.Assignee = cmd.Assignee
	case selfAssignee:
		c.Assignee = actor.HSAID
	case clearAssignee:
		c.Assignee = ""
	}
	if t.route {
		c.Group = cmd.Group
	}
	if t.renewDue {
		c.DueAt = DueWithin(DueFrom(cmd.SentAt, now), c.answerDays())
	}
	if t.answered && c.AnsweredAt.IsZero() {
		c.AnsweredAt = now
	}
	if t.closed {
		c.ClosedAt = now
	}
	if t.reopen {
		c.ClosedAt = time.Time{}
	}
	if t.message != "" {
		m := Message{ID: msgID, Kind: t.message, Author: actor.Name(), Text: cmd.Text, At: now}
		if actor.Kind == Staff || actor.Kind == Integration {
			m.Signature, m.AuthorTitle = cmd.Signature, cmd.AuthorTitle
		}
		c.Messages = append(c.Messages, m)
	}
	c.History = append(c.History, Event{
		At: now, Actor: actor.Name(), Action: cmd.Action,
		From: from, To: c.Status, Assignee: c.Assignee, Group: c.Group,
	})
	return nil
}

// check validates cmd on c without changing anything and returns the row
// that applies. The order of checks decides which error a caller sees:
// the version, the actor's role, the case's status, who has the case, and
// last the command's own fields.
func check(c *Case, actor Actor, cmd Command, msgID string) (transition, error) {
	refuse := func(err error, reason, sv string) (transition, error) {
		return transition{}, &TransitionError{Action: cmd.Action, From: c.Status, Reason: reason, Err: err, sv: sv}
	}
	var buf [8]transition // more rows than any action has: on the stack
	rows := buf[:0]
	for _, t := range transitions {
		if t.action == cmd.Action {
			rows = append(rows, t)
		}
	}
	if len(rows) == 0 {
		return refuse(ErrInvalidCommand, "not a workflow action", swedish("cases.refused.unknownAction"))
	}
	if cmd.Version != 0 && cmd.Version != c.Version {
		return refuse(ErrConflict, "the case was changed by someone else", "")
	}
	var anyone who
	for _, t := range rows {
		anyone |= t.who
	}
	if !anyone.mayEver(actor) {
		return refuse(ErrNotAllowed, "the actor's role does not permit this action", "")
	}
	var t transition
	found := false
	for _, r := range rows {
		if r.unassigned && c.Assignee != "" || !r.who.mayEver(actor) {
			continue // a row for others: its statuses are not this actor's
		}
		for _, s := range r.from {
			if s == c.Status {
				t, found = r, true
			}
		}
	}
	if !found {
		reason, sv := illegalReason(cmd.Action, c.Status)
		return refuse(ErrIllegalTransition, reason, sv)
	}
	if !t.who.may(actor, c) {
		reason, sv := notAssigneeReason(cmd.Action)
		return refuse(ErrNotAllowed, reason, sv)
	}
	if cmd.Action == FollowUp && c.NoReply {
		return refuse(ErrNotAllowed, "the unit did not allow replies in this case", swedish("cases.refused.noReplies"))
	}
	switch t.text {
	case textNone:
		if cmd.Text != "" {
			return refuse(ErrInvalidCommand, "this action takes no text", swedish("cases.refused.noTextTaken"))
		}
	case textRequired:
		if strings.TrimSpace(cmd.Text) == "" {
			return refuse(ErrInvalidCommand, "text is required", swedish("cases.refused.textRequired"))
		}
	}
	checked := cmd.textChecked && cmd.Signature == "" && cmd.AuthorTitle == ""
	if !checked && (!utf8.ValidString(cmd.Text) || !utf8.ValidString(cmd.Signature) || !utf8.ValidString(cmd.AuthorTitle)) {
		return refuse(ErrInvalidCommand, "text is not valid UTF-8", swedish("cases.refused.badText"))
	}
	if !checked && utf8.RuneCountInString(cmd.Text)+utf8.RuneCountInString(cmd.Signature) > MaxTextRunes {
		return refuse(ErrInvalidCommand, fmt.Sprintf("text is longer than %d characters", MaxTextRunes),
			swedish("cases.refused.longText", strconv.Itoa(MaxTextRunes)))
	}
	if utf8.RuneCountInString(cmd.AuthorTitle) > MaxTitleRunes || strings.ContainsAny(cmd.AuthorTitle, "\r\n") || hsaid.Contains(cmd.AuthorTitle) {
		return refuse(ErrInvalidCommand, fmt.Sprintf("the author title must be one line of at most %d characters and not an HSA-ID", MaxTitleRunes), "")
	}
	if t.message != "" && msgID == "" {
		return refuse(ErrInvalidCommand, "no message id", "")
	}
	switch {
	case !t.route && cmd.Group != "":
		return refuse(ErrInvalidCommand, "this action takes no group", swedish("cases.refused.noGroupTaken"))
	case t.route && cmd.Group != "" && !ValidGroupID(cmd.Group):
		return refuse(ErrInvalidCommand, "the group is not a valid group id", swedish("cases.refused.noSuchGroup"))
	case t.route && c.Status == Received && cmd.Group == c.Group:
		return refuse(ErrInvalidCommand, "the case is already in this queue", swedish("cases.refused.sameGroup"))
	}
	switch t.assignee {
	case setAssignee, changeAssignee:
		if cmd.Assignee == "" {
			return refuse(ErrInvalidCommand, "an assignee is required", swedish("cases.refused.chooseAssignee"))
		}
		if !hsaid.Valid(cmd.Assignee) {
			return refuse(ErrInvalidCommand, "the assignee is not a valid HSA-ID", swedish("cases.refused.badAssignee"))
		}
		if t.assignee == changeAssignee && cmd.Assignee == c.Assignee {
			return refuse(ErrInvalidCommand, "the case already has this assignee",
				swedish("cases.refused.sameAssignee"))
		}
	default:
		if cmd.Assignee != "" {
			return refuse(ErrInvalidCommand, "this action takes no assignee", swedish("cases.refused.noAssigneeTaken"))
		}
	}
	return t, nil
}

// illegalReason explains why action cannot start from status.
func illegalReason(action Action, from Status) (string, string) {
	switch from {
	case "":
		return "the case has not been received", swedish("cases.refused.notReceived")
	case Withdrawn:
		return "the patient has withdrawn the case", swedish("cases.refused.withdrawn")
	case Answered:
		return "the case is already answered", swedish("cases.refused.answered")
	case Closed:
		return "the case is closed", swedish("cases.refused.closed")
	}
	switch action {
	case Receive:
		return "the case is already received", swedish("cases.refused.received")
	case Assign:
		return "the case is already assigned", swedish("cases.refused.assigned")
	case Take:
		return "the case is not in a queue", swedish("cases.refused.assigned")
	case Reassign, TakeBack, HandBack, SendPartial, SendCounter, SendAnswer:
		if from == Received {
			return "the case is not assigned", swedish("cases.refused.notAssigned")
		}
		if from == WaitingForPatient {
			return "the case is waiting for the patient", swedish("cases.refused.waiting")
		}
	case Close:
		return "only an answered case can be closed", swedish("cases.refused.closeAnswered")
	}
	return fmt.Sprintf("not allowed from status %s", from),
		swedish("cases.refused.illegal")
}

// notAssigneeReason explains why a clinician who does not have the case
// cannot make the move.
func notAssigneeReason(action Action) (string, string) {
	switch action {
	case SendPartial, SendCounter, SendAnswer:
		return "only the assigned clinician can answer", swedish("cases.refused.onlyAssigneeAnswers")
	case HandBack:
		return "only the assigned clinician can hand the case back", swedish("cases.refused.onlyAssigneeHandsBack")
	case Close:
		return "only a distributor or the assigned clinician can close the case",
			swedish("cases.refused.onlyDistributorCloses")
	case Take:
		return "only a member of the case's group can take it from the group's queue",
			swedish("cases.refused.onlyGroupTakes")
	}
	return "the actor may not do this to this case", ""
}

// CanRead reports whether actor may read c's content: a distributor every
// case (of the unit the store holds), a clinician the cases assigned to
// them and the unassigned cases in the queues of their groups (to choose
// one to take), the unit administrator and the auditor none (they see
// statistics and the access log), the patient side and the system every
// case (the sync).
func CanRead(actor Actor, c *Case) bool {
	switch actor.Kind {
	case Patient, System:
		return true
	case Integration:
		return hsaid.Valid(actor.HSAID)
	case Staff:
		if !hsaid.Valid(actor.HSAID) {
			return false
		}
		if actor.Has(Distributor) {
			return true
		}
		if inQueueOf(actor, c) {
			return true
		}
		return actor.Has(Clinician) && c.Assignee != "" && c.Assignee == actor.HSAID
	}
	return false
}

// inQueueOf reports whether c waits in the queue of one of a's groups and
// a, a clinician, may take it from there: received, no one has it.
func inQueueOf(a Actor, c *Case) bool {
	return a.Has(Clinician) && c.Group != "" && c.Assignee == "" && c.Status == Received &&
		slices.Contains(a.Groups, c.Group)
}
