package archive

import (
	"slices"
	"strconv"
	"time"

	"clinicgw/agent/booking"
)

// Bookings in FHIR R4 (BookingsFHIR): a Bundle of type collection with,
// for the booking diary's times that have or had a booking, a Schedule
// per clinician (its actor the clinician's HSA-ID), a Slot per time
// (busy while it has a booking, free once every booking of it was
// cancelled) and an Appointment per booking, the current one and each
// cancelled one: status booked, arrived, noshow or cancelled (with the
// cancellation's reason as text), start, end and length, when it was
// made, the patient (personnummer) and the clinician (HSA-ID) as
// participants, the time type as serviceType (its code and the staff's
// name), and who booked it as comment (the patient online, or a member
// of staff by HSA-ID). Written by hand like the cases' bundles (jsonw): a
// resource's members sorted by name; the same times render the same
// bytes (ids are name-based UUIDs).

const (
	systemTimeType = "urn:clinicgw:time-type"
	systemBooking  = "urn:clinicgw:booking-id"
	systemDiary    = "urn:clinicgw:booking-diary"
)

// BookingsFHIR renders the bookings of times (those without any booking
// are left out) for unit, at now.
func BookingsFHIR(unit string, times []*booking.Slot, types map[string]booking.TimeType, now time.Time) []byte {
	w := &jsonw{}
	w.open('{')
	w.field("resourceType", "Bundle")
	w.field("type", "collection")
	w.key("timestamp")
	w.timeValue(now)
	w.key("identifier")
	w.identifier(systemDiary, unit)
	w.key("entry")
	w.open('[')
	var clinicians []string
	for _, s := range times {
		if hasBooking(s) && !slices.Contains(clinicians, s.Clinician) {
			clinicians = append(clinicians, s.Clinician)
		}
	}
	slices.Sort(clinicians)
	for _, c := range clinicians {
		w.entry(fhirUUID("schedule/" + c))
		w.key("actor")
		w.open('[')
		w.hsaRef(c)
		w.close(']')
		w.field("resourceType", "Schedule")
		w.endEntry()
	}
	for _, s := range times {
		if !hasBooking(s) {
			continue
		}
		id := string(s.ID())
		slotURL := fhirUUID("slot/" + id)
		t := types[s.TypeID]
		w.entry(slotURL)
		w.time("end", s.End())
		w.field("resourceType", "Slot")
		w.key("schedule")
		w.ref(fhirUUID("schedule/" + s.Clinician))
		w.serviceType(s.TypeID, t.StaffName)
		w.time("start", s.Start)
		if s.Booking != nil {
			w.field("status", "busy")
		} else {
			w.field("status", "free")
		}
		w.endEntry()
		for _, b := range s.Canceled {
			w.appointment(s, b, t, slotURL, "cancelled")
		}
		if s.Booking != nil {
			w.appointment(s, *s.Booking, t, slotURL, appointmentStatus(s.State))
		}
	}
	w.close(']')
	w.close('}')
	return w.b
}

func hasBooking(s *booking.Slot) bool { return s.Booking != nil || len(s.Canceled) > 0 }

// appointmentStatus maps a booked time's state to Appointment.status.
func appointmentStatus(st booking.State) string {
	switch st {
	case booking.Arrived:
		return "arrived"
	case booking.NoShow:
		return "noshow"
	}
	return "booked"
}

func (w *jsonw) serviceType(code, display string) {
	w.key("serviceType")
	w.open('[')
	w.concept(systemTimeType, code, display)
	w.close(']')
}

func (w *jsonw) appointment(s *booking.Slot, b booking.Booking, t booking.TimeType, slotURL, status string) {
	w.entry(fhirUUID("appointment/" + b.ID))
	if status == "cancelled" && b.Reason != "" {
		w.key("cancelationReason")
		w.open('{')
		w.field("text", b.Reason)
		w.close('}')
	}
	if b.Online {
		w.field("comment", "Bokad av patienten i e-tjänsten")
	} else if b.ByStaff != "" {
		w.field("comment", "Bokad av personal, HSA-id "+b.ByStaff)
	}
	w.time("created", b.At)
	w.time("end", s.End())
	w.key("identifier")
	w.open('[')
	w.identifier(systemBooking, b.ID)
	w.close(']')
	w.key("minutesDuration")
	w.sep()
	w.b = strconv.AppendInt(w.b, int64(s.Minutes), 10)
	w.comma = true
	w.key("participant")
	w.open('[')
	w.open('{')
	w.key("actor")
	w.open('{')
	w.key("identifier")
	w.identifier(systemPNR, b.Patient)
	w.close('}')
	w.field("status", "accepted")
	w.close('}')
	w.open('{')
	w.key("actor")
	w.hsaRef(s.Clinician)
	w.field("status", "accepted")
	w.close('}')
	w.close(']')
	w.field("resourceType", "Appointment")
	w.serviceType(s.TypeID, t.StaffName)
	w.key("slot")
	w.open('[')
	w.ref(slotURL)
	w.close(']')
	w.time("start", s.Start)
	w.field("status", status)
	w.endEntry()
}

// AddBookings writes the booking diary's times as bookings/fhir.json
// (BookingsFHIR), listed in the manifest and METS like a case's files.
// The package's manifest lists no case for it. At most once a package.
func (w *Writer) AddBookings(times []*booking.Slot, types map[string]booking.TimeType) error {
	if w.err != nil {
		return w.err
	}
	if err := w.file("representations/rep1/data/bookings/fhir.json", BookingsFHIR(w.m.Unit, times, types, w.m.Created), true); err != nil {
		return err
	}
	w.titles["bookings"] = "Bokningar i tidboken"
	return nil
}
