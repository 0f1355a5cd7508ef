package localui_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"clinicgw/agent/archive"
	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/localui/uitest"
	"clinicgw/sync/wire"
	svccat "clinicgw/sync/wire/catalog"
	wirelabels "clinicgw/sync/wire/labels"
)

// TestBrowserServiceToGroup (issue 19, the first Prove item): in Chromium,
// against the reference central store over mutual TLS, the unit
// administrator creates the staff group "Arbetsterapeuter" with a member
// and a new service "Förnya hjälpmedel" with a form field, routed to the
// group in the designer's picker (a route to a group that does not exist
// is refused at the picker); a patient writes a case of it on the central
// store's patient pages; it arrives live in the group's queue and in no
// other clinician's view (who gets 403 on the case and on the queue, each
// with one denied access-log entry); the member takes it and answers, and
// the answer reaches the patient's page; the case counts under the
// service's name in the statistics (page and CSV, with the group's row)
// and is named so in the archive's FHIR rendering. The service is then
// retired: the old case still opens and reads with its old form's label.
// The designer with the picker passes axe in Swedish and English.
func TestBrowserServiceToGroup(t *testing.T) {
	b := uitest.NewBrowser(t)
	c, cs := startCentralClinic(t)
	const svc, name, group = "fornya-hjalpmedel", "Förnya hjälpmedel", "Arbetsterapeuter"
	const answer = "Din rullator är beställd och kan hämtas om en vecka."
	axe := func(tab *uitest.Tab, what string) {
		t.Helper()
		for _, v := range uitest.SeriousOrCritical(tab.Axe(t)) {
			t.Errorf("%s: %s (%s): %s %v", what, v.ID, v.Impact, v.Help, v.Nodes)
		}
	}

	// The group, with clinA as its member.
	admin := b.NewTab(t)
	useSession(t, admin, c.login(hsaAdmin))
	run(t, admin, "the groups page", chromedp.Navigate(c.origin+"/admin/groups"), chromedp.WaitVisible(`#new-name`))
	run(t, admin, "a new group", chromedp.SendKeys(`#new-name`, group), chromedp.Click(`#new-m-`+hsaClinA),
		chromedp.Click(`#create-group`), waitPath("/admin/groups", `.flash`))
	gs := c.gw.Groups().List()
	var gid string
	for _, g := range gs {
		if g.Name == group && slices.Equal(g.Members, []string{hsaClinA}) {
			gid = g.ID
		}
	}
	if gid == "" {
		t.Fatalf("the group was not created: %+v", gs)
	}

	// The service, its form, and its route in the picker.
	run(t, admin, "the designer", chromedp.Navigate(c.origin+"/admin/services"), chromedp.WaitVisible(`#services`))
	run(t, admin, "Ny tjänst", chromedp.SendKeys(`#new-id`, svc), chromedp.SendKeys(`#new-name-sv`, name),
		chromedp.Click(`#new-service button[type=submit]`), waitPath("/admin/services", `#svc-`+svc), waitText(`.flash`, "Tjänsterna är sparade"))
	run(t, admin, "its form", chromedp.Navigate(c.origin+"/admin/forms/"+svc), chromedp.WaitVisible(`#editor`),
		chromedp.Click(`#add`), chromedp.WaitVisible(`#field-0`),
		chromedp.SendKeys(`#f0-name`, "device"), chromedp.SendKeys(`#f0-labelSv`, "Vilket hjälpmedel?"),
		chromedp.Click(`#publish`), waitPath("/admin/forms", `.flash`), waitText(`.flash`, "Formuläret är publicerat."))
	run(t, admin, "the designer again", chromedp.Navigate(c.origin+"/admin/services"), chromedp.WaitVisible(`#route-`+svc))
	var choices []string
	run(t, admin, "the picker's choices", chromedp.Evaluate(`[...document.querySelectorAll("#route-`+svc+` option")].map(o => o.value + "=" + o.textContent)`, &choices))
	if want := []string{"=Meddelandeadministratörens inkorg", gid + "=" + group}; !slices.Equal(choices, want) {
		t.Errorf("the picker offers %q, want %q", choices, want)
	}
	axe(admin, "the designer with the picker (sv)")
	// A group that does not exist (the option's value changed under the
	// page, as a stale page or a crafted post would): refused at the place.
	run(t, admin, "a route to a group that does not exist",
		chromedp.Evaluate(`document.querySelector("#route-`+svc+` option[value='`+gid+`']").value = "psykologer"`, nil),
		chromedp.SetValue(`#route-`+svc, "psykologer"), chromedp.Click(`#svc-`+svc+` form[action$="/rule"] button[type=submit]`),
		waitPath("/admin/services", `#services-error`), waitText(`#services-error`, "gruppen ”psykologer”, som inte finns"),
		waitAttr(`#route-`+svc, "aria-invalid", "true"))
	axe(admin, "the designer refusing a route (sv)")
	run(t, admin, "route it to the group", chromedp.Navigate(c.origin+"/admin/services"), chromedp.WaitVisible(`#route-`+svc),
		chromedp.SetValue(`#route-`+svc, gid), chromedp.Click(`#svc-`+svc+` form[action$="/rule"] button[type=submit]`),
		waitPath("/admin/services", `.flash`), waitText(`.flash`, "Tjänsterna är sparade"))
	if cat, _ := c.storedCatalog(); !slices.ContainsFunc(cat.Services, func(x svccat.Service) bool { return x.ID == svc && x.Route == gid }) {
		t.Fatalf("the service is not routed to %s: %+v", gid, cat.Services)
	}
	waitUntil(t, "the new service at the central store", func() bool {
		set, err := cs.Store.Forms(t.Context(), testUnit)
		i := slices.IndexFunc(set.Forms, func(f wire.Form) bool { return f.ID == svc })
		return err == nil && i >= 0 && len(set.Forms[i].Fields) == 1
	})

	// The member has the group's queue open; another clinician their own list.
	member := b.NewTab(t)
	useSession(t, member, c.login(hsaClinA))
	run(t, member, "the group's queue", chromedp.Navigate(c.origin+"/queue/"+gid),
		chromedp.WaitVisible(`#queue-empty`), chromedp.WaitReady(`body[data-watching="1"]`))
	otherSession := c.login(hsaClinB)
	other := b.NewTab(t)
	useSession(t, other, otherSession)
	run(t, other, "another clinician's list", chromedp.Navigate(c.origin+"/mine"), chromedp.WaitVisible(`#rows`), waitAttr(`body`, "data-ws", "open"))

	// The patient writes a case of the service.
	pnr := c.patientPNR()
	patient := b.NewTab(t)
	run(t, patient, "patient login", chromedp.Navigate(cs.WebURL+"/logga-in"), chromedp.WaitVisible(`#pnr`),
		chromedp.SendKeys(`#pnr`, string(pnr)), chromedp.SendKeys(`#name`, canaryName),
		chromedp.Click(`main form button[type=submit]`), waitPath("/", `a[href="/skriv"]`))
	run(t, patient, "the service on the patient pages", chromedp.Navigate(cs.WebURL+"/skriv/"+testUnit),
		chromedp.WaitVisible(`a[href="/skriv/`+testUnit+`/`+svc+`"]`), chromedp.Click(`a[href="/skriv/`+testUnit+`/`+svc+`"]`),
		waitPath("/skriv/"+testUnit+"/"+svc, `#f-device`))
	var where string
	run(t, patient, "write the case", chromedp.SendKeys(`#f-device`, "Rullator"), chromedp.SendKeys(`#text`, canaryText),
		chromedp.Click(`main form button[type=submit]`), waitPath("/arenden/", `#meddelanden`), chromedp.Location(&where))
	u, err := url.Parse(where)
	if err != nil || !strings.HasPrefix(u.Path, "/arenden/") {
		t.Fatalf("after submitting, the patient is at %q", where)
	}
	id := cases.ID(strings.TrimPrefix(u.Path, "/arenden/"))
	row := `#case-` + string(id)

	var got *cases.Case
	waitUntil(t, "the case at the gateway", func() bool {
		got, err = c.gw.Cases().Get(t.Context(), cases.Actor{Kind: cases.System}, id)
		return err == nil
	})
	if got.Group != gid || got.Status != cases.Received || got.Assignee != "" || got.Type != svc {
		t.Fatalf("the case at the gateway: type %s, group %q, status %s, assignee %q", got.Type, got.Group, got.Status, got.Assignee)
	}
	run(t, member, "the case arrives live in the group's queue, under the service's name", chromedp.WaitVisible(row), waitText(row, name))

	// Not in another clinician's view: refused the case and the queue.
	var shown bool
	other.Eval(`document.getElementById("case-`+string(id)+`") !== null || document.body.innerText.includes(`+quoteJS(canaryName)+`)`, &shown)
	if shown {
		t.Error("another clinician's list shows the group's case")
	}
	for _, path := range []string{"/cases/" + string(id), "/queue/" + gid} {
		before := c.auditHead()
		r, body := otherSession.getBody(path)
		if r.StatusCode != http.StatusForbidden || strings.Contains(body, canaryName) || strings.Contains(body, canaryText) {
			t.Errorf("another clinician GET %s: %d\n%.300s", path, r.StatusCode, body)
		}
		recs := c.auditSince(hsaClinB, before)
		if len(recs) != 1 || recs[0].Entry.Outcome != audit.Denied {
			t.Errorf("another clinician GET %s: access-log records %+v, want one denied", path, recs)
		}
		run(t, other, "refused in the browser too", chromedp.Navigate(c.origin+path), chromedp.WaitVisible(`.error`))
		if txt := other.Text("main"); strings.Contains(txt, canaryName) || strings.Contains(txt, "Rullator") {
			t.Errorf("another clinician's browser shows the case at %s: %q", path, txt)
		}
	}

	// The member takes it and answers; the answer reaches the patient.
	run(t, member, "Ta ärendet", waitText(row+` button`, "Ta ärendet"), chromedp.Click(row+` button`), waitPath("/cases/"+string(id), `#answer-text`),
		waitText(`.flash`, "Du har tagit ärendet"), waitText(`main`, "Vilket hjälpmedel?"), waitText(`main`, "Rullator"))
	run(t, member, "answer", chromedp.SendKeys(`#answer-text`, answer), chromedp.Click(`#send`), waitText(`.flash`, "kicka")) // "Skickat till patienten." or "Sparat — skickas när …"
	got, err = c.gw.Cases().Get(t.Context(), cases.Actor{Kind: cases.System}, id)
	if err != nil || got.Assignee != hsaClinA || got.Status != cases.Answered {
		t.Fatalf("after the answer: %v %+v", err, got)
	}
	waitUntil(t, "the answer at the central store", func() bool {
		pc, err := cs.Store.PatientCase(t.Context(), string(pnr), string(id))
		return err == nil && pc.StaffMessages() == 1
	})
	var text string
	run(t, patient, "the patient's case page", chromedp.Navigate(cs.WebURL+"/arenden/"+string(id)),
		chromedp.WaitVisible(`#meddelanden`), chromedp.Evaluate(`document.querySelector("main").innerText`, &text))
	for _, want := range []string{answer, "Besvarat", "Rullator", canaryText} {
		if !strings.Contains(text, want) {
			t.Errorf("the patient's case page lacks %q:\n%s", want, text)
		}
	}

	// Statistics: the page and the CSV, by the service's name and the group's.
	run(t, admin, "the statistics", chromedp.Navigate(c.origin+"/admin/stats"), chromedp.WaitVisible(`#chart-by-group`),
		waitText(`main`, name), waitText(`#chart-by-group`, group+": Mottagna 1"))
	r, csv := c.login(hsaAdmin).getBody("/admin/stats.csv")
	for _, want := range []string{";" + name + ";1;", "Grupp;" + group + ";1;", "Grupp och ärendetyp;" + group + ": " + name + ";1"} {
		if r.StatusCode != http.StatusOK || !strings.Contains(csv, want) {
			t.Errorf("the statistics CSV lacks %q (%d):\n%s", want, r.StatusCode, csv)
		}
	}

	// The form changes, then the service is retired.
	run(t, admin, "change the form", chromedp.Navigate(c.origin+"/admin/forms/"+svc), chromedp.WaitVisible(`#f0-labelSv`),
		chromedp.SetValue(`#f0-labelSv`, "Hjälpmedlets namn"), chromedp.Click(`#publish`), waitPath("/admin/forms", `.flash`))
	run(t, admin, "Avsluta tjänst", chromedp.Navigate(c.origin+"/admin/services"), chromedp.WaitVisible(`#retire-`+svc),
		chromedp.Click(`#retire-`+svc), waitPath("/admin/services", `.flash`), waitText(`#svc-`+svc, "Avslutad"))
	waitUntil(t, "the retired service gone from the central store", func() bool {
		set, err := cs.Store.Forms(t.Context(), testUnit)
		return err == nil && !slices.ContainsFunc(set.Forms, func(f wire.Form) bool { return f.ID == svc })
	})
	run(t, member, "the old case reads with its form", chromedp.Navigate(c.origin+"/cases/"+string(id)),
		chromedp.WaitVisible(`main`), waitText(`main`, "Vilket hjälpmedel?"), waitText(`main`, "Rullator"), waitText(`main`, name), waitText(`main`, answer))
	if txt := member.Text(`main`); strings.Contains(txt, "Hjälpmedlets namn") {
		t.Errorf("the old case reads with the changed form:\n%s", txt)
	}

	// The archive's FHIR rendering of the case, with the unit's forms as
	// the archive finds them (retired ones too).
	cat, _ := c.storedCatalog()
	form := wirelabels.FindForm(cat.Forms(), got.Type)
	if form == nil {
		t.Fatalf("the archive finds no form for %s", got.Type)
	}
	fhir, err := archive.FHIR(got, form, nil, time.Now())
	if err != nil || !strings.Contains(string(fhir), `"display":"`+name+`"`) {
		t.Errorf("the FHIR export does not name the service (%v):\n%.1500s", err, fhir)
	}

	run(t, admin, "English", network.SetCookie("__Host-clinicgw-lang", "en").WithURL(c.origin+"/").WithSecure(true),
		chromedp.Navigate(c.origin+"/admin/services"), chromedp.WaitVisible(`#route-`+svc), waitText(`h1`, "Services"),
		waitText(`#route-`+svc, "The message administrator's inbox"))
	axe(admin, "the designer with the picker (en)")
	for _, tab := range []*uitest.Tab{admin, member, other, patient} {
		if v := tab.CSPViolations(); len(v) > 0 {
			t.Errorf("CSP violations: %v", v)
		}
	}
}
