package localui_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// TestQuarantineNoteCountsInWords: the inbox's quarantine note for three
// cases says so in the plural, in Swedish and in English (the browser
// test covers one).
func TestQuarantineNoteCountsInWords(t *testing.T) {
	c := startClinic(t)
	now := c.clock.Now()
	good := personnummer.Synthetic(time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC), 986)
	bad := []byte(good)
	bad[11] = '0' + (bad[11]-'0'+1)%10
	var in []cases.Inbound
	for _, ev := range []string{"ev-1", "ev-2", "ev-3"} {
		id, err := caseid.New(now, nil)
		if err != nil {
			t.Fatal(err)
		}
		in = append(in, cases.Inbound{Kind: cases.InboundCreated, EventID: ev, CaseID: id, At: now, Submission: &cases.Submission{
			Type: casetype.AdviceNurse, Patient: cases.Person{PNR: personnummer.Personnummer(bad), Name: canaryName}, Text: canaryText, SubmittedAt: now}})
	}
	if rep, err := c.gw.Cases().ApplyInbound(t.Context(), in, 3); err != nil || rep.Quarantined != 3 {
		t.Fatalf("apply: %+v %v; want 3 quarantined", rep, err)
	}
	dist := c.login(hsaDist)
	for _, l := range []struct{ code, want string }{
		{"sv", "3 ärenden kunde inte tas emot — kontakta regionens IT. De finns kvar, krypterade,"},
		{"en", "3 cases could not be received — contact region IT. They are kept, encrypted,"},
	} {
		dist.form("/lang", url.Values{"lang": {l.code}, "back": {"/"}})
		if _, page := dist.getBody("/inbox"); !strings.Contains(page, l.want) {
			t.Errorf("%s: the inbox lacks %q", l.code, l.want)
		}
	}
}
