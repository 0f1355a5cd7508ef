package cases

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"clinicgw/agent/audit"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// Writes by the unit's own systems through the integration API
// (agent/fhirapi), as an Integration actor: a message to a patient, on a
// case or starting one (SendFromSystem), and marking a case handled with
// the system's own reference (SystemUpdate). The messages go through the
// workflow's table (the rows byIntegration) and the outbox like a staff
// member's, so the patient side shows and notifies them the same way.
// What a system may do at all (write-messages, start-relationship) the
// API decides from the directory.

// Errors of a system's write; match with errors.Is.
var (
	// ErrKeyReused: the system's identifier was used before for another
	// request (another case, kind or text).
	ErrKeyReused = errors.New("the identifier was used for another request")
	// ErrNoRelationship: the patient has no case at this unit, and the
	// system may not start one.
	ErrNoRelationship = errors.New("the patient has no relationship with the unit")
	// ErrGone: the identifier's write was made, but its case has since
	// been archived and removed here.
	ErrGone = errors.New("the case of this write is no longer here")
	// ErrWrongPatient: the message names a patient, and the case is
	// another's (the attempt is in the access log).
	ErrWrongPatient = errors.New("the case is another patient's")
)

// Limits on a system's reference (Ref).
const (
	MaxRefs      = 20  // per case
	MaxRefRunes  = 200 // a value
	MaxRefSystem = 200 // a namespace URI, in bytes
)

// ClientWrite is what an integration system's write with its own
// identifier did: a retry with the identifier finds it (the store keeps
// it, so even after a restart) and gets the same answer; a different
// request with it gets ErrKeyReused.
type ClientWrite struct {
	Key       string    `json:"key"` // ClientKey
	CaseID    ID        `json:"caseId"`
	MessageID string    `json:"messageId"`
	Digest    string    `json:"digest"` // of the request, SystemMessage.digest
	At        time.Time `json:"at"`
}

// DefaultClientWriteRetention is how long a ClientWrite is kept when
// ServiceConfig leaves ClientWriteRetention zero: a system retries within
// minutes or hours; after this a write with the identifier is a new one.
const DefaultClientWriteRetention = 30 * 24 * time.Hour

// ClientKey is the key of system's write with identifier clientID: a
// hash, so that the store keeps no identifier of the system's in clear.
func ClientKey(system, clientID string) string {
	h := sha256.Sum256([]byte("clinicgw client write\x00" + system + "\x00" + clientID))
	return hex.EncodeToString(h[:])
}

// SystemMessage is a message an integration system sends a patient.
type SystemMessage struct {
	// ClientID is the system's own identifier of the message (its
	// namespace, a |, its value), the same on every retry: required.
	ClientID string
	// CaseID is the case the message belongs to; "" starts a new case on
	// the unit's initiative with Patient, Type and Subject.
	CaseID ID
	// Kind, on a case: Answer, PartialAnswer or CounterQuestion.
	Kind MessageKind
	Text string
	// Signature is the system's, from the directory: kept with the
	// message, not part of what a retry must repeat.
	Signature string
	// A new case: whom with, its type and subject line, and whether the
	// patient may reply. On a case, a Patient.PNR set must be the case's
	// patient (ErrWrongPatient).
	Patient      Person
	Type         casetype.Type
	Subject      string
	ReplyAllowed bool
	// MayStart lets the system start a case with a patient who has none
	// at the unit; without it such a message is ErrNoRelationship.
	MayStart bool
}

// digest is what a retry must repeat: everything but the signature.
func (m SystemMessage) digest() string {
	h := sha256.New()
	for _, s := range []string{string(m.CaseID), string(m.Kind), m.Text, string(m.Patient.PNR), string(m.Type),
		m.Subject, strconv.FormatBool(m.ReplyAllowed)} {
		fmt.Fprintf(h, "%d:%s", len(s), s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// sendActions are the workflow actions of a system's message on a case.
var sendActions = map[MessageKind]Action{Answer: SendAnswer, PartialAnswer: SendPartial, CounterQuestion: SendCounter}

// SendFromSystem sends m from the integration system actor: on its case
// by the workflow's rules (as Do), or as a new case (as Initiate, with no
// assignee: a reply goes to the inbox), with its access-log entry, its
// outbox item and the ClientWrite in one transaction. A retry of a write
// already made returns its case and the index of its message, done true,
// and changes nothing (its access-log entry is a read). Errors:
// ErrKeyReused, ErrNoRelationship and ErrWrongPatient (the attempt is in
// the access log), ErrGone, *ValidationError, *TransitionError,
// ErrNotFound.
func (s *Service) SendFromSystem(ctx context.Context, actor Actor, m SystemMessage) (c *Case, msg int, done bool, err error) {
	if actor.Kind != Integration {
		return nil, 0, false, fmt.Errorf("send from system: %w", ErrNotAllowed)
	}
	if err := s.checkActor(actor, SendAnswer); err != nil {
		return nil, 0, false, fmt.Errorf("send from system: %w", err)
	}
	if m.ClientID == "" || len(m.ClientID) > 1000 || !utf8.ValidString(m.ClientID) {
		return nil, 0, false, fmt.Errorf("send from system: %w", invalid("identifier", "required, at most 1000 bytes", ""))
	}
	key, digest := ClientKey(actor.HSAID, m.ClientID), m.digest()
	// prior answers a retry: the write made before, or ErrKeyReused.
	var priorMsg string
	prior := func(tx Tx, now time.Time) (*Case, error) {
		w, ok, err := tx.ClientWrite(key)
		if err != nil || !ok {
			return nil, err
		}
		priorMsg = w.MessageID
		if w.Digest != digest {
			return nil, ErrKeyReused
		}
		got, err := tx.Case(w.CaseID)
		if errors.Is(err, ErrNotFound) {
			return nil, ErrGone
		}
		if err != nil {
			return nil, err
		}
		return got, tx.AppendAudit(s.entry(now, actor, Read, got, audit.Allowed))
	}
	record := func(tx Tx, next *Case, msgID string, now time.Time) error {
		return tx.PutClientWrite(ClientWrite{Key: key, CaseID: next.ID, MessageID: msgID, Digest: digest, At: now})
	}
	if m.CaseID == "" {
		c, done, err = s.startFromSystem(ctx, actor, m, prior, record)
	} else {
		action, ok := sendActions[m.Kind]
		if !ok {
			return nil, 0, false, fmt.Errorf("send from system: %w", invalid("kind", "an answer, a partial answer or a counter-question", ""))
		}
		cmd := Command{Action: action, Text: m.Text, Signature: m.Signature}
		h := doHook{before: prior, after: record}
		if m.Patient.PNR != "" {
			h.check = func(got *Case) error {
				if got.Patient.PNR != m.Patient.PNR {
					return ErrWrongPatient
				}
				return nil
			}
		}
		c, done, err = s.do(ctx, actor, m.CaseID, cmd, h)
	}
	if err != nil {
		return nil, 0, false, fmt.Errorf("send from system: %w", err)
	}
	if !done {
		s.log.Info("message sent by a system", "caseId", string(c.ID), "actor", actor.Name())
		return c, len(c.Messages) - 1, false, nil
	}
	// The message the first attempt made.
	i := slices.IndexFunc(c.Messages, func(x Message) bool { return x.ID == priorMsg })
	if i < 0 {
		return nil, 0, false, fmt.Errorf("send from system: %w", ErrGone)
	}
	return c, i, true, nil
}

// startFromSystem starts a case with m's patient, for SendFromSystem.
func (s *Service) startFromSystem(ctx context.Context, actor Actor, m SystemMessage,
	prior func(Tx, time.Time) (*Case, error), record func(Tx, *Case, string, time.Time) error) (*Case, bool, error) {
	now := s.clock.Now()
	req := InitiateRequest{Patient: m.Patient, Type: m.Type, Subject: m.Subject, Text: m.Text,
		Signature: m.Signature, ReplyAllowed: m.ReplyAllowed}
	if err := checkInitiate(&req, now); err != nil {
		return nil, false, err
	}
	c, err := s.initiatedCase(actor, req, now)
	if err != nil {
		return nil, false, err
	}
	var out *Case
	done, refused := false, false
	err = s.store.Update(ctx, func(tx Tx) error {
		out, done, refused = nil, false, false
		if p, err := prior(tx, now); err != nil || p != nil {
			out, done = p, p != nil
			return err
		}
		if !m.MayStart {
			known := false
			if err := tx.Lookup(ByPatient, string(req.Patient.PNR), func(ID) bool { known = true; return false }); err != nil {
				return err
			}
			if !known {
				refused = true
				e := s.entry(now, actor, Initiate, nil, audit.Denied)
				e.Patient = string(req.Patient.PNR)
				return tx.AppendAudit(e)
			}
		}
		fresh := cloneCase(c) // the store may keep what it is given; fn may run twice
		if err := tx.Insert(fresh); err != nil {
			return err
		}
		if err := tx.Enqueue(initiatedOutbound(fresh, req)); err != nil {
			return err
		}
		if err := record(tx, fresh, fresh.Messages[0].ID, now); err != nil {
			return err
		}
		out = fresh
		return tx.AppendAudit(s.entry(now, actor, Initiate, fresh, audit.Allowed))
	})
	switch {
	case err != nil:
		return nil, false, err
	case refused:
		s.denied("case start by a system refused: no relationship", actor, Initiate, "")
		return nil, false, ErrNoRelationship
	case done:
		return out, true, nil
	}
	s.onOutbound()
	s.onChange(Change{IDs: []ID{out.ID}})
	return out, false, nil
}

// SystemUpdate is what an integration system changes on a case besides
// messages: it marks the case handled (Close, by the workflow's rules:
// only an answered case; a closed one stays so) and attaches its own
// reference.
type SystemUpdate struct {
	Close bool
	Ref   *Ref // By and At are set by the service
	// Version is the case.Version the system saw (0: don't check): the
	// whole update is refused with ErrConflict unless the case is still
	// at it (a close already made counts as a change only when this
	// update made it).
	Version uint64
}

// AttachRef is the access log's action for a system's reference.
const AttachRef Action = "attach-reference"

// UpdateFromSystem makes u on case id for the integration system actor:
// first the close (through Do, so its rules and access log hold; a
// refused close changes nothing), then the reference (a reference the
// case has is not added again; its own access-log entry). Both are
// idempotent, so a retry does nothing more.
func (s *Service) UpdateFromSystem(ctx context.Context, actor Actor, id ID, u SystemUpdate) (*Case, error) {
	if actor.Kind != Integration {
		return nil, fmt.Errorf("update from system: %w", ErrNotAllowed)
	}
	if err := s.checkActor(actor, AttachRef); err != nil {
		return nil, fmt.Errorf("update from system: %w", err)
	}
	if u.Ref != nil {
		if err := checkRef(u.Ref); err != nil {
			return nil, fmt.Errorf("update from system: %w", err)
		}
	}
	var c *Case
	want := u.Version // the version the reference is added to, 0: any
	if u.Close {
		got, err := s.Get(ctx, actor, id)
		if err != nil {
			return nil, fmt.Errorf("update from system: %w", err)
		}
		if got.Status == Closed {
			if u.Version != 0 && got.Version != u.Version {
				return nil, fmt.Errorf("update from system: %w", ErrConflict)
			}
			c = got
		} else if c, err = s.Do(ctx, actor, id, Command{Action: Close, Version: u.Version}); err != nil {
			return nil, fmt.Errorf("update from system: %w", err)
		}
		if want != 0 {
			want = c.Version // after this update's own close
		}
	}
	if u.Ref == nil {
		if c == nil {
			return s.Get(ctx, actor, id)
		}
		return c, nil
	}
	if !validID(id) {
		return nil, fmt.Errorf("update from system: %w", ErrNotFound)
	}
	now := s.clock.Now()
	ref := Ref{By: actor.HSAID, System: u.Ref.System, Value: u.Ref.Value, At: now}
	changed := false
	err := s.store.Update(ctx, func(tx Tx) error {
		c, changed = nil, false
		got, err := tx.Case(id)
		if err != nil {
			return err
		}
		if want != 0 && got.Version != want {
			return ErrConflict
		}
		if slices.ContainsFunc(got.Refs, func(r Ref) bool { return r.By == ref.By && r.System == ref.System && r.Value == ref.Value }) {
			c = got
			return tx.AppendAudit(s.entry(now, actor, Read, got, audit.Allowed))
		}
		if len(got.Refs) >= MaxRefs {
			return invalid("ref", fmt.Sprintf("a case keeps at most %d references", MaxRefs), "")
		}
		next := cloneCase(got)
		next.Refs = append(next.Refs, ref)
		next.Version++
		if err := tx.Update(next); err != nil {
			return err
		}
		c, changed = next, true
		return tx.AppendAudit(s.entry(now, actor, AttachRef, next, audit.Allowed))
	})
	if err != nil {
		return nil, fmt.Errorf("update from system: %w", err)
	}
	if changed {
		s.onChange(Change{IDs: []ID{c.ID}, Assignees: assignees(c.Assignee), Groups: assignees(c.Group)})
	}
	return c, nil
}

// checkRef checks a system's reference: a namespace (a URI of printable
// ASCII) and a value of one line.
func checkRef(r *Ref) error {
	if r.System == "" || len(r.System) > MaxRefSystem {
		return invalid("ref.system", fmt.Sprintf("required, at most %d bytes", MaxRefSystem), "")
	}
	for i := 0; i < len(r.System); i++ {
		if c := r.System[i]; c <= ' ' || c > '~' {
			return invalid("ref.system", "a URI: printable ASCII, no spaces", "")
		}
	}
	if wire.CheckText(r.Value, MaxRefRunes, false) != "" || r.Value == "" {
		return invalid("ref.value", fmt.Sprintf("one line of 1 to %d characters", MaxRefRunes), "")
	}
	return nil
}
