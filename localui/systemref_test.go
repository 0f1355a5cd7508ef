package localui_test

import (
	"context"
	"strings"
	"testing"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
)

// TestCasePageShowsSystemRef: the record system's reference to a case
// (PATCH Task through the integration API) is on the case page for staff.
func TestCasePageShowsSystemRef(t *testing.T) {
	c := startClinic(t)
	cs := c.receive(casetype.ContactMe, "Ring mig.")
	sys := cases.IntegrationActor("SE2321000016-9001")
	if _, _, _, err := c.gw.Cases().SendFromSystem(context.Background(), sys, cases.SystemMessage{ClientID: "urn:x|1",
		CaseID: cs.ID, Kind: cases.Answer, Text: "Vi ringer i morgon.", Signature: "Journalsystemet"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.gw.Cases().UpdateFromSystem(context.Background(), sys, cs.ID, cases.SystemUpdate{Close: true,
		Ref: &cases.Ref{System: "urn:oid:1.2.752.0.99.3", Value: "anteckning-4711"}}); err != nil {
		t.Fatal(err)
	}
	dist := c.login(hsaDist)
	_, page := dist.getBody("/cases/" + string(cs.ID))
	if !strings.Contains(page, "<dt>Systemets referens</dt><dd><bdi>anteckning-4711</bdi>") {
		t.Errorf("the case page does not show the system's reference:\n%s", page)
	}
}
