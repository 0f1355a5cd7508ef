package localui

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/booking"
	"clinicgw/agent/cases"
	"clinicgw/agent/store"
	"clinicgw/cardauth"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"
)

// A diary on a real store whose access log fails on demand: the failure
// injected between a change and its access-log entry.
type failingLogStore struct {
	booking.Store
	fail *bool
}

type failingLogTx struct {
	booking.Tx
	fail *bool
}

var errLogInjected = errors.New("injected: the access log cannot be written")

func (f failingLogStore) Update(ctx context.Context, fn func(booking.Tx) error) error {
	return f.Store.Update(ctx, func(tx booking.Tx) error { return fn(failingLogTx{tx, f.fail}) })
}

func (t failingLogTx) AppendAudit(e audit.Entry) error {
	if *t.fail {
		return errLogInjected
	}
	return t.Tx.(booking.AuditTx).AppendAudit(e)
}

type diaryTestDirectory struct{ Directory }

func (diaryTestDirectory) Name(string) string            { return "" }
func (diaryTestDirectory) Clinicians(time.Time) []Member { return nil }

// A staff change of the diary and its access-log entry commit together:
// with the access log failing, a booking, rebooking, cancellation or mark
// is not made either (before, the entry was written in a transaction of
// its own after the change, so the failure left the change without it);
// with the log working, each change has exactly its entry, naming the
// patient.
func TestDiaryChangeAndAccessLogOneTransaction(t *testing.T) {
	dir := t.TempDir()
	if err := store.GenerateKeyFile(filepath.Join(dir, "kek.key"), rand.Reader, false); err != nil {
		t.Fatal(err)
	}
	kek, err := store.LoadKeyFile(filepath.Join(dir, "kek.key"))
	if err != nil {
		t.Fatal(err)
	}
	const unit, clin = "SE2321000016-15ZM", "SE2321000016-1003"
	db, err := store.Open(context.Background(), filepath.Join(dir, "store.db"), kek, store.Options{Unit: unit})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	clock := clocktest.New(time.Date(2026, 11, 23, 9, 0, 0, 0, workday.Stockholm()))
	fail := false
	d, err := booking.New(failingLogStore{booking.OnStore(db), &fail}, booking.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := d.PutType(ctx, booking.TimeType{ID: "besok-30", StaffName: "Mottagningsbesök", PatientName: "Besök", Minutes: 30}); err != nil {
		t.Fatal(err)
	}
	if err := d.PutTemplate(ctx, booking.Template{ID: "t1", Clinician: clin, TypeID: "besok-30", Weekday: time.Tuesday, Start: "08:00", Count: 2, From: "2026-11-01"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Generate(ctx, booking.MinWeeks); err != nil {
		t.Fatal(err)
	}
	logged := func() []audit.Record {
		var out []audit.Record
		if err := db.View(ctx, func(tx cases.ReadTx) error {
			return tx.AuditByActor(clin, func(r audit.Record) bool { out = append(out, r); return true })
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	s, err := New(Config{Origin: "https://gw.example:8443", Bridge: "http://127.0.0.1:24727", Unit: unit,
		Cases: stubCases{}, Login: stubLogin{}, Directory: diaryTestDirectory{}, Settings: stubSettings{},
		Diary: d, Clock: clock,
		// The separate write the diary used before: failing with the store's.
		DiaryLog: func(ctx context.Context, e audit.Entry) error {
			if fail {
				return errLogInjected
			}
			return db.Update(ctx, func(tx cases.Tx) error { return tx.AppendAudit(e) })
		}})
	if err != nil {
		t.Fatal(err)
	}
	sess := cardauth.Session{ID: "s1", Staff: cardauth.Staff{HSAID: clin, Roles: []string{string(cases.Clinician)}}}
	post := func(action string, form url.Values) int {
		r := httptest.NewRequest(http.MethodPost, "/diary/"+action, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.SetPathValue("action", action)
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, sess))
		w := httptest.NewRecorder()
		s.diaryAction(w, r)
		return w.Code
	}
	at := func(hhmm string) booking.SlotID {
		st, _ := time.ParseInLocation("2006-01-02 15:04", "2026-11-24 "+hhmm, workday.Stockholm())
		return booking.SlotID(fmt.Sprintf("%d-%s", st.Unix(), clin))
	}
	pnr := string(personnummer.Synthetic(time.Date(1975, 3, 14, 0, 0, 0, 0, time.UTC), 982))
	s1, s2 := at("08:00"), at("08:30")
	steps := []struct {
		action string
		form   url.Values
		slot   booking.SlotID
		want   booking.State // the time's state once the change is made
		entry  string
	}{
		{"book", url.Values{"slot": {string(s1)}, "pnr": {pnr}}, s1, booking.Booked, diaryBook},
		{"rebook", url.Values{"slot": {string(s1)}, "to": {string(s2)}}, s2, booking.Booked, diaryRebook},
		{"cancel", url.Values{"slot": {string(s2)}, "reason": {"Sjuk"}}, s2, booking.Free, diaryCancel},
		{"book", url.Values{"slot": {string(s1)}, "pnr": {pnr}}, s1, booking.Booked, diaryBook},
	}
	for i, st := range steps {
		before, _ := d.Slot(ctx, st.slot)
		n := len(logged())
		fail = true
		code := post(st.action, st.form)
		fail = false
		after, _ := d.Slot(ctx, st.slot)
		if code != http.StatusInternalServerError || after.State != before.State || len(logged()) != n {
			t.Fatalf("step %d %s with the access log failing: %d, the time went %s → %s, entries %d → %d: the change was made without its access-log entry",
				i, st.action, code, before.State, after.State, n, len(logged()))
		}
		if code := post(st.action, st.form); code != http.StatusSeeOther {
			t.Fatalf("step %d %s: %d", i, st.action, code)
		}
		after, _ = d.Slot(ctx, st.slot)
		recs := logged()
		if after.State != st.want || len(recs) != n+1 {
			t.Fatalf("step %d %s: state %s, entries %d → %d", i, st.action, after.State, n, len(recs))
		}
		if e := recs[len(recs)-1].Entry; e.Action != st.entry || e.Patient != pnr || e.Outcome != audit.Allowed {
			t.Errorf("step %d %s: entry %+v", i, st.action, e)
		}
	}
}
