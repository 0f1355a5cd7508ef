package central

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/wire"
	"clinicgw/sync/wire/labels"
)

// caseRecord is the central copy of a case, as stored.
type caseRecord struct {
	ID        string          `json:"id"`
	Unit      string          `json:"unit"`
	Type      string          `json:"type"`
	Title     string          `json:"title"` // the form's Swedish title when it was written
	Patient   wire.Person     `json:"patient"`
	Guardian  *wire.Person    `json:"guardian,omitempty"`
	Fields    []wire.Field    `json:"fields,omitempty"`
	Text      string          `json:"text,omitempty"`
	Status    wire.CaseStatus `json:"status"`
	CreatedAt time.Time       `json:"createdAt"`
	UpdatedAt time.Time       `json:"updatedAt"`
	Messages  []messageRecord `json:"messages,omitempty"`
	// FromUnit marks a case the unit started (a case.initiated item).
	FromUnit bool `json:"fromUnit,omitempty"`
	// NoReply says the unit allowed no reply in a case it started.
	NoReply bool `json:"noReply,omitempty"`
	// Sealed: the case's content went sealed to the unit and is not kept
	// here (sealing.go); Patient, Guardian, Fields and Text are empty.
	Sealed bool `json:"sealed,omitempty"`
	// Owner and Private: as stored, the keyed hash of the patient's
	// personnummer and the case's private part sealed under their data
	// key (atrest.go); Store.getCase opens it into the fields above.
	Owner   string `json:"owner,omitempty"`
	Private []byte `json:"private,omitempty"`
	// forgotten: the patient's key was forgotten, Private did not open.
	forgotten bool
}

// messageRecord is one message in a case's thread after the case itself:
// a patient's follow-up or a message from the unit.
type messageRecord struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"` // kindPatient or a wire.OutboxKind of a message
	Text        string    `json:"text"`
	Signature   string    `json:"signature,omitempty"`
	AuthorTitle string    `json:"authorTitle,omitempty"`
	At          time.Time `json:"at"`
	// Sealed: a patient's follow-up that went sealed to the unit.
	Sealed bool `json:"sealed,omitempty"`
}

// digest is the message's wire.MessageDigest in case caseID: what its id
// names for ever. A patient's follow-up has kind kindPatient, so no staff
// message has its digest.
func (m messageRecord) digest(caseID string) [32]byte {
	return wire.MessageDigest(caseID, wire.OutboxKind(m.Kind), m.At,
		wire.StaffMessage{ID: m.ID, Text: m.Text, Signature: m.Signature, AuthorTitle: m.AuthorTitle})
}

// kindPatient marks a patient's follow-up in a thread.
const kindPatient = "patient"

// PatientCase is a case as the patient (or the guardian) sees it.
type PatientCase struct {
	ID         string
	Unit       string // the care unit's HSA-ID
	UnitName   string
	Type       string // the form's id
	Title      string // the form's Swedish title
	Patient    wire.Person
	Guardian   *wire.Person // set when a guardian wrote for a child
	AsGuardian bool         // the person asking is the guardian, not the patient
	Fields     []wire.Field
	// Answers are Fields as the patient reads them (PatientCase sets them,
	// by the unit's form of the case's type).
	Answers   []labels.Answer
	Text      string
	Status    wire.CaseStatus
	CreatedAt time.Time
	UpdatedAt time.Time
	Messages  []Message // the thread after the case itself, oldest first
	// FromUnit says the unit started the case (invånarärende): Title is
	// its subject and the first message is the unit's.
	FromUnit bool
	// NoReply says the unit allowed no reply in the case.
	NoReply bool
}

// Message is one message in a case's thread.
type Message struct {
	ID        string
	FromStaff bool
	// Kind is the staff message's kind (answer, partial-answer,
	// counter-question); empty for the patient's own.
	Kind        wire.OutboxKind
	Text        string
	Signature   string // the clinician's signature; staff only
	AuthorTitle string // e.g. "Sjuksköterska"; staff only, never an HSA-ID
	At          time.Time
}

// StaffMessages counts the messages from the unit in the thread.
func (c PatientCase) StaffMessages() int {
	n := 0
	for _, m := range c.Messages {
		if m.FromStaff {
			n++
		}
	}
	return n
}

// CanFollowUp reports whether the patient may write again in the case:
// in every status but withdrawn, unless the unit started the case and
// allowed no reply.
func (c PatientCase) CanFollowUp() bool { return !c.NoReply && canFollowUp(c.Status) }

// CanWithdraw reports whether the patient may withdraw the case: a case
// they wrote, while the unit has not answered it.
func (c PatientCase) CanWithdraw() bool { return !c.FromUnit && canWithdraw(c.Status) }

func canFollowUp(st wire.CaseStatus) bool { return st != wire.StatusWithdrawn }

func canWithdraw(st wire.CaseStatus) bool {
	switch st {
	case wire.StatusReceived, wire.StatusAssigned, wire.StatusPartiallyAnswered, wire.StatusWaitingForPatient:
		return true
	}
	return false
}

// afterFollowUp is the status a case takes when the patient writes again,
// as the gateway's workflow moves it.
func afterFollowUp(st wire.CaseStatus) wire.CaseStatus {
	switch st {
	case wire.StatusWaitingForPatient:
		return wire.StatusAssigned
	case wire.StatusAnswered, wire.StatusClosed:
		return wire.StatusReceived
	}
	return st
}

// StatusText returns a status in Swedish, as the patient pages show it.
func StatusText(st wire.CaseStatus) string { return labels.PatientStatus(st, "sv") }

func (s *Store) patientView(c *caseRecord, pnr string) PatientCase {
	pc := PatientCase{
		ID: c.ID, Unit: c.Unit, UnitName: s.UnitName(c.Unit), Type: c.Type, Title: c.Title,
		Patient: c.Patient, Fields: c.Fields, Text: c.Text, Status: c.Status,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, FromUnit: c.FromUnit, NoReply: c.NoReply,
	}
	if c.Guardian != nil {
		g := *c.Guardian
		pc.Guardian = &g
		pc.AsGuardian = g.PNR == pnr
	}
	for _, m := range c.Messages {
		msg := Message{ID: m.ID, Text: m.Text, At: m.At}
		if m.Kind != kindPatient {
			msg.FromStaff, msg.Kind, msg.Signature, msg.AuthorTitle = true, wire.OutboxKind(m.Kind), m.Signature, m.AuthorTitle
		}
		pc.Messages = append(pc.Messages, msg)
	}
	return pc
}

// getCase reads a case in tx; nil if there is none.
func getCase(tx *bolt.Tx, id string) (*caseRecord, error) {
	v := tx.Bucket([]byte(bucketCases)).Get([]byte(id))
	if v == nil {
		return nil, nil
	}
	var c caseRecord
	if err := json.Unmarshal(v, &c); err != nil {
		return nil, fmt.Errorf("read case %s: %w", id, err)
	}
	return &c, nil
}

// putCase writes a case in tx.
func putCase(tx *bolt.Tx, c *caseRecord) error {
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("write case %s: %w", c.ID, err)
	}
	return tx.Bucket([]byte(bucketCases)).Put([]byte(c.ID), b)
}

// patientKey is a key of the patient index.
func patientKey(pnr, caseID string) []byte {
	return []byte(pnr + caseID)
}

// ownsCase reports whether pnr is the patient or the guardian of a case:
// by the personnummer (a plain case) or its keyed hash (a sealed one).
func (s *Store) ownsCase(tx *bolt.Tx, pnr, caseID string) bool {
	idx := tx.Bucket([]byte(bucketPatients))
	return idx.Get(patientKey(pnr, caseID)) != nil || idx.Get(patientKey(s.pnrKey(pnr), caseID)) != nil
}

// casesOf calls fn with the id of every case where pnr is the patient or
// the guardian, oldest first.
func casesOf(tx *bolt.Tx, pnr string, fn func(id string) error) error {
	prefix := []byte(pnr)
	c := tx.Bucket([]byte(bucketPatients)).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if err := fn(string(k[len(prefix):])); err != nil {
			return err
		}
	}
	return nil
}

// appendEvent gives ev the unit's next sequence number and stores it with
// its link in the unit's event chain (chain.go). The
// event must be valid and within wire.MaxEventBytes.
func (s *Store) appendEvent(tx *bolt.Tx, unit string, ev *wire.Event) error {
	events := unitBucket(tx, unit).Bucket([]byte(bucketEvents))
	seq, err := events.NextSequence()
	if err != nil {
		return err
	}
	if seq > wire.MaxSeq {
		return fmt.Errorf("unit %s: event sequence exhausted", unit)
	}
	ev.Seq = seq
	b, err := wire.Marshal(ev)
	if err != nil {
		return fmt.Errorf("event for case %s: %w", ev.CaseID, err)
	}
	if b, err = s.sealValue(ownerStore, eventWhere(unit, seqKey(seq)), b); err != nil { // at rest (atrest.go)
		return fmt.Errorf("event for case %s: %w", ev.CaseID, err)
	}
	if err := events.Put(seqKey(seq), b); err != nil {
		return err
	}
	return putLink(tx, unit, ev)
}
