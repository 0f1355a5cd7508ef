package localui_test

import (
	"net/url"
	"testing"

	"clinicgw/agent/cases"
	"clinicgw/localui/uitest"
)

// TestAxeEveryPage: axe-core (WCAG 2.0/2.1 A and AA) on every page each
// role sees, in headless Chromium: no serious or critical violation.
func TestAxeEveryPage(t *testing.T) {
	c := startClinic(t)
	cs := c.receive(cases.RenewPrescription, "Recept.")
	c.login(hsaDist).form("/cases/"+string(cs.ID)+"/assign", url.Values{"assignee": {hsaClinA}})
	c.login(hsaAdmin).form("/admin/unit", url.Values{"standardAnswers": {"Klart\nDitt recept är förnyat."}})
	b := uitest.NewBrowser(t)
	pages := map[string][]string{
		"":       {"/login"},
		hsaDist:  {"/inbox", "/inbox?view=overdue", "/cases/" + string(cs.ID), "/settings"},
		hsaClinA: {"/mine", "/cases/" + string(cs.ID)},
		hsaAdmin: {"/admin/stats", "/admin/unit"},
		hsaAudit: {"/audit"},
	}
	for who, paths := range pages {
		tab := b.NewTab(t)
		if who != "" {
			useSession(t, tab, c.login(who))
		}
		for _, p := range paths {
			tab.Navigate(c.origin + p)
			if h := tab.Text("h1"); h == "Logga in" && p != "/login" {
				t.Fatalf("%s %s: not logged in", who, p)
			}
			for _, v := range uitest.SeriousOrCritical(tab.Axe(t)) {
				t.Errorf("%s %s: %s (%s): %s %v", who, p, v.ID, v.Impact, v.Help, v.Nodes)
			}
		}
	}
}
