package report

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
)

// groupStats is fixedStats with its cases routed: the bookings and the
// advice to the nurses, the prescriptions to the doctors, the rest to the
// inbox.
func groupStats() cases.Stats {
	s := fixedStats()
	s.ByGroup = map[cases.GroupID]cases.GroupStats{
		"sjukskoterskor": {Received: 10, ByType: map[casetype.Type]int{casetype.BookAppointment: 6, casetype.AdviceNurse: 4},
			ByStatus: map[cases.Status]int{cases.Received: 1, cases.Answered: 7, cases.Closed: 2}, Unanswered: 1, Answered: 8,
			Handling: cases.HandlingTime{Count: 8, Median: 90 * time.Minute, P90: 6*time.Hour + 30*time.Minute}},
		"lakare": {Received: 9, ByType: map[casetype.Type]int{casetype.RenewPrescription: 9},
			ByStatus:   map[cases.Status]int{cases.Assigned: 1, cases.PartiallyAnswered: 1, cases.WaitingForPatient: 1, cases.Answered: 5, cases.Closed: 1},
			Unanswered: 2, Overdue: 1, Answered: 9, Handling: cases.HandlingTime{Count: 9, Median: 7 * time.Hour, P90: 30 * time.Hour}},
		"": {Received: 2, ByType: map[casetype.Type]int{casetype.ContactMe: 2},
			ByStatus: map[cases.Status]int{cases.Received: 1, cases.Withdrawn: 1}, Unanswered: 1},
	}
	return s
}

var groupNamesFixed = func(id cases.GroupID) string {
	return map[cases.GroupID]string{"sjukskoterskor": "Sjuksköterskor", "lakare": "Läkare"}[id]
}

func TestGroupChartsGolden(t *testing.T) {
	for _, lang := range langs {
		charts := GroupCharts(groupStats(), lang, Services{}, groupNamesFixed)
		var ids []string
		for _, c := range charts {
			ids = append(ids, c.ID)
			golden(t, lang+"/"+c.ID+".svg", []byte(string(c.SVG)+"\n"))
		}
		want := []string{ChartByGroup, ChartHandlingGroup,
			"group-types-lakare", "group-status-lakare", "group-types-sjukskoterskor", "group-status-sjukskoterskor",
			"group-types-inkorg", "group-status-inkorg"}
		if !slices.Equal(ids, want) {
			t.Errorf("%s: chart ids %v, want %v", lang, ids, want)
		}
		var b bytes.Buffer
		if err := WriteCSVGroups(&b, groupStats(), lang, Services{}, groupNamesFixed); err != nil {
			t.Fatal(err)
		}
		golden(t, "stats-groups."+lang+".csv", b.Bytes())
	}
}

// TestGroupChartsAccessible: every chart per group is an accessible image
// whose ids are unique on a page that shows the unit's charts too.
func TestGroupChartsAccessible(t *testing.T) {
	for _, lang := range langs {
		seen := map[string]bool{}
		for _, c := range append(Charts(groupStats(), lang), GroupCharts(groupStats(), lang, Services{}, groupNamesFixed)...) {
			t.Run(lang+"/"+c.ID, func(t *testing.T) {
				root := checkChart(t, c)
				root.walk(func(e *element) {
					if id := e.Attr["id"]; id != "" && seen[id] {
						t.Errorf("id %q is in two charts of one page", id)
					} else if id != "" {
						seen[id] = true
					}
				})
			})
		}
	}
}

// TestGroupsOnlyWhenRouted: a unit that routes nothing to a group (every
// case in the inbox) gets no charts and no CSV rows per group.
func TestGroupsOnlyWhenRouted(t *testing.T) {
	s := fixedStats()
	s.ByGroup = map[cases.GroupID]cases.GroupStats{"": {Received: s.Received}}
	if cs := GroupCharts(s, "sv", Services{}, nil); cs != nil {
		t.Errorf("charts per group for a unit without groups: %d", len(cs))
	}
	var with, without bytes.Buffer
	if err := WriteCSVGroups(&with, s, "sv", Services{}, nil); err != nil {
		t.Fatal(err)
	}
	if err := WriteCSV(&without, s, "sv"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(with.Bytes(), without.Bytes()) {
		t.Errorf("CSV rows per group for a unit without groups:\n%s", with.Bytes())
	}
}

// TestGroupCSVSums: each group's row has its counts, the groups' rows sum
// to the totals, and every group's types and statuses sum to its row.
func TestGroupCSVSums(t *testing.T) {
	s := groupStats()
	var b bytes.Buffer
	if err := WriteCSVGroups(&b, s, "sv", Services{}, groupNamesFixed); err != nil {
		t.Fatal(err)
	}
	recs := readCSVBytes(t, b.Bytes())
	sum := map[string]int{}
	for _, r := range recs[1:] {
		n, _ := strconv.Atoi(r[2])
		switch r[0] {
		case "Grupp":
			sum["groups"] += n
			sum["group:"+r[1]] = n
		case "Grupp och ärendetyp", "Grupp och status":
			name, _, _ := strings.Cut(r[1], ": ")
			sum[r[0]+":"+name] += n
		}
	}
	if sum["groups"] != s.Received {
		t.Errorf("the groups' rows sum to %d, want the %d received", sum["groups"], s.Received)
	}
	for _, g := range []string{"Sjuksköterskor", "Läkare", "Inkorgen (ej till grupp)"} {
		if sum["group:"+g] == 0 || sum["Grupp och ärendetyp:"+g] != sum["group:"+g] || sum["Grupp och status:"+g] != sum["group:"+g] {
			t.Errorf("%s: %d received, %d by type, %d by status", g, sum["group:"+g], sum["Grupp och ärendetyp:"+g], sum["Grupp och status:"+g])
		}
	}
}

// TestGroupNameHostile: a group's name is the unit's text: escaped in the
// charts, never a formula in the CSV.
func TestGroupNameHostile(t *testing.T) {
	names := func(cases.GroupID) string { return `=HYPERLINK("x")<script>alert(1)</script>` }
	for _, c := range GroupCharts(groupStats(), "sv", Services{}, names) {
		if strings.Contains(string(c.SVG), "<script>") {
			t.Errorf("%s: the name is not escaped", c.ID)
		}
		checkChart(t, c)
	}
	var b bytes.Buffer
	if err := WriteCSVGroups(&b, groupStats(), "sv", Services{}, names); err != nil {
		t.Fatal(err)
	}
	for _, r := range readCSVBytes(t, b.Bytes()) {
		if strings.HasPrefix(r[1], "=") {
			t.Errorf("a cell starts a formula: %q", r[1])
		}
	}
}

// readCSVBytes reads a CSV WriteCSV wrote: byte-order mark, ';', one width.
func readCSVBytes(t *testing.T, b []byte) [][]string {
	t.Helper()
	rest, ok := bytes.CutPrefix(b, []byte("\xEF\xBB\xBF"))
	if !ok {
		t.Fatal("no UTF-8 byte-order mark")
	}
	r := csv.NewReader(bytes.NewReader(rest))
	r.Comma = ';'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("read back: %v\n%s", err, b)
	}
	return recs
}
