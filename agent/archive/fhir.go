package archive

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/agent/labels"
	"clinicgw/sync/wire"
	wirelabels "clinicgw/sync/wire/labels"
)

// Identifier systems: Swedish personnummer and HSA-ID (Inera's OIDs).
const (
	systemPNR   = "urn:oid:1.2.752.129.2.1.3.1"
	systemHSAID = "urn:oid:1.2.752.29.4.19"
	systemCase  = "urn:clinicgw:case-id"
)

type fhirIdentifier struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

type fhirReference struct {
	Reference  string          `json:"reference,omitempty"`
	Identifier *fhirIdentifier `json:"identifier,omitempty"`
	Display    string          `json:"display,omitempty"`
}

type fhirCoding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code"`
	Display string `json:"display,omitempty"`
}

type fhirConcept struct {
	Coding []fhirCoding `json:"coding,omitempty"`
	Text   string       `json:"text,omitempty"`
}

type fhirEntry struct {
	FullURL  string `json:"fullUrl"`
	Resource any    `json:"resource"`
}

type fhirBundle struct {
	ResourceType string         `json:"resourceType"`
	Type         string         `json:"type"`
	Timestamp    string         `json:"timestamp"`
	Identifier   fhirIdentifier `json:"identifier"`
	Entry        []fhirEntry    `json:"entry"`
}

func fhirTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func person(p cases.Person) *fhirReference {
	return &fhirReference{Identifier: &fhirIdentifier{System: systemPNR, Value: string(p.PNR)}, Display: p.Name}
}

func staff(hsaID string) *fhirReference {
	if hsaID == "" || hsaID == "patient" || hsaID == "system" {
		return &fhirReference{Display: labels.Actor(hsaID, "sv", nil)}
	}
	return &fhirReference{Identifier: &fhirIdentifier{System: systemHSAID, Value: hsaID}}
}

// taskStatus maps a case status to FHIR Task.status.
func taskStatus(s cases.Status) string {
	switch s {
	case cases.Received:
		return "requested"
	case cases.Assigned, cases.PartiallyAnswered:
		return "in-progress"
	case cases.WaitingForPatient:
		return "on-hold"
	case cases.Withdrawn:
		return "cancelled"
	}
	return "completed"
}

// auditAction maps an access-log action to FHIR AuditEvent.action.
func auditAction(a string) string {
	switch cases.Action(a) {
	case cases.Receive:
		return "C"
	case cases.Read, cases.List:
		return "R"
	}
	return "U"
}

// resource is a FHIR resource as JSON: set leaves out what is empty (FHIR
// JSON has no nulls and no empty strings).
type resource map[string]any

func (r resource) set(key string, v any) resource {
	switch v := v.(type) {
	case string:
		if v == "" {
			return r
		}
	case *fhirReference:
		if v == nil {
			return r
		}
	}
	r[key] = v
	return r
}

// fhirUUID is a stable urn:uuid for a resource of a case: a name-based
// UUID (version 8, RFC 9562) from the SHA-256 of the name, so the same
// case renders the same bundle.
func fhirUUID(name string) string {
	h := sha256.Sum256([]byte("clinicgw:" + name))
	h[6] = h[6]&0x0f | 0x80
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// fhirAnswer is a form answer as a QuestionnaireResponse answer: a
// choice as valueCoding (the option's value as code, its Swedish label as
// display; no display when the form no longer has the option), a box as
// valueBoolean, a date as valueDate, anything else as valueString.
func fhirAnswer(c *cases.Case, a wirelabels.Answer) map[string]any {
	switch {
	case a.Kind == wire.FieldSelect || a.Kind == wire.FieldRadio:
		code := fhirCoding{System: "urn:clinicgw:form:" + string(c.Type) + ":" + a.Name, Code: a.Code}
		if !a.Unmatched {
			code.Display = a.Text
		}
		return map[string]any{"valueCoding": code}
	case a.Kind == wire.FieldCheckbox && !a.Unmatched:
		return map[string]any{"valueBoolean": a.Code == "true"}
	case a.Kind == wire.FieldDate && !a.Unmatched:
		return map[string]any{"valueDate": a.Text}
	}
	return map[string]any{"valueString": a.Text}
}

// FHIR renders a case and its access-log records as a FHIR R4 Bundle of
// type collection: a Task for the case (its form's answers as a
// QuestionnaireResponse among the Task's inputs, named by form, the
// unit's form of the case's type, or nil), a Communication per message,
// an AuditEvent per access-log record. Codes keep their code and carry
// their Swedish name as display.
func FHIR(c *cases.Case, form *wire.Form, records []audit.Record, now time.Time) ([]byte, error) {
	id := string(c.ID)
	b := fhirBundle{ResourceType: "Bundle", Type: "collection", Timestamp: fhirTime(now),
		Identifier: fhirIdentifier{System: systemCase, Value: id}}
	taskURL := fhirUUID("task/" + id)
	qrURL := fhirUUID("form/" + id)
	task := resource{
		"resourceType": "Task", "identifier": []fhirIdentifier{{System: systemCase, Value: id}},
		"status": taskStatus(c.Status), "intent": "order",
		"code": fhirConcept{Coding: []fhirCoding{{System: "urn:clinicgw:case-type", Code: string(c.Type), Display: serviceName(c, form)}}},
		"for":  person(c.Patient),
	}
	task.set("authoredOn", fhirTime(c.ReceivedAt)).set("lastModified", fhirTime(lastActivity(c)))
	requester := person(c.Patient)
	if c.Guardian != nil {
		requester = person(*c.Guardian)
	}
	task.set("requester", requester)
	if c.Assignee != "" {
		task.set("owner", staff(c.Assignee))
	}
	if !c.DueAt.IsZero() {
		task.set("restriction", map[string]any{"period": map[string]string{"end": fhirTime(c.DueAt)}})
	}
	if len(c.Fields) > 0 {
		task.set("input", []map[string]any{{"type": fhirConcept{Text: "form"}, "valueReference": fhirReference{Reference: qrURL}}})
	}
	b.Entry = append(b.Entry, fhirEntry{taskURL, task})
	if len(c.Fields) > 0 {
		var items []resource
		for i, a := range labels.Answers(form, c.Fields, "sv") {
			item := resource{"linkId": a.Name}.set("text", a.Question)
			if c.Fields[i].Value != "" {
				item.set("answer", []map[string]any{fhirAnswer(c, a)})
			}
			items = append(items, item)
		}
		b.Entry = append(b.Entry, fhirEntry{qrURL, resource{
			"resourceType": "QuestionnaireResponse", "status": "completed",
			"questionnaire": "urn:clinicgw:form:" + string(c.Type), "subject": person(c.Patient), "item": items,
		}.set("authored", fhirTime(c.ReceivedAt))})
	}
	for i, m := range c.Messages {
		var sender, recipient *fhirReference
		if m.Kind == cases.FromPatient {
			sender, recipient = person(c.Patient), &fhirReference{Identifier: &fhirIdentifier{System: systemHSAID, Value: c.Unit}}
		} else {
			sender, recipient = staff(m.Author), person(c.Patient)
		}
		text := m.Text
		if m.Signature != "" {
			text += "\n\n" + m.Signature
		}
		msg := resource{
			"resourceType": "Communication", "identifier": []fhirIdentifier{{System: "urn:clinicgw:message-id", Value: m.ID}},
			"partOf": []fhirReference{{Reference: taskURL}}, "status": "completed",
			"category": []fhirConcept{{Coding: []fhirCoding{{System: "urn:clinicgw:message-kind", Code: string(m.Kind), Display: labels.MessageKind(m.Kind, "sv")}}}},
			"subject":  person(c.Patient),
			"sender":   sender, "recipient": []*fhirReference{recipient},
		}
		if text != "" {
			msg.set("payload", []map[string]string{{"contentString": text}})
		}
		b.Entry = append(b.Entry, fhirEntry{fhirUUID(fmt.Sprintf("message/%s/%d", id, i)), msg.set("sent", fhirTime(m.At))})
	}
	for _, r := range records {
		e := r.Entry
		outcome := "0"
		if e.Outcome != audit.Allowed {
			outcome = "4"
		}
		b.Entry = append(b.Entry, fhirEntry{fhirUUID(fmt.Sprintf("audit/%s/%d", id, r.Seq)), resource{
			"resourceType": "AuditEvent",
			"type":         fhirCoding{System: "http://terminology.hl7.org/CodeSystem/audit-event-type", Code: "rest"},
			"subtype":      []fhirCoding{{System: "urn:clinicgw:action", Code: e.Action, Display: labels.Action(cases.Action(e.Action), "sv")}},
			"action":       auditAction(e.Action), "outcome": outcome,
			"agent":  []map[string]any{{"who": staff(e.Actor), "requestor": true}},
			"source": map[string]any{"observer": &fhirReference{Identifier: &fhirIdentifier{System: systemHSAID, Value: e.Unit}}},
			"entity": []map[string]any{{"what": fhirReference{Reference: taskURL}}},
		}.set("recorded", fhirTime(e.Time))})
	}
	return json.Marshal(b)
}

// lastActivity is when the case last changed: closed, answered, or its
// last history step.
func lastActivity(c *cases.Case) time.Time {
	t := c.ReceivedAt
	for _, e := range c.History {
		if e.At.After(t) {
			t = e.At
		}
	}
	return t
}

// serviceName is the Swedish name of case c's service: its form's title
// (the unit's catalogue names its services, built in or made yesterday),
// else the case type's built-in name.
func serviceName(c *cases.Case, form *wire.Form) string {
	if form != nil && form.ID == string(c.Type) && form.Title.SV != "" {
		return form.Title.SV
	}
	return wirelabels.Type(c.Type, "sv")
}
