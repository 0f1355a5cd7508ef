package fhirapi

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"slices"
	"strconv"
	"strings"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/booking"
	"clinicgw/sync/wire/personnummer"
)

// Diary is the booking diary and its authority (*booking.Diary), as the
// API reads and books through it: every booking and cancellation is the
// same one-transaction request as the staff pages' and the patients'.
type Diary interface {
	Types(ctx context.Context) (map[string]booking.TimeType, error)
	Schedule(ctx context.Context) (map[string]booking.Template, map[string]booking.Exception, error)
	Slots(ctx context.Context, from, to time.Time) ([]*booking.Slot, error)
	Book(ctx context.Context, id booking.SlotID, who booking.Actor, req booking.BookRequest) (booking.Booking, error)
	CancelBooking(ctx context.Context, id booking.SlotID, bookingID string, who booking.Actor, reason string) error
}

var _ Diary = (*booking.Diary)(nil)

// DiaryLog writes access-log entries about bookings, all in one
// transaction (the case service's access log).
type DiaryLog func(ctx context.Context, entries ...audit.Entry) error

// The access log's actions for the diary, as the staff pages write them.
const (
	diaryRead   = "diary-read"
	diaryList   = "diary-list" // a read that shows no patient (Schedule, Slot)
	diaryBook   = "diary-book"
	diaryCancel = "diary-cancel"
)

// The ids. A clinician's Schedule id is a keyed hash of their HSA-ID
// (HMAC-SHA-256 under Config.IDKey, 80 bits, base32): stable while the
// key is, and no HSA-ID in a URL. A Slot's id is its Schedule's, a dash,
// "t" and its start (Unix seconds in base 36: no run of digits that looks
// like a personnummer, which a URL may not carry); an Appointment's is
// its Slot's, a dash and the booking's id ("hold" for a patient's hold,
// pending).

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// scheduleID is the clinician's Schedule id.
func (s *Server) scheduleID(clinician string) string {
	m := hmac.New(sha256.New, s.idKey)
	m.Write([]byte("schedule\x00" + clinician))
	return "s" + idEncoding.EncodeToString(m.Sum(nil)[:10])
}

// slotID is a time's Slot id.
func (s *Server) slotID(sl *booking.Slot) string {
	return s.scheduleID(sl.Clinician) + "-t" + strconv.FormatInt(sl.Start.Unix(), 36)
}

// holdSuffix ends the id of a pending Appointment (a hold).
const holdSuffix = "hold"

// parseSlotID splits "schedule-unix" (and an Appointment's "-booking"
// after it).
func parseSlotID(id string) (sched string, start time.Time, rest string, ok bool) {
	parts := strings.SplitN(id, "-", 3)
	if len(parts) < 2 || len(parts[0]) != 17 || parts[0][0] != 's' {
		return "", time.Time{}, "", false
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(parts[1], "t"), 36, 64)
	if err != nil || n <= 0 || "t"+strconv.FormatInt(n, 36) != parts[1] {
		return "", time.Time{}, "", false
	}
	if len(parts) == 3 {
		rest = parts[2]
		if rest == "" || len(rest) > 40 {
			return "", time.Time{}, "", false
		}
	}
	return parts[0], time.Unix(n, 0).UTC(), rest, true
}

// findSlot is the time a Slot id names, nil if none: the times starting
// then, the one whose clinician's Schedule id matches.
func (s *Server) findSlot(ctx context.Context, sched string, start time.Time) (*booking.Slot, error) {
	got, err := s.cfg.Diary.Slots(ctx, start, start.Add(time.Second))
	if err != nil {
		return nil, err
	}
	for _, sl := range got {
		if sl.Start.Equal(start) && hmac.Equal([]byte(s.scheduleID(sl.Clinician)), []byte(sched)) {
			return sl, nil
		}
	}
	return nil, nil
}

// clinicianRef is the clinician of a time, by HSA-ID in the body (never
// in an id).
func clinicianRef(hsaID string) *Reference { return practitioner(hsaID) }

// timeTypeCode is a time type as a serviceType.
func timeTypeCode(id string, types map[string]booking.TimeType) []CodeableConcept {
	t, ok := types[id]
	c := Coding{System: systemTimeType, Code: id}
	if ok {
		c.Display = t.StaffName
	}
	cc := CodeableConcept{Coding: []Coding{c}}
	if ok {
		cc.Text = t.StaffName
	}
	return []CodeableConcept{cc}
}

// held reports whether a free time is held now.
func held(sl *booking.Slot, now time.Time) bool {
	return sl.State == booking.Free && sl.Hold != nil && now.Before(sl.Hold.Until)
}

// slotStatus is a time's Slot.status now.
func slotStatus(sl *booking.Slot, now time.Time) string {
	switch {
	case sl.State != booking.Free:
		return "busy"
	case held(sl, now):
		return "busy-tentative"
	case !now.Before(sl.Start):
		return "busy-unavailable" // begun: no longer bookable
	}
	return "free"
}

// slotOf is a time as a Slot.
func (s *Server) slotOf(sl *booking.Slot, types map[string]booking.TimeType, now time.Time) Slot {
	return Slot{ResourceType: "Slot", ID: s.slotID(sl), ServiceType: timeTypeCode(sl.TypeID, types),
		Schedule: Reference{Reference: "Schedule/" + s.scheduleID(sl.Clinician), Type: "Schedule"},
		Status:   slotStatus(sl, now), Start: fhirTime(sl.Start), End: fhirTime(sl.End())}
}

// scheduleOf is a clinician's Schedule, with the time types they take.
func (s *Server) scheduleOf(clinician string, typeIDs []string, types map[string]booking.TimeType) Schedule {
	sc := Schedule{ResourceType: "Schedule", ID: s.scheduleID(clinician), Active: true, Actor: []Reference{*clinicianRef(clinician)}}
	for _, id := range typeIDs {
		sc.ServiceType = append(sc.ServiceType, timeTypeCode(id, types)...)
	}
	return sc
}

// appointmentStatus is a booking's Appointment.status now: booked until
// marked; arrived, then fulfilled once the time has ended; noshow.
func appointmentStatus(sl *booking.Slot, now time.Time) string {
	switch sl.State {
	case booking.Arrived:
		if !now.Before(sl.End()) {
			return "fulfilled"
		}
		return "arrived"
	case booking.NoShow:
		return "noshow"
	}
	return "booked"
}

// appointmentVersion is an Appointment's version by its status: the step
// its booking has reached, which only goes forward (a booking is never
// booked again once arrived, missed or cancelled; a rebooked one is
// another Appointment): 1 booked (or pending, a hold), 2 arrived, noshow
// or cancelled, 3 fulfilled (arrived, and the time has ended).
func appointmentVersion(status string) uint64 {
	switch status {
	case "arrived", "noshow", "cancelled":
		return 2
	case "fulfilled":
		return 3
	}
	return 1
}

// appointment is one Appointment of a time: its booking (b, with status
// st), a cancelled booking, or a hold (b nil, pending).
func (s *Server) appointment(sl *booking.Slot, b *booking.Booking, st string, types map[string]booking.TimeType) Appointment {
	a := Appointment{ResourceType: "Appointment", Status: st, ServiceType: timeTypeCode(sl.TypeID, types),
		Start: fhirTime(sl.Start), End: fhirTime(sl.End()), MinutesDuration: sl.Minutes,
		Slot: []Reference{{Reference: "Slot/" + s.slotID(sl), Type: "Slot"}}}
	if t, ok := types[sl.TypeID]; ok {
		a.Description = t.StaffName
	}
	clin := AppointmentParticipant{Actor: clinicianRef(sl.Clinician), Required: "required", Status: "accepted"}
	version := strconv.FormatUint(appointmentVersion(st), 10)
	if b == nil {
		a.Meta = &Meta{VersionID: version}
		a.ID = s.slotID(sl) + "-" + holdSuffix
		a.Participant = []AppointmentParticipant{clin, {Actor: &Reference{Type: "Patient", Display: "The patient confirming the booking"},
			Required: "required", Status: "needs-action"}}
		return a
	}
	a.ID = s.slotID(sl) + "-" + b.ID
	a.Identifier = []Identifier{{System: systemBooking, Value: b.ID}}
	a.Created = fhirTime(b.At)
	a.Meta = &Meta{VersionID: version, LastUpdated: fhirTime(b.At)}
	patient := Reference{Type: "Patient"}
	if p, err := personnummer.Parse(b.Patient, b.At); err == nil {
		ident := patientIdentifier(p)
		patient.Identifier = &ident
	} else {
		patient.Identifier = &Identifier{System: systemPNR, Value: b.Patient}
	}
	a.Participant = []AppointmentParticipant{{Actor: &patient, Required: "required", Status: "accepted"}, clin}
	if st == "cancelled" {
		a.Meta.LastUpdated = fhirTime(b.Canceled)
		if b.Reason != "" {
			a.CancelationReason = &CodeableConcept{Text: b.Reason}
		}
	}
	return a
}

// appointmentsOf are a time's Appointments now: its booking or hold,
// then its cancelled bookings, each with its patient ("" for a hold).
func (s *Server) appointmentsOf(sl *booking.Slot, types map[string]booking.TimeType, now time.Time) ([]Appointment, []string) {
	var out []Appointment
	var patients []string
	switch {
	case sl.Booking != nil:
		out = append(out, s.appointment(sl, sl.Booking, appointmentStatus(sl, now), types))
		patients = append(patients, sl.Booking.Patient)
	case held(sl, now):
		out = append(out, s.appointment(sl, nil, "pending", types))
		patients = append(patients, "")
	}
	for i := range sl.Canceled {
		out = append(out, s.appointment(sl, &sl.Canceled[i], "cancelled", types))
		patients = append(patients, sl.Canceled[i].Patient)
	}
	return out, patients
}

// appointmentStatuses are the Appointment.status codes this API shows.
var appointmentStatuses = []string{"pending", "booked", "arrived", "fulfilled", "cancelled", "noshow"}

// slotStatuses are the Slot.status codes this API shows.
var slotStatuses = []string{"free", "busy", "busy-tentative", "busy-unavailable"}

// clinicians are the clinicians with a diary: in a template or named by
// a time type, each with the types they take, in HSA-ID order.
func clinicians(tm map[string]booking.Template, types map[string]booking.TimeType) map[string][]string {
	out := map[string][]string{}
	add := func(c, typ string) {
		if !slices.Contains(out[c], typ) {
			out[c] = append(out[c], typ)
		}
	}
	for _, t := range tm {
		add(t.Clinician, t.TypeID)
	}
	for _, t := range types {
		for _, c := range t.Clinicians {
			add(c, t.ID)
		}
	}
	for _, ts := range out {
		slices.Sort(ts)
	}
	return out
}
