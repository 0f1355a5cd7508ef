package localui

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/booking"
	"clinicgw/agent/cases"
	"clinicgw/sync/wire/workday"
)

// The staff's booking diary (GET /diary, POST /diary/{action}): a day or
// week of one clinician's times, or of the whole unit's, and the actions
// on a time: book on behalf of a patient (the personnummer typed into the
// form's POST body, never put in an address), rebook, cancel with a
// reason, mark arrived or no-show. Every action goes to agent/booking's
// authority; a decline is shown in the staff member's language at the
// time it was about, nothing changed. Every look at a booked time (who
// and which patient) and every change is written to the access log, as a
// case read is. The page's websocket watches "diary": a change by anyone
// refreshes every open diary page.
//
// Who may: the message administrator (distributor) sees and books in
// every clinician's diary and the unit's; a clinician in their own only.
// The unit administrator defines time types, templates and exceptions
// (diaryadmin.go) and sees no patient.

// Diary is the booking diary as the UI uses it (*booking.Diary).
type Diary interface {
	Types(ctx context.Context) (map[string]booking.TimeType, error)
	PutType(ctx context.Context, t booking.TimeType) error
	PutTemplate(ctx context.Context, t booking.Template) error
	PutException(ctx context.Context, e booking.Exception) error
	DeleteTemplate(ctx context.Context, id string) error
	DeleteException(ctx context.Context, id string) error
	Schedule(ctx context.Context) (map[string]booking.Template, map[string]booking.Exception, error)
	Generate(ctx context.Context, weeks int) (booking.GenerateReport, error)
	OnlineFigure(ctx context.Context) (booking.Figure, error)
	Slot(ctx context.Context, id booking.SlotID) (*booking.Slot, error)
	Slots(ctx context.Context, from, to time.Time) ([]*booking.Slot, error)
	Book(ctx context.Context, id booking.SlotID, who booking.Actor, req booking.BookRequest) (booking.Booking, error)
	Rebook(ctx context.Context, from, to booking.SlotID, who booking.Actor) (booking.Booking, error)
	Cancel(ctx context.Context, id booking.SlotID, who booking.Actor, reason string) error
	MarkArrived(ctx context.Context, id booking.SlotID, who booking.Actor) error
	MarkNoShow(ctx context.Context, id booking.SlotID, who booking.Actor) error
}

// The diary's actions in the access log.
const (
	diaryRead    = "diary-read"
	diaryBook    = "diary-book"
	diaryRebook  = "diary-rebook"
	diaryCancel  = "diary-cancel"
	diaryArrived = "diary-arrived"
	diaryNoShow  = "diary-noshow"
)

// diaryStaff wraps a diary page: staff who handle bookings (distributor,
// clinician); 404 when the gateway keeps no diary.
func (s *Server) diaryStaff(h http.HandlerFunc) http.HandlerFunc {
	return s.staffOnly(func(w http.ResponseWriter, r *http.Request) {
		a := actorOf(sessionOf(r))
		if !a.Has(cases.Distributor) && !a.Has(cases.Clinician) {
			s.fail(w, r, http.StatusForbidden, "err.forbidden")
			return
		}
		if s.cfg.Diary == nil || s.cfg.DiaryLog == nil {
			s.fail(w, r, http.StatusNotFound, "err.pageNotFound")
			return
		}
		h(w, r)
	})
}

// mayDiary says whether actor may see and change clinician's diary ("":
// the unit's): a distributor every one, a clinician their own.
func mayDiary(a cases.Actor, clinician string) bool {
	if a.Has(cases.Distributor) {
		return true
	}
	return clinician != "" && a.Has(cases.Clinician) && a.HSAID == clinician
}

// diaryQuery is what a diary page shows: whose, which days.
type diaryQuery struct {
	Who  string // a clinician's HSA-ID; "" the unit
	Week bool
	Day  time.Time // the first day shown, midnight in Stockholm
}

func (q diaryQuery) days() int {
	if q.Week {
		return 7
	}
	return 1
}

func (q diaryQuery) end() time.Time {
	d := q.Day
	return time.Date(d.Year(), d.Month(), d.Day()+q.days(), 0, 0, 0, 0, workday.Stockholm())
}

// Path is the page's address for q.
func (q diaryQuery) Path() string {
	v := url.Values{}
	if q.Who != "" {
		v.Set("who", q.Who)
	}
	if q.Week {
		v.Set("view", "week")
	} else {
		v.Set("view", "day")
	}
	v.Set("date", q.Day.Format(time.DateOnly))
	return "/diary?" + v.Encode()
}

// Move is q moved n of its own spans (days or weeks).
func (q diaryQuery) Move(n int) diaryQuery {
	q.Day = time.Date(q.Day.Year(), q.Day.Month(), q.Day.Day()+n*q.days(), 0, 0, 0, 0, workday.Stockholm())
	return q
}

// As is q shown as a week (true) or day.
func (q diaryQuery) As(week bool) diaryQuery {
	q.Week = week
	return q
}

// parseDiaryQuery reads the page's query (GET) or the action's form
// fields of the same names; a clinician's default is their own diary.
func (s *Server) parseDiaryQuery(r *http.Request) (diaryQuery, bool) {
	a := actorOf(sessionOf(r))
	q := diaryQuery{Who: r.FormValue("who"), Week: r.FormValue("view") != "day"}
	if q.Who == "" && !a.Has(cases.Distributor) {
		q.Who = a.HSAID
	}
	day := s.clock.Now().In(workday.Stockholm())
	if d := r.FormValue("date"); d != "" {
		t, err := time.ParseInLocation(time.DateOnly, d, workday.Stockholm())
		if err != nil {
			return q, false
		}
		day = t
	}
	q.Day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, workday.Stockholm())
	if q.Week {
		back := (int(q.Day.Weekday()) + 6) % 7 // to Monday
		q.Day = q.Day.AddDate(0, 0, -back)
	}
	return q, true
}

// diaryView is the diary page's data.
type diaryView struct {
	Q          diaryQuery
	Who        string // the clinician's name, "" the unit
	Clinicians []Member
	Days       []diaryDay
	Types      map[string]booking.TimeType
	Distrib    bool // the viewer may choose another clinician or the unit
	// At and Err are a decline's place (a time's id) and words.
	At, Err string
}

// diaryDay is one day's times, in order.
type diaryDay struct {
	Date  time.Time
	Times []diaryTime
}

// diaryTime is one time as the page shows it.
type diaryTime struct {
	ID        string
	Start     time.Time
	End       time.Time
	Clinician string // the clinician's name
	Type      string // the type's staff name
	State     booking.State
	Held      bool
	Patient   string // the booked patient's personnummer, formatted
	Online    bool   // booked by the patient online
	Future    bool
	MoveTo    []diaryTime // free times of the same type, clinician and length shown, for a rebook
}

// diaryPage renders the page, or with ?part=rows its live part.
func (s *Server) diaryPage(w http.ResponseWriter, r *http.Request) {
	s.renderDiary(w, r, http.StatusOK, "", "")
}

// renderDiary renders the diary page with status and, when at is set, a
// decline's words err at the time at.
func (s *Server) renderDiary(w http.ResponseWriter, r *http.Request, status int, at, errMsg string) {
	q, ok := s.parseDiaryQuery(r)
	if !ok {
		s.fail(w, r, http.StatusBadRequest, "diary.badDate")
		return
	}
	a := actorOf(sessionOf(r))
	if !mayDiary(a, q.Who) {
		s.fail(w, r, http.StatusForbidden, "err.forbidden")
		return
	}
	v, err := s.diaryView(r.Context(), a, q)
	if err != nil {
		s.log.Error("diary page failed", "err", err)
		s.fail(w, r, http.StatusInternalServerError, "err.generic")
		return
	}
	v.At, v.Err = at, errMsg
	p := page{Title: "title.diary", Nav: "diary", Live: "diary", Data: v, Error: errMsg}
	if r.URL.Query().Get("part") == "rows" {
		s.fragment(w, r, "diary", "diaryrows", p)
		return
	}
	s.render(w, r, status, "diary", p)
}

// diaryView reads the times q shows and logs each look at a booked one.
func (s *Server) diaryView(ctx context.Context, a cases.Actor, q diaryQuery) (diaryView, error) {
	v := diaryView{Q: q, Distrib: a.Has(cases.Distributor)}
	v.Clinicians = s.cfg.Directory.Clinicians(s.clock.Now())
	if q.Who != "" {
		v.Who = s.memberName(q.Who)
	}
	types, err := s.cfg.Diary.Types(ctx)
	if err != nil {
		return v, err
	}
	v.Types = types
	slots, err := s.cfg.Diary.Slots(ctx, q.Day, q.end())
	if err != nil {
		return v, err
	}
	now := s.clock.Now()
	var free []diaryTime
	byDay := map[string]int{}
	for i := range q.days() {
		d := time.Date(q.Day.Year(), q.Day.Month(), q.Day.Day()+i, 0, 0, 0, 0, workday.Stockholm())
		byDay[d.Format(time.DateOnly)] = i
		v.Days = append(v.Days, diaryDay{Date: d})
	}
	var looked []audit.Entry
	for _, sl := range slots {
		if q.Who != "" && sl.Clinician != q.Who {
			continue
		}
		t := diaryTime{ID: string(sl.ID()), Start: sl.Start, End: sl.End(), Clinician: s.memberName(sl.Clinician),
			Type: types[sl.TypeID].StaffName, State: sl.State, Future: now.Before(sl.Start),
			Held: sl.Hold != nil && now.Before(sl.Hold.Until)}
		if t.Type == "" {
			t.Type = sl.TypeID
		}
		if sl.Booking != nil {
			t.Patient, t.Online = formatPNR(sl.Booking.Patient), sl.Booking.Online
			looked = append(looked, s.diaryEntry(a, diaryRead, sl.Booking.Patient, audit.Allowed))
		}
		i, ok := byDay[booking.Local(sl.Start).Format(time.DateOnly)]
		if !ok {
			continue
		}
		v.Days[i].Times = append(v.Days[i].Times, t)
		if t.State == booking.Free && t.Future && !t.Held {
			free = append(free, t)
		}
	}
	// Each booked time can move to a free one of the same type, clinician
	// and length among those shown (the authority checks it again).
	for di := range v.Days {
		for ti := range v.Days[di].Times {
			t := &v.Days[di].Times[ti]
			if t.State != booking.Booked || !t.Future {
				continue
			}
			for _, f := range free {
				if f.Type == t.Type && f.Clinician == t.Clinician && f.End.Sub(f.Start) == t.End.Sub(t.Start) {
					t.MoveTo = append(t.MoveTo, f)
				}
			}
		}
	}
	for _, e := range looked {
		if err := s.cfg.DiaryLog(ctx, e); err != nil {
			return v, err
		}
	}
	return v, nil
}

// memberName is hsaID's name in the directory, or the HSA-ID.
func (s *Server) memberName(hsaID string) string {
	if n := s.cfg.Directory.Name(hsaID); n != "" {
		return n
	}
	return hsaID
}

// formatPNR writes a 12-digit personnummer as staff read it: YYYYMMDD-NNNN.
func formatPNR(p string) string {
	if len(p) == 12 {
		return p[:8] + "-" + p[8:]
	}
	return p
}

// diaryEntry is an access-log entry of the diary by a at now.
func (s *Server) diaryEntry(a cases.Actor, action, patient string, outcome audit.Outcome) audit.Entry {
	return audit.Entry{Time: s.clock.Now().UTC(), Actor: a.Name(), Unit: s.cfg.Unit, Action: action, Patient: patient, Outcome: outcome}
}

// diaryAction does one action on a time: book, rebook, cancel, arrived,
// noshow. The time and its clinician come from the form; the page's
// query (who, view, date) too, to go back to it.
func (s *Server) diaryAction(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, "err.invalid")
		return
	}
	a := actorOf(sessionOf(r))
	ctx := r.Context()
	if !slices.Contains([]string{"book", "rebook", "cancel", "arrived", "noshow"}, r.PathValue("action")) {
		s.fail(w, r, http.StatusNotFound, "err.pageNotFound")
		return
	}
	id := booking.SlotID(r.PostFormValue("slot"))
	sl, err := s.cfg.Diary.Slot(ctx, id)
	if err != nil {
		s.diaryDeclined(w, r, string(id), err)
		return
	}
	// The role rule, server side: a clinician acts in their own diary only.
	if !mayDiary(a, sl.Clinician) {
		patient := ""
		if sl.Booking != nil {
			patient = sl.Booking.Patient
		}
		s.log.Warn("diary action refused", "hsaId", a.HSAID, "action", r.PathValue("action"))
		_ = s.cfg.DiaryLog(ctx, s.diaryEntry(a, "diary-"+r.PathValue("action"), patient, audit.Denied))
		s.fail(w, r, http.StatusForbidden, "err.forbidden")
		return
	}
	who := booking.Actor{Staff: a.HSAID}
	action := r.PathValue("action")
	logAction := "diary-" + action
	// The change's access-log entry is written in the change's own
	// transaction (booking.WithAccessLog): both or neither.
	ctx = booking.WithAccessLog(ctx, func(patient string) audit.Entry {
		return s.diaryEntry(a, logAction, patient, audit.Allowed)
	})
	switch action {
	case "book":
		remind, ok := phoneReminder(r) // diaryremind.go
		if !ok {
			s.renderDiary(w, r, http.StatusBadRequest, string(id), langOf(r).T("diary.remind.bad"))
			return
		}
		_, err = s.cfg.Diary.Book(ctx, id, who, booking.BookRequest{Patient: strings.TrimSpace(r.PostFormValue("pnr")), Remind: remind})
	case "rebook":
		_, err = s.cfg.Diary.Rebook(ctx, id, booking.SlotID(r.PostFormValue("to")), who)
	case "cancel":
		err = s.cfg.Diary.Cancel(ctx, id, who, r.PostFormValue("reason"))
	case "arrived":
		err = s.cfg.Diary.MarkArrived(ctx, id, who)
	case "noshow":
		err = s.cfg.Diary.MarkNoShow(ctx, id, who)
	default:
		s.fail(w, r, http.StatusNotFound, "err.pageNotFound")
		return
	}
	if err != nil {
		s.diaryDeclined(w, r, string(id), err)
		return
	}
	s.log.Info("diary changed", "hsaId", a.HSAID, "action", logAction)
	s.diaryChangedHere() // diarylive.go
	q, _ := s.parseDiaryQuery(r)
	http.Redirect(w, r, q.Path()+"&ok=diary-"+action+"#t-"+string(id), http.StatusSeeOther)
}

// diaryDeclined shows a decline at its time, in the staff member's
// language; anything else is a failure.
func (s *Server) diaryDeclined(w http.ResponseWriter, r *http.Request, at string, err error) {
	d, ok := booking.DeclineOf(err)
	if !ok {
		s.log.Error("diary action failed", "err", err)
		s.fail(w, r, http.StatusInternalServerError, "err.generic")
		return
	}
	msg := d.Message(langOf(r).Code)
	if wantsJSON(r) {
		writeJSON(w, http.StatusConflict, map[string]string{"message": msg, "code": string(d.Code)})
		return
	}
	s.renderDiary(w, r, http.StatusConflict, at, msg)
}

// isDiaryFlash says whether f is one of the diary's flashes.
func isDiaryFlash(f string) bool {
	return slices.Contains([]string{"diary-book", "diary-rebook", "diary-cancel", "diary-arrived", "diary-noshow", "diary-saved", "diary-generated", "diary-case"}, f)
}

// Clock is the time's start and end in Swedish time: "08:00–08:30".
func (t diaryTime) Clock() string {
	return booking.Local(t.Start).Format("15:04") + "–" + booking.Local(t.End).Format("15:04")
}
