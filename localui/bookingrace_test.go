//go:build unix

package localui_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"clinicgw/agent/booking"
	"clinicgw/agent/democlinic"
	"clinicgw/sync/clock"
	"clinicgw/sync/logtest"
	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"
)

// raceRoundsEnv sets TestBookingRace's rounds (default raceRounds); make
// soak runs 1000.
const raceRoundsEnv = "CLINICGW_BOOKING_RACE_ROUNDS"

const (
	raceRounds         = 20
	racePatients       = 1000
	raceTimes          = 20 // the times fought over in a round: one day's, ten each of two clinicians
	raceRoundsPerClinc = 40 // rounds on one clinic's processes (a day each, within the eight weeks made)
	raceWorkers        = 32 // patients logging in or reading their pages at once
)

// raceStart is the clinic's time (startClinicConfig's).
var raceStart = time.Date(2026, 11, 23, 9, 0, 0, 0, workday.Stockholm())

// TestBookingRace (issue 20, "the race"): the real gateway (its store, its
// booking authority, its uplink, its staff web UI with card-login
// sessions) and the reference central store as a real process, syncing
// over mutual TLS. In each round 1000 patients on the central store's
// patient pages and 5 staff sessions on the gateway's diary pages (phone
// bookings: three message administrators, two clinicians in their own
// diaries) try for the same 20 times at once, and the central store is
// SIGKILLed and started again in the middle; a patient whose click got no
// answer clicks again once it is back. Then: exactly 20 bookings in the
// gateway's diary; every patient's page and every staff page says either
// booked or declined with a reason; exactly one of those told "booked"
// per time, and it is the one the diary has; no patient told that someone
// else has a time that is theirs; and a patient whose answer was lost
// sees on "Bokade tider" only times the diary gives them. Rounds share the
// processes, a new day each; CLINICGW_BOOKING_RACE_ROUNDS sets how many.
func TestBookingRace(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes; 1000 patients a round")
	}
	rounds := raceRounds
	if v := os.Getenv(raceRoundsEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a number of rounds", raceRoundsEnv, v)
		}
		rounds = n
	}
	for first := 0; first < rounds; first += raceRoundsPerClinc {
		n := min(raceRoundsPerClinc, rounds-first)
		t.Run(fmt.Sprintf("rounds-%d-%d", first+1, first+n), func(t *testing.T) { raceClinic(t, first, n) })
	}
}

// raceStaffer is one staff session and the time it books by phone (the
// round's time index) for its caller.
type raceStaffer struct {
	hsa  string
	time int
	b    *browser
}

// raceRig is one clinic's processes and people.
type raceRig struct {
	c        *clinic
	rc       *raceCentral
	d        *booking.Diary
	patients []*racePatient
	staff    []raceStaffer
}

func raceClinic(t *testing.T, first, rounds int) {
	var rc *raceCentral
	c := startClinicConfig(t, "", func(dc *democlinic.Clinic) map[string]*logtest.Buffer {
		rc = startRaceCentral(t, dc, raceStart)
		return map[string]*logtest.Buffer{"central store": rc.logs}
	})
	if !c.clock.Now().Equal(raceStart) {
		t.Fatalf("the clinic's time is %v; the central store tells %v", c.clock.Now(), raceStart)
	}
	ctx := context.Background()
	admin := c.login(hsaAdmin)
	for _, f := range raceDiary() {
		if r, body := admin.form("/admin/diary", f); r.StatusCode != http.StatusSeeOther && r.StatusCode != http.StatusOK {
			t.Fatalf("POST /admin/diary %s: %s\n%.400s", f.Get("op"), r.Status, body)
		}
	}
	d, err := booking.New(booking.OnStore(c.gw.Store()), booking.Options{Clock: c.clock})
	if err != nil {
		t.Fatal(err)
	}
	// The round's days: those with all 20 times (no holiday).
	var days []time.Time
	for day := raceStart.AddDate(0, 0, 1); len(days) < rounds; day = day.AddDate(0, 0, 1) {
		midnight := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, workday.Stockholm())
		if midnight.After(raceStart.AddDate(0, 0, 7*booking.MinWeeks)) {
			t.Fatalf("only %d days with %d times in the diary's eight weeks", len(days), raceTimes)
		}
		s, err := d.Slots(ctx, midnight, midnight.AddDate(0, 0, 1))
		if err != nil {
			t.Fatal(err)
		}
		if len(s) == raceTimes {
			days = append(days, midnight)
		}
	}
	// The diary was made after the gateway connected; the central store's
	// first restart has it publish them (a connect publishes).
	rc.restart()
	rig := &raceRig{c: c, rc: rc, d: d}
	for _, s := range []struct {
		hsa  string
		time int
	}{{hsaDist, 0}, {hsaDist, 12}, {hsaDist, 6}, {hsaClinA, 3}, {hsaClinB, 15}} {
		rig.staff = append(rig.staff, raceStaffer{hsa: s.hsa, time: s.time, b: c.login(s.hsa)})
	}
	pnrs := make([]string, racePatients)
	for i := range pnrs {
		pnrs[i] = string(personnummer.Synthetic(time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i/20), 980+i%20))
	}
	rig.patients = rc.newPatients(pnrs)
	for r := range rounds {
		if !t.Run(fmt.Sprintf("round-%d", first+r+1), func(t *testing.T) { rig.round(t, first+r, days[r]) }) {
			break // the rounds after one that failed say nothing more
		}
	}
	for name, logs := range map[string]string{"gateway": c.logs.String(), "central store": rc.logs.String()} {
		for _, loc := range pnrShape.FindAllStringIndex(logs, -1) {
			if _, err := personnummer.Parse(logs[loc[0]:loc[1]], raceStart); err == nil {
				t.Errorf("the %s's technical log carries a personnummer: %q", name, logs[max(0, loc[0]-200):min(len(logs), loc[1]+100)])
				break
			}
		}
	}
}

// pnrShape is what may be a personnummer in any of its written forms
// (personnummer.Parse says whether it is: a duration in nanoseconds is
// not).
var pnrShape = regexp.MustCompile(`\b(19|20)\d{6}[-+]?\d{4}\b`)

// raceDiary is the unit administrator's diary: one online type of 30
// minutes, clinician A ten times a day from 08:00 and B ten from 13:00,
// every day; then the times made.
func raceDiary() []url.Values {
	out := []url.Values{{"op": {"type"}, "id": {"besok-30"}, "staffName": {"Mottagningsbesök"}, "patientName": {"Besök"},
		"minutes": {"30"}, "online": {"on"}, "cancel": {"on"}, "cancelHours": {"24"}, "rebook": {"on"}, "rebookHours": {"24"}}}
	for wd := range 7 {
		for _, c := range []struct{ hsa, start string }{{hsaClinA, "08:00"}, {hsaClinB, "13:00"}} {
			out = append(out, url.Values{"op": {"template"}, "clinician": {c.hsa}, "type": {"besok-30"}, "weekday": {strconv.Itoa(wd)},
				"start": {c.start}, "count": {"10"}, "from": {raceStart.Format(time.DateOnly)}})
		}
	}
	return append(out, url.Values{"op": {"generate"}})
}

// raceAnswer is what one patient was told.
type raceAnswer struct {
	lost      bool   // the first click got no answer (the process killed under it)
	location  string // the request's page
	state     string // confirmed, declined, gone; "" told nothing
	reason    string // the decline's words
	clickErr  error
	pageClock string // the time the request page is about
}

// parallel runs f for 0..n-1 on raceWorkers goroutines.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range raceWorkers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(i)
			}
		})
	}
	wg.Wait()
}

func (rig *raceRig) round(t *testing.T, round int, day time.Time) {
	ctx := context.Background()
	slots, err := rig.d.Slots(ctx, day, day.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(slots, func(a, b *booking.Slot) int { return a.Start.Compare(b.Start) })
	if len(slots) != raceTimes {
		t.Fatalf("%d times on %s; want %d", len(slots), day.Format(time.DateOnly), raceTimes)
	}
	dayName := swedishDay(day)
	clockOf := func(s *booking.Slot) string { return s.Start.In(workday.Stockholm()).Format("15:04") }
	byClock := map[string]int{}
	for k, s := range slots {
		byClock[clockOf(s)] = k
	}
	// A staff session the gateway ended meanwhile (a card presence report
	// late on a loaded machine) logs in again.
	for j, s := range rig.staff {
		if r := s.b.get("/diary"); r.StatusCode != http.StatusOK {
			rig.staff[j].b = rig.c.login(s.hsa)
		}
	}
	// Every patient logs in (the last restart ended the sessions) and the
	// round's times are read off the patient pages.
	phase := time.Now()
	var took []string
	lap := func(name string) {
		took = append(took, fmt.Sprintf("%s %.1fs", name, time.Since(phase).Seconds()))
		phase = time.Now()
	}
	var loginErrs atomic.Int64
	parallel(len(rig.patients), func(i int) {
		if err := rig.patients[i].login(); err != nil {
			loginErrs.Add(1)
		}
	})
	if n := loginErrs.Load(); n > 0 {
		t.Fatalf("%d patients could not log in", n)
	}
	ids := make([]string, raceTimes)
	typ, err := rig.d.PublicTypeID(ctx, "besok-30") // the patient pages know the type by its opaque id
	if err != nil {
		t.Fatal(err)
	}
	raceWaitFor(t, 60*time.Second, "the round's times on the patient pages", func() bool {
		_, body, err := rig.patients[0].get("/boka/" + testUnit + "?typ=" + typ + "&vecka=" + day.Format(time.DateOnly))
		if err != nil {
			return false
		}
		dt := dayTimes(body)[dayName]
		for k, s := range slots {
			if ids[k] = dt[clockOf(s)]; ids[k] == "" {
				return false
			}
		}
		return true
	})

	lap("logins")
	// The race: everyone at once; the central store killed when killAt
	// patients have had their answer, and started again.
	answers := make([]raceAnswer, len(rig.patients))
	staffStatus := make([]int, len(rig.staff))
	staffBody := make([]string, len(rig.staff))
	killAt := int64(100 + (round*211)%700)
	var answered atomic.Int64
	var restartTook time.Duration
	killNow, restarted, start := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		<-killNow
		t0 := time.Now()
		rig.rc.restart()
		restartTook = time.Since(t0)
		close(restarted)
	}()
	var wg sync.WaitGroup
	for i, p := range rig.patients {
		wg.Go(func() {
			<-start
			a := &answers[i]
			path := "/boka/" + testUnit + "/tid/" + ids[i%raceTimes]
			for try := 0; ; try++ {
				st, body, loc, err := p.do(http.MethodPost, path, url.Values{})
				if err == nil && answered.Add(1) == killAt {
					close(killNow)
				}
				switch {
				case try == 4:
					a.clickErr = fmt.Errorf("no answer after %d clicks: %d %v", try+1, st, err)
				case err != nil: // the process killed under the click: once it is back, the patient clicks again
					a.lost = true
					<-restarted
					_ = p.login()
					continue
				case st == http.StatusSeeOther && strings.HasPrefix(loc, "/logga-in"): // the session died with the process
					<-restarted
					_ = p.login()
					continue
				case st == http.StatusSeeOther:
					a.location = loc
				case st == http.StatusConflict && strings.Contains(body, raceGone):
					a.state, a.reason = "gone", raceGone
				case st == http.StatusConflict && strings.Contains(body, raceAlready): // the lost click had booked it
					a.state = "confirmed"
				default:
					a.clickErr = fmt.Errorf("click answered %d: %.300s", st, body)
				}
				return
			}
		})
	}
	for j, s := range rig.staff {
		wg.Go(func() {
			<-start
			sl := slots[s.time]
			form := url.Values{"slot": {string(sl.ID())}, "pnr": {raceStaffPatient(round, j)}, "who": {sl.Clinician},
				"view": {"day"}, "date": {day.Format(time.DateOnly)}}
			req, _ := http.NewRequest(http.MethodPost, rig.c.origin+"/diary/book", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", rig.c.origin)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			resp, err := s.b.http.Do(req)
			if err != nil {
				staffBody[j] = err.Error()
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			staffStatus[j], staffBody[j] = resp.StatusCode, string(b)
		})
	}
	close(start)
	wg.Wait()
	<-restarted
	lap("race")

	// Every patient with a request reads its page until the gateway's
	// answer is there.
	var mu sync.Mutex
	var failures []string
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		failures = append(failures, fmt.Sprintf(format, args...))
	}
	deadline := time.Now().Add(2 * time.Minute)
	parallel(len(rig.patients), func(i int) {
		a, p := &answers[i], rig.patients[i]
		if a.location == "" {
			return
		}
		for {
			st, body, err := p.get(a.location)
			if err != nil && time.Now().Before(deadline) {
				// A connection pooled before the kill, or the restarted
				// process not yet answering: the patient loads again.
				<-clock.System.NewTimer(50 * time.Millisecond).C()
				continue
			}
			if err != nil || st != http.StatusOK {
				fail("patient %d: request page %d %v", i, st, err)
				return
			}
			if m := requestRe.FindStringSubmatch(body); m == nil || m[1] != dayName {
				fail("patient %d: the request page is not about %s:\n%.600s", i, dayName, body)
				return
			} else {
				a.pageClock = m[2]
			}
			switch {
			case strings.Contains(body, raceConfirmed):
				a.state = "confirmed"
				return
			case strings.Contains(body, raceDeclined):
				a.state = "declined"
				if m := declinedRe.FindStringSubmatch(body); m != nil {
					a.reason = strings.TrimSpace(m[1])
				}
				return
			case !strings.Contains(body, racePending):
				fail("patient %d: the request page says neither booked, declined nor sent:\n%.600s", i, body)
				return
			case time.Now().After(deadline):
				fail("patient %d: still sent, not answered, after 2 minutes", i)
				return
			}
			<-clock.System.NewTimer(50 * time.Millisecond).C() // the patient reloads
		}
	})
	for _, f := range failures {
		t.Error(f)
	}
	if len(failures) > 0 {
		t.FailNow()
	}

	lap("answers")
	// The gateway's diary: every time booked, and no other that day.
	raceWaitFor(t, 60*time.Second, "every time of the round booked in the diary", func() bool {
		for k, s := range slots {
			got, err := rig.d.Slot(ctx, s.ID())
			if err != nil {
				t.Fatal(err)
			}
			slots[k] = got
			if got.Booking == nil {
				return false
			}
		}
		return true
	})
	told := make([][]string, raceTimes) // who was told booked, per time
	counts := map[string]int{}
	for i, a := range answers {
		p := rig.patients[i]
		k := i % raceTimes
		if a.clickErr != nil {
			t.Errorf("patient %d: %v", i, a.clickErr)
			continue
		}
		if a.lost {
			counts["lost"]++
		}
		counts[a.state]++
		switch a.state {
		case "confirmed":
			told[k] = append(told[k], "patient "+p.pnr)
		case "declined", "gone":
			if a.reason == "" {
				t.Errorf("patient %d: declined without a reason", i)
			}
			if strings.Contains(a.reason, raceTaken) && slots[k].Booking.Patient == p.pnr && slots[k].Booking.ByStaff == "" {
				t.Errorf("patient %d was told someone else has the time %s; the diary gives it to them", i, clockOf(slots[k]))
			}
		default:
			t.Errorf("patient %d was told nothing", i)
		}
		if a.pageClock != "" && a.pageClock != clockOf(slots[k]) {
			t.Errorf("patient %d clicked %s; the request page is about %s", i, clockOf(slots[k]), a.pageClock)
		}
	}
	for j, s := range rig.staff {
		switch {
		case staffStatus[j] == http.StatusSeeOther:
			told[s.time] = append(told[s.time], "staff "+raceStaffPatient(round, j))
			counts["staff booked"]++
		case staffStatus[j] == http.StatusConflict && strings.Contains(staffBody[j], raceTaken):
			counts["staff declined"]++
		default:
			t.Errorf("staff %d (%s): %d, neither booked nor declined with a reason:\n%.400s", j, s.hsa, staffStatus[j], staffBody[j])
		}
	}
	booked := 0
	for k, s := range slots {
		b := s.Booking
		booked++
		want := "patient " + b.Patient
		if b.ByStaff != "" {
			want = "staff " + b.Patient
		}
		if len(told[k]) != 1 || told[k][0] != want {
			t.Errorf("time %s: told booked %v; the diary's booking is %s (by staff %q)", clockOf(s), told[k], want, b.ByStaff)
		}
	}
	if booked != raceTimes {
		t.Errorf("%d bookings in the diary; want exactly %d", booked, raceTimes)
	}
	// A patient whose first click got no answer sees on "Bokade tider"
	// only what the diary gives them.
	parallel(len(rig.patients), func(i int) {
		if !answers[i].lost {
			return
		}
		p := rig.patients[i]
		_, body, err := p.get("/boka/" + testUnit)
		if err != nil {
			fail("patient %d: Bokade tider: %v", i, err)
			return
		}
		for _, m := range bookedItemRe.FindAllStringSubmatch(body, -1) {
			if m[1] != dayName {
				continue
			}
			k, ok := byClock[m[2]]
			if !ok || slots[k].Booking.Patient != p.pnr || slots[k].Booking.ByStaff != "" {
				fail("patient %d sees %s %s on Bokade tider; the diary does not give it to them", i, m[1], m[2])
			}
		}
	})
	for _, f := range failures {
		t.Error(f)
	}
	lap("checks")
	t.Logf("round %d (%s): killed after %d answers; %v; %s (restart %.1fs)", round+1, day.Format(time.DateOnly), killAt, counts,
		strings.Join(took, ", "), restartTook.Seconds())
}

// raceStaffPatient is the patient staff member j books by phone in round.
func raceStaffPatient(round, j int) string {
	return string(personnummer.Synthetic(time.Date(1930, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, round), 980+j))
}

// raceWaitFor polls cond every 50 ms until it holds, failing the test
// after within.
func raceWaitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		<-clock.System.NewTimer(50 * time.Millisecond).C()
	}
}
