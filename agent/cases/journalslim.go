package cases

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"clinicgw/sync/wire"
)

// A slim journal record (store schema 4) keeps a plain case.created or
// case.followup event without the content its case record holds (the
// patient's name, the form's answers, the text) and with the SHA-256 of
// the event as the central store sent it: after the head, the mark
// journalSlim, the hash, the case id's length (1 byte) and id, then the
// event without that content (EncodeEvent). A full record's event starts
// with '{', so the mark tells them apart. A reconciliation rebuilds the
// event from the slim record and the case record and gives it back only
// if its encoding hashes to the kept hash (ErrJournalDamaged otherwise).
// A record is made slim only where that rebuild was proved exact when it
// was written: the event applied, the case record holds exactly its
// content, and decoding the slim event, putting the content back and
// encoding it gives the central store's bytes. Every other event (sealed,
// withdrawn, a duplicate, a conflict, quarantined, one whose bytes the
// encoder does not reproduce) keeps its full bytes, and a purge turns the
// slim records of the cases it removes back into full ones
// (FullJournalRecord).
const journalSlim = 0x01

// ErrJournalDamaged means a slim journal record does not rebuild to the
// event the central store sent: its case record is gone or changed, or
// the record is damaged. The event is not given back.
var ErrJournalDamaged = errors.New("a sync journal entry does not rebuild to the event the central store sent")

// journalContent is what a slim record leaves to the case record.
type journalContent struct {
	name   string // case.created: the patient's name
	text   string
	fields []Field
}

// eventContent returns the content of a plain created or follow-up event
// that a slim record leaves out, and the event without it; false if the
// event is of another kind, sealed or incomplete.
func eventContent(ev *wire.Event) (journalContent, wire.Event, bool) {
	if ev == nil || ev.Sealed != "" || ev.Route != nil {
		return journalContent{}, wire.Event{}, false
	}
	slim := *ev
	switch {
	case ev.Kind == wire.EventCaseCreated && ev.Case != nil && ev.Message == nil:
		c := *ev.Case
		jc := journalContent{name: c.Patient.Name, text: c.Text}
		if c.Fields != nil {
			jc.fields = make([]Field, len(c.Fields))
			for i, f := range c.Fields {
				jc.fields[i] = Field{Name: f.Name, Label: f.Label, Value: f.Value}
			}
		}
		c.Patient.Name, c.Text, c.Fields = "", "", nil
		slim.Case = &c
		return jc, slim, true
	case ev.Kind == wire.EventCaseFollowUp && ev.Message != nil && ev.Case == nil:
		m := *ev.Message
		jc := journalContent{text: m.Text}
		m.Text = ""
		slim.Message = &m
		return jc, slim, true
	}
	return journalContent{}, wire.Event{}, false
}

// fill puts jc back into slim, a copy of an event without its content.
func (jc journalContent) fill(slim wire.Event) wire.Event {
	switch {
	case slim.Case != nil:
		c := *slim.Case
		c.Patient.Name, c.Text = jc.name, jc.text
		if jc.fields != nil {
			c.Fields = make([]wire.Field, len(jc.fields))
			for i, f := range jc.fields {
				c.Fields[i] = wire.Field{Name: f.Name, Label: f.Label, Value: f.Value}
			}
		}
		slim.Case = &c
	case slim.Message != nil:
		m := *slim.Message
		m.Text = jc.text
		slim.Message = &m
	}
	return slim
}

// caseContent returns what case c holds of the event slim (an event
// without its content): the first message's text, the patient's name and
// the form's answers of the case it created, or the text of the patient's
// follow-up it added; false if c holds no such message.
func caseContent(c *Case, slim wire.Event) (journalContent, bool) {
	switch {
	case slim.Case != nil:
		if len(c.Messages) == 0 {
			return journalContent{}, false
		}
		return journalContent{name: c.Patient.Name, text: c.Messages[0].Text, fields: c.Fields}, true
	case slim.Message != nil:
		for _, m := range c.Messages {
			if m.ID == slim.Message.ID && m.Author == (Actor{Kind: Patient}).Name() {
				return journalContent{text: m.Text}, true
			}
		}
	}
	return journalContent{}, false
}

func (jc journalContent) equal(o journalContent) bool {
	// nil and empty answers encode differently: they must agree too.
	return jc.name == o.name && jc.text == o.text && (jc.fields == nil) == (o.fields == nil) && slices.Equal(jc.fields, o.fields)
}

// slimJournal is a journal entry's slim record, made off the
// transaction: the record and the content it leaves to the case record.
type slimJournal struct {
	rec     []byte
	caseID  ID
	content journalContent
}

// slimRecord returns e's slim record if e.Wire is a plain created or
// follow-up event that rebuilds exactly (the caller then checks, in the
// transaction, that the case record holds its content); false otherwise.
func (e JournalEntry) slimRecord() (slimJournal, bool) {
	jc, slim, ok := eventContent(e.Wire)
	if !ok || len(e.Wire.CaseID) == 0 || len(e.Wire.CaseID) > 255 {
		return slimJournal{}, false
	}
	body, err := wire.EncodeEvent(slim)
	if err != nil {
		return slimJournal{}, false
	}
	rebuilt, err := rebuild(body, jc)
	if err != nil || !bytes.Equal(rebuilt, e.Event) {
		return slimJournal{}, false
	}
	rec := e.head(make([]byte, 0, journalHead+1+sha256.Size+1+len(e.Wire.CaseID)+len(body)))
	rec = append(rec, journalSlim)
	sum := sha256.Sum256(e.Event)
	rec = append(rec, sum[:]...)
	rec = append(rec, byte(len(e.Wire.CaseID)))
	rec = append(rec, e.Wire.CaseID...)
	rec = append(rec, body...)
	return slimJournal{rec: rec, caseID: ID(e.Wire.CaseID), content: jc}, true
}

// rebuild decodes body, an event without its content, puts jc back and
// encodes it, as a reconciliation does.
func rebuild(body []byte, jc journalContent) ([]byte, error) {
	var slim wire.Event
	if err := json.Unmarshal(body, &slim); err != nil {
		return nil, err
	}
	return wire.EncodeEvent(jc.fill(slim))
}

// slimParts splits a slim record after its head; false for a full record.
func slimParts(rec []byte) (sum []byte, id ID, body []byte, slim bool, err error) {
	if len(rec) <= journalHead || rec[journalHead] != journalSlim {
		return nil, "", nil, false, nil
	}
	p := rec[journalHead+1:]
	if len(p) < sha256.Size+1 || len(p) < sha256.Size+1+int(p[sha256.Size]) {
		return nil, "", nil, true, fmt.Errorf("%w: the slim record is cut short", ErrJournalDamaged)
	}
	n := int(p[sha256.Size])
	return p[:sha256.Size], ID(p[sha256.Size+1 : sha256.Size+1+n]), p[sha256.Size+1+n:], true, nil
}

// JournalRecordCase returns the case a slim journal record leaves its
// content to; false for a full record, which needs no case.
func JournalRecordCase(rec []byte) (ID, bool) {
	_, id, _, slim, err := slimParts(rec)
	return id, slim && err == nil
}

// FullJournalRecord returns the journal record rec with its event whole:
// rec itself if it is full, else the event rebuilt from the slim record
// and c, its case, checked against the kept hash (ErrJournalDamaged if it
// does not match).
func FullJournalRecord(seq uint64, rec []byte, c *Case) ([]byte, error) {
	sum, id, body, slim, err := slimParts(rec)
	if err != nil || !slim {
		return rec, journalErr(seq, err)
	}
	if c == nil || c.ID != id {
		return nil, journalErr(seq, fmt.Errorf("%w: its case %s is not here", ErrJournalDamaged, id))
	}
	var probe wire.Event
	if err := json.Unmarshal(body, &probe); err != nil {
		return nil, journalErr(seq, fmt.Errorf("%w: %v", ErrJournalDamaged, err))
	}
	jc, ok := caseContent(c, probe)
	if !ok {
		return nil, journalErr(seq, fmt.Errorf("%w: case %s no longer holds the event's content", ErrJournalDamaged, id))
	}
	ev, err := rebuild(body, jc)
	if err != nil {
		return nil, journalErr(seq, fmt.Errorf("%w: %v", ErrJournalDamaged, err))
	}
	if got := sha256.Sum256(ev); !bytes.Equal(got[:], sum) {
		return nil, journalErr(seq, fmt.Errorf("%w: case %s", ErrJournalDamaged, id))
	}
	full := make([]byte, 0, journalHead+len(ev))
	full = append(full, rec[:journalHead]...)
	return append(full, ev...), nil
}

func journalErr(seq uint64, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("journal entry %d: %w", seq, err)
}
