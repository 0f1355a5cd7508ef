package fhirapi

// capabilityStatement is capability() with the diary's resources when
// there is a diary.
func (s *Server) capabilityStatement() map[string]any {
	cs := capability()
	if s.cfg.Diary == nil {
		return cs
	}
	cs["implementation"] = map[string]string{"description": cs["implementation"].(map[string]string)["description"] +
		" With the unit's booking diary: read, book and cancel."}
	rest := cs["rest"].([]map[string]any)[0]
	rest["resource"] = append(rest["resource"].([]capResource), bookingCapability()...)
	rest["documentation"] = rest["documentation"].(string) + " The booking diary (Schedule, Slot, Appointment) needs the " +
		"permission read-bookings to read, bookings to book and cancel; a search by patient only as POST Appointment/_search."
	return cs
}

// bookingCapability is the diary's part of the CapabilityStatement.
func bookingCapability() []capResource {
	readSearch := []capInteraction{{Code: "read"}, {Code: "search-type"}}
	dateDoc := "Prefixes ge, gt, le, lt, eq; a date (a day in Swedish time) or an instant; repeatable. Without a lower bound " +
		"from today, without an upper one 92 days on; at most 400 days."
	page := []capParam{
		{Name: "_count", Type: "number", Documentation: "Page size, 1 to 500; 100 if left out."},
		{Name: "_offset", Type: "number", Documentation: "From the next link."},
	}
	return []capResource{
		{Type: "Schedule", Interaction: readSearch, Documentation: "A clinician's diary. Its id is an opaque key (no HSA-ID in a URL); " +
			"the clinician is its actor, by HSA-ID.",
			SearchParam: []capParam{{Name: "actor", Type: "reference", Documentation: "As actor:identifier=urn:oid:1.2.752.29.4.19|HSA-ID."},
				{Name: "active", Type: "token", Documentation: "true: every Schedule here is."}}},
		{Type: "Slot", Interaction: readSearch, Documentation: "A time of a clinician's diary: free, busy (booked), busy-tentative " +
			"(held while a patient confirms online) or busy-unavailable (a free time that has begun). Its id is its Schedule's, a dash and its start.",
			SearchParam: append([]capParam{
				{Name: "schedule", Type: "reference", Documentation: "Schedule/[id]."},
				{Name: "start", Type: "date", Documentation: dateDoc},
				{Name: "status", Type: "token", Documentation: "free, busy, busy-tentative, busy-unavailable; several separated by commas."},
				{Name: "service-type", Type: "token", Documentation: "The time type: urn:clinicgw:time-type|id."},
			}, page...)},
		{Type: "Appointment", Interaction: append(readSearch, capInteraction{Code: "create"}), Versioning: "versioned-update", ConditionalUpdate: &no,
			Documentation: "A booking: booked, arrived, fulfilled (arrived, and the time has ended), noshow, cancelled; pending is a " +
				"patient's hold while they confirm online. Create books a free Slot (status booked, slot Slot/[id], a participant whose " +
				"actor is the patient by identifier; an identifier of the client's makes a retry answer the booking made) through the " +
				"diary's authority: a time someone else booked first is a 409 OperationOutcome with the decline's code " +
				"(urn:clinicgw:booking-decline). $cancel (POST Appointment/[id]/$cancel, a Parameters with reason) cancels it." + versionedDoc +
				" The version is the step the booking has reached: 1 booked, 2 arrived, noshow or cancelled, 3 fulfilled.",
			SearchParam: append([]capParam{
				{Name: "date", Type: "date", Documentation: dateDoc},
				{Name: "actor", Type: "reference", Documentation: "The clinician: actor:identifier=urn:oid:1.2.752.29.4.19|HSA-ID (or practitioner:identifier)."},
				{Name: "status", Type: "token", Documentation: "pending, booked, arrived, fulfilled, cancelled, noshow; several separated by commas."},
				{Name: "slot", Type: "reference", Documentation: "Slot/[id]."},
				{Name: "service-type", Type: "token", Documentation: "The time type: urn:clinicgw:time-type|id."},
				{Name: "patient", Type: "reference", Documentation: "Only as patient:identifier=urn:oid:1.2.752.129.2.1.3.1|personnummer, " +
					"and only in POST Appointment/_search; one page."},
			}, page...),
			Operation: []capOperation{{Name: "cancel", Definition: "urn:clinicgw:operation:appointment-cancel"}}},
	}
}

type capOperation struct {
	Name       string `json:"name"`
	Definition string `json:"definition"`
}
