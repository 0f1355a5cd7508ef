package archive

// The FHIR rendering as it was first written, with encoding/json over
// structs and maps: the reference that FHIR's hand-written encoder must
// match byte for byte (TestFHIRSameAsEncodingJSON, FuzzFHIRSameAsEncodingJSON).

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/agent/fhirtask"
	"clinicgw/agent/labels"
	"clinicgw/sync/wire"
	wirelabels "clinicgw/sync/wire/labels"
)

type refIdentifier struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

type refReference struct {
	Reference  string         `json:"reference,omitempty"`
	Identifier *refIdentifier `json:"identifier,omitempty"`
	Display    string         `json:"display,omitempty"`
}

type refCoding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code"`
	Display string `json:"display,omitempty"`
}

type refConcept struct {
	Coding []refCoding `json:"coding,omitempty"`
	Text   string      `json:"text,omitempty"`
}

type refEntry struct {
	FullURL  string `json:"fullUrl"`
	Resource any    `json:"resource"`
}

type refBundle struct {
	ResourceType string        `json:"resourceType"`
	Type         string        `json:"type"`
	Timestamp    string        `json:"timestamp"`
	Identifier   refIdentifier `json:"identifier"`
	Entry        []refEntry    `json:"entry"`
}

func refPerson(p cases.Person) *refReference {
	return &refReference{Identifier: &refIdentifier{System: systemPNR, Value: string(p.PNR)}, Display: p.Name}
}

func refStaff(hsaID string) *refReference {
	if hsaID == "" || hsaID == "patient" || hsaID == "system" {
		return &refReference{Display: labels.Actor(hsaID, "sv", nil)}
	}
	return &refReference{Identifier: &refIdentifier{System: systemHSAID, Value: hsaID}}
}

// refResource is a FHIR resource as JSON: set leaves out what is empty (FHIR
// JSON has no nulls and no empty strings).
type refResource map[string]any

func (r refResource) set(key string, v any) refResource {
	switch v := v.(type) {
	case string:
		if v == "" {
			return r
		}
	case *refReference:
		if v == nil {
			return r
		}
	}
	r[key] = v
	return r
}

// fhirUUID is a stable urn:uuid for a refResource of a case: a name-based
// UUID (version 8, RFC 9562) from the SHA-256 of the name, so the same
// case renders the same bundle.
func refUUID(name string) string {
	h := sha256.Sum256([]byte("clinicgw:" + name))
	h[6] = h[6]&0x0f | 0x80
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// fhirAnswer is a form answer as a QuestionnaireResponse answer: a
// choice as valueCoding (the option's value as code, its Swedish label as
// display; no display when the form no longer has the option), a box as
// valueBoolean, a date as valueDate, anything else as valueString.
func refAnswer(c *cases.Case, a wirelabels.Answer) map[string]any {
	switch {
	case a.Kind == wire.FieldSelect || a.Kind == wire.FieldRadio:
		code := refCoding{System: "urn:clinicgw:form:" + string(c.Type) + ":" + a.Name, Code: a.Code}
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

// refFHIR renders a case and its access-log records as a FHIR R4 Bundle of
// type collection: a Task for the case (its form's answers as a
// QuestionnaireResponse among the Task's inputs, named by form, the
// unit's form of the case's type, or nil), a Communication per message,
// an AuditEvent per access-log record. Codes keep their code and carry
// their Swedish name as display.
func refFHIR(c *cases.Case, form *wire.Form, records []audit.Record, now time.Time) ([]byte, error) {
	id := string(c.ID)
	b := refBundle{ResourceType: "Bundle", Type: "collection", Timestamp: refTime(now),
		Identifier: refIdentifier{System: systemCase, Value: id}}
	taskURL := refUUID("task/" + id)
	qrURL := refUUID("form/" + id)
	task := refResource{
		"resourceType": "Task", "identifier": taskIdentifiers(c, id),
		"status": fhirtask.Status(c.Status), "intent": "order",
		"code": refConcept{Coding: []refCoding{{System: "urn:clinicgw:case-type", Code: string(c.Type), Display: serviceName(c, form)}}},
		"for":  refPerson(c.Patient),
	}
	task.set("authoredOn", refTime(c.ReceivedAt)).set("lastModified", refTime(lastActivity(c)))
	requester := refPerson(c.Patient)
	if c.Guardian != nil {
		requester = refPerson(*c.Guardian)
	}
	task.set("requester", requester)
	if c.Assignee != "" {
		task.set("owner", refStaff(c.Assignee))
	}
	if !c.DueAt.IsZero() {
		task.set("restriction", map[string]any{"period": map[string]string{"end": refTime(c.DueAt)}})
	}
	if len(c.Fields) > 0 {
		task.set("input", []map[string]any{{"type": refConcept{Text: "form"}, "valueReference": refReference{Reference: qrURL}}})
	}
	b.Entry = append(b.Entry, refEntry{taskURL, task})
	if len(c.Fields) > 0 {
		var items []refResource
		for i, a := range labels.Answers(form, c.Fields, "sv") {
			item := refResource{"linkId": a.Name}.set("text", a.Question)
			if c.Fields[i].Value != "" {
				item.set("answer", []map[string]any{refAnswer(c, a)})
			}
			items = append(items, item)
		}
		b.Entry = append(b.Entry, refEntry{qrURL, refResource{
			"resourceType": "QuestionnaireResponse", "status": "completed",
			"questionnaire": "urn:clinicgw:form:" + string(c.Type), "subject": refPerson(c.Patient), "item": items,
		}.set("authored", refTime(c.ReceivedAt))})
	}
	for i, m := range c.Messages {
		var sender, recipient *refReference
		if m.Kind == cases.FromPatient {
			sender, recipient = refPerson(c.Patient), &refReference{Identifier: &refIdentifier{System: systemHSAID, Value: c.Unit}}
		} else {
			sender, recipient = refStaff(m.Author), refPerson(c.Patient)
		}
		text := m.Text
		if m.Signature != "" {
			text += "\n\n" + m.Signature
		}
		msg := refResource{
			"resourceType": "Communication", "identifier": []refIdentifier{{System: "urn:clinicgw:message-id", Value: m.ID}},
			"partOf": []refReference{{Reference: taskURL}}, "status": "completed",
			"category": []refConcept{{Coding: []refCoding{{System: "urn:clinicgw:message-kind", Code: string(m.Kind), Display: labels.MessageKind(m.Kind, "sv")}}}},
			"subject":  refPerson(c.Patient),
			"sender":   sender, "recipient": []*refReference{recipient},
		}
		if text != "" {
			msg.set("payload", []map[string]string{{"contentString": text}})
		}
		b.Entry = append(b.Entry, refEntry{refUUID(fmt.Sprintf("message/%s/%d", id, i)), msg.set("sent", refTime(m.At))})
	}
	for _, r := range records {
		e := r.Entry
		outcome := "0"
		if e.Outcome != audit.Allowed {
			outcome = "4"
		}
		b.Entry = append(b.Entry, refEntry{refUUID(fmt.Sprintf("audit/%s/%d", id, r.Seq)), refResource{
			"resourceType": "AuditEvent",
			"type":         refCoding{System: "http://terminology.hl7.org/CodeSystem/audit-event-type", Code: "rest"},
			"subtype":      []refCoding{{System: "urn:clinicgw:action", Code: e.Action, Display: labels.Action(cases.Action(e.Action), "sv")}},
			"action":       auditAction(e.Action), "outcome": outcome,
			"agent":  []map[string]any{{"who": refStaff(e.Actor), "requestor": true}},
			"source": map[string]any{"observer": &refReference{Identifier: &refIdentifier{System: systemHSAID, Value: e.Unit}}},
			"entity": []map[string]any{{"what": refReference{Reference: taskURL}}},
		}.set("recorded", refTime(e.Time))})
	}
	return json.Marshal(b)
}

func refTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// taskIdentifiers are a Task's identifiers: the case id, then the unit's
// systems' references.
func taskIdentifiers(c *cases.Case, id string) []refIdentifier {
	out := []refIdentifier{{System: systemCase, Value: id}}
	for _, r := range c.Refs {
		out = append(out, refIdentifier{System: r.System, Value: r.Value})
	}
	return out
}
