package fhirapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/booking"
	"clinicgw/sync/wire/personnummer"
)

// Booking and cancelling through the diary's authority (agent/booking):
// POST Appointment books a free Slot for a patient, POST
// Appointment/[id]/$cancel cancels that booking; each is one transaction
// of the diary, the same as a booking at the staff pages or a patient's
// online request, so of two bookers of one time exactly one wins. The
// system books as staff do (its HSA-ID as the booker): any time that has
// not begun, online or not; a cancellation needs a reason. A decline is
// a 409 (404 for a time that does not exist, 400 for a malformed
// request) OperationOutcome whose issue carries the decline's code
// (urn:clinicgw:booking-decline) and its text. Every request, booked,
// cancelled or declined, is in the access log under the system's HSA-ID.

const systemDecline = "urn:clinicgw:booking-decline"

// bookOutcome is an OperationOutcome with the decline's code.
type bookOutcome struct {
	ResourceType string      `json:"resourceType"` // "OperationOutcome"
	Issue        []bookIssue `json:"issue"`
}

type bookIssue struct {
	Severity    string           `json:"severity"`
	Code        string           `json:"code"`
	Details     *CodeableConcept `json:"details,omitempty"`
	Diagnostics string           `json:"diagnostics,omitempty"`
}

// declined answers a decline of the authority, or fails.
func (s *Server) declined(w http.ResponseWriter, err error) {
	d, ok := booking.DeclineOf(err)
	if !ok {
		s.diaryError(w, err)
		return
	}
	status, code := http.StatusConflict, "conflict"
	switch d.Code {
	case booking.NotFound:
		status, code = http.StatusNotFound, "not-found"
	case booking.BadRequest, booking.ReasonRequired:
		status, code = http.StatusBadRequest, "invalid"
	}
	writeJSON(w, status, bookOutcome{ResourceType: "OperationOutcome", Issue: []bookIssue{{Severity: "error", Code: code,
		Details:     &CodeableConcept{Coding: []Coding{{System: systemDecline, Code: string(d.Code), Display: d.Message("sv")}}, Text: d.Message("sv")},
		Diagnostics: "declined (" + string(d.Code) + "): " + d.Message("en")}}})
}

// appointmentIn is what POST Appointment reads, with what FHIR lets a
// server ignore (body.go); any other element is refused. start and end,
// when given, must be the Slot's (the Slot decides the time).
type appointmentIn struct {
	ignorable
	ResourceType string       `json:"resourceType"`
	Identifier   []Identifier `json:"identifier"`
	Status       string       `json:"status"`
	Start        string       `json:"start"`
	End          string       `json:"end"`
	Slot         []Reference  `json:"slot"`
	Participant  []struct {
		Actor  *Reference `json:"actor"`
		Status string     `json:"status"` // accepted, or left out
	} `json:"participant"`
}

// sameInstant checks a client's start or end against the Slot's.
func sameInstant(name, got string, want time.Time) error {
	if got == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, got)
	if err != nil || !t.Equal(want) {
		return badRequest(name + ": not the Slot's " + name + ": leave it out, or give the Slot's as GET Slot/[id] shows it")
	}
	return nil
}

// bookingRequest checks a POST Appointment: one Slot, one patient by
// identifier, status booked (or left out), and the client's identifier,
// if any, as the booking's request (so a retry is answered, not booked
// twice).
func (s *Server) bookingRequest(in *appointmentIn, c caller) (slotID string, pnr personnummer.Personnummer, request string, err error) {
	if in.ResourceType != "Appointment" {
		return "", "", "", badRequest("resourceType: expected Appointment")
	}
	if in.Status != "" && in.Status != "booked" {
		return "", "", "", badRequest("status: a booking is made as booked")
	}
	if len(in.Slot) != 1 || !strings.HasPrefix(in.Slot[0].Reference, "Slot/") {
		return "", "", "", badRequest("slot: expected one reference, Slot/[id] of a free Slot")
	}
	slotID = strings.TrimPrefix(in.Slot[0].Reference, "Slot/")
	for _, p := range in.Participant {
		if p.Status != "" && p.Status != "accepted" {
			return "", "", "", badRequest("participant.status: a booking made here is accepted (or leave it out)")
		}
		if p.Actor == nil || p.Actor.Identifier == nil {
			continue
		}
		id := p.Actor.Identifier
		if id.System != systemPNR && id.System != systemSamnr {
			continue // the clinician: the Slot's
		}
		got, perr := personnummer.Parse(id.Value, s.cfg.Clock.Now())
		if perr != nil || pnr != "" {
			return "", "", "", badRequest("participant: expected one patient, by identifier " + systemPNR + " (personnummer) or " + systemSamnr)
		}
		pnr = got
	}
	if pnr == "" {
		return "", "", "", badRequest("participant: the patient is missing: an actor with identifier " + systemPNR + "|[personnummer]")
	}
	if len(in.Identifier) > 1 {
		return "", "", "", badRequest("identifier: give at most one (the client's id of the booking)")
	}
	if len(in.Identifier) == 1 {
		id := in.Identifier[0]
		if id.Value == "" || len(id.System)+len(id.Value) > 256 {
			return "", "", "", badRequest("identifier: expected a system and a value of at most 256 characters")
		}
		sum := sha256.Sum256([]byte(c.sys.HSAID + "\x00" + id.System + "\x00" + id.Value))
		request = "fhir-" + hex.EncodeToString(sum[:16])
	}
	return slotID, pnr, request, nil
}

func (s *Server) book(w http.ResponseWriter, r *http.Request, c caller) {
	var in appointmentIn
	err := readResource(r, maxBody, &in)
	var slotID, request string
	var pnr personnummer.Personnummer
	if err == nil {
		slotID, pnr, request, err = s.bookingRequest(&in, c)
	}
	if err != nil {
		s.cfg.Logger.Warn("api booking refused: malformed", "system", c.sys.HSAID)
		refuse(w, err)
		return
	}
	sl, ok := s.slotByID(w, r, slotID, false)
	if !ok {
		return
	}
	err = sameInstant("start", in.Start, sl.Start)
	if err == nil {
		err = sameInstant("end", in.End, sl.End())
	}
	if err != nil {
		s.cfg.Logger.Warn("api booking refused: not the Slot's time", "system", c.sys.HSAID)
		refuse(w, err)
		return
	}
	types, err := s.cfg.Diary.Types(r.Context())
	if err != nil {
		s.diaryError(w, err)
		return
	}
	if request != "" && sl.Booking != nil && sl.Booking.Request == request && sl.Booking.Patient == string(pnr) {
		// A retry of a booking made: answered, not made again.
		if s.logReads(w, r, c, []string{sl.Booking.Patient}) {
			st := appointmentStatus(sl, s.cfg.Clock.Now())
			setVersion(w, appointmentVersion(st))
			writeJSON(w, http.StatusOK, s.appointment(sl, sl.Booking, st, types))
		}
		return
	}
	// The booking's entry is written in the booking's own transaction
	// (booking.WithAccessLog): both or neither. A decline's, after it.
	b, err := s.cfg.Diary.Book(s.logged(r.Context(), c, diaryBook), sl.ID(), booking.Actor{Staff: c.sys.HSAID}, booking.BookRequest{Patient: string(pnr), Request: request})
	if _, declined := booking.DeclineOf(err); declined {
		if lerr := s.cfg.DiaryLog(r.Context(), s.diaryEntry(c, diaryBook, string(pnr), audit.Denied)); lerr != nil {
			s.cfg.Logger.Error("api booking refusal not written to the access log", "err", lerr, "system", c.sys.HSAID)
		}
	} else if err != nil {
		s.cfg.Logger.Error("api booking failed: nothing booked", "err", err, "system", c.sys.HSAID)
		fail(w, http.StatusInternalServerError, "exception", "the time could not be booked (the diary or its access log could not be written); nothing was booked: try again, and if it persists, tell region IT")
		return
	}
	if err != nil {
		s.cfg.Logger.Info("api booking declined", "system", c.sys.HSAID, "err", err)
		s.declined(w, err)
		return
	}
	s.cfg.Logger.Info("api booked a time", "system", c.sys.HSAID)
	booked := *sl
	booked.State, booked.Booking, booked.Hold = booking.Booked, &b, nil
	a := s.appointment(&booked, &b, "booked", types)
	w.Header().Set("Location", base(r)+"/Appointment/"+a.ID)
	setVersion(w, appointmentVersion(a.Status))
	writeJSON(w, http.StatusCreated, a)
}

// cancelIn is the body of $cancel: a Parameters with a reason.
type cancelIn struct {
	ignorable
	ResourceType string      `json:"resourceType"`
	Parameter    []Parameter `json:"parameter"`
}

// cancelReason reads the reason of a $cancel.
func cancelReason(r *http.Request) (string, error) {
	var p cancelIn
	if err := readResource(r, maxBody, &p); err != nil {
		return "", err
	}
	if p.ResourceType != "Parameters" {
		return "", badRequest("resourceType: expected Parameters with a parameter reason (valueString)")
	}
	reason := ""
	for _, x := range p.Parameter {
		if x.Name != "reason" || reason != "" {
			return "", badRequest("parameter: expected one, named reason, with a valueString")
		}
		reason = strings.TrimSpace(x.ValueString)
	}
	if reason == "" || len(reason) > 500 {
		return "", badRequest("reason: a cancellation needs a reason (valueString, at most 500 characters)")
	}
	return reason, nil
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request, c caller) {
	reason, err := cancelReason(r)
	if err != nil {
		s.cfg.Logger.Warn("api cancellation refused: malformed", "system", c.sys.HSAID)
		refuse(w, err)
		return
	}
	want, err := ifMatch(r)
	if err != nil {
		refuse(w, err)
		return
	}
	sl, bookingID, ok := s.slotAndRest(w, r, r.PathValue("id"), true)
	if !ok {
		return
	}
	patient, status := "", ""
	if sl.Booking != nil && sl.Booking.ID == bookingID {
		patient, status = sl.Booking.Patient, appointmentStatus(sl, s.cfg.Clock.Now())
	}
	for _, b := range sl.Canceled {
		if b.ID == bookingID {
			patient, status = b.Patient, "cancelled"
		}
	}
	if patient == "" {
		fail(w, http.StatusNotFound, "not-found", "no such Appointment at this care unit: search for it by date")
		return
	}
	if want != 0 && want != appointmentVersion(status) {
		s.staleCancel(w, r, c, patient)
		return
	}
	// Only a booking at version 1 (booked) can be cancelled, and
	// CancelBooking checks in its transaction that it still is: with
	// If-Match, its NotBooked means the Appointment changed since.
	err = s.cfg.Diary.CancelBooking(s.logged(r.Context(), c, diaryCancel), sl.ID(), bookingID, booking.Actor{Staff: c.sys.HSAID}, reason)
	if d, declined := booking.DeclineOf(err); declined && want != 0 && d.Code == booking.NotBooked {
		s.staleCancel(w, r, c, patient)
		return
	}
	if _, declined := booking.DeclineOf(err); declined {
		if lerr := s.cfg.DiaryLog(r.Context(), s.diaryEntry(c, diaryCancel, patient, audit.Denied)); lerr != nil {
			s.cfg.Logger.Error("api cancellation refusal not written to the access log", "err", lerr, "system", c.sys.HSAID)
		}
	} else if err != nil {
		s.cfg.Logger.Error("api cancellation failed: nothing cancelled", "err", err, "system", c.sys.HSAID)
		fail(w, http.StatusInternalServerError, "exception", "the booking could not be cancelled (the diary or its access log could not be written); nothing was cancelled: try again, and if it persists, tell region IT")
		return
	}
	if err != nil {
		s.cfg.Logger.Info("api cancellation declined", "system", c.sys.HSAID, "err", err)
		s.declined(w, err)
		return
	}
	s.cfg.Logger.Info("api cancelled a booking", "system", c.sys.HSAID)
	got, err := s.findSlot(r.Context(), s.scheduleID(sl.Clinician), sl.Start)
	types, terr := s.cfg.Diary.Types(r.Context())
	if err = errors.Join(err, terr); err != nil || got == nil {
		writeJSON(w, http.StatusOK, Parameters{ResourceType: "Parameters"})
		return
	}
	apps, _ := s.appointmentsOf(got, types, s.cfg.Clock.Now())
	for _, a := range apps {
		if a.ID == r.PathValue("id") {
			setVersion(w, appointmentVersion(a.Status))
			writeJSON(w, http.StatusOK, a)
			return
		}
	}
	writeJSON(w, http.StatusOK, Parameters{ResourceType: "Parameters"})
}

// staleCancel refuses a cancellation whose If-Match is not the
// Appointment's version, in the access log as a refusal.
func (s *Server) staleCancel(w http.ResponseWriter, r *http.Request, c caller, patient string) {
	if err := s.cfg.DiaryLog(r.Context(), s.diaryEntry(c, diaryCancel, patient, audit.Denied)); err != nil {
		s.cfg.Logger.Error("api cancellation refusal not written to the access log", "err", err, "system", c.sys.HSAID)
	}
	s.cfg.Logger.Info("api cancellation refused: a stale version", "system", c.sys.HSAID)
	stale(w, "Appointment")
}

// logged is ctx whose diary change writes its access-log entry (an
// allowed action by the caller) in the change's own transaction.
func (s *Server) logged(ctx context.Context, c caller, action string) context.Context {
	return booking.WithAccessLog(ctx, func(patient string) audit.Entry {
		return s.diaryEntry(c, action, patient, audit.Allowed)
	})
}
