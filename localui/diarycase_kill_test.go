package localui

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
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
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"
)

// Booking a time from a case and answering it, killed: a child process
// (this test binary) opens a real store and books a time from one request
// case after the other through the page's handler; the parent kills it
// with SIGKILL a random 0–20 ms after its first answer, opens the store again
// and checks every case: either its time is booked and the case answered,
// or neither. Several rounds, each going on where the last was killed.

const caseKillChildEnv = "CLINICGW_CASEKILL_CHILD"

const (
	caseKillUnit  = "SE2321000016-15ZM"
	caseKillClin  = "SE2321000016-1003"
	caseKillDist  = "SE2321000016-1001"
	caseKillCases = 120
)

// caseKillWorld is the store, the case service and the diary of the
// tests of booking from a case.
type caseKillWorld struct {
	db    *store.DB
	svc   *cases.Service
	d     *booking.Diary
	clock *clocktest.Fake
}

// newDiaryCaseWorld makes a store in dir (its key file too) and opens
// the world on it; wrap, if not nil, wraps the diary's store.
func newDiaryCaseWorld(t *testing.T, dir string, wrap func(booking.Store) booking.Store) caseKillWorld {
	t.Helper()
	if err := store.GenerateKeyFile(filepath.Join(dir, "kek.key"), rand.Reader, false); err != nil {
		t.Fatal(err)
	}
	return openCaseKillWorld(t, dir, wrap)
}

// openCaseKillWorld opens the world on the store in dir; wrap, if not
// nil, wraps the diary's store.
func openCaseKillWorld(t *testing.T, dir string, wrap func(booking.Store) booking.Store) caseKillWorld {
	t.Helper()
	ctx := context.Background()
	kek, err := store.LoadKeyFile(filepath.Join(dir, "kek.key"))
	if err != nil {
		t.Fatal(err)
	}
	clock := clocktest.New(time.Date(2026, 11, 23, 9, 0, 0, 0, workday.Stockholm())) // Monday
	db, err := store.Open(ctx, filepath.Join(dir, "store.db"), kek, store.Options{Unit: caseKillUnit, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := cases.NewService(cases.ServiceConfig{Unit: caseKillUnit, Store: db, Clock: clock, Rand: rand.Reader, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	st := booking.OnStore(db)
	if wrap != nil {
		st = wrap(st)
	}
	d, err := booking.New(st, booking.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return caseKillWorld{db: db, svc: svc, d: d, clock: clock}
}

// caseKillPNR is the patient of the i-th case.
func caseKillPNR(i int) personnummer.Personnummer {
	return personnummer.Synthetic(time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i/20), 980+i%20)
}

// postBookFromCase posts form (with the case's version) to the page's
// handler as sess.
func postBookFromCase(s *Server, sess cardauth.Session, c *cases.Case, form url.Values) *httptest.ResponseRecorder {
	form.Set("version", fmt.Sprint(c.Version))
	r := httptest.NewRequest(http.MethodPost, "/diary/case/"+string(c.ID), strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetPathValue("id", string(c.ID))
	r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, sess))
	rec := httptest.NewRecorder()
	s.bookFromCase(rec, r)
	return rec
}

func TestBookFromCaseKillChild(t *testing.T) {
	dir := os.Getenv(caseKillChildEnv)
	if dir == "" {
		t.Skip("helper process for TestBookFromCaseKilled")
	}
	ctx := context.Background()
	w := openCaseKillWorld(t, dir, nil)
	s, err := New(Config{Origin: "https://gw.example:8443", Bridge: "http://127.0.0.1:24727", Unit: caseKillUnit, UnitName: "Vårdcentralen Ekbacken",
		Cases: w.svc, Login: stubLogin{}, Directory: diaryTestDirectory{}, Settings: memSettings{}, Diary: w.d, Clock: w.clock,
		DiaryLog: func(context.Context, audit.Entry) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	sess := cardauth.Session{ID: "s-clin", Staff: cardauth.Staff{HSAID: caseKillClin, Title: "Psykolog", Roles: cases.RoleCodes([]cases.Role{cases.Clinician})}}
	var open []*cases.Case
	if err := w.db.View(ctx, func(tx cases.ReadTx) error {
		return tx.Cases(func(c *cases.Case) bool {
			if c.Status == cases.Assigned {
				open = append(open, c)
			}
			return true
		})
	}); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("ready\n")
	for _, c := range open {
		slots, err := w.d.Slots(ctx, w.clock.Now(), w.clock.Now().AddDate(0, 0, 7*booking.MinWeeks))
		if err != nil {
			t.Fatal(err)
		}
		var free booking.SlotID
		for _, sl := range slots {
			if sl.State == booking.Free {
				free = sl.ID()
				break
			}
		}
		rec := postBookFromCase(s, sess, c, url.Values{"slot": {string(free)}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("case %s: %d %.300s", c.ID, rec.Code, rec.Body.String())
		}
		fmt.Fprintf(os.Stdout, "answered %s\n", c.ID)
	}
	os.Stdout.WriteString("done\n")
}

func TestBookFromCaseKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	ctx := context.Background()
	dir := t.TempDir()
	w := newDiaryCaseWorld(t, dir, nil)
	if err := w.d.PutType(ctx, booking.TimeType{ID: "besok-30", StaffName: "Besök", PatientName: "Besök", Minutes: 30, Online: true}); err != nil {
		t.Fatal(err)
	}
	for _, day := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday} {
		tm := booking.Template{ID: "t" + day.String(), Clinician: caseKillClin, TypeID: "besok-30", Weekday: day, Start: "08:00", Count: 16, From: "2026-11-01"}
		if err := w.d.PutTemplate(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.d.Generate(ctx, booking.MinWeeks); err != nil {
		t.Fatal(err)
	}
	dist := cases.StaffActor(caseKillDist, cases.RoleCodes([]cases.Role{cases.Distributor}))
	for i := range caseKillCases {
		c, err := w.svc.Receive(ctx, cases.Submission{Type: casetype.BookAppointment, Patient: cases.Person{PNR: caseKillPNR(i), Name: "Testperson"},
			Text: "En tid, tack", SubmittedAt: w.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Do(ctx, dist, c.ID, cases.Command{Action: cases.Assign, Assignee: caseKillClin}); err != nil {
			t.Fatal(err)
		}
	}
	w.db.Close()

	answered := 0
	for round := 0; round < 12 && answered < caseKillCases; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestBookFromCaseKillChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), caseKillChildEnv+"="+dir)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(stdout)
		var said []string
		for lines.Scan() && !strings.HasPrefix(lines.Text(), "answered ") && lines.Text() != "done" {
			said = append(said, lines.Text())
		}
		if strings.Contains(strings.Join(said, "\n"), "FAIL") {
			cmd.Wait()
			t.Fatalf("round %d: the child failed before its first answer:\n%s", round, strings.Join(said, "\n"))
		}
		n, _ := rand.Int(rand.Reader, big.NewInt(20))
		time.Sleep(time.Duration(n.Int64()) * time.Millisecond) // the fault, not a synchronisation
		cmd.Process.Kill()
		for lines.Scan() { // to the pipe's end: what the child said before it died
			said = append(said, lines.Text())
		}
		cmd.Wait()
		if strings.Contains(strings.Join(said, "\n"), "--- FAIL") {
			t.Fatalf("round %d: the child failed:\n%s", round, strings.Join(said, "\n"))
		}

		w := openCaseKillWorld(t, dir, nil)
		answered = 0
		booked := map[string]int{}
		slots, err := w.d.Slots(ctx, w.clock.Now(), w.clock.Now().AddDate(0, 0, 7*booking.MinWeeks))
		if err != nil {
			t.Fatal(err)
		}
		for _, sl := range slots {
			if sl.State == booking.Booked {
				booked[sl.Booking.Patient]++
			}
		}
		var bad []string
		if err := w.db.View(ctx, func(tx cases.ReadTx) error {
			return tx.Cases(func(c *cases.Case) bool {
				done := c.Status == cases.Answered
				if done {
					answered++
				}
				if n := booked[string(c.Patient.PNR)]; (n == 1) != done || n > 1 {
					bad = append(bad, fmt.Sprintf("case %s: %s with %d booked times", c.ID, c.Status, n))
				}
				return true
			})
		}); err != nil {
			t.Fatal(err)
		}
		w.db.Close()
		t.Logf("round %d: killed after %d ms, %d of %d cases answered", round, n.Int64(), answered, caseKillCases)
		if len(bad) > 0 {
			t.Fatalf("round %d, killed after %d ms: a time booked without the answer or an answer without the time:\n%s", round, n.Int64(), strings.Join(bad, "\n"))
		}
	}
}
