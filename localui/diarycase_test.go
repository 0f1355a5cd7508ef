package localui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/booking"
	"clinicgw/agent/cases"
	"clinicgw/cardauth"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"
)

// failingCases is the real case service whose Do fails on demand: the
// answer failing after the booking.
type failingCases struct {
	*cases.Service
	fail *bool
}

func (f failingCases) Do(ctx context.Context, a cases.Actor, id cases.ID, cmd cases.Command) (*cases.Case, error) {
	if *f.fail {
		return nil, errors.New("injected: the case service cannot answer")
	}
	return f.Service.Do(ctx, a, id, cmd)
}

// DoWithin fails inside the caller's transaction, after the booking was
// written in it.
func (f failingCases) DoWithin(ctx context.Context, a cases.Actor, id cases.ID, cmd cases.Command, run func(func(cases.Tx) error) error) (*cases.Case, error) {
	if *f.fail {
		return nil, run(func(cases.Tx) error { return errors.New("injected: the case service cannot answer") })
	}
	return f.Service.DoWithin(ctx, a, id, cmd, run)
}

// failingUpdates is a diary store whose write transactions fail once
// more than n have run (n < 0: never).
type failingUpdates struct {
	booking.Store
	n *int
}

func (f failingUpdates) Update(ctx context.Context, fn func(booking.Tx) error) error {
	if *f.n == 0 {
		return errors.New("injected: the diary cannot be written")
	}
	*f.n--
	return f.Store.Update(ctx, fn)
}

type memSettings map[string][]byte

func (m memSettings) Get(_ context.Context, k string) ([]byte, error) { return m[k], nil }
func (m memSettings) Put(_ context.Context, k string, v []byte) error { m[k] = v; return nil }

// TestBookFromCase: a clinician books a time from a "Beställa tid" or
// "Av/omboka tid" case and answers it in one action, one transaction:
// when the answer fails, nothing is booked and nothing is in the access
// log, and the page says the time was not booked (a crash at any moment:
// TestBookFromCaseKilled). Refusals by the diary's or the case's rules
// change nothing.
func TestBookFromCase(t *testing.T) {
	const unit, clinA, clinB, dist = "SE2321000016-15ZM", "SE2321000016-1003", "SE2321000016-1004", "SE2321000016-1001"
	ctx := context.Background()
	failAnswer, writes := false, -1
	w := newDiaryCaseWorld(t, t.TempDir(), func(st booking.Store) booking.Store { return failingUpdates{st, &writes} }) // diarycase_kill_test.go
	defer w.db.Close()
	db, svc, d, clock := w.db, w.svc, w.d, w.clock
	for _, ty := range []booking.TimeType{
		{ID: "besok-30", StaffName: "Psykologbesök", PatientName: "Besök", Minutes: 30, Online: true},
	} {
		if err := d.PutType(ctx, ty); err != nil {
			t.Fatal(err)
		}
	}
	for _, tm := range []booking.Template{
		{ID: "a", Clinician: clinA, TypeID: "besok-30", Weekday: time.Tuesday, Start: "08:00", Count: 4, From: "2026-11-01"},
		{ID: "b", Clinician: clinB, TypeID: "besok-30", Weekday: time.Tuesday, Start: "08:00", Count: 1, From: "2026-11-01"},
	} {
		if err := d.PutTemplate(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Generate(ctx, booking.MinWeeks); err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Origin: "https://gw.example:8443", Bridge: "http://127.0.0.1:24727", Unit: unit, UnitName: "Vårdcentralen Ekbacken",
		Cases: failingCases{svc, &failAnswer}, Login: stubLogin{}, Directory: diaryTestDirectory{}, Settings: memSettings{},
		Diary: d, Clock: clock,
		DiaryLog: func(ctx context.Context, e audit.Entry) error {
			return db.Update(ctx, func(tx cases.Tx) error { return tx.AppendAudit(e) })
		}})
	if err != nil {
		t.Fatal(err)
	}
	slot := func(hhmm, clin string) string {
		st, _ := time.ParseInLocation("2006-01-02 15:04", "2026-11-24 "+hhmm, workday.Stockholm())
		return fmt.Sprintf("%d-%s", st.Unix(), clin)
	}
	sessOf := func(hsaID string, roles ...cases.Role) cardauth.Session {
		return cardauth.Session{ID: "s-" + hsaID, Staff: cardauth.Staff{HSAID: hsaID, Title: "Psykolog", Roles: cases.RoleCodes(roles)}}
	}
	clinASess, clinBSess, distSess := sessOf(clinA, cases.Clinician), sessOf(clinB, cases.Clinician), sessOf(dist, cases.Distributor)
	n := 0
	newCase := func(typ casetype.Type) (*cases.Case, string) {
		n++
		pnr := personnummer.Synthetic(time.Date(1975, 3, 14, 0, 0, 0, 0, time.UTC), 980+n)
		c, err := svc.Receive(ctx, cases.Submission{Type: typ, Patient: cases.Person{PNR: pnr, Name: "Testperson"}, Text: "En tid, tack", SubmittedAt: clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if c, err = svc.Do(ctx, cases.StaffActor(dist, cases.RoleCodes([]cases.Role{cases.Distributor})), c.ID, cases.Command{Action: cases.Assign, Assignee: clinA}); err != nil {
			t.Fatal(err)
		}
		return c, string(pnr)
	}
	post := func(sess cardauth.Session, c *cases.Case, form url.Values) (int, string) {
		w := postBookFromCase(s, sess, c, form) // diarycase_kill_test.go
		return w.Code, w.Body.String()
	}
	state := func(id string) *booking.Slot {
		sl, err := d.Slot(ctx, booking.SlotID(id))
		if err != nil {
			t.Fatal(err)
		}
		return sl
	}
	caseOf := func(c *cases.Case) *cases.Case {
		got, err := svc.Get(ctx, cases.StaffActor(clinA, cases.RoleCodes([]cases.Role{cases.Clinician})), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	actions := func(pnr string) (out []string) {
		p, _ := personnummer.Parse(pnr, clock.Now())
		if err := db.View(ctx, func(tx cases.ReadTx) error {
			return tx.AuditByPatient(p, func(r audit.Record) bool {
				if strings.HasPrefix(r.Entry.Action, "diary-") && r.Entry.Action != diaryRead {
					out = append(out, r.Entry.Action)
				}
				return true
			})
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}

	t.Run("answered with the time", func(t *testing.T) {
		c, pnr := newCase(casetype.BookAppointment)
		code, body := post(clinASess, c, url.Values{"slot": {slot("08:00", clinA)}, "text": {"Välkommen!"}})
		if code != http.StatusSeeOther {
			t.Fatalf("%d %.300s", code, body)
		}
		if sl := state(slot("08:00", clinA)); sl.State != booking.Booked || sl.Booking.Patient != pnr {
			t.Errorf("the time: %s %+v", sl.State, sl.Booking)
		}
		got := caseOf(c)
		last := got.Messages[len(got.Messages)-1].Text
		want := "Välkommen!\n\nDu har fått en tid: tisdag 24 november 2026 kl. 08:00–08:30 (svensk tid).\nBesök, Vårdcentralen Ekbacken."
		if got.Status != cases.Answered || !strings.HasPrefix(last, want) || strings.Contains(last, "Psykolog") {
			t.Errorf("the case: %s, %q", got.Status, last)
		}
		if a := actions(pnr); strings.Join(a, ",") != "diary-book" {
			t.Errorf("access log: %v", a)
		}
	})
	t.Run("the answer fails: nothing is booked", func(t *testing.T) {
		c, pnr := newCase(casetype.BookAppointment)
		failAnswer = true
		code, body := post(clinASess, c, url.Values{"slot": {slot("08:30", clinA)}})
		failAnswer = false
		if code != http.StatusInternalServerError || !strings.Contains(body, "så tiden bokades inte") {
			t.Errorf("%d %.300s", code, body)
		}
		if sl := state(slot("08:30", clinA)); sl.State != booking.Free || len(sl.Canceled) != 0 {
			t.Errorf("the time is left %s, cancelled %+v", sl.State, sl.Canceled)
		}
		if got := caseOf(c); got.Status != cases.Assigned {
			t.Errorf("the case: %s", got.Status)
		}
		if a := actions(pnr); len(a) != 0 {
			t.Errorf("access log: %v", a)
		}
	})
	t.Run("the diary cannot be written: nothing is answered", func(t *testing.T) {
		c, _ := newCase(casetype.BookAppointment)
		writes = 0
		code, body := post(clinASess, c, url.Values{"slot": {slot("08:30", clinA)}})
		writes = -1
		if code != http.StatusInternalServerError {
			t.Errorf("%d %.300s", code, body)
		}
		if sl := state(slot("08:30", clinA)); sl.State != booking.Free {
			t.Errorf("the time: %s", sl.State)
		}
		if got := caseOf(c); got.Status != cases.Assigned {
			t.Errorf("the case: %s", got.Status)
		}
	})
	t.Run("a move from an Av/omboka tid case", func(t *testing.T) {
		c, pnr := newCase(casetype.ChangeAppointment)
		if _, err := d.Book(ctx, booking.SlotID(slot("09:00", clinA)), booking.Actor{Staff: clinA}, booking.BookRequest{Patient: pnr}); err != nil {
			t.Fatal(err)
		}
		code, body := post(clinASess, c, url.Values{"slot": {slot("09:30", clinA)}, "from": {slot("09:00", clinA)}})
		if code != http.StatusSeeOther {
			t.Fatalf("%d %.300s", code, body)
		}
		if sl := state(slot("09:00", clinA)); sl.State != booking.Free {
			t.Errorf("the old time: %s", sl.State)
		}
		if sl := state(slot("09:30", clinA)); sl.State != booking.Booked || sl.Booking.Patient != pnr {
			t.Errorf("the new time: %s", sl.State)
		}
		got := caseOf(c)
		if last := got.Messages[len(got.Messages)-1].Text; !strings.HasPrefix(last, "Din tid är flyttad till: tisdag 24 november 2026 kl. 09:30–10:00") {
			t.Errorf("the answer: %q", last)
		}
	})
	// Refusals: nothing booked, the case as it was.
	for _, tc := range []struct {
		name string
		sess cardauth.Session
		typ  casetype.Type
		form func(pnr string) url.Values
		code int
	}{
		{"a taken time", clinASess, casetype.BookAppointment, func(string) url.Values { return url.Values{"slot": {slot("08:00", clinA)}} }, http.StatusConflict},
		{"a time that does not exist", clinASess, casetype.BookAppointment, func(string) url.Values { return url.Values{"slot": {"x"}} }, http.StatusConflict},
		{"another clinician's diary", clinASess, casetype.BookAppointment, func(string) url.Values { return url.Values{"slot": {slot("08:00", clinB)}} }, http.StatusForbidden},
		{"not the case's clinician", clinBSess, casetype.BookAppointment, func(string) url.Values { return url.Values{"slot": {slot("08:00", clinB)}} }, http.StatusForbidden},
		{"a distributor: the answer is the clinician's", distSess, casetype.BookAppointment, func(string) url.Values { return url.Values{"slot": {slot("08:00", clinB)}} }, http.StatusForbidden},
		{"a move of someone else's booking", clinASess, casetype.ChangeAppointment, func(string) url.Values {
			return url.Values{"slot": {slot("09:00", clinA)}, "from": {slot("08:00", clinA)}}
		}, http.StatusBadRequest},
		{"not a request for a time", clinASess, casetype.ContactMe, func(string) url.Values { return url.Values{"slot": {slot("08:00", clinB)}} }, http.StatusConflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, pnr := newCase(tc.typ)
			before := map[string]booking.State{}
			for _, id := range []string{slot("08:00", clinA), slot("09:00", clinA), slot("09:30", clinA), slot("08:00", clinB)} {
				before[id] = state(id).State
			}
			code, body := post(tc.sess, c, tc.form(pnr))
			if code != tc.code {
				t.Errorf("%d, want %d: %.300s", code, tc.code, body)
			}
			for id, st := range before {
				if state(id).State != st {
					t.Errorf("%s went %s → %s", id, st, state(id).State)
				}
			}
			if got := caseOf(c); got.Status != cases.Assigned {
				t.Errorf("the case: %s", got.Status)
			}
			if a := actions(pnr); len(a) != 0 {
				t.Errorf("access log: %v", a)
			}
		})
	}
}
