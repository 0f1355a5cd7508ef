package localui_test

import (
	"net/http"
	"strings"
	"testing"

	"clinicgw/agent/cases"
)

// rowAllocsGoal is the most allocations a list row may cost the whole
// process (gateway and client) on a refresh of the inbox's 200 rows that
// shows them again unchanged: the case's read, not its rendering
// (rowcache.go). Rendered through html/template each time, a row cost
// some 210 allocations more (255 a row in all).
const rowAllocsGoal = 80

// TestListRowsKept: a live refresh of the inbox's whole list (as the page
// makes it when more than 64 cases changed) renders no row it rendered
// before and that did not change; a row that changed is rendered anew.
func TestListRowsKept(t *testing.T) {
	c := startClinic(t)
	seeded := c.seedVaried(t.Context(), 200)
	dist := c.login(hsaDist)
	rows := func() string {
		req, _ := http.NewRequest(http.MethodGet, c.origin+"/inbox?view=open&part=rows", nil)
		req.Header.Set("X-Live", "1")
		r, body := dist.do(req)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("rows: %d", r.StatusCode)
		}
		return string(body)
	}
	first := rows()
	if n := strings.Count(first, `<tr id="case-`); n != 200 {
		t.Fatalf("%d rows, want 200", n)
	}
	allocs := testing.AllocsPerRun(5, func() { rows() })
	t.Logf("%.0f allocations per refresh of 200 rows: %.1f a row", allocs, allocs/200)
	if allocs/200 > rowAllocsGoal {
		t.Errorf("a refresh of 200 unchanged rows costs %.1f allocations a row, goal ≤ %d: every row rendered again", allocs/200, rowAllocsGoal)
	}
	if again := rows(); again != first {
		t.Errorf("the rows shown again differ from the first:\n%s\n%s", first, again)
	}

	// A case that changed shows its change; the others as they were.
	got := seeded[7]
	if _, err := c.gw.Cases().Do(t.Context(), staffActor(hsaDist), got.ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA, Version: got.Version}); err != nil {
		t.Fatal(err)
	}
	after := rows()
	rowOf := func(page string, id cases.ID) string {
		i := strings.Index(page, `<tr id="case-`+string(id)+`"`)
		if i < 0 {
			return ""
		}
		return page[i : i+strings.Index(page[i:], "</tr>")]
	}
	if was, now := rowOf(first, got.ID), rowOf(after, got.ID); was == now || !strings.Contains(now, "reassign") {
		t.Errorf("the assigned case's row shows no change:\n%s", now)
	}
	for _, other := range []*cases.Case{seeded[6], seeded[8]} {
		if was, now := rowOf(first, other.ID), rowOf(after, other.ID); was != now || was == "" {
			t.Errorf("case %s's row changed with another case's:\n%s\n%s", other.ID, was, now)
		}
	}
}
