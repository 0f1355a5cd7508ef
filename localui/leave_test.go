package localui_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
)

// rowOf is the table row of case id in a list page.
func rowOf(page string, id cases.ID) string {
	i := strings.Index(page, `id="case-`+string(id)+`"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(page[i:], "</tr>")
	if j < 0 {
		return page[i:]
	}
	return page[i : i+j]
}

// oneClick finds the one-click forms of a warning or case page: the
// form's action and the clinician it gives the case to.
var oneClick = regexp.MustCompile(`<form method="post" action="([^"]+)"[^>]*>(?:\s*<input type="hidden" name="[^"]+" value="[^"]*">)*\s*<button type="submit" name="(?:assignee|to)" value="([^"]+)"`)

func choices(page string) map[string]string {
	out := map[string]string{}
	for _, m := range oneClick.FindAllStringSubmatch(page, -1) {
		out[m[2]] = m[1]
	}
	return out
}

// TestAssignToSomeoneOnLeaveWarns: giving a case to a clinician on leave
// at that moment (the clinic's clock) assigns nothing and answers with a
// warning that names the leave, offers "assign anyway" and every
// available clinician as a one-click choice; the same for moving a case
// and for moving all of someone's cases. A confirmed choice goes through,
// and once the leave has ended there is no warning.
func TestAssignToSomeoneOnLeaveWarns(t *testing.T) {
	c := startClinic(t)
	dist := c.login(hsaDist)
	cs := c.receive(casetype.AdviceNurse, "Fråga.")
	path := "/cases/" + string(cs.ID)

	r, page := dist.form(path+"/assign", url.Values{"assignee": {hsaOnLeave}, "version": {"1"}, "from": {"inbox"}})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("assign to someone on leave: %d %s, want 200 and a warning", r.StatusCode, r.Header.Get("Location"))
	}
	for _, s := range []string{"Per Psykologsson</bdi></strong> är frånvarande till och med 2026-11-29", "Ärendet är inte tilldelat",
		"Tilldela ändå", `name="confirmLeave" value="1"`, `name="version" value="1"`, `name="from" value="inbox"`} {
		if !strings.Contains(page, s) {
			t.Errorf("the warning lacks %q", s)
		}
	}
	ch := choices(page)
	if ch[hsaClinA] != path+"/assign" || ch[hsaClinB] != path+"/assign" {
		t.Errorf("one-click choices %v, want both available clinicians (assign)", ch)
	}
	if _, ok := ch[hsaOnLeave]; ok {
		t.Errorf("the clinician on leave is offered as another choice: %v", ch)
	}
	if got, _ := c.gw.Cases().Get(t.Context(), cases.Actor{Kind: cases.System}, cs.ID); got.Status != cases.Received || got.Assignee != "" {
		t.Fatalf("the warning assigned the case: %s %s", got.Status, got.Assignee)
	}

	// A script asking for JSON gets 409 and the reason.
	req, _ := http.NewRequest(http.MethodPost, c.origin+path+"/assign", strings.NewReader(url.Values{"assignee": {hsaOnLeave}, "version": {"1"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.origin)
	req.Header.Set("Accept", "application/json")
	if r, body := dist.do(req); r.StatusCode != http.StatusConflict || !strings.Contains(string(body), `"onLeave":"`+hsaOnLeave+`"`) {
		t.Errorf("JSON: %d %s", r.StatusCode, body)
	}

	// Assign anyway: done, and the inbox row says who holds it is on leave.
	r, _ = dist.form(path+"/assign", url.Values{"assignee": {hsaOnLeave}, "version": {"1"}, "from": {"inbox"}, "confirmLeave": {"1"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/inbox?ok=assigned" {
		t.Fatalf("assign anyway: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	_, rows := dist.getBody("/inbox?part=rows")
	if row := rowOf(rows, cs.ID); !strings.Contains(row, "Per Psykologsson") || !strings.Contains(row, "frånvarande t.o.m. 2026-11-29") {
		t.Errorf("the inbox row does not mark the holder on leave:\n%s", row)
	}

	// The case page says so, with one click to move it to someone else.
	_, page = dist.getBody(path)
	if !strings.Contains(page, "är frånvarande till och med 2026-11-29") {
		t.Error("the case page does not say the holder is on leave")
	}
	if ch := choices(page); ch[hsaClinA] != path+"/reassign" || ch[hsaClinB] != path+"/reassign" {
		t.Errorf("case page one-click choices %v, want both available clinicians (reassign)", ch)
	}
	if r, _ := dist.form(path+"/reassign", url.Values{"assignee": {hsaClinB}, "version": {"2"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("one click to B: %d", r.StatusCode)
	}

	// Moving it back to the one on leave warns as well, and so does "move all".
	r, page = dist.form(path+"/reassign", url.Values{"assignee": {hsaOnLeave}, "version": {"3"}, "current": {hsaClinB}})
	if r.StatusCode != http.StatusOK || !strings.Contains(page, "Ärendet är inte flyttat") || !strings.Contains(page, "Flytta ändå") {
		t.Errorf("reassign to someone on leave: %d", r.StatusCode)
	}
	if ch := choices(page); ch[hsaClinA] != path+"/reassign" || ch[hsaClinB] != "" {
		t.Errorf("reassign choices %v, want A only (B holds it)", ch)
	}
	r, page = dist.form("/inbox/move-all", url.Values{"from": {hsaClinB}, "to": {hsaOnLeave}})
	if r.StatusCode != http.StatusOK || !strings.Contains(page, "Inga ärenden är flyttade") || !strings.Contains(page, `name="from" value="`+hsaClinB+`"`) {
		t.Errorf("move all to someone on leave: %d", r.StatusCode)
	}
	if ch := choices(page); ch[hsaClinA] != "/inbox/move-all" {
		t.Errorf("move-all choices %v", ch)
	}
	if got, _ := c.gw.Cases().Get(t.Context(), cases.Actor{Kind: cases.System}, cs.ID); got.Assignee != hsaClinB {
		t.Fatalf("a warning moved the case to %s", got.Assignee)
	}

	// Monday 30 November: the leave (22–29 November) has ended.
	c.clock.Advance(7 * 24 * time.Hour)
	dist = c.login(hsaDist)
	if r, _ := dist.form(path+"/reassign", url.Values{"assignee": {hsaOnLeave}, "version": {"3"}}); r.StatusCode != http.StatusSeeOther {
		t.Errorf("reassign after the leave ended: %d, want 303 without a warning", r.StatusCode)
	}
	_, rows = dist.getBody("/inbox?part=rows")
	if row := rowOf(rows, cs.ID); !strings.Contains(row, "Per Psykologsson") || strings.Contains(row, "frånvarande") {
		t.Errorf("the row after the leave:\n%s", row)
	}
}

// TestOverdueMarksHolderOnLeave: the overdue view marks, in text, a row
// whose holder is on leave.
func TestOverdueMarksHolderOnLeave(t *testing.T) {
	c := startClinic(t)
	dist := c.login(hsaDist)
	cs := c.receive(casetype.ContactMe, "Ring mig.")
	if r, _ := dist.form("/cases/"+string(cs.ID)+"/assign", url.Values{"assignee": {hsaOnLeave}, "confirmLeave": {"1"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("assign: %d", r.StatusCode)
	}
	c.clock.Advance(3 * 24 * time.Hour) // Thursday: overdue, still on leave
	dist = c.login(hsaDist)
	_, rows := dist.getBody("/inbox?view=overdue&part=rows")
	if row := rowOf(rows, cs.ID); !strings.Contains(row, "Försenat") || !strings.Contains(row, "frånvarande t.o.m. 2026-11-29") {
		t.Errorf("overdue row:\n%s", row)
	}
}
