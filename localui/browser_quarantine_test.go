package localui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"clinicgw/agent/cases"
	"clinicgw/localui/uitest"
	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// TestBrowserQuarantineSeen, in Chromium: a case the central store
// accepted that this gateway could not take (a personnummer with a wrong
// check digit) is not silently skipped: the message administrator's inbox
// says, as an alert, that 1 case could not be received and to contact
// region IT, in Swedish and in English; a clinician's own list does not.
// A case taken in spite of a version's rule (a name longer than this
// version allows) carries its flag on the case page. Once region IT
// releases the event, the note is gone.
func TestBrowserQuarantineSeen(t *testing.T) {
	c := startClinic(t)
	ctx := t.Context()
	now := c.clock.Now()
	newID := func() cases.ID {
		id, err := caseid.New(now, nil)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	good := personnummer.Synthetic(time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC), 986)
	bad := []byte(good)
	bad[11] = '0' + (bad[11]-'0'+1)%10
	flagged := newID()
	in := []cases.Inbound{
		{Kind: cases.InboundCreated, EventID: "ev-bad", CaseID: newID(), At: now, Submission: &cases.Submission{
			Type: casetype.AdviceNurse, Patient: cases.Person{PNR: personnummer.Personnummer(bad), Name: canaryName}, Text: canaryText, SubmittedAt: now}},
		{Kind: cases.InboundCreated, EventID: "ev-long", CaseID: flagged, At: now, Submission: &cases.Submission{
			Type: casetype.AdviceNurse, Patient: cases.Person{PNR: good, Name: strings.Repeat("Långnamn ", 30)}, Text: canaryText, SubmittedAt: now}},
	}
	rep, err := c.gw.Cases().ApplyInbound(ctx, in, 2)
	if err != nil || rep.Quarantined != 1 || rep.Relaxed != 1 {
		t.Fatalf("apply: %+v %v; want 1 quarantined, 1 flagged", rep, err)
	}

	b := uitest.NewBrowser(t)
	tab := b.NewTab(t)
	useSession(t, tab, c.login(hsaDist))
	run(t, tab, "inbox", chromedp.Navigate(c.origin+"/inbox"), chromedp.WaitVisible(`#quarantine[role="alert"]`))
	if got := tab.Text(`#quarantine`); !strings.Contains(got, "1 ärende kunde inte tas emot — kontakta regionens IT") {
		t.Errorf("the inbox's note reads %q", got)
	}
	for _, v := range uitest.SeriousOrCritical(tab.Axe(t)) {
		t.Errorf("inbox with the quarantine note: %s (%s): %s %v", v.ID, v.Impact, v.Help, v.Nodes)
	}
	shot(tab, "inbox-quarantine")
	run(t, tab, "in English", chromedp.Click(`form[action="/lang"] button`), chromedp.WaitReady(`html[lang="en"] #quarantine`))
	if got := tab.Text(`#quarantine`); !strings.Contains(got, "1 case could not be received — contact region IT") {
		t.Errorf("the inbox's note in English reads %q", got)
	}
	run(t, tab, "back in Swedish", chromedp.Click(`form[action="/lang"] button`), chromedp.WaitReady(`html[lang="sv"] #quarantine`))

	run(t, tab, "the flagged case", chromedp.Navigate(c.origin+"/cases/"+string(flagged)), chromedp.WaitVisible(`#relaxed`))
	if got := tab.Text(`#relaxed`); !strings.Contains(got, "den centrala e-tjänsten godkände det") {
		t.Errorf("the flag reads %q", got)
	}
	for _, v := range uitest.SeriousOrCritical(tab.Axe(t)) {
		t.Errorf("flagged case page: %s (%s): %s %v", v.ID, v.Impact, v.Help, v.Nodes)
	}

	clin := b.NewTab(t)
	useSession(t, clin, c.login(hsaClinA))
	var notes int
	run(t, clin, "my cases", chromedp.Navigate(c.origin+"/mine"), chromedp.WaitVisible(`h1`),
		chromedp.Evaluate(`document.querySelectorAll('#quarantine').length`, &notes))
	if notes != 0 {
		t.Error("a clinician's own list shows the quarantine note")
	}

	qs, err := c.gw.Cases().Quarantine(ctx)
	if err != nil || len(qs) != 1 {
		t.Fatalf("quarantine %v %v", qs, err)
	}
	if err := c.gw.Cases().ReleaseQuarantine(ctx, qs[0].Seq); err != nil {
		t.Fatal(err)
	}
	run(t, tab, "inbox after the release", chromedp.Navigate(c.origin+"/inbox"), chromedp.WaitVisible(`h1`),
		chromedp.Evaluate(`document.querySelectorAll('#quarantine').length`, &notes))
	if notes != 0 {
		t.Error("the note stays after the release")
	}
}
