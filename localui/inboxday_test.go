package localui_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// The message administrator's day: the inbox's order across pages, its
// counts, the search by patient and the bulk assignment.

var (
	distActor  = cases.Actor{Kind: cases.Staff, HSAID: hsaDist, Roles: []cases.Role{cases.Distributor}}
	clinActor  = cases.Actor{Kind: cases.Staff, HSAID: hsaClinA, Roles: []cases.Role{cases.Clinician}}
	auditActor = cases.Actor{Kind: cases.Staff, HSAID: hsaAudit, Roles: []cases.Role{cases.Auditor}}
	// anyURL is every attribute that holds an address.
	anyURL   = regexp.MustCompile(`(?i)\b(href|src|action|formaction|data-src)="([^"]*)"`)
	countRE  = regexp.MustCompile(`id="count-([a-z-]+)"[^>]*>[^<]*<span class="n">(\d+)</span>`)
	selValue = regexp.MustCompile(`name="sel" id="sel-([0-9a-z]+)" value="([^"]+)"`)
)

// receiveFor puts a case of patient pnr into the gateway.
func (c *clinic) receiveFor(pnr personnummer.Personnummer) *cases.Case {
	c.t.Helper()
	got, err := c.gw.Cases().Receive(context.Background(), cases.Submission{Type: casetype.AdviceNurse,
		Patient: cases.Person{PNR: pnr, Name: canaryName}, Text: "Jag har ont.", SubmittedAt: c.clock.Now()})
	if err != nil {
		c.t.Fatal(err)
	}
	c.mu.Lock()
	c.pnrs = append(c.pnrs, string(pnr))
	c.mu.Unlock()
	return got
}

// countsOf reads the inbox's counts from a page or its counts fragment.
func countsOf(body string) map[string]int {
	out := map[string]int{}
	for _, m := range countRE.FindAllStringSubmatch(body, -1) {
		n, _ := strconv.Atoi(m[2])
		out[m[1]] = n
	}
	return out
}

// TestInboxOrderAcrossPages: each order of the open view pages through
// every case, forward and back, and every page link carries the order.
// Due first (the default of the open view) lists the cases waiting for
// the patient, which have no due date, after the rest; oldest and newest
// go by arrival.
func TestInboxOrderAcrossPages(t *testing.T) {
	c := startClinic(t)
	ctx := context.Background()
	svc := c.gw.Cases()
	const n = 205
	var all, waiting, rest []cases.ID // oldest first
	for i := range n {
		c.clock.Advance(time.Second)
		cs := c.receive(casetype.AdviceNurse, "Jag har ont i halsen.")
		all = append(all, cs.ID)
		if i%50 != 3 {
			rest = append(rest, cs.ID)
			continue
		}
		if _, err := svc.Do(ctx, distActor, cs.ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Do(ctx, clinActor, cs.ID, cases.Command{Action: cases.SendCounter, Text: "Hur länge?"}); err != nil {
			t.Fatal(err)
		}
		waiting = append(waiting, cs.ID)
	}
	newest := slices.Clone(all)
	slices.Reverse(newest)
	dist := c.login(hsaDist)
	tests := []struct {
		name, path, sort string
		want             []cases.ID
	}{
		{"default is due first", "/inbox", "due", slices.Concat(rest, waiting)},
		{"due first", "/inbox?view=open&sort=due", "due", slices.Concat(rest, waiting)},
		{"newest", "/inbox?view=open&sort=newest", "newest", newest},
		{"oldest", "/inbox?view=open&sort=oldest", "oldest", all},
		{"unknown order is due first", "/inbox?view=open&sort=%3Cx%3E", "due", slices.Concat(rest, waiting)},
		// A narrower list is oldest first by default (its own index), due
		// first when asked.
		{"one type: oldest by default", "/inbox?view=open&type=advice-nurse", "oldest", all},
		{"one type, due first asked", "/inbox?view=open&type=advice-nurse&sort=due", "due", slices.Concat(rest, waiting)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var pages []listPage
			for p := readList(t, dist, tt.path); ; {
				pages = append(pages, p)
				if p.next == "" || len(pages) > 5 {
					break
				}
				if q, _ := url.Parse(p.next); q.Query().Get("sort") != tt.sort {
					t.Fatalf("next link %q does not keep the order %q", p.next, tt.sort)
				}
				p = readList(t, dist, p.next)
			}
			var got []cases.ID
			for _, p := range pages {
				got = append(got, p.ids...)
			}
			if len(pages) != 2 || !slices.Equal(got, tt.want) {
				t.Fatalf("%d pages, %d rows; want 2 pages in the order %s (first %v, got first %v)", len(pages), len(got), tt.sort, tt.want[:3], got[:min(3, len(got))])
			}
			if q, _ := url.Parse(pages[1].prev); q.Query().Get("sort") != tt.sort {
				t.Fatalf("prev link %q does not keep the order %q", pages[1].prev, tt.sort)
			}
			if back := readList(t, dist, pages[1].prev); !slices.Equal(back.ids, pages[0].ids) {
				t.Errorf("back from the second page: %d rows, not the first page", len(back.ids))
			}
		})
	}
}

// TestInboxCounts: the counts beside the views follow the cases, on the
// page and in the live fragment, which reads no case (no access-log
// entry).
func TestInboxCounts(t *testing.T) {
	c := startClinic(t)
	ctx := context.Background()
	svc := c.gw.Cases()
	var cs []*cases.Case
	for range 4 {
		c.clock.Advance(time.Second)
		cs = append(cs, c.receive(casetype.AdviceNurse, "Ont."))
	}
	cs = append(cs, c.receive(casetype.RenewPrescription, "Recept."))
	if _, err := svc.Do(ctx, distActor, cs[0].ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Do(ctx, distActor, cs[1].ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Do(ctx, distActor, cs[1].ID, cases.Command{Action: cases.TakeBack}); err != nil {
		t.Fatal(err)
	}
	dist := c.login(hsaDist)
	want := map[string]int{"open": 5, "new": 3, "unassigned": 4, "overdue": 0, "today": 0,
		"type-advice-nurse": 4, "type-renew-prescription": 1}
	_, page := dist.getBody("/inbox")
	if got := countsOf(page); !mapsEqual(got, want) {
		t.Errorf("the page's counts %v, want %v", got, want)
	}
	// Two working days on, at noon: all five are due today; a day more, overdue.
	c.clock.Advance(51 * time.Hour)
	dist = c.login(hsaDist) // the morning's session has ended
	before := len(accessLog(t, c, hsaDist))
	_, frag := dist.getBody("/inbox?part=counts")
	want["today"] = 5
	if got := countsOf(frag); !mapsEqual(got, want) {
		t.Errorf("the live counts %v, want %v", got, want)
	}
	if after := len(accessLog(t, c, hsaDist)); after != before {
		t.Errorf("the counts wrote %d access-log entries, want none: they read no case", after-before)
	}
	c.clock.Advance(24 * time.Hour)
	dist = c.login(hsaDist)
	want["overdue"] = 5
	if got := countsOf(dist.mustGet(t, "/inbox?part=counts")); !mapsEqual(got, want) {
		t.Errorf("a day later, counts %v, want %v", got, want)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func (b *browser) mustGet(t *testing.T, path string) string {
	t.Helper()
	r, body := b.getBody(path)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", path, r.Status)
	}
	return body
}

// accessLog is every access-log record of staff member hsaID, newest first.
func accessLog(t *testing.T, c *clinic, hsaID string) []audit.Record {
	t.Helper()
	var out []audit.Record
	var before uint64
	for {
		pg, err := c.gw.Cases().AccessLogPageByActor(context.Background(), auditActor, hsaID, before)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pg.Records...)
		if pg.Next == 0 {
			return out
		}
		before = pg.Next
	}
}

// pnrForms are the ways a personnummer can be written: 12 digits, with a
// dash, and the 10-digit forms.
func pnrForms(p personnummer.Personnummer) []string {
	s := string(p)
	return []string{s, s[:8] + "-" + s[8:], s[2:], s[2:8] + "-" + s[8:]}
}

// TestInboxSearchByPatient: a search by personnummer, typed in any of its
// forms, lists the patient's cases and is in the access log: who searched,
// for which patient, and one entry for each case found. The answer names
// the number in no address (no redirect, no link, no form action), and no
// technical log holds it (the canary check of startClinic, every form).
func TestInboxSearchByPatient(t *testing.T) {
	c := startClinic(t)
	pnr := personnummer.Synthetic(time.Date(1975, 3, 9, 0, 0, 0, 0, time.UTC), 991)
	other := personnummer.Synthetic(time.Date(1975, 3, 9, 0, 0, 0, 0, time.UTC), 992)
	c1 := c.receiveFor(pnr)
	c.clock.Advance(time.Second)
	c.receiveFor(other)
	c.clock.Advance(time.Second)
	c2 := c.receiveFor(pnr)
	dist := c.login(hsaDist)
	for i, typed := range pnrForms(pnr) {
		t.Run([]string{"12 digits", "12 with dash", "10 digits", "10 with dash"}[i], func(t *testing.T) {
			before := len(accessLog(t, c, hsaDist))
			r, body := dist.form("/inbox/search", url.Values{"q": {typed}})
			if r.StatusCode != http.StatusOK || r.Header.Get("Location") != "" {
				t.Fatalf("search: %s, Location %q; want the result as the answer", r.Status, r.Header.Get("Location"))
			}
			ids := rowIDs.FindAllStringSubmatch(body, -1)
			if len(ids) != 2 || ids[0][1] != string(c2.ID) || ids[1][1] != string(c1.ID) {
				t.Errorf("found %v, want the patient's two cases, newest first", ids)
			}
			if !strings.Contains(body, "2 ärenden för personnumret.") {
				t.Error("the result does not say how many cases it found")
			}
			for _, m := range anyURL.FindAllStringSubmatch(body, -1) {
				u := html.UnescapeString(m[2])
				for _, f := range append(pnrForms(pnr), url.QueryEscape(typed)) {
					if strings.Contains(u, f) {
						t.Errorf("the result's %s %q holds the personnummer", m[1], u)
					}
				}
			}
			recs := accessLog(t, c, hsaDist)[:len(accessLog(t, c, hsaDist))-before] // newest first
			if len(recs) != 3 {
				t.Fatalf("%d access-log entries for the search, want the search and its 2 hits: %+v", len(recs), recs)
			}
			slices.Reverse(recs)
			if e := recs[0].Entry; e.Action != string(cases.Search) || e.Patient != string(pnr) || e.CaseID != "" || e.Outcome != audit.Allowed {
				t.Errorf("the search's entry %+v, want who searched for which patient", e)
			}
			for i, want := range []cases.ID{c2.ID, c1.ID} {
				if e := recs[1+i].Entry; e.Action != string(cases.SearchHit) || e.CaseID != string(want) || e.Patient != string(pnr) {
					t.Errorf("hit %d's entry %+v, want case %s", i, e, want)
				}
			}
		})
	}
	t.Run("case id", func(t *testing.T) {
		r, _ := dist.form("/inbox/search", url.Values{"q": {" " + strings.ToUpper(string(c1.ID)) + " "}})
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/cases/"+string(c1.ID) {
			t.Errorf("a case id: %s to %q, want its page", r.Status, r.Header.Get("Location"))
		}
	})
	t.Run("wrong check digit", func(t *testing.T) {
		s := string(pnr)
		bad := s[:11] + string('0'+(s[11]-'0'+1)%10)
		before := len(accessLog(t, c, hsaDist))
		r, body := dist.form("/inbox/search", url.Values{"q": {bad}})
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(body, `<p class="error" role="alert">Personnumret har fel kontrollsiffra. Kontrollera att du har skrivit rätt.</p>`) {
			t.Errorf("a wrong check digit: %s, without the Swedish message", r.Status)
		}
		if r.Header.Get("Location") != "" || len(accessLog(t, c, hsaDist)) != before {
			t.Error("a refused search redirected or was logged as a search")
		}
		if rowIDs.MatchString(body) {
			t.Error("a refused search listed cases")
		}
	})
	t.Run("not a number", func(t *testing.T) {
		r, body := dist.form("/inbox/search", url.Values{"q": {"halsont"}})
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Skriv ett ärendenummer (26 tecken) eller ett personnummer (10 eller 12 siffror).") {
			t.Errorf("a word: %s, without the Swedish message", r.Status)
		}
	})
	t.Run("clinician refused", func(t *testing.T) {
		r, _ := c.login(hsaClinA).form("/inbox/search", url.Values{"q": {string(pnr)}})
		if r.StatusCode != http.StatusForbidden {
			t.Errorf("a clinician's inbox search: %s, want 403", r.Status)
		}
	})
	out := c.logs.String()
	for _, f := range pnrForms(pnr) {
		if strings.Contains(out, f) {
			t.Errorf("the gateway's log holds the personnummer as %q", f)
		}
	}
}

// TestInboxBulkAssignPartly: three selected cases assigned in one action,
// one of which was answered meanwhile: the other two are assigned, each
// with its own access-log entry, and the third is named by its case id.
func TestInboxBulkAssignPartly(t *testing.T) {
	c := startClinic(t)
	ctx := context.Background()
	svc := c.gw.Cases()
	var cs []*cases.Case
	for range 3 {
		c.clock.Advance(time.Second)
		cs = append(cs, c.receive(casetype.AdviceNurse, "Ont."))
	}
	dist := c.login(hsaDist)
	page := dist.mustGet(t, "/inbox")
	sel := map[string]string{}
	for _, m := range selValue.FindAllStringSubmatch(page, -1) {
		sel[m[1]] = m[2]
	}
	if len(sel) != 3 {
		t.Fatalf("%d rows to select, want 3", len(sel))
	}
	// Meanwhile another distributor gives the second case away and it is answered.
	if _, err := svc.Do(ctx, distActor, cs[1].ID, cases.Command{Action: cases.Assign, Assignee: hsaClinB}); err != nil {
		t.Fatal(err)
	}
	clinB := cases.Actor{Kind: cases.Staff, HSAID: hsaClinB, Roles: []cases.Role{cases.Clinician}}
	if _, err := svc.Do(ctx, clinB, cs[1].ID, cases.Command{Action: cases.SendAnswer, Text: "Svar."}); err != nil {
		t.Fatal(err)
	}
	before := len(accessLog(t, c, hsaDist))
	form := url.Values{"assignee": {hsaClinA}, "from": {"inbox"}}
	for _, cc := range cs {
		form.Add("sel", sel[string(cc.ID)])
	}
	r, _ := dist.form("/inbox/assign", form)
	want := "/inbox?ok=bulk&n=2&failed=" + string(cs[1].ID)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != want {
		t.Fatalf("bulk assign: %s to %q, want %q", r.Status, r.Header.Get("Location"), want)
	}
	for _, i := range []int{0, 2} {
		got, err := svc.Get(ctx, distActor, cs[i].ID)
		if err != nil || got.Status != cases.Assigned || got.Assignee != hsaClinA {
			t.Errorf("case %d: %v %+v, want assigned to clinician A", i, err, got)
		}
	}
	var assigned []string
	for _, rec := range accessLog(t, c, hsaDist)[:len(accessLog(t, c, hsaDist))-before] {
		if rec.Entry.Action == string(cases.Assign) && rec.Entry.Outcome == audit.Allowed {
			assigned = append(assigned, rec.Entry.CaseID)
		}
	}
	slices.Sort(assigned)
	if wantIDs := []string{string(cs[0].ID), string(cs[2].ID)}; !slices.Equal(assigned, wantIDs) {
		t.Errorf("assign entries for %v, want one each for %v", assigned, wantIDs)
	}
	after := dist.mustGet(t, want)
	if !strings.Contains(after, `<p class="flash" role="status">2 ärenden tilldelades.</p>`) {
		t.Error("the result does not say, in words that follow the number, how many were assigned")
	}
	if !strings.Contains(after, "1 ärende kunde inte tilldelas") || !strings.Contains(after, `<a href="/cases/`+string(cs[1].ID)+`">`) {
		t.Error("the case that could not be assigned is not named")
	}
	// To a clinician on leave: a warning, nothing assigned; one click to
	// another clinician assigns them all.
	c.clock.Advance(time.Second)
	l1, l2 := c.receive(casetype.AdviceNurse, "Ont."), c.receive(casetype.AdviceNurse, "Ont.")
	leaveSel := url.Values{"assignee": {hsaOnLeave}, "sel": {string(l1.ID) + " 1 received", string(l2.ID) + " 1 received"}}
	r, body := dist.form("/inbox/assign", leaveSel)
	if r.StatusCode != http.StatusOK || !strings.Contains(body, "Inga av de valda ärendena är tilldelade.") ||
		!strings.Contains(body, `<input type="hidden" name="sel" value="`+string(l1.ID)+` 1 received">`) {
		t.Fatalf("bulk to someone on leave: %s, want the warning with the selection carried", r.Status)
	}
	if got, _ := svc.Get(ctx, distActor, l1.ID); got.Status != cases.Received {
		t.Fatalf("the warning assigned a case: %s", got.Status)
	}
	leaveSel.Set("assignee", hsaClinB)
	if r, _ := dist.form("/inbox/assign", leaveSel); r.Header.Get("Location") != "/inbox?ok=bulk&n=2" {
		t.Errorf("the other clinician's click: to %q, want both assigned", r.Header.Get("Location"))
	}
	// One case: the singular.
	c.clock.Advance(time.Second)
	one := c.receive(casetype.AdviceNurse, "Ont.")
	r, _ = dist.form("/inbox/assign", url.Values{"assignee": {hsaClinA}, "sel": {string(one.ID) + " 1 received"}})
	if loc := r.Header.Get("Location"); loc != "/inbox?ok=bulk&n=1" {
		t.Fatalf("one case: to %q", loc)
	}
	if !strings.Contains(dist.mustGet(t, "/inbox?ok=bulk&n=1"), "1 ärende tilldelades.") {
		t.Error("one case assigned: not in the singular")
	}
	// Nothing selected: said, nothing done.
	if r, body := dist.form("/inbox/assign", url.Values{"assignee": {hsaClinA}}); r.StatusCode != http.StatusBadRequest ||
		!strings.Contains(body, "Inget tilldelades: kryssa i minst ett ärende") {
		t.Errorf("nothing selected: %s", r.Status)
	}
}
