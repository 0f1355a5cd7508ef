package report

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"

	"clinicgw/agent/cases"
	"clinicgw/sync/i18n"
)

// Statistics per staff group (cases.Stats.ByGroup): the national four —
// cases per type, per status, unanswered and overdue, handling times —
// for each group the unit's cases were routed to, and for the inbox ("").
// A unit that routes nothing to a group has only the inbox: then there is
// nothing per group to show, and neither GroupCharts nor the CSV's group
// rows say anything.

// GroupNames names a group by its id; "" (or an unknown id) gets the
// words for the inbox or the id itself.
type GroupNames func(id cases.GroupID) string

// The ids of the charts per group; the per-group type and status charts
// are ChartGroupTypes and ChartGroupStatus followed by "-" and the group's
// id ("-inkorg" for the inbox).
const (
	ChartByGroup       = "by-group"       // received, unanswered and overdue per group
	ChartHandlingGroup = "handling-group" // median and P90 handling time per group
	ChartGroupTypes    = "group-types"
	ChartGroupStatus   = "group-status"
)

// hasGroups reports whether s counts any case routed to a group.
func hasGroups(s cases.Stats) bool {
	for g := range s.ByGroup {
		if g != "" {
			return true
		}
	}
	return false
}

// groupOrder is s's groups by name, the inbox last.
func groupOrder(s cases.Stats, name func(cases.GroupID) string) []cases.GroupID {
	gs := slices.Collect(maps.Keys(s.ByGroup))
	slices.SortFunc(gs, func(a, b cases.GroupID) int {
		if (a == "") != (b == "") {
			if a == "" {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(name(a), name(b)), cmp.Compare(a, b))
	})
	return gs
}

// groupName names g in lang with names (nil: by id).
func groupName(g cases.GroupID, lang string, names GroupNames) string {
	if g == "" {
		return i18n.T(lang, "report.inbox")
	}
	if names != nil {
		if n := names(g); n != "" {
			return n
		}
	}
	return string(g)
}

// GroupCharts draws the statistics per group in lang, with the unit's
// services' names (svc): the cases received,
// unanswered and overdue per group, the handling time per group, and for
// each group its cases per case type and per status. None when s counts
// no case routed to a group.
func GroupCharts(s cases.Stats, lang string, svc Services, names GroupNames) []Chart {
	if !hasGroups(s) {
		return nil
	}
	t := textsFor(lang).with(svc)
	name := func(g cases.GroupID) string { return groupName(g, lang, names) }
	order := groupOrder(s, name)
	counts := barChart{
		id: ChartByGroup, title: i18n.T(lang, "report.byGroup"), axis: t.cases,
		series: []series{{name: t.received, fill: colorBlue}, {name: t.unanswered, fill: colorInk}, {name: t.overdue, fill: colorLate}},
		format: count, barH: 14, gap: 8,
	}
	handling := barChart{
		id: ChartHandlingGroup, title: i18n.T(lang, "report.handlingByGroup"), axis: t.hours,
		series: []series{{name: t.median, fill: colorBlue}, {name: t.p90, fill: colorOrange}},
		format: t.hoursText, barH: 16, gap: 8,
	}
	docs := []svgDoc{}
	var each []svgDoc
	for _, g := range order {
		gs := s.ByGroup[g]
		counts.groups = append(counts.groups, group{label: name(g), values: []float64{float64(gs.Received), float64(gs.Unanswered), float64(gs.Overdue)}})
		if gs.Handling.Count > 0 {
			handling.groups = append(handling.groups, group{label: name(g), values: []float64{gs.Handling.Median.Hours(), gs.Handling.P90.Hours()}})
		}
		if gs.Received > 0 {
			suffix := "-" + string(g)
			if g == "" {
				suffix = "-inkorg"
			}
			each = append(each,
				countsDoc(ChartGroupTypes+suffix, i18n.T(lang, "report.groupTypes", name(g)), t.types(), gs.ByType, t.typeName, t),
				countsDoc(ChartGroupStatus+suffix, i18n.T(lang, "report.groupStatus", name(g)), Statuses, gs.ByStatus, StatusName, t))
		}
	}
	docs = append(docs, counts.doc())
	if len(handling.groups) > 0 {
		docs = append(docs, handling.doc())
	} else {
		docs = append(docs, emptyDoc(handling.id, handling.title, t.emptyFor(s, t.emptyAnswered)))
	}
	docs = append(docs, each...)
	out := make([]Chart, len(docs))
	for i, d := range docs {
		out[i] = Chart{ID: d.ID, Title: d.Title, SVG: d.render()}
	}
	return out
}

// WriteCSVGroups is WriteCSV with, when s counts cases routed to staff
// groups, rows per group after the totals: each group's totals (section
// "Grupp"), its cases per case type ("Grupp och ärendetyp", named
// "group: type") and per status ("Grupp och status"), in the same
// columns.
func WriteCSVGroups(w io.Writer, s cases.Stats, lang string, svc Services, names GroupNames) error {
	return writeCSV(w, s, lang, svc, func(t *texts) [][]string {
		if !hasGroups(s) {
			return nil
		}
		n := strconv.Itoa
		name := func(g cases.GroupID) string { return groupName(g, lang, names) }
		secGroup, secType, secStatus := i18n.T(lang, "report.csvGroup"), i18n.T(lang, "report.csvGroupType"), i18n.T(lang, "report.csvGroupStatus")
		var rows [][]string
		for _, g := range groupOrder(s, name) {
			gs := s.ByGroup[g]
			m, p := csvHours(gs.Handling, t.decimal)
			rows = append(rows, []string{secGroup, cell(name(g)), n(gs.Received), n(gs.Answered), n(gs.Unanswered), n(gs.Overdue), m, p})
			for _, ty := range ordered(t.types(), maps.Keys(gs.ByType)) {
				if gs.ByType[ty] > 0 {
					rows = append(rows, []string{secType, cell(fmt.Sprintf("%s: %s", name(g), t.typeName(ty, t.lang))), n(gs.ByType[ty]), "", "", "", "", ""})
				}
			}
			for _, st := range ordered(Statuses, maps.Keys(gs.ByStatus)) {
				if gs.ByStatus[st] > 0 {
					rows = append(rows, []string{secStatus, cell(fmt.Sprintf("%s: %s", name(g), StatusName(st, t.lang))), n(gs.ByStatus[st]), "", "", "", "", ""})
				}
			}
		}
		return rows
	})
}
