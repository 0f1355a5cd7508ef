package fhirapi

import "encoding/json"

// The FHIR R4 (4.0.1) datatypes and resources this API emits, written by
// hand with only the elements it fills (see the package doc for why no
// library). Empty elements are left out: FHIR JSON has no nulls, empty
// strings or empty arrays. Every resource is checked against the
// official definitions by the tests (the fhir npm package's validator and
// HL7's JSON schema).

// Identifier systems.
const (
	systemPNR    = "urn:oid:1.2.752.129.2.1.3.1" // personnummer
	systemSamnr  = "urn:oid:1.2.752.129.2.1.3.3" // samordningsnummer
	systemHSAID  = "urn:oid:1.2.752.29.4.19"     // HSA-ID
	systemCase   = "urn:clinicgw:case-id"
	systemType   = "urn:clinicgw:case-type"
	systemMsgID  = "urn:clinicgw:message-id"
	systemMsgKnd = "urn:clinicgw:message-kind"
	systemStatus = "urn:clinicgw:case-status"
)

// Identifier is FHIR's Identifier.
type Identifier struct {
	System string `json:"system,omitempty"`
	Value  string `json:"value,omitempty"`
}

// Reference is FHIR's Reference.
type Reference struct {
	Reference  string      `json:"reference,omitempty"`
	Type       string      `json:"type,omitempty"`
	Identifier *Identifier `json:"identifier,omitempty"`
	Display    string      `json:"display,omitempty"`
}

// Coding is FHIR's Coding.
type Coding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

// CodeableConcept is FHIR's CodeableConcept.
type CodeableConcept struct {
	Coding []Coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

// Period is FHIR's Period.
type Period struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

// Meta is FHIR's Meta: the resource's version (as its ETag, W/"n") and
// when it last changed.
type Meta struct {
	VersionID   string `json:"versionId,omitempty"`
	LastUpdated string `json:"lastUpdated,omitempty"`
}

// Task is a case.
type Task struct {
	ResourceType    string           `json:"resourceType"` // "Task"
	ID              string           `json:"id"`
	Meta            *Meta            `json:"meta,omitempty"`
	Identifier      []Identifier     `json:"identifier"`
	Status          string           `json:"status"`
	BusinessStatus  *CodeableConcept `json:"businessStatus,omitempty"`
	Intent          string           `json:"intent"` // "order"
	Code            *CodeableConcept `json:"code,omitempty"`
	Focus           *Reference       `json:"focus,omitempty"`
	For             *Reference       `json:"for,omitempty"`
	ExecutionPeriod *Period          `json:"executionPeriod,omitempty"`
	AuthoredOn      string           `json:"authoredOn,omitempty"`
	LastModified    string           `json:"lastModified,omitempty"`
	Requester       *Reference       `json:"requester,omitempty"`
	Owner           *Reference       `json:"owner,omitempty"`
	Restriction     *TaskRestriction `json:"restriction,omitempty"`
	Description     string           `json:"description,omitempty"`
	InstantiatesURI string           `json:"instantiatesUri,omitempty"`
}

// TaskRestriction is Task.restriction: its period's end is the due date.
type TaskRestriction struct {
	Period *Period `json:"period,omitempty"`
}

// Patient is the minimal Patient: an identifier and a name.
type Patient struct {
	ResourceType string       `json:"resourceType"` // "Patient"
	ID           string       `json:"id"`
	Identifier   []Identifier `json:"identifier"`
	Name         []HumanName  `json:"name,omitempty"`
}

// HumanName is FHIR's HumanName, as one text.
type HumanName struct {
	Text string `json:"text,omitempty"`
}

// QuestionnaireResponse is a case's form answers.
type QuestionnaireResponse struct {
	ResourceType  string       `json:"resourceType"` // "QuestionnaireResponse"
	ID            string       `json:"id"`
	Questionnaire string       `json:"questionnaire,omitempty"` // canonical
	Status        string       `json:"status"`
	Subject       *Reference   `json:"subject,omitempty"`
	Authored      string       `json:"authored,omitempty"`
	Item          []AnswerItem `json:"item,omitempty"`
}

// AnswerItem is QuestionnaireResponse.item.
type AnswerItem struct {
	LinkID string   `json:"linkId"`
	Text   string   `json:"text,omitempty"`
	Answer []Answer `json:"answer,omitempty"`
}

// Answer is QuestionnaireResponse.item.answer: one value[x].
type Answer struct {
	ValueString  *string `json:"valueString,omitempty"`
	ValueBoolean *bool   `json:"valueBoolean,omitempty"`
	ValueDate    *string `json:"valueDate,omitempty"`
	ValueCoding  *Coding `json:"valueCoding,omitempty"`
}

// Questionnaire is a form.
type Questionnaire struct {
	ResourceType string              `json:"resourceType"` // "Questionnaire"
	ID           string              `json:"id"`
	URL          string              `json:"url"`
	Version      string              `json:"version,omitempty"`
	Name         string              `json:"name,omitempty"`
	Title        string              `json:"title,omitempty"`
	Status       string              `json:"status"`
	Item         []QuestionnaireItem `json:"item,omitempty"`
}

// QuestionnaireItem is Questionnaire.item.
type QuestionnaireItem struct {
	LinkID       string   `json:"linkId"`
	Text         string   `json:"text,omitempty"`
	Type         string   `json:"type"`
	Required     bool     `json:"required,omitempty"`
	AnswerOption []Option `json:"answerOption,omitempty"`
}

// Option is Questionnaire.item.answerOption.
type Option struct {
	ValueCoding Coding `json:"valueCoding"`
}

// Communication is one message of a case.
type Communication struct {
	ResourceType string            `json:"resourceType"` // "Communication"
	ID           string            `json:"id"`
	Identifier   []Identifier      `json:"identifier,omitempty"`
	PartOf       []Reference       `json:"partOf,omitempty"`
	Status       string            `json:"status"`
	Category     []CodeableConcept `json:"category,omitempty"`
	Subject      *Reference        `json:"subject,omitempty"`
	Sent         string            `json:"sent,omitempty"`
	Recipient    []Reference       `json:"recipient,omitempty"`
	Sender       *Reference        `json:"sender,omitempty"`
	Payload      []Payload         `json:"payload,omitempty"`
}

// Payload is Communication.payload: text only.
type Payload struct {
	ContentString string `json:"contentString"`
}

// Bundle is a searchset.
type Bundle struct {
	ResourceType string        `json:"resourceType"` // "Bundle"
	Type         string        `json:"type"`         // "searchset"
	Timestamp    string        `json:"timestamp,omitempty"`
	Link         []BundleLink  `json:"link,omitempty"`
	Entry        []BundleEntry `json:"entry,omitempty"`
}

// BundleLink is Bundle.link: self, next, previous.
type BundleLink struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

// BundleEntry is Bundle.entry.
type BundleEntry struct {
	FullURL  string          `json:"fullUrl,omitempty"`
	Resource json.RawMessage `json:"resource"`
	Search   *EntrySearch    `json:"search,omitempty"`
}

// EntrySearch is Bundle.entry.search.
type EntrySearch struct {
	Mode string `json:"mode"` // "match"
}

// OperationOutcome is an error.
type OperationOutcome struct {
	ResourceType string  `json:"resourceType"` // "OperationOutcome"
	Issue        []Issue `json:"issue"`
}

// Issue is OperationOutcome.issue.
type Issue struct {
	Severity    string `json:"severity"`
	Code        string `json:"code"`
	Diagnostics string `json:"diagnostics,omitempty"`
}
