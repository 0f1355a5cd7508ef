package fhirapi

// capabilityDate is when the CapabilityStatement last changed: change it
// with what the API supports.
const capabilityDate = "2026-12-07"

type capParam struct {
	Name          string `json:"name"`
	Type          string `json:"type"`
	Documentation string `json:"documentation,omitempty"`
}

type capInteraction struct {
	Code string `json:"code"`
}

type capResource struct {
	Type        string           `json:"type"`
	Interaction []capInteraction `json:"interaction"`
	SearchParam []capParam       `json:"searchParam,omitempty"`
	Operation   []capOperation   `json:"operation,omitempty"` // capability_booking.go
	// Versioning and ConditionalUpdate (version.go): a resource with an
	// ETag whose changes take If-Match is versioned-update; no
	// conditional update (an update by search criteria) is supported.
	Versioning        string `json:"versioning,omitempty"`
	ConditionalUpdate *bool  `json:"conditionalUpdate,omitempty"`
	Documentation     string `json:"documentation,omitempty"`
}

// versionedDoc says how a versioned resource's changes take If-Match.
const versionedDoc = " Versioned: a read's ETag W/\"n\" is meta.versionId; a change with If-Match W/\"n\" is made only if the " +
	"resource is still at n, else 412 and nothing changes; a change without If-Match is taken."

var no = false

// capability is the CapabilityStatement at /metadata: exactly what the
// API supports, and nothing more (TestCapabilityMatchesRoutes checks the
// routes against it).
func capability() map[string]any {
	read := []capInteraction{{Code: "read"}}
	taskIA := []capInteraction{{Code: "read"}, {Code: "search-type"}, {Code: "patch"}}
	commIA := []capInteraction{{Code: "read"}, {Code: "search-type"}, {Code: "create"}}
	return map[string]any{
		"resourceType": "CapabilityStatement",
		"status":       "active",
		"date":         capabilityDate,
		"kind":         "instance",
		"software":     map[string]string{"name": "clinicgw"},
		"implementation": map[string]string{
			"description": "The care unit's integration API: its cases, form answers and messages; messages to patients; cases marked handled.",
		},
		"fhirVersion": "4.0.1",
		"format":      []string{"json"},
		"rest": []map[string]any{{
			"mode": "server",
			"documentation": "Mutual TLS with the calling system's SITHS function certificate; the system must be in the " +
				"staff directory's systems section with the permission read-cases to read, write-messages to write. No tokens. A search by patient " +
				"identifier only as POST [type]/_search (a personnummer never goes in a URL).",
			"security": map[string]any{
				"cors": false,
				"service": []map[string]any{{"coding": []map[string]string{{
					"system": "http://terminology.hl7.org/CodeSystem/restful-security-service", "code": "Certificates"}}}},
				"description": "SITHS function certificate (mutual TLS); per-system permissions and rate limit.",
			},
			"resource": []capResource{
				{Type: "Task", Interaction: taskIA, Versioning: "versioned-update", ConditionalUpdate: &no, Documentation: "A case. PATCH (application/json-patch+json): replace /status with completed " +
					"marks an answered case handled; add /identifier/- attaches the system's own reference (shown to staff).  Paged oldest first with Bundle next links (_cursor). Change feed: GET Task/_changes " +
					"(a long poll: _since = the token of the last answer's next link, _wait = up to 30 seconds) answers the Tasks " +
					"changed since; 410 when the token is from before a restart: search by _lastUpdated, then start again." + versionedDoc,
					SearchParam: []capParam{
						{Name: "status", Type: "token", Documentation: "Task.status; several separated by commas."},
						{Name: "owner", Type: "reference", Documentation: "The assigned clinician's HSA-ID, as owner:identifier=urn:oid:1.2.752.29.4.19|HSA-ID."},
						{Name: "code", Type: "token", Documentation: "The service (case type): urn:clinicgw:case-type|code."},
						{Name: "patient", Type: "reference", Documentation: "Only as patient:identifier=urn:oid:1.2.752.129.2.1.3.1|personnummer " +
							"(or samordningsnummer, 1.2.752.129.2.1.3.3), and only in POST Task/_search; one page."},
						{Name: "_lastUpdated", Type: "date", Documentation: "Prefixes gt, ge, lt, le; repeatable."},
						{Name: "_count", Type: "number", Documentation: "Page size, 1 to 100; 50 if left out."},
					}},
				{Type: "QuestionnaireResponse", Interaction: read, Documentation: "A case's form answers; its id is the case's."},
				{Type: "Questionnaire", Interaction: read, Documentation: "A form; its id is the service's code."},
				{Type: "Communication", Interaction: commIA, Documentation: "A message of a case. create: a message to a patient, " +
					"once per identifier (a retry answers 200 with the message sent; the identifier with another message 409): " +
					"on a case (partOf Task/[id]; category urn:clinicgw:message-kind answer, partial-answer or counter-question, " +
					"answer if left out) or starting one (subject by identifier, topic.text the subject line, topic.coding the " +
					"service, extension urn:clinicgw:reply-allowed). Signed with the system's signature from the directory. " +
					"A system without read-cases gets an OperationOutcome back, not the message.",
					SearchParam: []capParam{{Name: "part-of", Type: "reference", Documentation: "Task/[id]: the case's messages, one page."}}},
				{Type: "Patient", Interaction: read, Documentation: "The patient of a case (its id is the case's): identifier and name."},
			},
		}},
	}
}
