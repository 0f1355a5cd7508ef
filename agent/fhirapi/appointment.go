package fhirapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/booking"
	"clinicgw/agent/directory"
	"clinicgw/sync/wire/hsaid"
	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"
)

// The booking diary as Schedule, Slot and Appointment (reads: the
// permission read-bookings, or bookings), and booking and cancelling
// through the diary's authority (book.go; the permission bookings).

// bookingRoutes adds the diary's routes, when there is a diary.
func (s *Server) bookingRoutes() {
	if s.cfg.Diary == nil {
		return
	}
	read := func(h func(http.ResponseWriter, *http.Request, caller)) http.Handler {
		return s.system(directory.ReadBookings, h)
	}
	s.mux.Handle("GET /Schedule", read(s.searchSchedules))
	s.mux.Handle("POST /Schedule/_search", read(s.searchSchedules))
	s.mux.Handle("GET /Schedule/{id}", read(s.readSchedule))
	s.mux.Handle("GET /Slot", read(s.searchSlots))
	s.mux.Handle("POST /Slot/_search", read(s.searchSlots))
	s.mux.Handle("GET /Slot/{id}", read(s.readSlot))
	s.mux.Handle("GET /Appointment", read(s.searchAppointments))
	s.mux.Handle("POST /Appointment/_search", read(s.searchAppointments))
	s.mux.Handle("GET /Appointment/{id}", read(s.readAppointment))
	s.mux.Handle("POST /Appointment", s.system(directory.Bookings, s.book))
	s.mux.Handle("POST /Appointment/{id}/$cancel", s.system(directory.Bookings, s.cancel))
}

// Paging and range limits of the diary's searches.
const (
	diaryDefaultCount = 100
	diaryMaxCount     = 500
	diaryDefaultDays  = 92  // a search without an upper bound reaches this far
	diaryMaxDays      = 400 // the widest range one search may span
)

// diaryError answers a failure to read the diary.
func (s *Server) diaryError(w http.ResponseWriter, err error) {
	if errors.Is(err, context.Canceled) {
		fail(w, http.StatusServiceUnavailable, "transient", "the gateway is stopping: try again shortly")
		return
	}
	s.cfg.Logger.Error("api diary request failed", "err", err)
	fail(w, http.StatusInternalServerError, "exception", "the gateway could not read the booking diary: try again; if it persists, tell region IT")
}

// dateRange is a search's range of starts, [from, to), from its values
// of param: prefixes ge, gt, le, lt, eq (or none: eq), each a date (a
// day in Swedish time) or an instant. Without a lower bound it starts at
// today's midnight, without an upper one diaryDefaultDays later.
func dateRange(vs []string, param string, now time.Time) (from, to time.Time, err error) {
	bad := badRequest(param + ": expected ge, gt, le, lt or eq and a date or an instant, like ge2026-12-08 or lt2026-12-15T12:00:00Z; a range of at most 400 days")
	loc := workday.Stockholm()
	for _, v := range vs {
		prefix := "eq"
		if len(v) > 2 && (v[0] < '0' || v[0] > '9') {
			prefix, v = v[:2], v[2:]
		}
		var lo, hi time.Time // the value as an interval [lo, hi)
		if t, perr := time.Parse(time.RFC3339Nano, v); perr == nil {
			lo, hi = t, t.Add(time.Second)
		} else if d, perr := time.ParseInLocation(time.DateOnly, v, loc); perr == nil {
			lo, hi = d, time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc)
		} else {
			return from, to, bad
		}
		switch prefix {
		case "ge":
			from = later(from, lo)
		case "gt":
			from = later(from, hi)
		case "lt":
			to = earlier(to, lo)
		case "le":
			to = earlier(to, hi)
		case "eq":
			from, to = later(from, lo), earlier(to, hi)
		default:
			return from, to, bad
		}
	}
	if from.IsZero() {
		l := now.In(loc)
		from = time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	}
	if to.IsZero() {
		to = from.AddDate(0, 0, diaryDefaultDays)
	}
	if to.Sub(from) > diaryMaxDays*24*time.Hour {
		return from, to, bad
	}
	return from.UTC(), to.UTC(), nil
}

func later(a, b time.Time) time.Time {
	if a.IsZero() || b.After(a) {
		return b
	}
	return a
}

func earlier(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

// page is a diary search's _count and _offset.
func page(q url.Values) (count, offset int, err error) {
	count = diaryDefaultCount
	if v, err := one(q, "_count"); err != nil {
		return 0, 0, err
	} else if v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > diaryMaxCount {
			return 0, 0, badRequest("_count: expected a whole number from 1 to 500")
		}
		count = n
	}
	if v, err := one(q, "_offset"); err != nil {
		return 0, 0, err
	} else if v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1_000_000 {
			return 0, 0, badRequest("_offset: expected a whole number from the next link")
		}
		offset = n
	}
	return count, offset, nil
}

// clinicianParam is a clinician's HSA-ID from actor:identifier (or
// practitioner:identifier), "" if none given.
func clinicianParam(q url.Values) (string, error) {
	out := ""
	for _, k := range []string{"actor:identifier", "practitioner:identifier"} {
		v, err := one(q, k)
		if err != nil || v == "" {
			if err != nil {
				return "", err
			}
			continue
		}
		id, err := token(v, systemHSAID, k)
		if err != nil {
			return "", err
		}
		if !hsaid.Valid(id) || out != "" && out != id {
			return "", badRequest(k + ": expected one HSA-ID, like urn:oid:1.2.752.29.4.19|SE2321000016-1001")
		}
		out = id
	}
	return out, nil
}

// codes is a token parameter's comma-separated codes, each one of known.
func codes(q url.Values, param, system string, known []string) ([]string, error) {
	v, err := one(q, param)
	if err != nil || v == "" {
		return nil, err
	}
	var out []string
	for c := range strings.SplitSeq(v, ",") {
		code, err := token(c, system, param)
		if err != nil {
			return nil, err
		}
		if known != nil && !slices.Contains(known, code) {
			return nil, badRequest(param + ": expected one or more of " + strings.Join(known, ", "))
		}
		out = append(out, code)
	}
	return out, nil
}

// bundle is a searchset of already-built resources, with self and (if
// more) next links; base is e.g. https://host/Slot.
func (s *Server) bundle(r *http.Request, typ string, q url.Values, entries []any, ids []string, count, offset int) (Bundle, error) {
	b := Bundle{ResourceType: "Bundle", Type: "searchset", Timestamp: fhirTime(s.cfg.Clock.Now())}
	self := url.Values{}
	for k, v := range q {
		if k != "patient:identifier" && k != "_format" {
			self[k] = v
		}
	}
	u := base(r) + "/" + typ
	if _, patient := q["patient:identifier"]; patient {
		b.Link = append(b.Link, BundleLink{Relation: "self", URL: u + "/_search"}) // the identifier stays out of every link
	} else {
		b.Link = append(b.Link, BundleLink{Relation: "self", URL: u + "?" + self.Encode()})
	}
	end := min(offset+count, len(entries))
	if offset > len(entries) {
		offset = len(entries)
	}
	if end < len(entries) {
		self.Set("_offset", strconv.Itoa(end))
		b.Link = append(b.Link, BundleLink{Relation: "next", URL: u + "?" + self.Encode()})
	}
	for i := offset; i < end; i++ {
		if err := b.add(u+"/"+ids[i], entries[i]); err != nil {
			return b, err
		}
	}
	return b, nil
}

func (s *Server) searchSchedules(w http.ResponseWriter, r *http.Request, c caller) {
	q, err := params(r)
	if err == nil {
		err = only(q, "actor:identifier", "practitioner:identifier", "active")
	}
	var clin string
	if err == nil {
		clin, err = clinicianParam(q)
	}
	if err == nil {
		if v, _ := one(q, "active"); v != "" && v != "true" {
			err = badRequest("active: every Schedule here is active; leave it out or set it to true")
		}
	}
	if err != nil {
		refuse(w, err)
		return
	}
	types, err := s.cfg.Diary.Types(r.Context())
	var tm map[string]booking.Template
	if err == nil {
		tm, _, err = s.cfg.Diary.Schedule(r.Context())
	}
	if err != nil {
		s.diaryError(w, err)
		return
	}
	all := clinicians(tm, types)
	var hsas []string
	for h := range all {
		if clin == "" || h == clin {
			hsas = append(hsas, h)
		}
	}
	slices.Sort(hsas)
	var entries []any
	var ids []string
	for _, h := range hsas {
		sc := s.scheduleOf(h, all[h], types)
		entries, ids = append(entries, sc), append(ids, sc.ID)
	}
	if s.logReads(w, r, c, nil) {
		s.writeBundle(w, r, "Schedule", q, entries, ids, len(entries)+1, 0)
	}
}

func (s *Server) writeBundle(w http.ResponseWriter, r *http.Request, typ string, q url.Values, entries []any, ids []string, count, offset int) {
	b, err := s.bundle(r, typ, q, entries, ids, count, offset)
	if err != nil {
		s.diaryError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

func (s *Server) readSchedule(w http.ResponseWriter, r *http.Request, c caller) {
	types, err := s.cfg.Diary.Types(r.Context())
	var tm map[string]booking.Template
	if err == nil {
		tm, _, err = s.cfg.Diary.Schedule(r.Context())
	}
	if err != nil {
		s.diaryError(w, err)
		return
	}
	for h, ts := range clinicians(tm, types) {
		if s.scheduleID(h) == r.PathValue("id") {
			if s.logReads(w, r, c, nil) {
				writeJSON(w, http.StatusOK, s.scheduleOf(h, ts, types))
			}
			return
		}
	}
	fail(w, http.StatusNotFound, "not-found", "no such Schedule at this care unit: GET /Schedule lists them")
}

// slotSearch is a parsed Slot search.
type slotSearch struct {
	from, to      time.Time
	schedule      string
	status, types []string
}

func parseSlotSearch(q url.Values, now time.Time) (*slotSearch, error) {
	if err := only(q, "schedule", "start", "status", "service-type", "_count", "_offset"); err != nil {
		return nil, err
	}
	ss := &slotSearch{}
	var err error
	if ss.from, ss.to, err = dateRange(q["start"], "start", now); err != nil {
		return nil, err
	}
	if v, err := one(q, "schedule"); err != nil {
		return nil, err
	} else if v != "" {
		ss.schedule = strings.TrimPrefix(v, "Schedule/")
		if len(ss.schedule) != 17 {
			return nil, badRequest("schedule: expected Schedule/[id], as GET /Schedule shows the ids")
		}
	}
	if ss.status, err = codes(q, "status", "", slotStatuses); err != nil {
		return nil, err
	}
	if ss.types, err = codes(q, "service-type", systemTimeType, nil); err != nil {
		return nil, err
	}
	return ss, nil
}

// diaryPage is what a Slot or Appointment search read: its parameters,
// the time, its page, the time types and the times in its range.
type diaryPage struct {
	q             url.Values
	now           time.Time
	count, offset int
	types         map[string]booking.TimeType
	slots         []*booking.Slot
}

// ranged is a parsed diary search: the range of starts it reads.
type ranged interface{ starts() (from, to time.Time) }

func (ss *slotSearch) starts() (time.Time, time.Time)        { return ss.from, ss.to }
func (as *appointmentSearch) starts() (time.Time, time.Time) { return as.from, as.to }

// readDiary reads a Slot or Appointment search: its parameters (by
// parse), its page, and the diary's times in its range; false when it
// answered a refusal (400) or a failure.
func readDiary[S ranged](s *Server, w http.ResponseWriter, r *http.Request, parse func(url.Values, time.Time) (S, error)) (S, *diaryPage, bool) {
	p := &diaryPage{now: s.cfg.Clock.Now()}
	var search S
	q, err := params(r)
	if err == nil {
		search, err = parse(q, p.now)
	}
	if err == nil {
		p.count, p.offset, err = page(q)
	}
	if err != nil {
		refuse(w, err)
		return search, nil, false
	}
	p.q = q
	from, to := search.starts()
	p.types, err = s.cfg.Diary.Types(r.Context())
	if err == nil {
		p.slots, err = s.cfg.Diary.Slots(r.Context(), from, to)
	}
	if err != nil {
		s.diaryError(w, err)
		return search, nil, false
	}
	return search, p, true
}

func (s *Server) searchSlots(w http.ResponseWriter, r *http.Request, c caller) {
	ss, p, ok := readDiary(s, w, r, parseSlotSearch)
	if !ok {
		return
	}
	var entries []any
	var ids []string
	for _, sl := range p.slots {
		res := s.slotOf(sl, p.types, p.now)
		if ss.schedule != "" && res.Schedule.Reference != "Schedule/"+ss.schedule ||
			len(ss.status) > 0 && !slices.Contains(ss.status, res.Status) ||
			len(ss.types) > 0 && !slices.Contains(ss.types, sl.TypeID) {
			continue
		}
		entries, ids = append(entries, res), append(ids, res.ID)
	}
	if s.logReads(w, r, c, nil) {
		s.writeBundle(w, r, "Slot", p.q, entries, ids, p.count, p.offset)
	}
}

func (s *Server) readSlot(w http.ResponseWriter, r *http.Request, c caller) {
	sl, ok := s.slotByID(w, r, r.PathValue("id"), false)
	if !ok {
		return
	}
	types, err := s.cfg.Diary.Types(r.Context())
	if err != nil {
		s.diaryError(w, err)
		return
	}
	if s.logReads(w, r, c, nil) {
		writeJSON(w, http.StatusOK, s.slotOf(sl, types, s.cfg.Clock.Now()))
	}
}

// slotByID finds the time of a Slot id (appointment: of an Appointment
// id) and answers 404 when there is none; rest is what follows the
// Slot's id in an Appointment's.
func (s *Server) slotByID(w http.ResponseWriter, r *http.Request, id string, appointment bool) (*booking.Slot, bool) {
	sl, _, ok := s.slotAndRest(w, r, id, appointment)
	return sl, ok
}

func (s *Server) slotAndRest(w http.ResponseWriter, r *http.Request, id string, appointment bool) (*booking.Slot, string, bool) {
	what := "Slot"
	if appointment {
		what = "Appointment"
	}
	sched, start, rest, ok := parseSlotID(id)
	if ok && appointment != (rest != "") {
		ok = false
	}
	var sl *booking.Slot
	if ok {
		var err error
		if sl, err = s.findSlot(r.Context(), sched, start); err != nil {
			s.diaryError(w, err)
			return nil, "", false
		}
	}
	if sl == nil {
		fail(w, http.StatusNotFound, "not-found", "no such "+what+" at this care unit: search for it by date")
		return nil, "", false
	}
	return sl, rest, true
}

// appointmentSearch is a parsed Appointment search.
type appointmentSearch struct {
	from, to  time.Time
	clinician string
	slot      string
	status    []string
	types     []string
	patient   personnummer.Personnummer
}

func parseAppointmentSearch(q url.Values, now time.Time) (*appointmentSearch, error) {
	if err := only(q, "date", "actor:identifier", "practitioner:identifier", "slot", "status", "service-type",
		"patient:identifier", "_count", "_offset"); err != nil {
		return nil, err
	}
	as := &appointmentSearch{}
	var err error
	if as.from, as.to, err = dateRange(q["date"], "date", now); err != nil {
		return nil, err
	}
	if as.clinician, err = clinicianParam(q); err != nil {
		return nil, err
	}
	if v, err := one(q, "slot"); err != nil {
		return nil, err
	} else if v != "" {
		as.slot = strings.TrimPrefix(v, "Slot/")
	}
	if as.status, err = codes(q, "status", "", appointmentStatuses); err != nil {
		return nil, err
	}
	if as.types, err = codes(q, "service-type", systemTimeType, nil); err != nil {
		return nil, err
	}
	if v, err := one(q, "patient:identifier"); err != nil {
		return nil, err
	} else if v != "" {
		if as.patient, err = patientParam(v, now); err != nil {
			return nil, err
		}
		if _, paged := q["_offset"]; paged {
			return nil, badRequest("a search by patient is one page: leave _offset out")
		}
	}
	return as, nil
}

// patientParam is a patient:identifier value.
func patientParam(v string, now time.Time) (personnummer.Personnummer, error) {
	sys, value, found := strings.Cut(v, "|")
	if !found {
		value, sys = sys, ""
	}
	if sys != "" && sys != systemPNR && sys != systemSamnr {
		return "", badRequest("patient:identifier: expected the system " + systemPNR + " (personnummer) or " + systemSamnr + " (samordningsnummer)")
	}
	p, err := personnummer.Parse(value, now)
	if err != nil {
		return "", badRequest("patient:identifier: not a valid personnummer or samordningsnummer")
	}
	return p, nil
}

func (s *Server) searchAppointments(w http.ResponseWriter, r *http.Request, c caller) {
	as, p, ok := readDiary(s, w, r, parseAppointmentSearch)
	if !ok {
		return
	}
	count, offset := p.count, p.offset
	if as.patient != "" {
		count, offset = diaryMaxDays*96, 0 // one page
	}
	var entries []any
	var ids, patients []string
	for _, sl := range p.slots {
		if as.clinician != "" && sl.Clinician != as.clinician || as.slot != "" && s.slotID(sl) != as.slot ||
			len(as.types) > 0 && !slices.Contains(as.types, sl.TypeID) {
			continue
		}
		apps, pats := s.appointmentsOf(sl, p.types, p.now)
		for i, a := range apps {
			if len(as.status) > 0 && !slices.Contains(as.status, a.Status) || as.patient != "" && pats[i] != string(as.patient) {
				continue
			}
			entries, ids, patients = append(entries, a), append(ids, a.ID), append(patients, pats[i])
		}
	}
	// Only the page shown is in the access log: what the system saw.
	lo, hi := min(offset, len(entries)), min(offset+count, len(entries))
	if !s.logReads(w, r, c, patients[lo:hi]) {
		return
	}
	s.writeBundle(w, r, "Appointment", p.q, entries, ids, count, offset)
}

func (s *Server) readAppointment(w http.ResponseWriter, r *http.Request, c caller) {
	sl, _, ok := s.slotAndRest(w, r, r.PathValue("id"), true)
	if !ok {
		return
	}
	types, err := s.cfg.Diary.Types(r.Context())
	if err != nil {
		s.diaryError(w, err)
		return
	}
	apps, pats := s.appointmentsOf(sl, types, s.cfg.Clock.Now())
	for i, a := range apps {
		if a.ID == r.PathValue("id") {
			if s.logReads(w, r, c, pats[i:i+1]) {
				setVersion(w, appointmentVersion(a.Status))
				writeJSON(w, http.StatusOK, a)
			}
			return
		}
	}
	fail(w, http.StatusNotFound, "not-found", "no such Appointment at this care unit: search for it by date")
}

// logReads writes the access log's entries for the bookings a system is
// about to see (one per patient shown; one diary-list entry without a
// patient when it sees none: every request is in the log), in one
// transaction, before it sees them; false (answered) if the log could
// not be written.
func (s *Server) logReads(w http.ResponseWriter, r *http.Request, c caller, patients []string) bool {
	var es []audit.Entry
	for _, p := range patients {
		if p != "" {
			es = append(es, s.diaryEntry(c, diaryRead, p, audit.Allowed))
		}
	}
	if len(es) == 0 {
		es = append(es, s.diaryEntry(c, diaryList, "", audit.Allowed))
	}
	if err := s.cfg.DiaryLog(r.Context(), es...); err != nil {
		s.cfg.Logger.Error("api diary read not written to the access log", "err", err, "system", c.sys.HSAID)
		fail(w, http.StatusInternalServerError, "exception", "the gateway could not write its access log, so it shows nothing: try again; if it persists, tell region IT")
		return false
	}
	return true
}

// diaryEntry is an access-log entry about a booking of patient by the
// system c.
func (s *Server) diaryEntry(c caller, action, patient string, outcome audit.Outcome) audit.Entry {
	return audit.Entry{Time: s.cfg.Clock.Now().UTC(), Actor: c.actor.Name(), Unit: s.cfg.Unit, Action: action, Patient: patient, Outcome: outcome}
}
