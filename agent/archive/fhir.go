package archive

import (
	"encoding/json"
	"fmt"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
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
		return &fhirReference{Display: hsaID}
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

// FHIR renders a case and its access-log records as a FHIR R4 Bundle of
// type collection.
func FHIR(c *cases.Case, records []audit.Record, now time.Time) ([]byte, error) {
	id := string(c.ID)
	b := fhirBundle{ResourceType: "Bundle", Type: "collection", Timestamp: fhirTime(now),
		Identifier: fhirIdentifier{System: systemCase, Value: id}}
	taskURL := "urn:uuid:task-" + id
	owner := (*fhirReference)(nil)
	if c.Assignee != "" {
		owner = staff(c.Assignee)
	}
	task := map[string]any{
		"resourceType": "Task", "identifier": []fhirIdentifier{{System: systemCase, Value: id}},
		"status": taskStatus(c.Status), "intent": "order",
		"code":         fhirConcept{Coding: []fhirCoding{{System: "urn:clinicgw:case-type", Code: string(c.Type)}}},
		"for":          person(c.Patient),
		"authoredOn":   fhirTime(c.ReceivedAt),
		"lastModified": fhirTime(lastActivity(c)),
		"requester":    person(c.Patient),
		"owner":        owner,
		"restriction":  map[string]any{"period": map[string]string{"end": fhirTime(c.DueAt)}},
	}
	if c.Guardian != nil {
		task["requester"] = person(*c.Guardian)
	}
	b.Entry = append(b.Entry, fhirEntry{taskURL, task})
	if len(c.Fields) > 0 {
		var items []map[string]any
		for _, f := range c.Fields {
			items = append(items, map[string]any{"linkId": f.Name, "text": f.Label,
				"answer": []map[string]string{{"valueString": f.Value}}})
		}
		b.Entry = append(b.Entry, fhirEntry{"urn:uuid:qr-" + id, map[string]any{
			"resourceType": "QuestionnaireResponse", "status": "completed", "authored": fhirTime(c.ReceivedAt),
			"questionnaire": "urn:clinicgw:form:" + string(c.Type), "subject": person(c.Patient),
			"basedOn": []fhirReference{{Reference: taskURL}}, "item": items,
		}})
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
		b.Entry = append(b.Entry, fhirEntry{fmt.Sprintf("urn:uuid:msg-%s-%d", id, i), map[string]any{
			"resourceType": "Communication", "identifier": []fhirIdentifier{{System: "urn:clinicgw:message-id", Value: m.ID}},
			"partOf": []fhirReference{{Reference: taskURL}}, "status": "completed",
			"category": []fhirConcept{{Text: string(m.Kind)}}, "subject": person(c.Patient),
			"sent": fhirTime(m.At), "sender": sender, "recipient": []*fhirReference{recipient},
			"payload": []map[string]string{{"contentString": text}},
		}})
	}
	for _, r := range records {
		e := r.Entry
		outcome := "0"
		if e.Outcome != audit.Allowed {
			outcome = "4"
		}
		b.Entry = append(b.Entry, fhirEntry{fmt.Sprintf("urn:uuid:audit-%d", r.Seq), map[string]any{
			"resourceType": "AuditEvent",
			"type":         fhirCoding{System: "http://terminology.hl7.org/CodeSystem/audit-event-type", Code: "rest"},
			"subtype":      []fhirCoding{{System: "urn:clinicgw:action", Code: e.Action}},
			"action":       auditAction(e.Action), "recorded": fhirTime(e.Time), "outcome": outcome,
			"agent":  []map[string]any{{"who": staff(e.Actor), "requestor": true}},
			"source": map[string]any{"observer": &fhirReference{Identifier: &fhirIdentifier{System: systemHSAID, Value: e.Unit}}},
			"entity": []map[string]any{{"what": fhirReference{Reference: taskURL}}},
		}})
	}
	return json.MarshalIndent(b, "", " ")
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
