package localui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"
)

// diarySlot is the id of clinician's time at the wall-clock time on day
// (Stockholm).
func diarySlot(day string, hhmm string, clinician string) string {
	t, err := time.ParseInLocation("2006-01-02 15:04", day+" "+hhmm, workday.Stockholm())
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("%d-%s", t.Unix(), clinician)
}

// setDiary has the unit administrator define a type and clinician A's
// Tuesday template (four 30-minute times from 08:00) and generate.
func (c *clinic) setDiary(admin *browser) {
	c.t.Helper()
	for _, f := range []url.Values{
		{"op": {"type"}, "id": {"besok-30"}, "staffName": {"Mottagningsbesök"}, "patientName": {"Besök"}, "minutes": {"30"},
			"online": {"on"}, "cancel": {"on"}, "cancelHours": {"24"}, "rebook": {"on"}, "rebookHours": {"24"}},
		{"op": {"template"}, "clinician": {hsaClinA}, "type": {"besok-30"}, "weekday": {"2"}, "start": {"08:00"}, "count": {"4"}, "from": {"2026-11-01"}},
	} {
		if r, body := admin.form("/admin/diary", f); r.StatusCode != http.StatusSeeOther {
			c.t.Fatalf("POST /admin/diary %s: %s\n%.400s", f.Get("op"), r.Status, body)
		}
	}
	r, body := admin.form("/admin/diary", url.Values{"op": {"generate"}})
	if r.StatusCode != http.StatusOK || !strings.Contains(body, `id="gen-report"`) {
		c.t.Fatalf("generate: %s\n%.400s", r.Status, body)
	}
}

// TestDiaryRoutesByRole: the diary's pages and actions by role, enforced
// by the server: the message administrator books in any clinician's
// diary, a clinician in their own only, the unit administrator defines
// types and templates and sees no booked time, the auditor neither.
func TestDiaryRoutesByRole(t *testing.T) {
	c := startClinic(t)
	users := map[string]*browser{}
	for _, h := range []string{hsaDist, hsaClinA, hsaClinB, hsaAdmin, hsaAudit} {
		users[h] = c.login(h)
	}
	anon := c.newBrowser("")
	c.setDiary(users[hsaAdmin])
	pnr := personnummer.Synthetic(time.Date(1975, 3, 14, 0, 0, 0, 0, time.UTC), 982)
	c.pnrs = append(c.pnrs, string(pnr))
	s1 := diarySlot("2026-11-24", "08:00", hsaClinA)
	s2 := diarySlot("2026-11-24", "08:30", hsaClinA)
	s3 := diarySlot("2026-11-24", "09:00", hsaClinA)
	book := func(slot string) url.Values {
		return url.Values{"slot": {slot}, "pnr": {string(pnr)}, "who": {hsaClinA}, "view": {"week"}, "date": {"2026-11-24"}}
	}
	tests := []struct {
		who    string
		method string
		path   string
		form   url.Values
		want   int
	}{
		{"", "GET", "/diary", nil, 303},
		{"", "POST", "/diary/book", book(s1), 401},
		{"", "GET", "/admin/diary", nil, 303},
		{hsaDist, "GET", "/diary", nil, 200},
		{hsaDist, "GET", "/diary?who=" + hsaClinA + "&view=day&date=2026-11-24", nil, 200},
		{hsaDist, "GET", "/diary?date=igår", nil, 400},
		{hsaClinA, "GET", "/diary", nil, 200},
		{hsaClinA, "GET", "/diary?who=" + hsaClinB, nil, 403},
		{hsaClinA, "GET", "/diary?who=", nil, 200}, // their own
		{hsaAdmin, "GET", "/diary", nil, 403},
		{hsaAudit, "GET", "/diary", nil, 403},
		{hsaAdmin, "GET", "/admin/diary", nil, 200},
		{hsaDist, "GET", "/admin/diary", nil, 403},
		{hsaClinA, "GET", "/admin/diary", nil, 403},
		{hsaClinA, "POST", "/admin/diary", url.Values{"op": {"generate"}}, 403},
		{hsaDist, "POST", "/admin/diary", url.Values{"op": {"type"}, "id": {"x"}}, 403},
		{hsaAdmin, "POST", "/admin/diary", url.Values{"op": {"type"}, "id": {"bad id"}}, 400},
		{hsaAdmin, "POST", "/admin/diary", url.Values{"op": {"template"}, "clinician": {hsaClinA}, "type": {"finns-inte"}, "weekday": {"1"}, "start": {"08:00"}, "count": {"1"}, "from": {"2026-11-01"}}, 400},
		{hsaAdmin, "POST", "/admin/diary", url.Values{"op": {"exception"}, "from": {"2026-12-24"}, "until": {"2026-12-23"}}, 400},
		{hsaAdmin, "POST", "/admin/diary", url.Values{"op": {"exception"}, "clinician": {hsaClinB}, "from": {"2026-12-21"}, "until": {"2026-12-23"}, "what": {"Semester"}}, 303},
		{hsaAdmin, "POST", "/diary/book", book(s1), 403},
		{hsaAudit, "POST", "/diary/book", book(s1), 403},
		{hsaClinB, "POST", "/diary/book", book(s1), 403}, // not their diary
		{hsaDist, "POST", "/diary/book", book(s1), 303},
		{hsaDist, "POST", "/diary/book", book(s1), 409},  // taken
		{hsaClinA, "POST", "/diary/book", book(s2), 303}, // their own
		{hsaDist, "POST", "/diary/book", url.Values{"slot": {s3}, "pnr": {"19800101-0000"}}, 409},
		{hsaDist, "POST", "/diary/book", url.Values{"slot": {"1-" + hsaClinA}, "pnr": {string(pnr)}}, 409},
		{hsaClinB, "POST", "/diary/cancel", url.Values{"slot": {s1}, "reason": {"Sjuk"}}, 403},
		{hsaDist, "POST", "/diary/cancel", url.Values{"slot": {s1}}, 409},  // no reason
		{hsaDist, "POST", "/diary/arrived", url.Values{"slot": {s1}}, 409}, // not the day yet
		{hsaClinA, "POST", "/diary/rebook", url.Values{"slot": {s2}, "to": {s3}}, 303},
		{hsaClinA, "POST", "/diary/cancel", url.Values{"slot": {s3}, "reason": {"Patienten ringde"}}, 303},
		{hsaDist, "POST", "/diary/unknown", url.Values{"slot": {s1}}, 404},
		{hsaDist, "GET", "/diary/book", nil, 404},
	}
	for _, tt := range tests {
		b := anon
		if tt.who != "" {
			b = users[tt.who]
		}
		var r *http.Response
		var body string
		if tt.method == "GET" {
			r, body = b.getBody(tt.path)
		} else {
			r, body = b.form(tt.path, tt.form)
		}
		name := tt.who + " " + tt.method + " " + tt.path + " " + tt.form.Get("slot")
		if r.StatusCode != tt.want {
			t.Errorf("%s: %d, want %d\n%.300s", name, r.StatusCode, tt.want, body)
		}
		if loc := r.Header.Get("Location"); strings.Contains(loc, string(pnr)[2:8]) {
			t.Errorf("%s: the personnummer is in the address %q", name, loc)
		}
	}
	// The declines are shown in Swedish at the time.
	_, body := users[hsaDist].form("/diary/book", book(s1))
	if !strings.Contains(body, "Tiden är redan bokad av någon annan") || !strings.Contains(body, `id="err-`+s1+`"`) {
		t.Errorf("a taken time's decline is not shown at the time:\n%.2000s", body)
	}
	_, body = users[hsaDist].form("/diary/cancel", url.Values{"slot": {s1}, "who": {hsaClinA}, "date": {"2026-11-24"}})
	if !strings.Contains(body, "Skriv varför tiden avbokas.") {
		t.Errorf("a cancel without a reason is not declined with its reason")
	}
}

// TestDiaryAccessLog: every look at a booked time names the reader and
// the patient in the access log, and so does every change; a refused
// action is logged as denied.
func TestDiaryAccessLog(t *testing.T) {
	c := startClinic(t)
	admin, dist, clinA, clinB := c.login(hsaAdmin), c.login(hsaDist), c.login(hsaClinA), c.login(hsaClinB)
	c.setDiary(admin)
	pnr := personnummer.Synthetic(time.Date(1975, 3, 14, 0, 0, 0, 0, time.UTC), 982)
	c.pnrs = append(c.pnrs, string(pnr))
	s1 := diarySlot("2026-11-24", "08:00", hsaClinA)
	if r, body := dist.form("/diary/book", url.Values{"slot": {s1}, "pnr": {string(pnr)[:8] + "-" + string(pnr)[8:]}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("book: %s\n%.500s", r.Status, body)
	}
	body := clinA.mustGet(t, "/diary?date=2026-11-24")
	if !strings.Contains(body, string(pnr)[:8]+"-"+string(pnr)[8:]) {
		t.Fatalf("the clinician's week does not show the booked patient")
	}
	if r, _ := clinB.form("/diary/cancel", url.Values{"slot": {s1}, "reason": {"x"}}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("clinician B cancelled in A's diary: %s", r.Status)
	}
	if r, _ := dist.form("/diary/cancel", url.Values{"slot": {s1}, "reason": {"Patienten ringde"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel: %s", r.Status)
	}
	has := func(who, action, outcome string) bool {
		for _, rec := range accessLog(t, c, who) {
			e := rec.Entry
			if e.Action == action && e.Patient == string(pnr) && string(e.Outcome) == outcome {
				return true
			}
		}
		return false
	}
	for _, w := range []struct{ who, action, outcome string }{
		{hsaDist, "diary-book", "ok"},
		{hsaClinA, "diary-read", "ok"},
		{hsaClinB, "diary-cancel", "denied"},
		{hsaDist, "diary-cancel", "ok"},
	} {
		if !has(w.who, w.action, w.outcome) {
			t.Errorf("the access log has no %s by %s about the patient (%s)", w.action, w.who, w.outcome)
		}
	}
}
