package cases

import (
	"time"

	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// Status is where a case is in the workflow.
type Status string

// The statuses of a case.
const (
	Received          Status = "received"            // in the unit's inbox, not assigned
	Assigned          Status = "assigned"            // a clinician has it
	PartiallyAnswered Status = "partially-answered"  // a partial answer was sent; still open
	WaitingForPatient Status = "waiting-for-patient" // a counter-question was sent
	Answered          Status = "answered"            // the final answer was sent
	Closed            Status = "closed"              // done, nothing more expected
	Withdrawn         Status = "withdrawn"           // the patient withdrew it
)

// Open reports whether the unit still owes the patient an answer.
func (s Status) Open() bool {
	switch s {
	case Received, Assigned, PartiallyAnswered:
		return true
	}
	return false
}

// ID identifies a case: the sync protocol's case id (sync/wire/caseid
// makes and checks it).
type ID = caseid.ID

// Person is a patient or a guardian.
type Person struct {
	PNR  personnummer.Personnummer `json:"pnr"`
	Name string                    `json:"name"`
}

// Field is one answer on the patient's form, in form order.
type Field struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	Value string `json:"value"`
}

// MessageKind says what a message in a case's thread is.
type MessageKind string

// The kinds of message.
const (
	FromPatient     MessageKind = "patient"          // the first message or a follow-up
	Answer          MessageKind = "answer"           // the final answer
	PartialAnswer   MessageKind = "partial-answer"   // part of the answer, more to come
	CounterQuestion MessageKind = "counter-question" // a question back to the patient
	// StaffFirst is the first message of a case a member of staff started
	// with the patient (invånarärende).
	StaffFirst MessageKind = "staff-first"
)

// Message is one entry in a case's thread.
type Message struct {
	ID        string      `json:"id"`
	Kind      MessageKind `json:"kind"`
	Author    string      `json:"author"` // staff HSA-ID, or "patient"
	Text      string      `json:"text"`
	Signature string      `json:"signature,omitempty"` // the clinician's personal signature
	// AuthorTitle is the staff author's title as the patient sees it.
	AuthorTitle string    `json:"authorTitle,omitempty"`
	At          time.Time `json:"at"`
}

// Event is one step in a case's history.
type Event struct {
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"` // HSA-ID, "patient" or "system"
	Action   Action    `json:"action"`
	From     Status    `json:"from,omitempty"`
	To       Status    `json:"to"`
	Assignee string    `json:"assignee,omitempty"`
	// Group is the case's queue after the step (Case.Group), when it has one.
	Group string `json:"group,omitempty"`
}

// Ref is a system's own reference to a case: an identifier in the
// system's own namespace (FHIR Identifier system and value).
type Ref struct {
	By     string    `json:"by"`     // the system's HSA-ID
	System string    `json:"system"` // the identifier's namespace, a URI
	Value  string    `json:"value"`
	At     time.Time `json:"at"`
}

// Case is a patient's errand with the care unit.
type Case struct {
	ID       ID            `json:"id"`
	Unit     string        `json:"unit"` // the care unit's HSA-ID
	Type     casetype.Type `json:"type"`
	Patient  Person        `json:"patient"`
	Guardian *Person       `json:"guardian,omitempty"` // set when a guardian acts for a child under 13
	Fields   []Field       `json:"fields,omitempty"`
	Status   Status        `json:"status"`
	Assignee string        `json:"assignee,omitempty"` // HSA-ID of the clinician who has it
	// Group is the id of the staff group whose queue the case was routed
	// to (groups.go); "" for the message administrator's inbox. It stays
	// when a member takes the case, so a hand-back returns it to the queue
	// and the statistics count it per group.
	Group string `json:"group,omitempty"`
	// SentAt is when the patient sent the case: the central store's time
	// of record for it (when it accepted the case), never later than
	// ReceivedAt (see DueFrom). The due date counts from it. For a case
	// staff started it is ReceivedAt. A record stored before clinicgw kept
	// it reads as ReceivedAt, from which its due date was counted.
	SentAt time.Time `json:"sentAt,omitzero"`
	// ReceivedAt is when the case arrived at this gateway, by its own
	// clock: the access log, the statistics (received per week, handling
	// time) and the archive's age count from it.
	ReceivedAt time.Time `json:"receivedAt"`
	// DueAt is when the unit must have answered: DueDate(SentAt), renewed
	// from the time of record of a patient's reply that reopens the case.
	DueAt time.Time `json:"dueAt"`
	// ServiceVersion is the version of the unit's service (Type) the case
	// was written on, by which it reads after the service changed or was
	// retired; 0 for a case from before the catalogue, or one staff
	// started.
	ServiceVersion int `json:"serviceVersion,omitempty"`
	// AnswerDays is the service's answer rule the case is due by, in
	// working days after the day of receipt; 0 means DefaultAnswerDays.
	AnswerDays int       `json:"answerDays,omitempty"`
	AnsweredAt time.Time `json:"answeredAt,omitzero"` // the first final answer
	ClosedAt   time.Time `json:"closedAt,omitzero"`
	Messages   []Message `json:"messages,omitempty"`
	History    []Event   `json:"history,omitempty"`
	// Subject is the subject line of a case staff started (Initiate);
	// empty for a patient's case.
	Subject string `json:"subject,omitempty"`
	// InitiatedBy is the HSA-ID of the member of staff who started the
	// case with the patient; empty for a patient's case.
	InitiatedBy string `json:"initiatedBy,omitempty"`
	// NoReply says the patient may not reply: staff started the case and
	// did not allow replies. False for every patient's case.
	NoReply bool `json:"noReply,omitempty"`
	// Relaxed names the fields ("text", "guardian", "fields[3].value") of
	// a patient's case that fail a version's rule of this clinicgw (a
	// limit it draws tighter than the central store, which accepted the
	// case): the case was stored flagged rather than dropped, and staff
	// see the flag. Empty for every case that meets this version's rules.
	Relaxed []string `json:"relaxed,omitempty"`
	// Refs are the unit's own systems' references to the case (the record
	// note's id), attached through the integration API (SystemUpdate) and
	// shown to staff; never sent to the patient side.
	Refs []Ref `json:"refs,omitempty"`
	// Version counts the case's committed changes; a write with a stale
	// version is refused (optimistic concurrency).
	Version uint64 `json:"version"`
}
