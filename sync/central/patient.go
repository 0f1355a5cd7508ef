package central

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/wire"
	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/labels"
	"clinicgw/sync/wire/personnummer"
)

// Submission is a new case as a patient (or a guardian, for a child)
// writes it on one of a care unit's forms.
type Submission struct {
	// PatientPNR and PatientName are whom the case is about: the person
	// logged in, or the child when a guardian writes. Any form
	// ParsePersonnummer accepts.
	PatientPNR  string
	PatientName string
	// GuardianPNR and GuardianName are set when a guardian writes for a
	// child under 13; the guardian is the person logged in.
	GuardianPNR  string
	GuardianName string
	// FormID is the form (case type) written on.
	FormID string
	// Fields are the answers by FormField name; Label is ignored (the
	// form's label is stored) and the order does not matter.
	Fields []wire.Field
	// Text is the patient's free text.
	Text string
}

// Guardians may write for children under this age.
const guardianMaxChildAge = 13

// Submit stores a new case for a care unit and appends its case.created
// event to the unit's log, in one transaction, and returns the case id.
// The answers are checked against the unit's form (its published one, or
// the default); a guardian may write only for a child under 13 on a form
// that allows it. Errors are *InputError for what the patient must
// correct, ErrUnknownUnit, ErrUnknownForm, or a storage error.
func (s *Store) Submit(ctx context.Context, unit string, sub Submission) (string, error) {
	ids, err := s.SubmitBatch(ctx, unit, []Submission{sub})
	if err != nil {
		return "", err
	}
	return ids[0], nil
}

// SubmitBatch stores several new cases for a care unit as Submit does, all
// in one transaction: all are stored, or, if one is refused, none. The
// demo's seeding and the load test submit in bulk this way.
func (s *Store) SubmitBatch(ctx context.Context, unit string, subs []Submission) ([]string, error) {
	if !s.unitSet[unit] {
		return nil, ErrUnknownUnit
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	type prepared struct {
		sub             Submission
		patient         wire.Person
		guardian        *wire.Person
		text            string
		caseID, eventID string
	}
	ready := make([]prepared, len(subs))
	for i, sub := range subs {
		p := prepared{sub: sub}
		var err error
		if p.patient, err = person("patient", sub.PatientPNR, sub.PatientName, now); err != nil {
			return nil, err
		}
		if sub.GuardianPNR != "" || sub.GuardianName != "" {
			g, err := person("guardian", sub.GuardianPNR, sub.GuardianName, now)
			if err != nil {
				return nil, err
			}
			if err := checkGuardian(p.patient, g, now); err != nil {
				return nil, err
			}
			p.guardian = &g
		}
		if strings.TrimSpace(sub.Text) != "" {
			p.text = sub.Text
		}
		if r := wire.CheckText(p.text, wire.MaxTextLen, true); r != "" {
			return nil, inputError("text", r, swedish("central.in.textTooLong", strconv.Itoa(wire.MaxTextLen)))
		}
		if p.caseID, err = s.newID(now); err != nil {
			return nil, err
		}
		if p.eventID, err = s.newID(now); err != nil {
			return nil, err
		}
		ready[i] = p
	}
	seqs := make([]uint64, len(ready))
	submitTx := func(tx *bolt.Tx) error {
		set, err := formsOf(unitBucket(tx, unit))
		if err != nil {
			return err
		}
		idx := tx.Bucket([]byte(bucketPatients))
		pub, err := s.sealingKey(tx, unit)
		if err != nil {
			return err
		}
		// A gateway that published its catalogue (PUT wire.PathServices2)
		// reads a case's formVersion; one of the release before, whose
		// decoders refuse unknown members, never gets it: it is left out
		// of the event itself, so the event chain links what each reads.
		withVersion := unitBucket(tx, unit).Get([]byte(keyServices)) != nil
		for i, p := range ready {
			form, ok := findForm(set, p.sub.FormID)
			if !ok {
				return ErrUnknownForm
			}
			if p.guardian != nil && !form.AllowGuardian {
				return inputError("guardian", "the form does not allow a guardian",
					swedish("central.in.noGuardian"))
			}
			fields, err := answersFor(form, p.sub.Fields)
			if err != nil {
				return err
			}
			if len(fields) == 0 && p.text == "" {
				return inputError("text", "neither text nor answers", swedish("central.in.noText"))
			}
			ev := wire.Event{ID: p.eventID, Kind: wire.EventCaseCreated, CaseID: p.caseID, At: now,
				Case: &wire.NewCase{Type: form.ID, Patient: p.patient, Guardian: p.guardian, Fields: fields, Text: p.text,
					// The version of the form the answers were checked
					// against: the one the patient submitted on.
					FormVersion: form.Version}}
			if !withVersion {
				ev.Case.FormVersion = 0
			}
			c := &caseRecord{ID: p.caseID, Unit: unit, Type: form.ID, Title: form.Title.SV, Patient: p.patient,
				Guardian: p.guardian, Fields: fields, Text: p.text, Status: wire.StatusReceived, CreatedAt: now, UpdatedAt: now}
			// The index names people by the keyed hash only, and the case's
			// patient copy is sealed under the patient's key (atrest.go).
			patientIdx, guardianIdx := s.pnrKey(p.patient.PNR), ""
			if p.guardian != nil {
				guardianIdx = s.pnrKey(p.guardian.PNR)
			}
			if pub != nil { // sealed to the unit at the first moment
				if err := s.sealEvent(tx, pub, unit, &ev); err != nil {
					return err
				}
				c.Sealed = true
			}
			if err := s.appendEvent(tx, unit, &ev); err != nil {
				return err
			}
			seqs[i] = ev.Seq
			if err := s.putCase(tx, c); err != nil {
				return err
			}
			if err := idx.Put(patientKey(patientIdx, p.caseID), []byte(rolePatient)); err != nil {
				return err
			}
			if guardianIdx != "" {
				if err := idx.Put(patientKey(guardianIdx, p.caseID), []byte(roleGuardian)); err != nil {
					return err
				}
			}
		}
		return nil
	}
	// New patients' data keys reach the key ring file, synced once, before
	// the transaction commits (keyring.go).
	err := s.db.Update(func(tx *bolt.Tx) error { return s.ring.deferSync(func() error { return submitTx(tx) }) })
	if err != nil {
		return nil, submitError("submit case", err)
	}
	ids := make([]string, len(ready))
	for i, p := range ready {
		s.log.Info("case submitted", "unit", unit, "caseId", p.caseID, "seq", seqs[i])
		ids[i] = p.caseID
	}
	if len(seqs) > 0 {
		s.hub.publish(unit, seqs[len(seqs)-1])
	}
	return ids, nil
}

// submitError wraps a storage error; the patient's errors stay as they are.
func submitError(op string, err error) error {
	var ie *InputError
	if errors.As(err, &ie) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrNotAllowed) ||
		errors.Is(err, ErrUnknownForm) || errors.Is(err, ErrUnknownUnit) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}

// person checks a personnummer and a name.
func person(role, pnr, name string, now time.Time) (wire.Person, error) {
	p, err := personnummer.Parse(pnr, now)
	if err != nil {
		sv := swedish("central.in.badPnr")
		if pe, ok := errors.AsType[*personnummer.Error](err); ok {
			sv = pe.Swedish()
		}
		return wire.Person{}, inputError(role+"Pnr", "not a valid personnummer", sv)
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return wire.Person{}, inputError(role+"Name", "required", swedish("central.in.noName"))
	}
	if r := wire.CheckText(name, wire.MaxNameLen, false); r != "" {
		return wire.Person{}, inputError(role+"Name", r, swedish("central.in.longName", strconv.Itoa(wire.MaxNameLen)))
	}
	return wire.Person{PNR: string(p), Name: name}, nil
}

// checkGuardian checks that a guardian may write for the patient: a child
// under 13, and an adult guardian who is someone else.
func checkGuardian(patient, guardian wire.Person, now time.Time) error {
	switch {
	case guardian.PNR == patient.PNR:
		return inputError("guardian", "is the patient", swedish("central.in.selfGuardian"))
	case personnummer.Personnummer(patient.PNR).AgeAt(now) >= guardianMaxChildAge:
		return inputError("guardian", "the child is 13 or older",
			swedish("central.in.childTooOld"))
	case personnummer.Personnummer(guardian.PNR).AgeAt(now) < 18:
		return inputError("guardian", "the guardian is under 18", swedish("central.in.guardianTooYoung"))
	}
	return nil
}

// normalPNR parses a personnummer given by a caller that has checked it
// before (a session), refusing anything else as not found.
func (s *Store) normalPNR(pnr string) (string, bool) {
	p, err := personnummer.Parse(pnr, s.now())
	return string(p), err == nil
}

// FollowUp adds the patient's message to a case where pnr is the patient or
// the guardian, and appends a case.followup event for its unit. Errors are
// ErrNotFound, ErrNotAllowed (a withdrawn case), *InputError or a storage
// error.
func (s *Store) FollowUp(ctx context.Context, pnr, caseID, text string) error {
	if strings.TrimSpace(text) == "" {
		return inputError("text", "required", swedish("central.in.noText"))
	}
	if r := wire.CheckText(text, wire.MaxTextLen, true); r != "" {
		return inputError("text", r, swedish("central.in.textTooLong", strconv.Itoa(wire.MaxTextLen)))
	}
	now := s.now()
	msgID, err := s.newID(now)
	if err != nil {
		return err
	}
	eventID, err := s.newID(now)
	if err != nil {
		return err
	}
	return s.patientChange(ctx, "follow-up", pnr, caseID, func(tx *bolt.Tx, c *caseRecord) (*wire.Event, error) {
		if c.NoReply || !canFollowUp(c.Status) {
			return nil, ErrNotAllowed
		}
		ev := &wire.Event{ID: eventID, Kind: wire.EventCaseFollowUp, CaseID: c.ID, At: now,
			Message: &wire.PatientMessage{ID: msgID, Text: text}}
		m := messageRecord{ID: msgID, Kind: kindPatient, Text: text, At: now}
		pub, err := s.sealingKey(tx, c.Unit)
		if err != nil {
			return nil, err
		}
		if pub != nil { // sealed to the unit at the first moment; the patient's copy at rest
			if err := s.sealEvent(tx, pub, c.Unit, ev); err != nil {
				return nil, err
			}
			m.Sealed = true
		}
		c.Messages = append(c.Messages, m)
		c.Status = afterFollowUp(c.Status)
		c.UpdatedAt = now
		return ev, nil
	})
}

// Withdraw withdraws a case where pnr is the patient or the guardian, and
// appends a case.withdrawn event for its unit. Only a case the unit has
// not answered may be withdrawn; withdrawing a withdrawn case again
// changes nothing. Errors are ErrNotFound, ErrNotAllowed or a storage
// error.
func (s *Store) Withdraw(ctx context.Context, pnr, caseID string) error {
	now := s.now()
	eventID, err := s.newID(now)
	if err != nil {
		return err
	}
	return s.patientChange(ctx, "withdraw", pnr, caseID, func(tx *bolt.Tx, c *caseRecord) (*wire.Event, error) {
		if c.Status == wire.StatusWithdrawn {
			return nil, nil
		}
		if c.FromUnit || !canWithdraw(c.Status) {
			return nil, ErrNotAllowed
		}
		c.Status, c.UpdatedAt = wire.StatusWithdrawn, now
		return &wire.Event{ID: eventID, Kind: wire.EventCaseWithdrawn, CaseID: c.ID, At: now}, nil
	})
}

// patientChange runs change on a case the person owns, in one transaction,
// storing the case and the event change returns (none: nothing changes).
func (s *Store) patientChange(ctx context.Context, op, pnr, caseID string, change func(*bolt.Tx, *caseRecord) (*wire.Event, error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	pnr, ok := s.normalPNR(pnr)
	if !ok || !validCaseID(caseID) {
		return ErrNotFound
	}
	var unit string
	var seq uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		c, err := s.patientsCase(tx, pnr, caseID)
		if err != nil {
			return err
		}
		ev, err := change(tx, c)
		if err != nil || ev == nil {
			return err
		}
		unit = c.Unit
		if err := s.appendEvent(tx, unit, ev); err != nil {
			return err
		}
		seq = ev.Seq
		return s.putCase(tx, c)
	})
	if err != nil {
		return submitError(op, err)
	}
	if seq != 0 {
		s.log.Info("patient changed case", "action", op, "unit", unit, "caseId", caseID, "seq", seq)
		s.hub.publish(unit, seq)
	}
	return nil
}

// PatientCases returns the cases where pnr is the patient or the guardian,
// newest first.
func (s *Store) PatientCases(ctx context.Context, pnr string) ([]PatientCase, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	pnr, ok := s.normalPNR(pnr)
	if !ok {
		return nil, nil
	}
	var out []PatientCase
	err := s.db.View(func(tx *bolt.Tx) error {
		out = out[:0]
		each := func(id string) error {
			c, err := s.getCase(tx, id)
			if err != nil || c == nil || c.forgotten || !s.unitSet[c.Unit] {
				return err
			}
			out = append(out, s.patientView(c, pnr))
			return nil
		}
		if err := casesOf(tx, pnr, each); err != nil { // plain cases
			return err
		}
		return casesOf(tx, s.pnrKey(pnr), each) // sealed cases
	})
	if err != nil {
		return nil, fmt.Errorf("list patient cases: %w", err)
	}
	// Case ids are time-ordered: newest first.
	slices.SortFunc(out, func(a, b PatientCase) int { return strings.Compare(b.ID, a.ID) })
	return out, nil
}

// PatientCase returns one case where pnr is the patient or the guardian,
// or ErrNotFound.
func (s *Store) PatientCase(ctx context.Context, pnr, caseID string) (PatientCase, error) {
	if err := ctx.Err(); err != nil {
		return PatientCase{}, err
	}
	pnr, ok := s.normalPNR(pnr)
	if !ok || !validCaseID(caseID) {
		return PatientCase{}, ErrNotFound
	}
	var pc PatientCase
	err := s.db.View(func(tx *bolt.Tx) error {
		c, err := s.patientsCase(tx, pnr, caseID)
		if err != nil {
			return err
		}
		pc = s.patientView(c, pnr)
		if len(c.Fields) > 0 {
			var set wire.FormSet
			if ub := unitBucket(tx, c.Unit); ub != nil {
				if set, err = formsOf(ub); err != nil {
					return err
				}
			}
			// The patient pages are in Swedish.
			pc.Answers = labels.Answers(labels.FindForm(set, casetype.Type(c.Type)), c.Fields, "sv")
		}
		return nil
	})
	if err != nil {
		return PatientCase{}, submitError("read patient case", err)
	}
	return pc, nil
}

// validCaseID reports whether id is shaped like a case id.
func validCaseID(id string) bool {
	_, err := caseid.Parse(id)
	return err == nil
}

// now returns the clock's time in UTC at millisecond precision, as events
// carry it.
func (s *Store) now() time.Time {
	return s.clock.Now().UTC().Truncate(time.Millisecond)
}

// patientsCase returns the case caseID if pnr is its patient or guardian
// and its unit is served here; otherwise ErrNotFound, the same answer as
// for a case that does not exist.
func (s *Store) patientsCase(tx *bolt.Tx, pnr, caseID string) (*caseRecord, error) {
	if !s.ownsCase(tx, pnr, caseID) {
		return nil, ErrNotFound
	}
	c, err := s.getCase(tx, caseID)
	if err != nil {
		return nil, err
	}
	if c == nil || c.forgotten || !s.unitSet[c.Unit] {
		return nil, ErrNotFound
	}
	return c, nil
}
