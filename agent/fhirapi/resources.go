package fhirapi

import (
	"fmt"
	"strconv"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/agent/fhirtask"
	"clinicgw/agent/labels"
	"clinicgw/sync/wire"
	wirelabels "clinicgw/sync/wire/labels"
	"clinicgw/sync/wire/personnummer"
)

// fhirTime is an instant as FHIR writes it; "" for the zero time.
func fhirTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// patientIdentifier is a personnummer (or samordningsnummer) as a FHIR
// Identifier with its Swedish OID.
func patientIdentifier(p personnummer.Personnummer) Identifier {
	if p.IsCoordination() {
		return Identifier{System: systemSamnr, Value: string(p)}
	}
	return Identifier{System: systemPNR, Value: string(p)}
}

// patientRef is a reference to the patient of case id, by id and
// identifier.
func patientRef(id cases.ID, p cases.Person) *Reference {
	ident := patientIdentifier(p.PNR)
	return &Reference{Reference: "Patient/" + string(id), Type: "Patient", Identifier: &ident}
}

// practitioner is a member of staff by HSA-ID.
func practitioner(hsaID string) *Reference {
	return &Reference{Type: "Practitioner", Identifier: &Identifier{System: systemHSAID, Value: hsaID}}
}

// unitRef is the care unit.
func unitRef(hsaID string) *Reference {
	return &Reference{Type: "Organization", Identifier: &Identifier{System: systemHSAID, Value: hsaID}}
}

// lastUpdated is when the case last changed: its last history step, or
// when it arrived.
func lastUpdated(c *cases.Case) time.Time {
	t := c.ReceivedAt
	for _, e := range c.History {
		if e.At.After(t) {
			t = e.At
		}
	}
	for _, m := range c.Messages {
		if m.At.After(t) {
			t = m.At
		}
	}
	return t
}

// serviceCode is the case's type (the service) with its Swedish name
// from the type name lookup (so it follows the service catalogue).
func serviceCode(c *cases.Case) *CodeableConcept {
	name := wirelabels.Type(c.Type, "sv")
	return &CodeableConcept{Coding: []Coding{{System: systemType, Code: string(c.Type), Display: name}}, Text: name}
}

// taskOf is a case as a Task.
func taskOf(c *cases.Case) Task {
	id := string(c.ID)
	t := Task{
		ResourceType: "Task", ID: id,
		Meta:       &Meta{VersionID: strconv.FormatUint(c.Version, 10), LastUpdated: fhirTime(lastUpdated(c))},
		Identifier: []Identifier{{System: systemCase, Value: id}},
		Status:     fhirtask.Status(c.Status),
		BusinessStatus: &CodeableConcept{Coding: []Coding{{System: systemStatus, Code: string(c.Status),
			Display: labels.Status(c.Status, "sv")}}},
		Intent:       "order",
		Code:         serviceCode(c),
		For:          patientRef(c.ID, c.Patient),
		AuthoredOn:   fhirTime(c.SentAt),
		LastModified: fhirTime(lastUpdated(c)),
		Description:  c.Subject,
	}
	if c.SentAt.IsZero() {
		t.AuthoredOn = fhirTime(c.ReceivedAt)
	}
	for _, r := range c.Refs { // the unit's systems' own references (PATCH)
		t.Identifier = append(t.Identifier, Identifier{System: r.System, Value: r.Value})
	}
	if len(c.Fields) > 0 {
		t.Focus = &Reference{Reference: "QuestionnaireResponse/" + id, Type: "QuestionnaireResponse"}
	}
	requester := c.Patient
	if c.Guardian != nil {
		requester = *c.Guardian
	}
	if c.InitiatedBy != "" {
		t.Requester = practitioner(c.InitiatedBy)
	} else {
		ident := patientIdentifier(requester.PNR)
		t.Requester = &Reference{Type: "RelatedPerson", Identifier: &ident}
		if c.Guardian == nil {
			t.Requester = patientRef(c.ID, c.Patient)
		}
	}
	if c.Assignee != "" {
		t.Owner = practitioner(c.Assignee)
	}
	ep := &Period{Start: t.AuthoredOn}
	if !c.Status.Open() && c.Status != cases.WaitingForPatient {
		ep.End = fhirTime(lastUpdated(c))
	}
	t.ExecutionPeriod = ep
	if !c.DueAt.IsZero() && c.Status.Open() {
		t.Restriction = &TaskRestriction{Period: &Period{End: fhirTime(c.DueAt)}}
	}
	return t
}

// patientOf is the patient of case c, minimal: identifier and name.
func patientOf(c *cases.Case) Patient {
	p := Patient{ResourceType: "Patient", ID: string(c.ID), Identifier: []Identifier{patientIdentifier(c.Patient.PNR)}}
	if c.Patient.Name != "" {
		p.Name = []HumanName{{Text: c.Patient.Name}}
	}
	return p
}

// questionnaireURL is the canonical URL of the form of a case type.
func questionnaireURL(typ string) string { return "urn:clinicgw:form:" + typ }

// responseOf is the form answers of case c; form is the unit's form of
// its type, or nil.
func responseOf(c *cases.Case, form *wire.Form) QuestionnaireResponse {
	r := QuestionnaireResponse{ResourceType: "QuestionnaireResponse", ID: string(c.ID),
		Questionnaire: questionnaireURL(string(c.Type)), Status: "completed",
		Subject: patientRef(c.ID, c.Patient), Authored: fhirTime(c.SentAt)}
	if c.SentAt.IsZero() {
		r.Authored = fhirTime(c.ReceivedAt)
	}
	for i, a := range labels.Answers(form, c.Fields, "sv") {
		item := AnswerItem{LinkID: a.Name, Text: a.Question}
		if c.Fields[i].Value != "" {
			item.Answer = []Answer{answerOf(c, a)}
		}
		r.Item = append(r.Item, item)
	}
	return r
}

// answerOf is one answer: a choice as valueCoding, a box as valueBoolean,
// a date as valueDate, anything else (and what the form no longer
// explains) as valueString.
func answerOf(c *cases.Case, a wirelabels.Answer) Answer {
	switch {
	case (a.Kind == wire.FieldSelect || a.Kind == wire.FieldRadio) && a.Code != "":
		code := &Coding{System: questionnaireURL(string(c.Type)) + ":" + a.Name, Code: a.Code}
		if !a.Unmatched {
			code.Display = a.Text
		}
		return Answer{ValueCoding: code}
	case a.Kind == wire.FieldCheckbox && !a.Unmatched:
		b := a.Code == "true"
		return Answer{ValueBoolean: &b}
	case a.Kind == wire.FieldDate && !a.Unmatched:
		d := a.Text
		return Answer{ValueDate: &d}
	}
	s := a.Text
	return Answer{ValueString: &s}
}

// questionnaireOf is a form.
func questionnaireOf(f *wire.Form) Questionnaire {
	q := Questionnaire{ResourceType: "Questionnaire", ID: f.ID, URL: questionnaireURL(f.ID),
		Version: fmt.Sprint(f.Version), Title: f.Title.SV, Status: "active"}
	for _, fld := range f.Fields {
		it := QuestionnaireItem{LinkID: fld.Name, Text: fld.Label.SV, Required: fld.Required}
		switch fld.Kind {
		case wire.FieldText:
			it.Type = "string"
		case wire.FieldTextarea:
			it.Type = "text"
		case wire.FieldSelect, wire.FieldRadio:
			it.Type = "choice"
			for _, o := range fld.Options {
				it.AnswerOption = append(it.AnswerOption, Option{ValueCoding: Coding{
					System: questionnaireURL(f.ID) + ":" + fld.Name, Code: o.Value, Display: o.Label.SV}})
			}
		case wire.FieldCheckbox:
			it.Type = "boolean"
		case wire.FieldDate:
			it.Type = "date"
		default:
			it.Type = "string"
		}
		q.Item = append(q.Item, it)
	}
	return q
}

// communicationID is message i of case id.
func communicationID(id cases.ID, i int) string { return fmt.Sprintf("%s-%d", id, i) }

// communicationOf is message i of case c.
func communicationOf(c *cases.Case, i int) Communication {
	m := c.Messages[i]
	cm := Communication{ResourceType: "Communication", ID: communicationID(c.ID, i),
		PartOf: []Reference{{Reference: "Task/" + string(c.ID), Type: "Task"}}, Status: "completed",
		Category: []CodeableConcept{{Coding: []Coding{{System: systemMsgKnd, Code: string(m.Kind), Display: labels.MessageKind(m.Kind, "sv")}}}},
		Subject:  patientRef(c.ID, c.Patient), Sent: fhirTime(m.At)}
	if m.ID != "" {
		cm.Identifier = []Identifier{{System: systemMsgID, Value: m.ID}}
	}
	if m.Kind == cases.FromPatient {
		cm.Sender, cm.Recipient = patientRef(c.ID, c.Patient), []Reference{*unitRef(c.Unit)}
	} else {
		cm.Sender, cm.Recipient = practitioner(m.Author), []Reference{*patientRef(c.ID, c.Patient)}
		if m.Author == "" || m.Author == "system" {
			cm.Sender = unitRef(c.Unit)
		}
	}
	text := m.Text
	if m.Signature != "" {
		text += "\n\n" + m.Signature
	}
	if text != "" {
		cm.Payload = []Payload{{ContentString: text}}
	}
	return cm
}
