package localui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"clinicgw/agent/cases"
	"clinicgw/agent/democlinic"
	"clinicgw/localui/uitest"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/labels/labelstest"
	"clinicgw/sync/wire/personnummer"
)

// staffActor is a demo member of staff as the case service sees them.
func staffActor(hsaID string) cases.Actor {
	for _, m := range democlinic.Staff {
		if m.HSAID == hsaID {
			return cases.Actor{Kind: cases.Staff, HSAID: hsaID, Roles: m.Roles}
		}
	}
	panic("no demo member " + hsaID)
}

// everyAction takes cases through every workflow action, so that the
// history, the thread and the access log hold every action, message kind,
// status, actor kind and outcome: it returns the cases and their patient.
func everyAction(t *testing.T, c *clinic) ([]*cases.Case, personnummer.Personnummer) {
	t.Helper()
	ctx := context.Background()
	svc := c.gw.Cases()
	pnr := personnummer.Synthetic(time.Date(1981, 4, 2, 0, 0, 0, 0, time.UTC), 987)
	c.mu.Lock()
	c.pnrs = append(c.pnrs, string(pnr))
	c.mu.Unlock()
	submit := func(typ casetype.Type, fields ...cases.Field) *cases.Case {
		got, err := svc.Receive(ctx, cases.Submission{Type: typ, Patient: cases.Person{PNR: pnr, Name: canaryName},
			Text: "Fråga.", SubmittedAt: c.clock.Now(), Fields: fields})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	dist, clinA, clinB := staffActor(hsaDist), staffActor(hsaClinA), staffActor(hsaClinB)
	patient := cases.Actor{Kind: cases.Patient}
	a := submit(casetype.AdviceNurse, cases.Field{Name: "question", Label: "Vad vill du ha råd om?", Value: "Hosta."},
		cases.Field{Name: "since", Label: "Hur länge har du haft besvären?", Value: "days"})
	steps := []struct {
		who cases.Actor
		cmd cases.Command
	}{
		{dist, cases.Command{Action: cases.Assign, Assignee: hsaClinA}},
		{dist, cases.Command{Action: cases.TakeBack}},
		{dist, cases.Command{Action: cases.Assign, Assignee: hsaClinA}},
		{dist, cases.Command{Action: cases.Reassign, Assignee: hsaClinB}},
		{clinB, cases.Command{Action: cases.HandBack}},
		{dist, cases.Command{Action: cases.Assign, Assignee: hsaClinA}},
		{clinA, cases.Command{Action: cases.SendPartial, Text: "Delsvar."}},
		{clinA, cases.Command{Action: cases.SendCounter, Text: "Feber?"}},
		{patient, cases.Command{Action: cases.FollowUp, Text: "Nej."}},
		{clinA, cases.Command{Action: cases.SendAnswer, Text: "Vila."}},
		{dist, cases.Command{Action: cases.Close}},
	}
	for _, s := range steps {
		cur, err := svc.Get(ctx, cases.Actor{Kind: cases.System}, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		s.cmd.Version = cur.Version
		if _, err := svc.Do(ctx, s.who, a.ID, s.cmd); err != nil {
			t.Fatalf("%s: %v", s.cmd.Action, err)
		}
	}
	b := submit(casetype.SymptomRegistration, cases.Field{Name: "fever", Label: "Jag har feber", Value: "true"})
	if _, err := svc.Do(ctx, patient, b.ID, cases.Command{Action: cases.Withdraw, Version: b.Version}); err != nil {
		t.Fatal(err)
	}
	// A denied read, and a case a member of staff started.
	if _, err := svc.Get(ctx, clinB, a.ID); err == nil {
		t.Fatal("a colleague read another's case")
	}
	id, err := svc.NewCaseID()
	if err != nil {
		t.Fatal(err)
	}
	s, err := svc.Initiate(ctx, clinA, cases.InitiateRequest{ID: id, Type: casetype.ContactMe, Patient: cases.Person{PNR: pnr},
		Subject: "Provsvar", Text: "Ring oss.", ReplyAllowed: true})
	if err != nil {
		t.Fatal(err)
	}
	var out []*cases.Case
	for _, id := range []cases.ID{a.ID, b.ID, s.ID} {
		got, err := svc.Get(ctx, cases.Actor{Kind: cases.System}, id)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, got)
	}
	return out, pnr
}

// rawCodes returns the internal codes text shows raw (labelstest.RawCodes).
func rawCodes(t *testing.T, text string) []string {
	t.Helper()
	found, err := labelstest.RawCodes(text)
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func visibleText(page string) string { return labelstest.VisibleText(page) }

// TestNoRawCodeOnAnyPage (issue 15, item 6): every page each role can
// open, in Swedish, with cases that went through every action, shows no
// internal code (an action, status, type, role, kind or outcome as the Go
// constants spell it) in its visible text.
func TestNoRawCodeOnAnyPage(t *testing.T) {
	c := startClinic(t)
	cs, pnr := everyAction(t, c)
	byRole := map[string][]string{
		hsaDist:  {"/inbox", "/inbox?view=new", "/inbox?view=unassigned", "/inbox?view=overdue", "/inbox?view=today", "/inbox?view=waiting", "/inbox?view=done", "/settings", "/admin/stats", "/cases/new"},
		hsaClinA: {"/mine", "/settings", "/cases/new"},
		hsaAdmin: {"/admin/unit", "/admin/stats", "/admin/forms"},
		hsaAudit: {"/audit"},
	}
	for _, cs := range cs {
		byRole[hsaDist] = append(byRole[hsaDist], "/cases/"+string(cs.ID))
	}
	for _, typ := range casetype.All {
		byRole[hsaAdmin] = append(byRole[hsaAdmin], "/admin/forms/"+string(typ))
	}
	check := func(name, body string) {
		for _, raw := range rawCodes(t, visibleText(body)) {
			t.Errorf("%s shows a raw code: %s", name, raw)
		}
	}
	for _, who := range []string{hsaDist, hsaClinA, hsaAdmin, hsaAudit} {
		b := c.login(who)
		for _, p := range byRole[who] {
			r, body := b.getBody(p)
			if r.StatusCode != http.StatusOK {
				t.Errorf("%s GET %s: %d", who, p, r.StatusCode)
			}
			check(who+" GET "+p, body)
		}
	}
	aud := c.login(hsaAudit)
	for _, q := range []url.Values{{"kind": {"patient"}, "q": {pnr.String()}}, {"kind": {"staff"}, "q": {hsaDist}},
		{"kind": {"staff"}, "q": {hsaClinA}}, {"kind": {"staff"}, "q": {hsaClinB}}, {"kind": {"staff"}, "q": {"patient"}},
		{"kind": {"staff"}, "q": {"system"}}, {"kind": {"staff"}, "q": {hsaAudit}}} {
		r, body := aud.form("/audit", q)
		if r.StatusCode != http.StatusOK {
			t.Errorf("audit search %v: %d", q, r.StatusCode)
		}
		check("POST /audit "+q.Get("kind")+" "+q.Get("q"), body)
	}
	anon := c.newBrowser("")
	for _, p := range []string{"/login", "/finns-inte"} {
		_, body := anon.getBody(p)
		check("anon GET "+p, body)
	}
}

// TestAccessLogInSwedishInChromium (issue 15, item 6): the auditor's log
// extract, as Chromium shows it, names every action, actor and outcome in
// Swedish: no cell of the table is an internal code.
func TestAccessLogInSwedishInChromium(t *testing.T) {
	c := startClinic(t)
	_, pnr := everyAction(t, c)
	b := uitest.NewBrowser(t)
	tab := b.NewTab(t)
	useSession(t, tab, c.login(hsaAudit))
	run(t, tab, "log extract", chromedp.Navigate(c.origin+"/audit"), chromedp.WaitVisible(`#q-pnr`),
		chromedp.SendKeys(`#q-pnr`, pnr.String()), chromedp.Submit(`#q-pnr`), chromedp.WaitVisible(`#records`))
	var text string
	var cells [][]string
	run(t, tab, "read the table", chromedp.Evaluate(`document.body.innerText`, &text),
		chromedp.Evaluate(`[...document.querySelectorAll("#records tbody tr")].map(tr => [...tr.cells].map(td => td.innerText.trim()))`, &cells))
	shot(tab, "audit")
	for _, raw := range rawCodes(t, text) {
		t.Errorf("the log extract shows a raw code: %s", raw)
	}
	if len(cells) < 15 {
		t.Fatalf("the extract has %d rows, want one per action at least", len(cells))
	}
	for _, row := range cells {
		for i, cell := range row {
			if labelstest.IsCode(cell) {
				t.Errorf("row %q: column %d is the raw code %q", row, i+1, cell)
			}
		}
	}
}

// TestCasePageShowsAnswerLabels (issue 15, item 5): the case page shows
// each form answer as the patient chose it — the option's label, Ja/Nej
// for a box — in the viewer's language, never the option's value; an
// answer whose option the form no longer has is shown as sent and marked.
func TestCasePageShowsAnswerLabels(t *testing.T) {
	c := startClinic(t)
	pnr := personnummer.Synthetic(time.Date(1979, 8, 8, 0, 0, 0, 0, time.UTC), 986)
	c.mu.Lock()
	c.pnrs = append(c.pnrs, string(pnr))
	c.mu.Unlock()
	receive := func(typ casetype.Type, fields ...cases.Field) *cases.Case {
		got, err := c.gw.Cases().Receive(t.Context(), cases.Submission{Type: typ, Patient: cases.Person{PNR: pnr, Name: canaryName},
			SubmittedAt: c.clock.Now(), Fields: fields})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	nurse := receive(casetype.AdviceNurse, cases.Field{Name: "question", Label: "Vad vill du ha råd om?", Value: "Hosta."},
		cases.Field{Name: "since", Label: "Hur länge har du haft besvären?", Value: "days"})
	gone := receive(casetype.AdviceNurse, cases.Field{Name: "since", Label: "Hur länge har du haft besvären?", Value: "months"})
	fever := receive(casetype.SymptomRegistration, cases.Field{Name: "symptoms", Label: "Vilka symtom har du?", Value: "Hosta"},
		cases.Field{Name: "since", Label: "Sedan när?", Value: "2026-11-20"},
		cases.Field{Name: "fever", Label: "Jag har feber", Value: "true"})
	dist := c.login(hsaDist)
	answers := func(id cases.ID) string {
		_, page := dist.getBody("/cases/" + string(id))
		m := regexp.MustCompile(`(?s)<dl class="answers">(.*?)</dl>`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("case %s: no answers on the page", id)
		}
		return strings.Join(strings.Fields(visibleText(m[1])), " ")
	}
	tests := []struct {
		lang string
		id   cases.ID
		want []string
		not  []string
	}{
		{"sv", nurse.ID, []string{"Hur länge har du haft besvären? Några dagar"}, []string{"days"}},
		{"en", nurse.ID, []string{"How long have you had the trouble? A few days"}, []string{"Några"}},
		{"sv", gone.ID, []string{"months", "finns inte i formuläret"}, nil},
		{"sv", fever.ID, []string{"Jag har feber Ja", "Sedan när? 2026-11-20"}, []string{"true"}},
		{"en", fever.ID, []string{"I have a fever Yes"}, []string{"true"}},
	}
	for _, tt := range tests {
		if r, _ := dist.form("/lang", url.Values{"lang": {tt.lang}, "back": {"/"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("language %s: %d", tt.lang, r.StatusCode)
		}
		got := answers(tt.id)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s, case %s: answers %q lack %q", tt.lang, tt.id, got, w)
			}
		}
		for _, n := range tt.not {
			if regexp.MustCompile(`\b` + n + `\b`).MatchString(got) {
				t.Errorf("%s, case %s: answers %q show %q", tt.lang, tt.id, got, n)
			}
		}
	}
}

// TestContactSettingSaysWhereItGoes (issue 15, item 5; issue 19, item
// 3): the unit settings page says truthfully where the unit's contact
// details go. Before issue 19 they reached no patient and the help said
// so; now they have their own page and are published to the patient
// pages, so the unit page leads there and says that patients see them,
// and the contact page says it too.
func TestContactSettingSaysWhereItGoes(t *testing.T) {
	c := startClinic(t)
	admin := c.login(hsaAdmin)
	for _, l := range []struct{ code, want, page string }{
		{"sv", "som patienterna ser i e-tjänsterna", "Uppgifterna visas för patienterna på enhetens sidor i e-tjänsterna"},
		{"en", "which patients see in the e-services", "The details are shown to patients on the unit"},
	} {
		admin.form("/lang", url.Values{"lang": {l.code}, "back": {"/"}})
		_, page := admin.getBody("/admin/unit")
		m := regexp.MustCompile(`(?s)<p id="contact-link"><a href="/admin/contact">.*?</a>: (.*?)</p>`).FindStringSubmatch(page)
		if m == nil {
			t.Fatal("the unit page does not lead to the contact page")
		}
		if !strings.Contains(m[1], l.want) {
			t.Errorf("%s: the unit page says %q of the contact details", l.code, m[1])
		}
		if _, page := admin.getBody("/admin/contact"); !strings.Contains(page, l.page) {
			t.Errorf("%s: the contact page does not say where the details go", l.code)
		}
	}
}

// TestCasePageInSwedishInChromium (issue 15, items 5 and 6): the case page
// of a case that went through every action, as Chromium shows it in
// Swedish: the answers by their labels, the history and the thread with
// no raw code, and in English the answer in English.
func TestCasePageInSwedishInChromium(t *testing.T) {
	c := startClinic(t)
	cs, _ := everyAction(t, c)
	b := uitest.NewBrowser(t)
	tab := b.NewTab(t)
	useSession(t, tab, c.login(hsaDist))
	var text, answers string
	run(t, tab, "case page", chromedp.Navigate(c.origin+"/cases/"+string(cs[0].ID)), chromedp.WaitVisible(`#casebody .answers`),
		chromedp.Evaluate(`document.body.innerText`, &text), chromedp.Evaluate(`document.querySelector("#casebody .answers").innerText`, &answers))
	shot(tab, "case-answers")
	for _, raw := range rawCodes(t, text) {
		t.Errorf("the case page shows a raw code: %s", raw)
	}
	if got := strings.Join(strings.Fields(answers), " "); !strings.Contains(got, "Hur länge har du haft besvären? Några dagar") {
		t.Errorf("answers as shown: %q", got)
	}
	for _, h := range []string{"Togs tillbaka", "Motfråga skickades", "Patienten skrev igen", "Patienten"} {
		if !strings.Contains(text, h) {
			t.Errorf("the case page lacks %q", h)
		}
	}
	run(t, tab, "in English", chromedp.Click(`form[action="/lang"] button`), chromedp.WaitReady(`html[lang="en"] #casebody .answers`),
		chromedp.Evaluate(`document.querySelector("#casebody .answers").innerText`, &answers))
	if got := strings.Join(strings.Fields(answers), " "); !strings.Contains(got, "How long have you had the trouble? A few days") {
		t.Errorf("answers in English: %q", got)
	}
}
