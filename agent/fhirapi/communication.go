package fhirapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
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

// inCommunication is the Communication a system posts. Elements the API
// does not read but a client commonly sends are accepted and ignored
// (id, meta, text, sent, sender, recipient, language); any other is
// refused, so that nothing the client meant is silently dropped.
type inCommunication struct {
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

	ID        json.RawMessage `json:"id"`
	Meta      json.RawMessage `json:"meta"`
	Text      json.RawMessage `json:"text"`
	Sent      json.RawMessage `json:"sent"`
	Sender    json.RawMessage `json:"sender"`
	Recipient json.RawMessage `json:"recipient"`
	Language  json.RawMessage `json:"language"`
}

// inExtension is an extension with a boolean value.
type inExtension struct {
	URL          string `json:"url"`
	ValueBoolean *bool  `json:"valueBoolean"`
}

// readBody reads a request's JSON body into v: 415 for a media type
// other than types (FHIR JSON if none given), 413 past max, 400 for what
// is not one JSON value of v's elements. It answers the refusal itself
// and reports false.
func readBody(w http.ResponseWriter, r *http.Request, max int64, v any, types ...string) bool {
	if len(types) == 0 {
		types = []string{"application/fhir+json", "application/json"}
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !slices.Contains(types, mt) {
		fail(w, http.StatusUnsupportedMediaType, "not-supported", "send it with Content-Type "+types[0])
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, max))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		fail(w, http.StatusRequestEntityTooLarge, "too-costly", fmt.Sprintf("the resource is larger than %d KiB: a message's text is at most 10,000 characters", max>>10))
		return false
	}
	if err != nil {
		fail(w, http.StatusBadRequest, "structure", "the request body could not be read: send it again")
		return false
	}
	if err := decodeStrict(body, v); err != nil {
		fail(w, http.StatusBadRequest, "structure", err.Error())
		return false
	}
	return true
}

// decodeStrict decodes one JSON value of v's elements; its errors name
// the element at fault, never a value.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			return fmt.Errorf("the element %s has the wrong type: see /metadata and the README for the resource's form", safeName(te.Field))
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return fmt.Errorf("the element %s is not supported here: leave it out (/metadata says what is read)", strconvQuote(safeName(name)))
		}
		return errors.New("the body is not a FHIR JSON resource: check its syntax")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("the body holds more than one JSON value: send one resource")
	}
	return nil
}

func strconvQuote(s string) string { return `"` + s + `"` }

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
	if !readBody(w, r, maxWriteBody, &in) {
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
