package cases

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"clinicgw/agent/audit"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/hsaid"
	"clinicgw/sync/wire/personnummer"
)

// MaxSubjectRunes bounds the subject line of a case staff start, in
// characters (the wire protocol's label limit is larger).
const MaxSubjectRunes = 150

// MaxSignatureRunes bounds a staff member's signature, in characters (the
// wire protocol's limit).
const MaxSignatureRunes = 1000

// InitiateRequest is a case a member of staff starts with a patient
// (invånarärende): the first message is the unit's.
type InitiateRequest struct {
	// ID is optional: a case id from NewCaseID, the same on every retry of
	// one request, so that a retry returns the case the first attempt made
	// instead of starting a second one.
	ID ID
	// Patient is whom the case is with: a personnummer in any form
	// ParsePersonnummer takes; the name is optional.
	Patient Person
	// Type is the case type, one of Types.
	Type casetype.Type
	// Subject is the case's subject line, as the patient sees it.
	Subject string
	// Text is the first message.
	Text string
	// Signature is the author's personal signature, kept with the message.
	Signature string
	// AuthorTitle is the author's title as the patient sees it
	// ("Sjuksköterska"); never an HSA-ID. Empty: a neutral title.
	AuthorTitle string
	// ReplyAllowed lets the patient reply: the case then waits for the
	// patient; without it the case is answered at once.
	ReplyAllowed bool
}

// NewCaseID returns a fresh case id for an InitiateRequest: the caller
// makes it once, before the first attempt, and sends it with every retry.
func (s *Service) NewCaseID() (ID, error) {
	id, err := caseid.New(s.clock.Now(), s.rand)
	if err != nil {
		return "", fmt.Errorf("new case id: %w", err)
	}
	return id, nil
}

// Initiate starts a case with a patient on the unit's initiative, for a
// clinician (the case is theirs) or a distributor (the case has no
// assignee; a reply goes to the inbox). The first message is the staff
// member's; the case waits for the patient when replies are allowed and is
// answered otherwise. The case, its access-log entry and one
// OutboundInitiated item for the central store are written in one
// transaction. A request whose ID is already a case started by the same
// actor with the same patient returns that case and changes nothing; with
// another case behind the id it fails with ErrExists. Errors are
// *ValidationError for the request, ErrNotAllowed for another role (the
// attempt is in the access log), or a storage error.
func (s *Service) Initiate(ctx context.Context, actor Actor, req InitiateRequest) (*Case, error) {
	if err := s.checkActor(actor, Initiate); err != nil {
		return nil, fmt.Errorf("initiate case: %w", err)
	}
	now := s.clock.Now()
	if err := checkInitiate(&req, now); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			s.log.Info("initiate case refused", "actor", actor.Name(), "field", ve.Field)
		}
		return nil, fmt.Errorf("initiate case: %w", err)
	}
	if actor.Kind != Staff || !actor.Has(Clinician) && !actor.Has(Distributor) {
		err := s.store.Update(ctx, func(tx Tx) error {
			e := s.entry(now, actor, Initiate, nil, audit.Denied)
			e.Patient = string(req.Patient.PNR)
			return tx.AppendAudit(e)
		})
		if err != nil {
			return nil, fmt.Errorf("initiate case: %w", err)
		}
		s.denied("initiate case denied", actor, Initiate, "")
		return nil, fmt.Errorf("initiate case: %w", ErrNotAllowed)
	}
	c, err := s.initiatedCase(actor, req, now)
	if err != nil {
		return nil, fmt.Errorf("initiate case: %w", err)
	}
	var out *Case
	created := false
	err = s.store.Update(ctx, func(tx Tx) error {
		out, created = nil, false
		old, err := tx.Case(c.ID)
		switch {
		case err == nil:
			if old.InitiatedBy != actor.HSAID || old.Patient.PNR != c.Patient.PNR || old.Type != c.Type {
				return fmt.Errorf("a different case has id %s: %w", c.ID, ErrExists)
			}
			out = old
			return nil
		case !errors.Is(err, ErrNotFound):
			return err
		}
		fresh := cloneCase(c) // the store may keep what it is given; fn may run twice
		if err := tx.Insert(fresh); err != nil {
			return err
		}
		if err := tx.Enqueue(initiatedOutbound(fresh, req)); err != nil {
			return err
		}
		out, created = fresh, true
		return tx.AppendAudit(s.entry(now, actor, Initiate, fresh, audit.Allowed))
	})
	if err != nil {
		return nil, fmt.Errorf("initiate case: %w", err)
	}
	if created {
		s.log.Info("case initiated by staff", "caseId", string(out.ID), "actor", actor.Name())
		s.onOutbound()
		s.onChange(Change{IDs: []ID{out.ID}, Assignees: assignees(out.Assignee)})
	}
	return out, nil
}

// initiatedCase builds the case req starts at now.
func (s *Service) initiatedCase(actor Actor, req InitiateRequest, now time.Time) (*Case, error) {
	id, msgID, err := s.newIDs(req.ID, now)
	if err != nil {
		return nil, err
	}
	status := Answered
	if req.ReplyAllowed {
		status = WaitingForPatient
	}
	assignee := ""
	if actor.Has(Clinician) {
		assignee = actor.HSAID
	}
	return &Case{
		ID: id, Unit: s.unit, Type: req.Type, Patient: req.Patient, Status: status, Assignee: assignee,
		SentAt: now, ReceivedAt: now, Subject: req.Subject, InitiatedBy: actor.HSAID, NoReply: !req.ReplyAllowed, Version: 1,
		Messages: []Message{{ID: string(msgID), Kind: StaffFirst, Author: actor.Name(), Text: req.Text,
			Signature: req.Signature, AuthorTitle: req.AuthorTitle, At: now}},
		History: []Event{{At: now, Actor: actor.Name(), Action: Initiate, To: status, Assignee: assignee}},
	}, nil
}

// initiatedOutbound is the outbox item that tells the central store of a
// case staff started; its key is the first message's id.
func initiatedOutbound(c *Case, req InitiateRequest) Outbound {
	m := c.Messages[0]
	return Outbound{
		Key: m.ID, CaseID: c.ID, Kind: OutboundInitiated, At: m.At, Status: c.Status,
		MessageID: m.ID, Text: m.Text, Signature: m.Signature, AuthorTitle: m.AuthorTitle,
		AuthorHSAID: c.InitiatedBy, AssigneeHSAID: c.Assignee,
		Initiated: &InitiatedCase{Type: c.Type, Patient: c.Patient, Subject: c.Subject, ReplyAllowed: req.ReplyAllowed},
	}
}

// checkInitiate validates req and puts its personnummer in the 12-digit
// form. Errors are *ValidationError and never carry the values.
func checkInitiate(req *InitiateRequest, now time.Time) error {
	if req.ID != "" && !validID(req.ID) {
		return invalid("id", "not a valid case id", "")
	}
	pnr, err := personnummer.Parse(string(req.Patient.PNR), now)
	if err != nil {
		sv := swedish("cases.in.badPnr")
		if pe, ok := errors.AsType[*personnummer.Error](err); ok {
			sv = pe.Swedish()
		}
		return invalid("patient.pnr", "not a valid personnummer", sv)
	}
	req.Patient.PNR = pnr
	req.Patient.Name = strings.TrimSpace(req.Patient.Name)
	if r := wire.CheckText(req.Patient.Name, MaxNameRunes, false); r != "" {
		return invalid("patient.name", r, swedish("cases.in.longName", strconv.Itoa(MaxNameRunes)))
	}
	if !casetype.Valid(req.Type) {
		return invalid("type", "not a known case type", swedish("cases.in.chooseType"))
	}
	req.Subject = strings.TrimSpace(req.Subject)
	if req.Subject == "" {
		return invalid("subject", "empty", swedish("cases.in.noSubject"))
	}
	if r := wire.CheckText(req.Subject, MaxSubjectRunes, false); r != "" {
		return invalid("subject", r, swedish("cases.in.longSubject", strconv.Itoa(MaxSubjectRunes)))
	}
	if strings.TrimSpace(req.Text) == "" {
		return invalid("text", "empty", swedish("cases.in.noText"))
	}
	if r := wire.CheckText(req.Text, MaxTextRunes, true); r != "" {
		return invalid("text", r, swedish("cases.in.longText", strconv.Itoa(MaxTextRunes)))
	}
	if r := wire.CheckText(req.Signature, MaxSignatureRunes, true); r != "" {
		return invalid("signature", r, swedish("cases.in.longSignature", strconv.Itoa(MaxSignatureRunes)))
	}
	if utf8.RuneCountInString(req.Text)+utf8.RuneCountInString(req.Signature) > MaxTextRunes {
		return invalid("text", fmt.Sprintf("text and signature longer than %d characters", MaxTextRunes),
			swedish("cases.in.longTextAndSignature", strconv.Itoa(MaxTextRunes)))
	}
	if r := wire.CheckText(req.AuthorTitle, MaxTitleRunes, false); r != "" || hsaid.Contains(req.AuthorTitle) {
		return invalid("authorTitle", fmt.Sprintf("must be one line of at most %d characters and not an HSA-ID", MaxTitleRunes), "")
	}
	return nil
}
