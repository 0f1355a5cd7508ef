package report

import (
	"html/template"
	"maps"
	"strconv"

	"clinicgw/agent/cases"
)

// Chart is one chart of the statistics page.
type Chart struct {
	ID    string        // unique among the charts of one Charts call; the ids inside SVG start with it
	Title string        // the chart's title, also the SVG's <title>; plain text, for the caller to escape
	SVG   template.HTML // an inline <svg role="img">, escaped, with no script and no style
}

// The charts' IDs, in the order Charts returns them.
const (
	ChartByType   = "by-type"   // cases per case type
	ChartByStatus = "by-status" // cases per current status
	ChartHandling = "handling"  // median and P90 handling time per case type
	ChartWeeks    = "weeks"     // received and answered per ISO week
	ChartOpen     = "open"      // unanswered and overdue cases
)

// Charts draws s in lang ("en" for English, anything else for Swedish):
// cases per case type, cases per status, handling time per case type,
// received and answered per week, and the unanswered and overdue cases.
// A chart with nothing to show says so instead.
func Charts(s cases.Stats, lang string) []Chart { return ChartsOf(s, lang, Services{}) }

// ChartsOf is Charts with the unit's services' order and names (the
// catalogue); a case type it does not name has its built-in name.
func ChartsOf(s cases.Stats, lang string, svc Services) []Chart {
	t := textsFor(lang).with(svc)
	docs := []svgDoc{
		byTypeDoc(s, t),
		byStatusDoc(s, t),
		handlingDoc(s, t),
		weeksDoc(s, t),
		openDoc(s, t),
	}
	out := make([]Chart, len(docs))
	for i, d := range docs {
		out[i] = Chart{ID: d.ID, Title: d.Title, SVG: d.render()}
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

func count(v float64) string { return strconv.Itoa(int(v)) }

// emptyFor is the message for a chart with nothing to show: no cases at all,
// or the more precise what when there were cases.
func (t *texts) emptyFor(s cases.Stats, what string) string {
	if s.Received == 0 && s.Answered == 0 {
		return t.empty
	}
	return what
}

func byTypeDoc(s cases.Stats, t *texts) svgDoc {
	return countsDoc(ChartByType, t.byType, t.types(), s.ByType, t.typeName, t)
}

func byStatusDoc(s cases.Stats, t *texts) svgDoc {
	return countsDoc(ChartByStatus, t.byStatus, Statuses, s.ByStatus, StatusName, t)
}

// countsDoc is a bar chart of counts by key, in the order of known and
// then any other keys, with the total above it.
func countsDoc[K ~string](id, title string, known []K, counts map[K]int, name func(K, string) string, t *texts) svgDoc {
	c := barChart{
		id: id, title: title, axis: t.cases,
		series: []series{{name: t.cases, fill: colorBlue}},
		format: count, barH: 20, gap: 6,
	}
	sum := 0
	for _, k := range ordered(known, maps.Keys(counts)) {
		n := counts[k]
		sum += n
		c.groups = append(c.groups, group{label: name(k, t.lang), values: []float64{float64(n)}})
	}
	if sum == 0 {
		return emptyDoc(c.id, c.title, t.empty)
	}
	c.lead = t.total + " " + itoa(sum)
	return c.doc()
}

// handlingDoc shows all case types first, then each type with answers.
func handlingDoc(s cases.Stats, t *texts) svgDoc {
	c := barChart{
		id: ChartHandling, title: t.handling, axis: t.hours,
		series: []series{{name: t.median, fill: colorBlue}, {name: t.p90, fill: colorOrange}},
		format: t.hoursText, barH: 16, gap: 8,
	}
	hours := func(h cases.HandlingTime) []float64 { return []float64{h.Median.Hours(), h.P90.Hours()} }
	if s.Handling.Count > 0 {
		c.groups = append(c.groups, group{label: t.allTypes, values: hours(s.Handling)})
	}
	for _, ty := range ordered(t.types(), maps.Keys(s.HandlingByType)) {
		if h := s.HandlingByType[ty]; h.Count > 0 {
			c.groups = append(c.groups, group{label: t.typeName(ty, t.lang), values: hours(h)})
		}
	}
	if len(c.groups) == 0 {
		return emptyDoc(c.id, c.title, t.emptyFor(s, t.emptyAnswered))
	}
	return c.doc()
}

func weeksDoc(s cases.Stats, t *texts) svgDoc {
	c := barChart{
		id: ChartWeeks, title: t.weeks, axis: t.cases,
		series: []series{{name: t.received, fill: colorBlue}, {name: t.answered, fill: colorOrange}},
		format: count, barH: 14, gap: 6,
	}
	some := false
	for _, w := range s.Weeks {
		some = some || w.Received > 0 || w.Answered > 0
		c.groups = append(c.groups, group{label: t.weekLabel(w.Year, w.Week), values: []float64{float64(w.Received), float64(w.Answered)}})
	}
	if !some {
		return emptyDoc(c.id, c.title, t.empty)
	}
	return c.doc()
}

func openDoc(s cases.Stats, t *texts) svgDoc {
	if s.Received == 0 && s.Unanswered == 0 && s.Overdue == 0 {
		return emptyDoc(ChartOpen, t.open, t.empty)
	}
	of := t.ofReceived(itoa(s.Received))
	late := colorInk
	if s.Overdue > 0 {
		late = colorLate
	}
	return figuresDoc(ChartOpen, t.open, []figure{
		{value: s.Unanswered, label: t.unanswered, note: of, fill: colorInk},
		{value: s.Overdue, label: t.overdue, note: of, fill: late},
	})
}
