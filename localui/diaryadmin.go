package localui

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"clinicgw/agent/booking"
	"clinicgw/agent/cases"
)

// The unit administrator's diary page (GET, POST /admin/diary): the time
// types, each clinician's weekly templates, the exceptions (leave, closed
// days), "generate eight weeks ahead", and the online figure: the share of
// the unit's coming times bookable online and how many weeks ahead they
// reach, against the regions' aim of 80 % at least eight weeks ahead.
// Each form changes one thing through agent/booking, which checks it; a
// refused one changes nothing and the page says why.

// diaryAdmin wraps the page: unit administrators only, 404 without a diary.
func (s *Server) diaryAdmin(h http.HandlerFunc) http.HandlerFunc {
	return s.staffOnly(func(w http.ResponseWriter, r *http.Request) {
		if !actorOf(sessionOf(r)).Has(cases.UnitAdmin) {
			s.fail(w, r, http.StatusForbidden, "err.forbidden")
			return
		}
		if s.cfg.Diary == nil {
			s.fail(w, r, http.StatusNotFound, "err.pageNotFound")
			return
		}
		h(w, r)
	})
}

// diaryAdminView is the page's data.
type diaryAdminView struct {
	Types      []booking.TimeType
	Templates  []booking.Template
	Exceptions []booking.Exception
	Clinicians []Member
	Figure     booking.Figure
	SharePct   int
	AimPct     int
	AimWeeks   int
	Report     *booking.GenerateReport
	Weekdays   []time.Weekday
}

// TypeName is a type's staff name, or its id.
func (v diaryAdminView) TypeName(id string) string {
	for _, t := range v.Types {
		if t.ID == id {
			return t.StaffName
		}
	}
	return id
}

// Name is a clinician's name, or their HSA-ID.
func (v diaryAdminView) Name(hsaID string) string {
	for _, m := range v.Clinicians {
		if m.HSAID == hsaID {
			return m.Name
		}
	}
	return hsaID
}

func (s *Server) diaryAdminPage(w http.ResponseWriter, r *http.Request) {
	s.renderDiaryAdmin(w, r, http.StatusOK, "", nil)
}

func (s *Server) renderDiaryAdmin(w http.ResponseWriter, r *http.Request, status int, errMsg string, rep *booking.GenerateReport) {
	ctx := r.Context()
	v := diaryAdminView{Clinicians: s.cfg.Directory.Clinicians(s.clock.Now()), Report: rep,
		AimPct: int(booking.AimShare * 100), AimWeeks: booking.AimWeeks,
		Weekdays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}}
	types, err := s.cfg.Diary.Types(ctx)
	if err == nil {
		var tm map[string]booking.Template
		var ex map[string]booking.Exception
		tm, ex, err = s.cfg.Diary.Schedule(ctx)
		for _, t := range types {
			v.Types = append(v.Types, t)
		}
		for _, t := range tm {
			v.Templates = append(v.Templates, t)
		}
		for _, e := range ex {
			v.Exceptions = append(v.Exceptions, e)
		}
	}
	if err == nil {
		v.Figure, err = s.cfg.Diary.OnlineFigure(ctx)
	}
	if err != nil {
		s.log.Error("diary administration page failed", "err", err)
		s.fail(w, r, http.StatusInternalServerError, "err.generic")
		return
	}
	slices.SortFunc(v.Types, func(a, b booking.TimeType) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(v.Templates, func(a, b booking.Template) int {
		return strings.Compare(a.Clinician+strconv.Itoa(int(a.Weekday))+a.Start, b.Clinician+strconv.Itoa(int(b.Weekday))+b.Start)
	})
	slices.SortFunc(v.Exceptions, func(a, b booking.Exception) int { return strings.Compare(a.From, b.From) })
	v.SharePct = int(v.Figure.Share*100 + 0.5)
	s.render(w, r, status, "diaryadmin", page{Title: "title.diaryAdmin", Nav: "diaryadmin", Data: v, Error: errMsg})
}

// saveDiaryAdmin applies one form: op "type", "template", "exception",
// "deleteTemplate", "deleteException" or "generate".
func (s *Server) saveDiaryAdmin(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, "err.invalid")
		return
	}
	ctx := r.Context()
	f := r.PostFormValue
	num := func(k string) int { n, _ := strconv.Atoi(strings.TrimSpace(f(k))); return n }
	on := func(k string) bool { return f(k) == "on" }
	var err error
	switch f("op") {
	case "type":
		t := booking.TimeType{ID: strings.TrimSpace(f("id")), StaffName: strings.TrimSpace(f("staffName")),
			PatientName: strings.TrimSpace(f("patientName")), Minutes: num("minutes"), Online: on("online"),
			Rebook: on("rebook"), RebookHours: num("rebookHours"), Cancel: on("cancel"), CancelHours: num("cancelHours"),
			Reminder: on("reminder"), ReminderHours: num("reminderHours"), ReleaseHours: num("releaseHours"), Clinicians: r.PostForm["clinician"]}
		err = s.cfg.Diary.PutType(ctx, t)
	case "template":
		wd := num("weekday")
		if wd < 0 || wd > 6 {
			wd = -1
		}
		t := booking.Template{ID: strings.TrimSpace(f("id")), Clinician: f("clinician"), TypeID: f("type"),
			Weekday: time.Weekday(wd), Start: strings.TrimSpace(f("start")), Count: num("count"),
			From: strings.TrimSpace(f("from")), Until: strings.TrimSpace(f("until"))}
		if t.ID == "" {
			t.ID = newAdminID(t.Clinician, t.TypeID, strconv.Itoa(wd), strings.ReplaceAll(t.Start, ":", ""))
		}
		err = s.cfg.Diary.PutTemplate(ctx, t)
	case "exception":
		e := booking.Exception{ID: strings.TrimSpace(f("id")), Clinician: f("clinician"), From: strings.TrimSpace(f("from")),
			Until: strings.TrimSpace(f("until")), What: strings.TrimSpace(f("what"))}
		if e.ID == "" {
			e.ID = newAdminID("x", e.Clinician, strings.ReplaceAll(e.From, "-", ""), strings.ReplaceAll(e.Until, "-", ""))
		}
		err = s.cfg.Diary.PutException(ctx, e)
	case "deleteTemplate":
		err = s.cfg.Diary.DeleteTemplate(ctx, f("id"))
	case "deleteException":
		err = s.cfg.Diary.DeleteException(ctx, f("id"))
	case "generate":
		rep, gerr := s.cfg.Diary.Generate(ctx, booking.MinWeeks)
		if gerr != nil {
			s.log.Error("diary generation failed", "err", gerr)
			s.fail(w, r, http.StatusInternalServerError, "err.generic")
			return
		}
		s.log.Info("diary generated by the unit administrator", "made", rep.Made, "removed", rep.Removed)
		s.hub.notifyDiary()
		s.renderDiaryAdmin(w, r, http.StatusOK, "", &rep)
		return
	default:
		s.fail(w, r, http.StatusBadRequest, "err.invalid")
		return
	}
	if err != nil {
		var d *booking.Decline
		if errors.As(err, &d) {
			s.renderDiaryAdmin(w, r, http.StatusBadRequest, d.Message(langOf(r).Code), nil)
			return
		}
		// The diary's checks say in English what is wrong with the form;
		// the page says it in the staff member's language and keeps the
		// technical words for the log.
		s.log.Info("diary administration refused", "err", err)
		s.renderDiaryAdmin(w, r, http.StatusBadRequest, langOf(r).T("diary.admin.refused."+f("op")), nil)
		return
	}
	s.log.Info("diary administration changed", "hsaId", sessionOf(r).Staff.HSAID, "op", f("op"))
	http.Redirect(w, r, "/admin/diary?ok=diary-saved", http.StatusSeeOther)
}

// newAdminID is an id from parts, kept to the diary's id rule.
func newAdminID(parts ...string) string {
	id := strings.Map(func(c rune) rune {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-':
			return c
		}
		return -1
	}, strings.Join(parts, "-"))
	id = strings.Trim(id, "-")
	if len(id) > 40 {
		id = id[len(id)-40:]
		id = strings.TrimLeft(id, "-")
	}
	if id == "" {
		id = "x"
	}
	return id
}
