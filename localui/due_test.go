package localui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"
)

// TestCaseSentBeforeArrival: a case the patient sent on Friday at 23:59
// that reached the gateway on Monday 09:00 (the clinic's clock). The case
// page shows both times; the due date is Tuesday, two working days from
// Friday; the inbox shows the arrival, and the case is overdue on
// Wednesday, not Thursday.
func TestCaseSentBeforeArrival(t *testing.T) {
	c := startClinic(t)
	friday := time.Date(2026, 11, 20, 23, 59, 0, 0, workday.Stockholm())
	pnr := personnummer.Synthetic(time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC), 997)
	cs, err := c.gw.Cases().Receive(context.Background(), cases.Submission{Type: casetype.ContactMe,
		Patient: cases.Person{PNR: pnr, Name: canaryName}, Text: "Ring mig.", SubmittedAt: friday})
	if err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	c.pnrs = append(c.pnrs, string(pnr))
	c.mu.Unlock()

	dist := c.login(hsaDist)
	_, page := dist.getBody("/cases/" + string(cs.ID))
	for _, want := range []string{
		"<dt>Skickat av patienten</dt><dd>2026-11-20 23:59</dd>",
		"<dt>Inkom</dt><dd>2026-11-23 09:00</dd>",
		"<dt>Besvaras senast</dt><dd>2026-11-24</dd>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the case page lacks %q", want)
		}
	}
	_, rows := dist.getBody("/inbox?part=rows")
	if !strings.Contains(rows, "2026-11-23 09:00") || strings.Contains(rows, "2026-11-20 23:59") {
		t.Errorf("the inbox does not list the case by its arrival:\n%s", rows)
	}
	c.clock.Advance(40 * time.Hour) // Wednesday 01:00
	dist = c.login(hsaDist)
	if _, rows := dist.getBody("/inbox?view=overdue&part=rows"); !strings.Contains(rows, string(cs.ID)) {
		t.Errorf("not overdue on Wednesday, two working days after Friday:\n%s", rows)
	}

	// A case sent and received at once shows one time.
	now := c.receive(casetype.ContactMe, "Ring mig.")
	if _, page := dist.getBody("/cases/" + string(now.ID)); strings.Contains(page, "Skickat av patienten") {
		t.Error("a case that arrived at once shows a separate sent time")
	}
}
