package localui

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"clinicgw/agent/audit"
	"clinicgw/agent/booking"
	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
)

// Booking from a request case (GET, POST /diary/case/{id}): the
// clinician answering a "Beställa tid" (book-appointment) or "Av/omboka
// tid" (change-appointment) case picks a free time in a week of the
// diary (for "Av/omboka tid" also which of the patient's coming bookings
// it replaces) and in one action the time is booked for the case's
// patient and the case answered with it: the date, the local time and the
// place (the unit's name and visiting address), after the clinician's
// own words if any.
//
// The booking and the answer are one transaction: the diary's write
// (booking.WithinChange) runs the case service's command (DoWithin) in
// the store's case transaction beside it, so the time, its access-log
// entry, the answer and the answer's entry commit together or not at
// all — a crash at any moment leaves both or neither
// (TestBookFromCaseKilled), and a failing answer books nothing. The
// answer is tried first without writing (cases.Apply on the case as
// read), so a refusal by the case's rules (not the answering clinician,
// answered meanwhile) is told before the diary is touched. Per-role
// rules are the diary's: a clinician books in their own diary, a message
// administrator in any; answering is the case's assigned clinician's.

// caseBookable says whether c is a request for a time that is still open
// to an answer.
func caseBookable(c *cases.Case) bool {
	return (c.Type == casetype.BookAppointment || c.Type == casetype.ChangeAppointment) &&
		(c.Status == cases.Assigned || c.Status == cases.PartiallyAnswered)
}

// bookableCase reads case id as a for a booking from it; when a may not
// read it, or it is not a request for a time still open, it answers the
// request with why and returns false.
func (s *Server) bookableCase(w http.ResponseWriter, r *http.Request, a cases.Actor, id cases.ID) (*cases.Case, bool) {
	c, err := s.cfg.Cases.Get(r.Context(), a, id)
	if err != nil {
		s.caseError(w, r, err)
		return nil, false
	}
	if !caseBookable(c) {
		s.fail(w, r, http.StatusConflict, "diarycase.notBookable")
		return nil, false
	}
	return c, true
}

// diaryCaseView is the page's data.
type diaryCaseView struct {
	C       *cases.Case
	Patient string // formatted personnummer
	Q       diaryQuery
	Who     string // the clinician's name, "" all
	Distrib bool
	// Clinicians are those whose times the viewer may book.
	Clinicians []Member
	Free       []diaryTime // free times of the week shown
	Booked     []diaryTime // the patient's coming bookings (Av/omboka tid)
	Move       bool        // the case asks to move a time
	Text       string      // the clinician's words, kept across a decline
	Err        string
}

// Path is the page's address for the week q.
func (v diaryCaseView) Path(q diaryQuery) string {
	return "/diary/case/" + string(v.C.ID) + strings.TrimPrefix(q.Path(), "/diary")
}

// diaryCasePage shows the free times to book from the case.
func (s *Server) diaryCasePage(w http.ResponseWriter, r *http.Request) {
	s.renderDiaryCase(w, r, http.StatusOK, "")
}

func (s *Server) renderDiaryCase(w http.ResponseWriter, r *http.Request, status int, errMsg string) {
	a := actorOf(sessionOf(r))
	ctx := r.Context()
	c, ok := s.bookableCase(w, r, a, cases.ID(r.PathValue("id")))
	if !ok {
		return
	}
	q, ok := s.parseDiaryQuery(r)
	if !ok {
		s.fail(w, r, http.StatusBadRequest, "diary.badDate")
		return
	}
	q.Week = true
	if !mayDiary(a, q.Who) {
		s.fail(w, r, http.StatusForbidden, "err.forbidden")
		return
	}
	v := diaryCaseView{C: c, Patient: formatPNR(string(c.Patient.PNR)), Q: q, Distrib: a.Has(cases.Distributor),
		Move: c.Type == casetype.ChangeAppointment, Text: r.PostFormValue("text"), Err: errMsg}
	if q.Who != "" {
		v.Who = s.memberName(q.Who)
	}
	for _, m := range s.cfg.Directory.Clinicians(s.clock.Now()) {
		if mayDiary(a, m.HSAID) {
			v.Clinicians = append(v.Clinicians, m)
		}
	}
	if err := s.diaryCaseTimes(ctx, a, &v); err != nil {
		s.log.Error("booking from a case: the diary could not be read", "err", err)
		s.fail(w, r, http.StatusInternalServerError, "err.generic")
		return
	}
	s.render(w, r, status, "diarycase", page{Title: "title.diaryCase", Nav: "diary", Data: v, Error: errMsg})
}

// diaryCaseTimes reads the week's free times and, for a move, the
// patient's coming bookings (eight weeks on; a look at them is logged).
func (s *Server) diaryCaseTimes(ctx context.Context, a cases.Actor, v *diaryCaseView) error {
	types, err := s.cfg.Diary.Types(ctx)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	toTime := func(sl *booking.Slot) diaryTime {
		t := diaryTime{ID: string(sl.ID()), Start: sl.Start, End: sl.End(), Clinician: s.memberName(sl.Clinician),
			Type: types[sl.TypeID].StaffName, State: sl.State, Future: now.Before(sl.Start)}
		if t.Type == "" {
			t.Type = sl.TypeID
		}
		return t
	}
	week, err := s.cfg.Diary.Slots(ctx, v.Q.Day, v.Q.end())
	if err != nil {
		return err
	}
	for _, sl := range week {
		held := sl.Hold != nil && now.Before(sl.Hold.Until)
		if sl.State == booking.Free && !held && now.Before(sl.Start) && (v.Q.Who == "" || sl.Clinician == v.Q.Who) && mayDiary(a, sl.Clinician) {
			v.Free = append(v.Free, toTime(sl))
		}
	}
	if !v.Move {
		return nil
	}
	coming, err := s.cfg.Diary.Slots(ctx, now, now.AddDate(0, 0, 7*booking.MinWeeks))
	if err != nil {
		return err
	}
	for _, sl := range coming {
		if sl.State == booking.Booked && sl.Booking != nil && sl.Booking.Patient == string(v.C.Patient.PNR) {
			v.Booked = append(v.Booked, toTime(sl))
		}
	}
	if len(v.Booked) > 0 {
		return s.cfg.DiaryLog(ctx, s.diaryEntry(a, diaryRead, string(v.C.Patient.PNR), audit.Allowed))
	}
	return nil
}

// bookFromCase books the chosen time for the case's patient (or moves
// the chosen booking to it) and answers the case with it.
func (s *Server) bookFromCase(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, "err.invalid")
		return
	}
	sess := sessionOf(r)
	a := actorOf(sess)
	ctx := r.Context()
	id := cases.ID(r.PathValue("id"))
	c, ok := s.bookableCase(w, r, a, id)
	if !ok {
		return
	}
	pnr := string(c.Patient.PNR)
	to := booking.SlotID(r.PostFormValue("slot"))
	from := booking.SlotID(r.PostFormValue("from"))
	sl, err := s.cfg.Diary.Slot(ctx, to)
	if err != nil {
		s.caseBookDeclined(w, r, err)
		return
	}
	if !mayDiary(a, sl.Clinician) {
		s.log.Warn("diary action refused", "hsaId", a.HSAID, "action", "case-book")
		_ = s.cfg.DiaryLog(ctx, s.diaryEntry(a, diaryBook, "", audit.Denied))
		s.fail(w, r, http.StatusForbidden, "err.forbidden")
		return
	}
	if from != "" {
		old, err := s.cfg.Diary.Slot(ctx, from)
		if err != nil {
			s.caseBookDeclined(w, r, err)
			return
		}
		if c.Type != casetype.ChangeAppointment || old.Booking == nil || old.Booking.Patient != pnr {
			s.fail(w, r, http.StatusBadRequest, "diarycase.notTheirs")
			return
		}
	}
	types, err := s.cfg.Diary.Types(ctx)
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	prefs, err := s.prefs(r, a.HSAID)
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	place, err := s.visitPlace(ctx)
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	version, _ := strconv.ParseUint(r.PostFormValue("version"), 10, 64)
	own := strings.TrimSpace(strings.ReplaceAll(r.PostFormValue("text"), "\r\n", "\n"))
	cmd := cases.Command{Action: cases.SendAnswer, Version: version, Signature: prefs.Signature, AuthorTitle: sess.Staff.Title,
		Text: timeAnswer(own, sl, types[sl.TypeID], place, from != "")}
	// The answer tried on the case as read: a refusal by the case's
	// rules books nothing.
	if err := cases.Apply(c, a, cmd, s.clock.Now(), "try"); err != nil {
		s.caseError(w, r, err)
		return
	}
	staff := booking.Actor{Staff: a.HSAID}
	logged := booking.WithAccessLog(context.WithoutCancel(ctx), func(p string) audit.Entry {
		action := diaryBook
		if from != "" {
			action = diaryRebook
		}
		return s.diaryEntry(a, action, p, audit.Allowed)
	})
	// The booking and the answer in one transaction: the diary's change
	// runs the case's command in its own write (booking.WithinChange).
	run := func(body func(cases.Tx) error) error {
		ctx := booking.WithinChange(logged, func(tx booking.Tx) error {
			ct, ok := tx.(caseTxer)
			if !ok {
				return errNoCaseTx
			}
			ctx, err := ct.CaseTx()
			if err != nil {
				return err
			}
			return body(ctx)
		})
		var err error
		if from == "" {
			_, err = s.cfg.Diary.Book(ctx, to, staff, booking.BookRequest{Patient: pnr})
		} else {
			_, err = s.cfg.Diary.Rebook(ctx, from, to, staff)
		}
		return err
	}
	if _, err := s.cfg.Cases.DoWithin(ctx, a, id, cmd, run); err != nil {
		if _, declined := booking.DeclineOf(err); declined {
			s.caseBookDeclined(w, r, err)
			return
		}
		s.log.Warn("booking from a case: nothing booked, the answer failed", "err", err)
		status := http.StatusInternalServerError
		if errors.Is(err, cases.ErrConflict) || errors.Is(err, cases.ErrIllegalTransition) {
			status = http.StatusConflict
		}
		s.fail(w, r, status, "diarycase.answerFailed")
		return
	}
	s.diaryChangedHere() // diarylive.go
	s.log.Info("booked from a case and answered", "hsaId", a.HSAID)
	http.Redirect(w, r, "/cases/"+string(id)+"?ok=diary-case", http.StatusSeeOther)
}

// caseTxer is a diary transaction that carries the store's case
// transaction beside it (agent/store's DiaryTx).
type caseTxer interface {
	CaseTx() (cases.Tx, error)
}

// errNoCaseTx: the diary's store cannot write a case in its transaction.
var errNoCaseTx = errors.New("diary: the store's transaction cannot write cases, so the time is not booked")

// caseBookDeclined shows a decline on the page, nothing changed.
func (s *Server) caseBookDeclined(w http.ResponseWriter, r *http.Request, err error) {
	d, ok := booking.DeclineOf(err)
	if !ok {
		s.log.Error("booking from a case failed", "err", err)
		s.fail(w, r, http.StatusInternalServerError, "err.generic")
		return
	}
	s.renderDiaryCase(w, r, http.StatusConflict, d.Message(langOf(r).Code))
}

// visitPlace is where the patient comes: the unit's name and its
// visiting address (the contact details patients see), on one line.
func (s *Server) visitPlace(ctx context.Context) (string, error) {
	place := s.cfg.UnitName
	if s.cfg.Contact == nil {
		return place, nil
	}
	c, err := s.cfg.Contact.Contact(ctx)
	if err != nil {
		return "", err
	}
	var lines []string
	for l := range strings.SplitSeq(c.Address, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > 0 {
		place = strings.Join(slices.Concat([]string{place}, lines), ", ")
	}
	return place, nil
}

var (
	weekdaySV = [...]string{"söndag", "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag"}
	monthSV   = [...]string{"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november", "december"}
)

// timeAnswer is the answer's text: the clinician's words, then the time
// in Swedish — weekday, date, local time from and to, the neutral name
// of the visit, the place. The answer goes to the patient in Swedish
// whatever the staff member's language.
func timeAnswer(own string, sl *booking.Slot, t booking.TimeType, place string, moved bool) string {
	st, end := booking.Local(sl.Start), booking.Local(sl.End())
	what := "Du har fått en tid"
	if moved {
		what = "Din tid är flyttad till"
	}
	name := t.PatientName
	if name == "" {
		name = "Besök"
	}
	line := what + ": " + weekdaySV[st.Weekday()] + " " + strconv.Itoa(st.Day()) + " " + monthSV[st.Month()-1] + " " +
		strconv.Itoa(st.Year()) + " kl. " + st.Format("15:04") + "–" + end.Format("15:04") + " (svensk tid).\n" +
		name + ", " + place + ".\nKan du inte komma, hör av dig så snart du kan."
	if own == "" {
		return line
	}
	return own + "\n\n" + line
}

// Day is the time's date in Swedish time, "2026-11-24".
func (t diaryTime) Day() string { return booking.Local(t.Start).Format("2006-01-02") }

// WeekdayKey is the i18n key of the time's weekday in Swedish time.
func (t diaryTime) WeekdayKey() string { return "weekday." + booking.Local(t.Start).Weekday().String() }
