package wire

import (
	"bytes"
	"slices"
	"time"
)

// EventKind says what happened on the patient side.
type EventKind string

// The kinds of event.
const (
	EventCaseCreated   EventKind = "case.created"   // a patient (or guardian) wrote a new case; Event.Case is set
	EventCaseFollowUp  EventKind = "case.followup"  // the patient wrote again in a case; Event.Message is set
	EventCaseWithdrawn EventKind = "case.withdrawn" // the patient withdrew the case
)

// eventKinds lists every EventKind, in the order openapi.json lists them.
var eventKinds = []EventKind{EventCaseCreated, EventCaseFollowUp, EventCaseWithdrawn}

// Valid reports whether k is one of the EventKind values.
func (k EventKind) Valid() bool { return slices.Contains(eventKinds, k) }

// Event is one thing that happened on the patient side, for the unit.
type Event struct {
	// Seq is the event's position in the unit's stream: 1, 2, 3, … with no
	// reuse; at most MaxSeq.
	Seq uint64 `json:"seq"`
	// ID identifies the event uniquely and for ever (1..MaxIDLen characters
	// of A–Z a–z 0–9 . _ -); the gateway uses it to apply an event once.
	ID string `json:"id"`
	// Kind is what happened.
	Kind EventKind `json:"kind"`
	// CaseID is the central store's id of the case, which is also the
	// gateway's case id: 26 characters of lower-case Crockford base32, the
	// first 0–7.
	CaseID string `json:"caseId"`
	// At is when it happened on the patient side: the central store's
	// time of record, when it accepted the patient's action and committed
	// the event (by its own clock). It is not when the gateway fetched the
	// event: the gateway counts the unit's two working days to answer a
	// new case or a reply from it, and keeps its own arrival time beside
	// it (see the package doc, Times).
	At time.Time `json:"at"`
	// Case is the new case; set exactly when Kind is EventCaseCreated.
	Case *NewCase `json:"case,omitempty"`
	// Message is the patient's new message; set exactly when Kind is
	// EventCaseFollowUp.
	Message *PatientMessage `json:"message,omitempty"`
	// Sealed is the event's content sealed to the unit (sealed.go): set
	// in place of Case or Message for a unit that switched sealing on.
	Sealed string `json:"sealed,omitempty"`
	// Route is what the central store needs in the clear of a sealed
	// event to take it back from the gateway (sealedroute.go); only
	// beside Sealed, and absent from events sealed before it existed.
	Route *SealedRoute `json:"route,omitempty"`
}

// NewCase is a case as the patient submitted it on one of the unit's forms.
type NewCase struct {
	// Type is the case type: the ID of the Form it was written on.
	Type string `json:"type"`
	// Patient is whom the case is about.
	Patient Person `json:"patient"`
	// Guardian is set when a guardian writes for a child; the gateway checks
	// the ages.
	Guardian *Person `json:"guardian,omitempty"`
	// Fields are the answers on the form, in form order (at most MaxFields).
	Fields []Field `json:"fields,omitzero"`
	// Text is the patient's free text (at most MaxTextLen characters; line
	// breaks allowed). A case has text, fields, or both.
	Text string `json:"text,omitempty"`
	// FormVersion is the version of the form (Form.Version) the patient
	// submitted on, 1..MaxFormVersion; protocol v2 only (a v1 inbox page
	// never carries it). 0 (absent): not known, as from an older central
	// store; the gateway then records its current version.
	FormVersion int `json:"formVersion,omitempty"`
}

// Person is a patient or a guardian.
type Person struct {
	// PNR is the personnummer or samordningsnummer as 12 digits,
	// YYYYMMDDNNNC. The wire checks only the shape; the gateway checks the
	// date and the check digit.
	PNR string `json:"pnr"`
	// Name is the person's name, as registered (single line, at most
	// MaxNameLen characters).
	Name string `json:"name"`
}

// Field is one answer on a form.
type Field struct {
	Name  string `json:"name"`  // the FormField's Name
	Label string `json:"label"` // the label the patient saw, single line, at most MaxLabelLen
	Value string `json:"value"` // the answer, at most MaxFieldValueLen; line breaks allowed; may be empty
}

// PatientMessage is a follow-up message from the patient in an existing case.
type PatientMessage struct {
	ID   string `json:"id"`   // unique message id (as Event.ID)
	Text string `json:"text"` // 1..MaxTextLen characters; line breaks allowed
}

// InboxPage is the answer to GET PathInbox.
type InboxPage struct {
	// Events are in increasing Seq order, each after the request's cursor,
	// at most the request's limit.
	Events []Event `json:"events"`
	// Cursor is the Seq of the last event returned, or the request's after
	// when there are none. The gateway acknowledges it once the page is
	// stored.
	Cursor uint64 `json:"cursor"`
	// More says that further events were ready when the page was made: the
	// gateway asks again at once.
	More bool `json:"more"`
}

// MarshalJSON writes a nil Events list as [] so that the body always has
// the array the schema requires.
func (p InboxPage) MarshalJSON() ([]byte, error) {
	type plain InboxPage
	q := plain(p)
	if q.Events == nil {
		q.Events = []Event{}
	}
	return marshalPlain(q)
}

// marshalPlain encodes v without HTML escaping (as Marshal does) and
// without a final newline: the MarshalJSON methods' encoder.
func marshalPlain(v any) ([]byte, error) {
	b, err := encode(v)
	return bytes.TrimSuffix(b, []byte("\n")), err
}

// Ack is the body of POST PathInboxAck: every event with a Seq up to Cursor
// is stored durably at the gateway and need not be sent again.
type Ack struct {
	// Cursor is an InboxPage's Cursor, 1..MaxSeq. The server answers 409
	// Conflict to a cursor beyond the last event it delivered.
	Cursor uint64 `json:"cursor"`
}

// OutboxKind says what an outbox item carries to the patient side.
type OutboxKind string

// The kinds of outbox item. The first three carry a StaffMessage and match
// the gateway's message kinds; OutboxStatus carries a CaseStatus;
// OutboxCaseInitiated carries an InitiatedCase and its first StaffMessage;
// OutboxAssignment carries nothing but its case and time, and exists only
// in version 2's outbox (see outbox2.go).
const (
	OutboxAnswer          OutboxKind = "answer"           // the final answer
	OutboxPartialAnswer   OutboxKind = "partial-answer"   // part of the answer; more will come
	OutboxCounterQuestion OutboxKind = "counter-question" // a question back to the patient
	OutboxStatus          OutboxKind = "status"           // the case's status changed
	// OutboxCaseInitiated: the unit started a case with a patient
	// (invånarärende); the central store creates it, with its first message.
	OutboxCaseInitiated OutboxKind = "case.initiated"
	// OutboxAssignment: the case went to another member of staff without
	// a status change the patient sees (a reassignment). The assignee is
	// in the batch's ItemStaff entry for the item (PathOutbox2 only); the
	// central store keeps it among the unit's confirmed items and shows
	// nothing of it on the patient's pages.
	OutboxAssignment OutboxKind = "assignment"
)

// outboxKinds lists every OutboxKind, in the order openapi.json lists them.
var outboxKinds = []OutboxKind{OutboxAnswer, OutboxPartialAnswer, OutboxCounterQuestion, OutboxStatus, OutboxCaseInitiated, OutboxAssignment}

// Valid reports whether k is one of the OutboxKind values.
func (k OutboxKind) Valid() bool { return slices.Contains(outboxKinds, k) }

// CaseStatus is a case status the patient side shows; the values are the
// gateway's case statuses.
type CaseStatus string

// The case statuses.
const (
	StatusReceived          CaseStatus = "received"            // in the unit's inbox
	StatusAssigned          CaseStatus = "assigned"            // a clinician has it
	StatusPartiallyAnswered CaseStatus = "partially-answered"  // a partial answer was sent
	StatusWaitingForPatient CaseStatus = "waiting-for-patient" // a counter-question was sent
	StatusAnswered          CaseStatus = "answered"            // the final answer was sent
	StatusClosed            CaseStatus = "closed"              // nothing more will happen
	StatusWithdrawn         CaseStatus = "withdrawn"           // the patient withdrew it
)

// caseStatuses lists every CaseStatus, in the order openapi.json lists them.
var caseStatuses = []CaseStatus{
	StatusReceived, StatusAssigned, StatusPartiallyAnswered, StatusWaitingForPatient,
	StatusAnswered, StatusClosed, StatusWithdrawn,
}

// Valid reports whether k is one of the CaseStatus values.
func (k CaseStatus) Valid() bool { return slices.Contains(caseStatuses, k) }

// OutboxItem is one answer or status change for the patient side.
type OutboxItem struct {
	// IdempotencyKey names the item for ever: 1..MaxIDLen characters of
	// A–Z a–z 0–9 . _ -. Sending it again is safe.
	IdempotencyKey string `json:"idempotencyKey"`
	// CaseID is the case (as Event.CaseID).
	CaseID string `json:"caseId"`
	// Kind is what the item carries.
	Kind OutboxKind `json:"kind"`
	// At is when it happened at the unit.
	At time.Time `json:"at"`
	// Message is set exactly when Kind is answer, partial-answer,
	// counter-question or case.initiated (the case's first message). An
	// assignment item has neither Message, Status nor Case.
	Message *StaffMessage `json:"message,omitempty"`
	// Status is set exactly when Kind is status.
	Status CaseStatus `json:"status,omitempty"`
	// Case is set exactly when Kind is case.initiated: the case the unit
	// started, which the central store creates under CaseID.
	Case *InitiatedCase `json:"case,omitempty"`
}

// InitiatedCase is a case a care unit starts with a patient
// (invånarärende). The central store shows it on the patient's pages with
// its first message; the patient's reply, when allowed, comes back as a
// case.followup event. Its status there is waiting-for-patient when
// replies are allowed and answered otherwise.
type InitiatedCase struct {
	// Type is the case type (as NewCase.Type).
	Type string `json:"type"`
	// PatientPNR is the patient's personnummer or samordningsnummer as 12
	// digits, YYYYMMDDNNNC (as Person.PNR).
	PatientPNR string `json:"patientPnr"`
	// PatientName is the patient's name if the unit gave one (single line,
	// at most MaxNameLen characters).
	PatientName string `json:"patientName,omitempty"`
	// Subject is the case's subject line (single line, at most
	// MaxLabelLen characters).
	Subject string `json:"subject"`
	// ReplyAllowed says the patient may reply in the case.
	ReplyAllowed bool `json:"replyAllowed"`
}

// StaffMessage is a message from the unit to the patient. It names the
// author by title only: never by HSA-ID.
type StaffMessage struct {
	ID          string `json:"id"`                  // unique message id (as Event.ID)
	Text        string `json:"text"`                // 1..MaxTextLen characters; line breaks allowed
	Signature   string `json:"signature,omitempty"` // the clinician's signature, at most MaxSignatureLen; line breaks allowed
	AuthorTitle string `json:"authorTitle"`         // e.g. "Sjuksköterska": single line, at most MaxLabelLen, no HSA-ID
}

// OutboxBatch is the body of POST PathOutbox: 1..MaxOutboxItems items with
// distinct idempotency keys, applied in order.
type OutboxBatch struct {
	Items []OutboxItem `json:"items"` // 1..MaxOutboxItems, distinct keys
}

// ItemStatus is the outcome of one outbox item.
type ItemStatus string

// The outcomes of an outbox item. The gateway removes accepted and
// duplicate items from its outbox; a rejected item stays for a person to
// look at, with its problem. A rejection whose problem is a 409 conflict
// (Conflict) is final: the item's idempotency key (Digest) or its message
// id (MessageDigest) names other content at the server, so the gateway
// parks it and never sends it again; other rejections may be retried.
// Conflicts are reported per item, not as a 409 for the whole batch, so
// that one item cannot hold up the others.
const (
	ItemAccepted  ItemStatus = "accepted"  // applied now
	ItemDuplicate ItemStatus = "duplicate" // applied before: same key, same content; or the same message under its id
	ItemRejected  ItemStatus = "rejected"  // not applied; Problem says why (409: the key or message id names other content)
)

// itemStatuses lists every ItemStatus, in the order openapi.json lists them.
var itemStatuses = []ItemStatus{ItemAccepted, ItemDuplicate, ItemRejected}

// Valid reports whether k is one of the ItemStatus values.
func (k ItemStatus) Valid() bool { return slices.Contains(itemStatuses, k) }

// ItemResult is the outcome of one outbox item.
type ItemResult struct {
	IdempotencyKey string     `json:"idempotencyKey"`    // the item's key
	Status         ItemStatus `json:"status"`            // what happened to it
	Problem        *Problem   `json:"problem,omitempty"` // set exactly when Status is rejected
}

// OutboxResult is the answer to POST PathOutbox: one result per item, in
// the batch's order (see Matches).
type OutboxResult struct {
	Results []ItemResult `json:"results"` // one per item, in order
}

// FormSet is the body of PUT PathForms and the answer to GET PathForms: the
// unit's published forms, at most MaxForms, with distinct IDs. A PUT
// replaces the whole set.
type FormSet struct {
	Forms []Form `json:"forms"` // at most MaxForms, distinct IDs
}

// MarshalJSON writes a nil Forms list as [] so that the body always has
// the array the schema requires.
func (s FormSet) MarshalJSON() ([]byte, error) {
	type plain FormSet
	q := plain(s)
	if q.Forms == nil {
		q.Forms = []Form{}
	}
	return marshalPlain(q)
}

// Text is display text in Swedish and, optionally, English. Where a Text
// is required its Swedish is required; English without Swedish is refused.
type Text struct {
	SV string `json:"sv"`           // Swedish
	EN string `json:"en,omitempty"` // English, optional
}

// Form is one form a unit publishes: the patient side shows it and sends
// back a NewCase of its type.
type Form struct {
	// ID is the case type, e.g. "renew-prescription": 1..MaxIDLen
	// characters of a–z 0–9 and -, starting with a letter or digit.
	ID string `json:"id"`
	// Version is 1..MaxFormVersion; the unit raises it on every change. A
	// published ID and Version never name other content (Form.Digest): a
	// PUT that would change a form under its version gets a 409 conflict.
	Version int `json:"version"`
	// Title is the form's name (single line).
	Title Text `json:"title"`
	// Intro is optional text shown above the fields (line breaks allowed).
	Intro Text `json:"intro,omitzero"`
	// Fields are the form's fields, in order; at most MaxFormFields, with
	// distinct names. The patient's free text box is always there besides.
	Fields []FormField `json:"fields,omitzero"`
	// AllowGuardian says a guardian may use the form for a child.
	AllowGuardian bool `json:"allowGuardian,omitempty"`
}

// FieldKind is the kind of input of a form field.
type FieldKind string

// The kinds of form field.
const (
	FieldText     FieldKind = "text"     // one line
	FieldTextarea FieldKind = "textarea" // several lines
	FieldSelect   FieldKind = "select"   // one of Options, as a drop-down
	FieldRadio    FieldKind = "radio"    // one of Options, as radio buttons
	FieldCheckbox FieldKind = "checkbox" // one box; its value is "true" or "false"
	FieldDate     FieldKind = "date"     // a date; its value is YYYY-MM-DD
)

// fieldKinds lists every FieldKind, in the order openapi.json lists them.
var fieldKinds = []FieldKind{FieldText, FieldTextarea, FieldSelect, FieldRadio, FieldCheckbox, FieldDate}

// Valid reports whether k is one of the FieldKind values.
func (k FieldKind) Valid() bool { return slices.Contains(fieldKinds, k) }

// FormField is one input on a form.
type FormField struct {
	// Name identifies the field in the NewCase's Fields: 1..MaxIDLen
	// characters of A–Z a–z 0–9 . _ -.
	Name string `json:"name"`
	// Label is what the patient reads beside it (single line).
	Label Text `json:"label"`
	// Help is optional guidance (line breaks allowed).
	Help Text `json:"help,omitzero"`
	// Kind is the kind of input.
	Kind FieldKind `json:"kind"`
	// Required says the patient must fill it in (when it is shown).
	Required bool `json:"required,omitempty"`
	// Options are the choices of a select or radio field (1..MaxOptions,
	// distinct values); other kinds have none.
	Options []Option `json:"options,omitzero"`
	// ShowIf shows the field only when an earlier select, radio or checkbox
	// field has a given value.
	ShowIf *Condition `json:"showIf,omitempty"`
}

// Option is one choice of a select or radio field.
type Option struct {
	// Value is what the NewCase carries: 1..MaxIDLen characters of
	// A–Z a–z 0–9 . _ -.
	Value string `json:"value"`
	// Label is what the patient reads (single line).
	Label Text `json:"label"`
}

// Condition is a FormField's visibility rule: the field named Field (an
// earlier select, radio or checkbox field) has the value Equals (an option
// value, or "true" or "false" for a checkbox).
type Condition struct {
	Field  string `json:"field"`  // an earlier field's Name
	Equals string `json:"equals"` // the value that shows this field
}

// StreamType says what a StreamMessage announces.
type StreamType string

// The kinds of stream message.
const (
	// StreamHello is the first message on a new stream; Seq is the unit's
	// current head (0 when it has no events yet).
	StreamHello StreamType = "hello"
	// StreamEvents says that events up to Seq (at least 1) are ready.
	StreamEvents StreamType = "events"
	// StreamBooking says that patients' booking requests wait at
	// PathBookingRequests2; Seq is the head the stream last announced.
	// Sent only on a stream that asked for it (StreamAnnounceBooking).
	StreamBooking StreamType = "booking"
)

// streamTypes lists every StreamType, in the order openapi.json lists them.
var streamTypes = []StreamType{StreamHello, StreamEvents, StreamBooking}

// Valid reports whether k is one of the StreamType values.
func (k StreamType) Valid() bool { return slices.Contains(streamTypes, k) }

// StreamMessage is a text message from the server to the gateway on the
// PathStream websocket. It carries no case data: the gateway pulls the
// events from PathInbox.
type StreamMessage struct {
	Type StreamType `json:"type"` // what it announces
	Seq  uint64     `json:"seq"`  // the head seq (hello) or the newest ready event (events)
}
