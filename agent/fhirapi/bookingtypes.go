package fhirapi

// The FHIR R4 resources of the booking diary (agent/booking), by hand as
// in types.go, with only the elements emitted.

// Identifier systems of the diary.
const (
	systemTimeType = "urn:clinicgw:time-type"
	systemBooking  = "urn:clinicgw:booking-id"
)

// Schedule is one clinician's diary.
type Schedule struct {
	ResourceType string            `json:"resourceType"` // "Schedule"
	ID           string            `json:"id"`
	Active       bool              `json:"active"`
	ServiceType  []CodeableConcept `json:"serviceType,omitempty"`
	Actor        []Reference       `json:"actor"`
	Comment      string            `json:"comment,omitempty"`
}

// Slot is one time of a clinician's diary: free, busy (booked),
// busy-tentative (held while a patient confirms) or busy-unavailable (a
// free time that has begun).
type Slot struct {
	ResourceType string            `json:"resourceType"` // "Slot"
	ID           string            `json:"id"`
	ServiceType  []CodeableConcept `json:"serviceType,omitempty"`
	Schedule     Reference         `json:"schedule"`
	Status       string            `json:"status"`
	Start        string            `json:"start"`
	End          string            `json:"end"`
}

// Appointment is a booking of a time (or, pending, a patient's hold on
// it).
type Appointment struct {
	ResourceType      string                   `json:"resourceType"` // "Appointment"
	ID                string                   `json:"id,omitempty"`
	Meta              *Meta                    `json:"meta,omitempty"`
	Identifier        []Identifier             `json:"identifier,omitempty"`
	Status            string                   `json:"status"`
	CancelationReason *CodeableConcept         `json:"cancelationReason,omitempty"`
	ServiceType       []CodeableConcept        `json:"serviceType,omitempty"`
	Description       string                   `json:"description,omitempty"`
	Start             string                   `json:"start,omitempty"`
	End               string                   `json:"end,omitempty"`
	MinutesDuration   int                      `json:"minutesDuration,omitempty"`
	Slot              []Reference              `json:"slot,omitempty"`
	Created           string                   `json:"created,omitempty"`
	Participant       []AppointmentParticipant `json:"participant"`
}

// AppointmentParticipant is Appointment.participant.
type AppointmentParticipant struct {
	Actor    *Reference `json:"actor,omitempty"`
	Required string     `json:"required,omitempty"` // "required"
	Status   string     `json:"status"`             // "accepted", "needs-action"
}

// Parameters is the body of $cancel (reason) and nothing else.
type Parameters struct {
	ResourceType string      `json:"resourceType"` // "Parameters"
	Parameter    []Parameter `json:"parameter,omitempty"`
}

// Parameter is Parameters.parameter with a string value.
type Parameter struct {
	Name        string `json:"name"`
	ValueString string `json:"valueString,omitempty"`
}
