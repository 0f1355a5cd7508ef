package fhirapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/agent/directory"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// Writes is what the API writes through: the case service's doors for
// the unit's systems (agent/cases/systemwrite.go), with the calling
// system as the actor, so the workflow's rules, the outbox and the
// access log apply as to staff.
type Writes interface {
	SendFromSystem(ctx context.Context, actor cases.Actor, m cases.SystemMessage) (*cases.Case, int, bool, error)
	UpdateFromSystem(ctx context.Context, actor cases.Actor, id cases.ID, u cases.SystemUpdate) (*cases.Case, error)
}

var _ Writes = (*cases.Service)(nil)

// maxWriteBody bounds a written resource: a message's text is at most
// 10,000 characters (up to 40 KB of UTF-8, more JSON-escaped).
const maxWriteBody = 128 << 10

// The extension that says whether the patient may reply to a case a
// Communication starts (true if left out, as in the staff UI).
const extReplyAllowed = "urn:clinicgw:reply-allowed"

// inCommunication is the Communication a system posts: the elements
// read, and those FHIR lets a server ignore (body.go); any other is
// refused (sent, sender and recipient too: the gateway sets them), so
// that nothing the client meant is silently dropped.
type inCommunication struct {
	ignorable
	ResourceType string            `json:"resourceType"`
	Identifier   []Identifier      `json:"identifier"`
	Status       string            `json:"status"`
	PartOf       []Reference       `json:"partOf"`
	BasedOn      []Reference       `json:"basedOn"`
	Category     []CodeableConcept `json:"category"`
	Subject      *Reference        `json:"subject"`
	Topic        *CodeableConcept  `json:"topic"`
	Payload      []Payload         `json:"payload"`
	Extension    []inExtension     `json:"extension"`
}

// inExtension is an extension with a boolean value.
type inExtension struct {
	URL          string `json:"url"`
	ValueBoolean *bool  `json:"valueBoolean"`
}

// communicationRequest is a decoded, checked Communication.
type communicationRequest struct {
	msg cases.SystemMessage
	// clientID is the identifier as sent, echoed in the answer.
	clientID Identifier
}

// parseCommunication checks a posted Communication and makes the
// message it asks for; its error is a badRequest saying what is wrong.
func parseCommunication(in *inCommunication, now time.Time) (*communicationRequest, error) {
	if in.ResourceType != "Communication" {
		return nil, badRequest("resourceType: expected Communication")
	}
	if len(in.Identifier) != 1 || in.Identifier[0].System == "" || in.Identifier[0].Value == "" {
		return nil, badRequest("identifier: expected exactly one, with system and value: the system's own id of the message, the same on every retry")
	}
	id := in.Identifier[0]
	if len(id.System)+len(id.Value) > 500 {
		return nil, badRequest("identifier: system and value are at most 500 characters together")
	}
	if in.Status != "completed" {
		return nil, badRequest("status: expected completed (a message is sent when it is posted)")
	}
	if len(in.Payload) != 1 || strings.TrimSpace(in.Payload[0].ContentString) == "" {
		return nil, badRequest("payload: expected exactly one contentString with the message's text")
	}
	req := &communicationRequest{clientID: id, msg: cases.SystemMessage{
		ClientID: id.System + "|" + id.Value, Text: strings.ReplaceAll(in.Payload[0].ContentString, "\r\n", "\n"),
		ReplyAllowed: true}}
	refs := append(append([]Reference{}, in.PartOf...), in.BasedOn...)
	if len(refs) > 1 {
		return nil, badRequest("partOf, basedOn: name the case once, as Task/[id]")
	}
	kind := ""
	if len(in.Category) > 0 {
		if len(in.Category) != 1 || len(in.Category[0].Coding) != 1 || in.Category[0].Coding[0].System != systemMsgKnd {
			return nil, badRequest("category: expected one coding of " + systemMsgKnd + " (answer, partial-answer or counter-question), or none")
		}
		kind = in.Category[0].Coding[0].Code
	}
	for _, e := range in.Extension {
		if e.URL != extReplyAllowed || e.ValueBoolean == nil {
			return nil, badRequest("extension: only " + extReplyAllowed + " (valueBoolean) is read")
		}
		req.msg.ReplyAllowed = *e.ValueBoolean
	}
	if len(refs) == 1 {
		ref := refs[0].Reference
		if i := strings.LastIndex(ref, "/Task/"); i >= 0 {
			ref = ref[i+1:]
		}
		caseID, ok := strings.CutPrefix(ref, "Task/")
		if !ok || caseID == "" || strings.Contains(caseID, "/") {
			return nil, badRequest("partOf: expected a reference Task/[id] to the case")
		}
		req.msg.CaseID = cases.ID(caseID)
		switch cases.MessageKind(kind) {
		case "":
			req.msg.Kind = cases.Answer
		case cases.Answer, cases.PartialAnswer, cases.CounterQuestion:
			req.msg.Kind = cases.MessageKind(kind)
		default:
			return nil, badRequest("category: on a case, answer, partial-answer or counter-question")
		}
		if in.Topic != nil || len(in.Extension) > 0 {
			return nil, badRequest("topic, extension: only for a message that starts a case (no partOf)")
		}
		if in.Subject != nil {
			// The case service checks it is the case's patient.
			pnr, err := subjectPNR(in.Subject, now)
			if err != nil {
				return nil, err
			}
			req.msg.Patient = cases.Person{PNR: pnr}
		}
		return req, nil
	}
	// A new case on the unit's initiative.
	if kind != "" && kind != string(cases.StaffFirst) {
		return nil, badRequest("category: a message that starts a case is " + string(cases.StaffFirst) + ", or leave category out")
	}
	pnr, err := subjectPNR(in.Subject, now)
	if err != nil {
		return nil, err
	}
	req.msg.Patient = cases.Person{PNR: pnr}
	req.msg.Type = casetype.ContactMe
	if in.Topic == nil || strings.TrimSpace(in.Topic.Text) == "" {
		return nil, badRequest("topic: a message that starts a case needs topic.text, the subject line the patient sees")
	}
	req.msg.Subject = in.Topic.Text
	if len(in.Topic.Coding) > 0 {
		c := in.Topic.Coding[0]
		if len(in.Topic.Coding) != 1 || c.System != systemType || !casetype.Valid(casetype.Type(c.Code)) {
			return nil, badRequest("topic.coding: one service of " + systemType + ", or none (contact-me)")
		}
		req.msg.Type = casetype.Type(c.Code)
	}
	return req, nil
}

// subjectPNR is the personnummer (or samordningsnummer) a Communication's
// subject names by identifier.
func subjectPNR(ref *Reference, now time.Time) (personnummer.Personnummer, error) {
	bad := badRequest("subject: expected the patient by identifier, {\"identifier\": {\"system\": \"" + systemPNR +
		"\", \"value\": \"YYYYMMDDNNNN\"}} (or the samordningsnummer's " + systemSamnr + ")")
	if ref == nil || ref.Identifier == nil || ref.Reference != "" {
		return "", bad
	}
	if s := ref.Identifier.System; s != systemPNR && s != systemSamnr {
		return "", bad
	}
	p, err := personnummer.Parse(ref.Identifier.Value, now)
	if err != nil {
		return "", badRequest("subject.identifier: not a valid personnummer or samordningsnummer")
	}
	return p, nil
}

// postCommunication sends a message to a patient: 201 with the
// Communication and its Location, or 200 with the same for a retry.
func (s *Server) postCommunication(w http.ResponseWriter, r *http.Request, c caller) {
	if s.writes == nil {
		fail(w, http.StatusNotImplemented, "not-supported", "this gateway takes no writes")
		return
	}
	var in inCommunication
	if err := readResource(r, maxWriteBody, &in); err != nil {
		refuse(w, err)
		return
	}
	req, err := parseCommunication(&in, s.cfg.Clock.Now())
	if err != nil {
		fail(w, http.StatusUnprocessableEntity, "invalid", string(err.(badRequest)))
		return
	}
	req.msg.Signature = c.sys.MessageSignature()
	req.msg.MayStart = c.sys.Allows(directory.StartRelationship)
	got, i, done, err := s.writes.SendFromSystem(r.Context(), c.actor, req.msg)
	if err != nil {
		s.writeError(w, err)
		return
	}
	cm := communicationOf(got, i)
	cm.Identifier = append([]Identifier{req.clientID}, cm.Identifier...)
	w.Header().Set("Location", base(r)+"/Communication/"+cm.ID)
	status := http.StatusCreated
	if done {
		status = http.StatusOK
	}
	if !c.sys.Allows(directory.ReadCases) {
		// It may write to the patient, not read the case: no patient
		// data back, only where the message is.
		writeJSON(w, status, OperationOutcome{ResourceType: "OperationOutcome", Issue: []Issue{{Severity: "information",
			Code: "informational", Diagnostics: "the message was sent (or was already, for a retry); Location names it"}}})
		return
	}
	writeJSON(w, status, cm)
}

// writeError answers an error of a system's write.
func (s *Server) writeError(w http.ResponseWriter, err error) {
	var verr *cases.ValidationError
	var terr *cases.TransitionError
	switch {
	case errors.Is(err, cases.ErrKeyReused):
		fail(w, http.StatusConflict, "duplicate", "this identifier was used for another message: a retry must repeat the message as it was; a new message needs a new identifier")
	case errors.Is(err, cases.ErrNoRelationship):
		fail(w, http.StatusForbidden, "forbidden", "the patient has no case at this unit, and this system may not start one: ask the unit's administrator to give it start-relationship in the directory")
	case errors.Is(err, cases.ErrWrongPatient):
		fail(w, http.StatusUnprocessableEntity, "business-rule", "subject: the case is another patient's; leave subject out or name the case's patient")
	case errors.Is(err, cases.ErrGone):
		fail(w, http.StatusGone, "deleted", "this message was sent; its case has since been archived and removed from the gateway")
	case errors.As(err, &verr):
		fail(w, http.StatusUnprocessableEntity, "invalid", "the element "+verr.Field+" is not valid: "+verr.Reason)
	case errors.As(err, &terr) && errors.Is(err, cases.ErrConflict):
		fail(w, http.StatusConflict, "conflict", "the case was changed meanwhile: read it again, then retry")
	case errors.As(err, &terr) && errors.Is(err, cases.ErrNotAllowed):
		fail(w, http.StatusForbidden, "forbidden", "the workflow does not let this system do that: "+terr.Reason)
	case errors.As(err, &terr):
		fail(w, http.StatusUnprocessableEntity, "business-rule", "the workflow refused it: "+terr.Reason)
	case errors.Is(err, cases.ErrConflict):
		fail(w, http.StatusConflict, "conflict", "the case was changed meanwhile: read it again, then retry")
	default:
		s.caseError(w, err)
	}
}
