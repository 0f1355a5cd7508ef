package archive

import (
	"crypto/sha256"
	"strconv"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/agent/fhirtask"
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

// fhirUUID is a stable urn:uuid for a resource of a case: a name-based
// UUID (version 8, RFC 9562) from the SHA-256 of the name, so the same
// case renders the same bundle.
func fhirUUID(name string) string {
	var buf [64]byte
	h := sha256.Sum256(append(append(buf[:0], "clinicgw:"...), name...))
	h[6] = h[6]&0x0f | 0x80
	h[8] = h[8]&0x3f | 0x80
	out := append(buf[:0], "urn:uuid:"...)
	for i, b := range h[:16] {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hexDigits[b>>4], hexDigits[b&0xF])
	}
	return string(out)
}

// The FHIR JSON is written by hand (jsonw), in the order encoding/json
// writes the same values: a bundle's and an entry's members in the order
// below, a resource's members sorted by name, as a map's are. It was
// written with encoding/json over maps first; that rendering is kept in
// fhirref_test.go and the two are proved byte for byte the same
// (TestFHIRSameAsEncodingJSON, FuzzFHIRSameAsEncodingJSON): the hand
// encoder takes a fifth of the time.

// identifier writes {"system", "value"}.
func (w *jsonw) identifier(system, value string) {
	w.open('{')
	w.field("system", system)
	w.field("value", value)
	w.close('}')
}

// person writes a Reference to a patient or guardian: by personnummer,
// with the name as display.
func (w *jsonw) person(p cases.Person) {
	w.open('{')
	w.key("identifier")
	w.identifier(systemPNR, string(p.PNR))
	w.opt("display", p.Name)
	w.close('}')
}

// staff writes a Reference to a member of staff by HSA-ID, or to the
// patient or the system by name.
func (w *jsonw) staff(hsaID string) {
	w.open('{')
	if hsaID == "" || hsaID == "patient" || hsaID == "system" {
		w.opt("display", labels.Actor(hsaID, "sv", nil))
	} else {
		w.key("identifier")
		w.identifier(systemHSAID, hsaID)
	}
	w.close('}')
}

// hsaRef writes a Reference to a unit or member of staff by HSA-ID.
func (w *jsonw) hsaRef(hsaID string) {
	w.open('{')
	w.key("identifier")
	w.identifier(systemHSAID, hsaID)
	w.close('}')
}

// ref writes a Reference {"reference": url}.
func (w *jsonw) ref(url string) {
	w.open('{')
	w.opt("reference", url)
	w.close('}')
}

// coding writes a Coding: system and display left out when empty.
func (w *jsonw) coding(system, code, display string) {
	w.open('{')
	w.opt("system", system)
	w.field("code", code)
	w.opt("display", display)
	w.close('}')
}

// concept writes a CodeableConcept of one Coding.
func (w *jsonw) concept(system, code, display string) {
	w.open('{')
	w.key("coding")
	w.open('[')
	w.coding(system, code, display)
	w.close(']')
	w.close('}')
}

// FHIR renders a case and its access-log records as a FHIR R4 Bundle of
// type collection: a Task for the case (its form's answers as a
// QuestionnaireResponse among the Task's inputs, named by form, the
// unit's form of the case's type, or nil), a Communication per message,
// an AuditEvent per access-log record. Codes keep their code and carry
// their Swedish name as display.
func FHIR(c *cases.Case, form *wire.Form, records []audit.Record, now time.Time) ([]byte, error) {
	return appendFHIR(nil, c, form, records, now), nil
}

// appendFHIR appends FHIR's rendering to dst.
func appendFHIR(dst []byte, c *cases.Case, form *wire.Form, records []audit.Record, now time.Time) []byte {
	id := string(c.ID)
	w := &jsonw{b: dst}
	w.open('{')
	w.field("resourceType", "Bundle")
	w.field("type", "collection")
	w.key("timestamp")
	w.timeValue(now) // "" when zero: the bundle always has its timestamp
	w.key("identifier")
	w.identifier(systemCase, id)
	w.key("entry")
	w.open('[')
	taskURL := fhirUUID("task/" + id)
	qrURL := fhirUUID("form/" + id)
	w.task(c, form, taskURL, qrURL)
	if len(c.Fields) > 0 {
		w.questionnaireResponse(c, form, qrURL)
	}
	for i, m := range c.Messages {
		w.communication(c, m, fhirUUID("message/"+id+"/"+strconv.Itoa(i)), taskURL)
	}
	for _, r := range records {
		w.auditEvent(r, fhirUUID("audit/"+id+"/"+strconv.FormatUint(r.Seq, 10)), taskURL)
	}
	w.close(']')
	w.close('}')
	return w.b
}

// entry starts a bundle entry: {"fullUrl": url, "resource": {…; the
// caller writes the resource's members and ends both with endEntry.
func (w *jsonw) entry(url string) {
	w.open('{')
	w.field("fullUrl", url)
	w.key("resource")
	w.open('{')
}

func (w *jsonw) endEntry() {
	w.close('}')
	w.close('}')
}

func (w *jsonw) task(c *cases.Case, form *wire.Form, taskURL, qrURL string) {
	w.entry(taskURL)
	w.time("authoredOn", c.ReceivedAt)
	w.key("code")
	w.concept("urn:clinicgw:case-type", string(c.Type), serviceName(c, form))
	w.key("for")
	w.person(c.Patient)
	w.key("identifier")
	w.open('[')
	w.identifier(systemCase, string(c.ID))
	for _, r := range c.Refs { // the unit's systems' references (the record note's id)
		w.identifier(r.System, r.Value)
	}
	w.close(']')
	if len(c.Fields) > 0 {
		w.key("input")
		w.open('[')
		w.open('{')
		w.key("type")
		w.open('{')
		w.field("text", "form")
		w.close('}')
		w.key("valueReference")
		w.ref(qrURL)
		w.close('}')
		w.close(']')
	}
	w.field("intent", "order")
	w.time("lastModified", lastActivity(c))
	if c.Assignee != "" {
		w.key("owner")
		w.staff(c.Assignee)
	}
	w.key("requester")
	if c.Guardian != nil {
		w.person(*c.Guardian)
	} else {
		w.person(c.Patient)
	}
	w.field("resourceType", "Task")
	if !c.DueAt.IsZero() {
		w.key("restriction")
		w.open('{')
		w.key("period")
		w.open('{')
		w.time("end", c.DueAt)
		w.close('}')
		w.close('}')
	}
	w.field("status", fhirtask.Status(c.Status))
	w.endEntry()
}

func (w *jsonw) questionnaireResponse(c *cases.Case, form *wire.Form, qrURL string) {
	w.entry(qrURL)
	w.time("authored", c.ReceivedAt)
	w.key("item")
	answers := labels.Answers(form, c.Fields, "sv")
	if len(answers) == 0 {
		w.null() // as encoding/json writes a nil slice; Answers has one per field
	} else {
		w.open('[')
		for i, a := range answers {
			w.open('{')
			if c.Fields[i].Value != "" {
				w.key("answer")
				w.open('[')
				w.answer(c, a)
				w.close(']')
			}
			w.field("linkId", a.Name)
			w.opt("text", a.Question)
			w.close('}')
		}
		w.close(']')
	}
	w.field("questionnaire", "urn:clinicgw:form:"+string(c.Type))
	w.field("resourceType", "QuestionnaireResponse")
	w.field("status", "completed")
	w.key("subject")
	w.person(c.Patient)
	w.endEntry()
}

// answer writes a form answer as a QuestionnaireResponse answer: a
// choice as valueCoding (the option's value as code, its Swedish label as
// display; no display when the form no longer has the option), a box as
// valueBoolean, a date as valueDate, anything else as valueString.
func (w *jsonw) answer(c *cases.Case, a wirelabels.Answer) {
	w.open('{')
	switch {
	case a.Kind == wire.FieldSelect || a.Kind == wire.FieldRadio:
		display := a.Text
		if a.Unmatched {
			display = ""
		}
		w.key("valueCoding")
		w.coding("urn:clinicgw:form:"+string(c.Type)+":"+a.Name, a.Code, display)
	case a.Kind == wire.FieldCheckbox && !a.Unmatched:
		w.key("valueBoolean")
		w.bool(a.Code == "true")
	case a.Kind == wire.FieldDate && !a.Unmatched:
		w.field("valueDate", a.Text)
	default:
		w.field("valueString", a.Text)
	}
	w.close('}')
}

func (w *jsonw) communication(c *cases.Case, m cases.Message, url, taskURL string) {
	w.entry(url)
	w.key("category")
	w.open('[')
	w.concept("urn:clinicgw:message-kind", string(m.Kind), labels.MessageKind(m.Kind, "sv"))
	w.close(']')
	w.key("identifier")
	w.open('[')
	w.identifier("urn:clinicgw:message-id", m.ID)
	w.close(']')
	w.key("partOf")
	w.open('[')
	w.ref(taskURL)
	w.close(']')
	text := m.Text
	if m.Signature != "" {
		text += "\n\n" + m.Signature
	}
	if text != "" {
		w.key("payload")
		w.open('[')
		w.open('{')
		w.field("contentString", text)
		w.close('}')
		w.close(']')
	}
	w.key("recipient")
	w.open('[')
	if m.Kind == cases.FromPatient {
		w.hsaRef(c.Unit)
	} else {
		w.person(c.Patient)
	}
	w.close(']')
	w.field("resourceType", "Communication")
	w.key("sender")
	if m.Kind == cases.FromPatient {
		w.person(c.Patient)
	} else {
		w.staff(m.Author)
	}
	w.time("sent", m.At)
	w.field("status", "completed")
	w.key("subject")
	w.person(c.Patient)
	w.endEntry()
}

func (w *jsonw) auditEvent(r audit.Record, url, taskURL string) {
	e := r.Entry
	outcome := "0"
	if e.Outcome != audit.Allowed {
		outcome = "4"
	}
	w.entry(url)
	w.field("action", auditAction(e.Action))
	w.key("agent")
	w.open('[')
	w.open('{')
	w.key("requestor")
	w.bool(true)
	w.key("who")
	w.staff(e.Actor)
	w.close('}')
	w.close(']')
	w.key("entity")
	w.open('[')
	w.open('{')
	w.key("what")
	w.ref(taskURL)
	w.close('}')
	w.close(']')
	w.field("outcome", outcome)
	w.time("recorded", e.Time)
	w.field("resourceType", "AuditEvent")
	w.key("source")
	w.open('{')
	w.key("observer")
	w.hsaRef(e.Unit)
	w.close('}')
	w.key("subtype")
	w.open('[')
	w.coding("urn:clinicgw:action", e.Action, labels.Action(cases.Action(e.Action), "sv"))
	w.close(']')
	w.key("type")
	w.coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "")
	w.endEntry()
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
