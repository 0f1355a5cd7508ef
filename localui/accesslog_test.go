package localui_test

import (
	"context"
	"net/url"
	"regexp"
	"testing"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// TestEveryCaseRouteLogsOnce (LG1): each request that reads or changes a
// case through the web UI — shown, assigned, read by the clinician,
// answered, taken back, given to another, closed, refused to a colleague,
// a new message to a patient — writes exactly one access-log record, by
// the person who made it, with the time, the unit, the action, the case
// and the patient all set. Requests that touch no case write none.
func TestEveryCaseRouteLogsOnce(t *testing.T) {
	c := startClinic(t)
	a := c.receive(casetype.RenewPrescription, "Förnya receptet, tack.")
	b := c.receive(casetype.ContactMe, "Ring mig.")
	q := c.receive(casetype.RenewPrescription, "Förnya hjälpmedlet.")
	c.setGroups() // groups_test.go
	dist, clinA, clinB := c.login(hsaDist), c.login(hsaClinA), c.login(hsaClinB)
	caseQ := "/cases/" + string(q.ID)
	caseA, caseB := "/cases/"+string(a.ID), "/cases/"+string(b.ID)
	newCase := func(b *browser) url.Values {
		_, page := b.getBody("/cases/new")
		m := regexp.MustCompile(`name="id" value="([^"]+)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatal("the new-message page has no case id")
		}
		pnr := personnummer.Synthetic(time.Date(1975, 3, 9, 0, 0, 0, 0, time.UTC), 990)
		c.mu.Lock()
		c.pnrs = append(c.pnrs, string(pnr)) // for the log canary check
		c.mu.Unlock()
		return url.Values{"id": {m[1]}, "pnr": {pnr.String()}, "type": {"contact-me"}, "subject": {"Provsvar"}, "text": {"Dina prover är bra."}}
	}
	tests := []struct {
		name    string
		who     *browser
		hsa     string
		do      func(*browser)
		records int // 0 for a request that touches no case
		outcome audit.Outcome
	}{
		{"distributor opens a case", dist, hsaDist, func(b *browser) { b.getBody(caseA) }, 1, audit.Allowed},
		{"distributor assigns it", dist, hsaDist, func(b *browser) { b.form(caseA+"/assign", url.Values{"assignee": {hsaClinA}}) }, 1, audit.Allowed},
		{"clinician opens it", clinA, hsaClinA, func(b *browser) { b.getBody(caseA) }, 1, audit.Allowed},
		{"colleague is refused it", clinB, hsaClinB, func(b *browser) { b.getBody(caseA) }, 1, audit.Denied},
		{"clinician answers", clinA, hsaClinA, func(b *browser) {
			b.form(caseA+"/send", url.Values{"kind": {"answer"}, "text": {"Receptet är förnyat."}})
		}, 1, audit.Allowed},
		{"distributor closes it", dist, hsaDist, func(b *browser) { b.form(caseA+"/close", nil) }, 1, audit.Allowed},
		{"distributor assigns another", dist, hsaDist, func(b *browser) { b.form(caseB+"/assign", url.Values{"assignee": {hsaClinA}}) }, 1, audit.Allowed},
		{"distributor takes it back", dist, hsaDist, func(b *browser) { b.form(caseB+"/take-back", nil) }, 1, audit.Allowed},
		{"distributor gives it to another", dist, hsaDist, func(b *browser) { b.form(caseB+"/assign", url.Values{"assignee": {hsaClinB}}) }, 1, audit.Allowed},
		{"clinician writes to a patient", clinA, hsaClinA, func(b *browser) { b.form("/cases/new", newCase(b)) }, 1, audit.Allowed},
		{"distributor moves a case to a group's queue", dist, hsaDist, func(b *browser) { b.form(caseQ+"/route", url.Values{"group": {groupOT}}) }, 1, audit.Allowed},
		{"a member opens it in the queue", clinA, hsaClinA, func(b *browser) { b.getBody(caseQ) }, 1, audit.Allowed},
		{"a clinician outside the group is refused it", clinB, hsaClinB, func(b *browser) { b.getBody(caseQ) }, 1, audit.Denied},
		{"a clinician outside the group cannot take it", clinB, hsaClinB, func(b *browser) { b.form(caseQ+"/take", nil) }, 1, audit.Denied},
		{"a member takes it", clinA, hsaClinA, func(b *browser) { b.form(caseQ+"/take", nil) }, 1, audit.Allowed},
		{"settings page", clinA, hsaClinA, func(b *browser) { b.getBody("/settings") }, 0, audit.Allowed},
		{"statistics", dist, hsaDist, func(b *browser) { b.getBody("/admin/stats") }, 0, audit.Allowed},
	}
	ctx := context.Background()
	newest := func() uint64 {
		rep, err := c.gw.Store().VerifyAudit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return rep.Head.Seq
	}
	for _, tt := range tests {
		before := newest()
		tt.do(tt.who)
		var recs []audit.Record
		err := c.gw.Store().View(ctx, func(tx cases.ReadTx) error {
			return tx.AuditByActor(tt.hsa, func(r audit.Record) bool {
				if r.Seq > before {
					recs = append(recs, r)
				}
				return true
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		if after := newest(); after-before != uint64(len(recs)) {
			t.Errorf("%s: %d records written, %d of them by %s", tt.name, after-before, len(recs), tt.hsa)
		}
		if len(recs) != tt.records {
			t.Errorf("%s: %d access-log records, want %d: %+v", tt.name, len(recs), tt.records, recs)
			continue
		}
		for _, r := range recs {
			e := r.Entry
			if e.Time.IsZero() || e.Unit != testUnit || e.Action == "" || e.CaseID == "" || len(e.Patient) != 12 || e.Outcome != tt.outcome {
				t.Errorf("%s: record %+v: time, unit, action, case and patient must all be set, outcome %v", tt.name, e, tt.outcome)
			}
		}
	}
}
