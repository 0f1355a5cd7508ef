package central

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"clinicgw/localui/uitest"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/labels"
	"clinicgw/sync/wire/labels/labelstest"
)

// answersOn returns the visible text of the form answers on a case page.
func answersOn(t *testing.T, body string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<dl class="answers">(.*?)</dl>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no answers on the case page: %.800s", body)
	}
	return strings.Join(strings.Fields(labelstest.VisibleText(m[1])), " ")
}

// TestPatientPageShowsAnswerLabels (issue 15, item 5): the patient reads
// their own answers as they chose them — the option's label, not its
// value; once the unit's form no longer has the option, the answer is
// shown as sent and marked.
func TestPatientPageShowsAnswerLabels(t *testing.T) {
	e := newEnv(t)
	id, err := e.store.Submit(e.ctx, unitA, Submission{PatientPNR: adultPNR, PatientName: adultName, FormID: string(casetype.AdviceNurse),
		Fields: []wire.Field{{Name: "question", Value: "Hosta"}, {Name: "since", Value: "days"}}})
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.login(adultPNR, adultName)
	got := answersOn(t, b.get("/arenden/"+id).body)
	if !strings.Contains(got, "Hur länge har du haft besvären? Några dagar") || strings.Contains(got, "days") {
		t.Errorf("answers %q: want the option's label, not its value", got)
	}
	// The unit drops the option.
	set := casetype.DefaultForms()
	for i, f := range set.Forms {
		if f.ID == string(casetype.AdviceNurse) {
			f.Version++
			f.Fields[1].Options = f.Fields[1].Options[1:]
			set.Forms[i] = f
		}
	}
	body, err := wire.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	if status, _, resp := e.do(e.api, unitA, http.MethodPut, wire.PathForms, wire.ContentTypeJSON, body); status != http.StatusNoContent {
		t.Fatalf("publish: %d %s", status, resp)
	}
	got = answersOn(t, b.get("/arenden/"+id).body)
	if !strings.Contains(got, "days") || !strings.Contains(got, "finns inte i formuläret") {
		t.Errorf("answers %q: want the value as sent, marked", got)
	}
}

// TestPatientPagesNoRawCode (issue 15, item 6): the patient's pages —
// start, units, forms, every form, a case with every kind of message from
// the unit — show no internal code.
func TestPatientPagesNoRawCode(t *testing.T) {
	e := newEnv(t)
	id := e.submit(unitA, "Hej")
	for _, it := range []wire.OutboxItem{answer("p-1", id, "Delsvar"), answer("c-1", id, "Fråga"), answer("a-1", id, "Svar")} {
		it.Kind = map[string]wire.OutboxKind{"p": wire.OutboxPartialAnswer, "c": wire.OutboxCounterQuestion, "a": wire.OutboxAnswer}[it.IdempotencyKey[:1]]
		e.outbox(unitA, it)
	}
	b := e.browser()
	b.login(adultPNR, adultName)
	paths := []string{"/", "/skriv", "/skriv/" + unitA, "/arenden/" + id}
	for _, typ := range casetype.All {
		paths = append(paths, "/skriv/"+unitA+"/"+string(typ))
	}
	for _, p := range paths {
		pg := b.get(p)
		if pg.status != http.StatusOK {
			t.Errorf("GET %s: %d", p, pg.status)
		}
		raw, err := labelstest.RawCodes(labelstest.VisibleText(pg.body))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range raw {
			t.Errorf("GET %s shows a raw code: %s", p, r)
		}
	}
}

// TestCaseTypeNamesAgree (issue 15, item 6): the patient's form for a case
// type is called what staff call the type, in Swedish and in English.
func TestCaseTypeNamesAgree(t *testing.T) {
	for _, f := range casetype.DefaultForms().Forms {
		typ := casetype.Type(f.ID)
		if sv := labels.Type(typ, "sv"); f.Title.SV != sv {
			t.Errorf("%s: patients read %q, staff %q", typ, f.Title.SV, sv)
		}
		if en := labels.Type(typ, "en"); f.Title.EN != en {
			t.Errorf("%s: in English patients read %q, staff %q", typ, f.Title.EN, en)
		}
	}
}

// TestPatientCasePageInChromium (issue 15, items 5 and 6): the patient
// logs in and reads their case in Chromium: the answer by its label, the
// unit's messages and the status named, no raw code in the text.
func TestPatientCasePageInChromium(t *testing.T) {
	e := newEnv(t)
	id, err := e.store.Submit(e.ctx, unitA, Submission{PatientPNR: adultPNR, PatientName: adultName, FormID: string(casetype.AdviceNurse),
		Fields: []wire.Field{{Name: "question", Value: "Hosta"}, {Name: "since", Value: "weeks"}}})
	if err != nil {
		t.Fatal(err)
	}
	c := answer("c-1", id, "Har du feber?")
	c.Kind = wire.OutboxCounterQuestion
	e.outbox(unitA, c)
	tab := uitest.NewBrowser(t).NewTab(t)
	var text, answers string
	if err := tab.Run(chromedp.Navigate(e.web.URL+"/logga-in"), chromedp.WaitVisible(`#pnr`),
		chromedp.SendKeys(`#pnr`, adultPNR), chromedp.SendKeys(`#name`, adultName), chromedp.Submit(`#pnr`),
		chromedp.WaitVisible(`table.cases`), chromedp.Navigate(e.web.URL+"/arenden/"+id), chromedp.WaitVisible(`dl.answers`),
		chromedp.Evaluate(`document.body.innerText`, &text), chromedp.Evaluate(`document.querySelector("dl.answers").innerText`, &answers)); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(strings.Fields(answers), " "); !strings.Contains(got, "Hur länge har du haft besvären? Några veckor") {
		t.Errorf("answers as the patient reads them: %q", got)
	}
	for _, want := range []string{"Väntar på ditt svar", "Fråga till dig från Läkare"} {
		if !strings.Contains(text, want) {
			t.Errorf("the case page lacks %q", want)
		}
	}
	raw, err := labelstest.RawCodes(text)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range raw {
		t.Errorf("the case page shows a raw code: %s", r)
	}
}
