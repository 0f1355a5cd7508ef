package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// TestServiceMadeYesterday: the statistics of a service the unit made
// itself show under its name from the catalogue, in the catalogue's order,
// in the charts and the CSV; a type the catalogue does not name keeps its
// built-in name.
func TestServiceMadeYesterday(t *testing.T) {
	const aid casetype.Type = "fornya-hjalpmedel"
	s := cases.Stats{
		Received: 3, Answered: 2,
		ByType:         map[casetype.Type]int{aid: 2, casetype.ContactMe: 1},
		ByStatus:       map[cases.Status]int{cases.Answered: 2, cases.Received: 1},
		HandlingByType: map[casetype.Type]cases.HandlingTime{aid: {Count: 2, Median: 3 * time.Hour, P90: 5 * time.Hour}},
	}
	svc := Services{Order: []casetype.Type{aid, casetype.ContactMe},
		Names: map[casetype.Type]wire.Text{aid: {SV: "Förnya hjälpmedel", EN: "Renew an aid"}}}
	var byType string
	for _, c := range ChartsOf(s, "sv", svc) {
		if c.ID == ChartByType {
			byType = string(c.SVG)
		}
	}
	if !strings.Contains(byType, "Förnya hjälpmedel") || strings.Contains(byType, string(aid)) || !strings.Contains(byType, "Kontakta mig") {
		t.Errorf("chart by type:\n%s", byType)
	}
	if i, j := strings.Index(byType, "Förnya hjälpmedel"), strings.Index(byType, "Kontakta mig"); i > j {
		t.Error("the chart is not in the catalogue's order")
	}
	var b bytes.Buffer
	if err := WriteCSVOf(&b, s, "en", svc); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Renew an aid") {
		t.Errorf("CSV:\n%s", b.String())
	}
}

// TestServiceMadeYesterdayPerGroup: the charts and CSV rows per staff
// group name a service the unit made itself by its name too, not its id.
func TestServiceMadeYesterdayPerGroup(t *testing.T) {
	const aid casetype.Type = "fornya-hjalpmedel"
	s := cases.Stats{
		Received: 1, ByType: map[casetype.Type]int{aid: 1}, ByStatus: map[cases.Status]int{cases.Received: 1},
		ByGroup: map[cases.GroupID]cases.GroupStats{"arbetsterapeuter": {Received: 1, Unanswered: 1,
			ByType: map[casetype.Type]int{aid: 1}, ByStatus: map[cases.Status]int{cases.Received: 1}}},
	}
	svc := Services{Order: []casetype.Type{aid}, Names: map[casetype.Type]wire.Text{aid: {SV: "Förnya hjälpmedel", EN: "Renew an aid"}}}
	names := func(cases.GroupID) string { return "Arbetsterapeuter" }
	var types string
	for _, c := range GroupCharts(s, "sv", svc, names) {
		if c.ID == ChartGroupTypes+"-arbetsterapeuter" {
			types = string(c.SVG)
		}
	}
	if !strings.Contains(types, "Förnya hjälpmedel") || strings.Contains(types, string(aid)) {
		t.Errorf("the group's chart by type:\n%s", types)
	}
	for lang, want := range map[string]string{"sv": "Arbetsterapeuter: Förnya hjälpmedel;1", "en": "Arbetsterapeuter: Renew an aid;1"} {
		var b bytes.Buffer
		if err := WriteCSVGroups(&b, s, lang, svc, names); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), want) || strings.Contains(b.String(), string(aid)) {
			t.Errorf("CSV (%s) lacks %q:\n%s", lang, want, b.String())
		}
	}
}
