package report

import (
	"bytes"
	"fmt"
	"html/template"
	"strconv"

	"clinicgw/agent/cases"
)

// Chart is one rendered chart.
type Chart struct {
	ID    string
	Title string
	SVG   template.HTML // an <svg role="img"> with a title and a description
}

// bar is one labelled value of a chart; a group holds one or two series.
type bar struct {
	Label  string
	Values []float64
	Texts  []string // the value written beside its bar
}

var texts = map[string][2]string{
	"type":     {"Ärenden per ärendetyp", "Cases per case type"},
	"status":   {"Ärenden per status", "Cases by status"},
	"handling": {"Handläggningstid till första svar per ärendetyp (timmar)", "Handling time to the first answer per case type (hours)"},
	"weeks":    {"Inkomna och besvarade ärenden per vecka", "Cases received and answered per week"},
	"open":     {"Obesvarade och försenade ärenden", "Unanswered and overdue cases"},
	"empty":    {"Inga ärenden under perioden", "No cases in the period"},
	"median":   {"median", "median"},
	"p90":      {"90:e percentil", "90th percentile"},
	"received": {"inkomna", "received"},
	"answered": {"besvarade", "answered"},
	"unans":    {"Obesvarade", "Unanswered"},
	"overdue":  {"Försenade", "Overdue"},
	"week":     {"v.", "wk"},
	"cases":    {"ärenden", "cases"},
}

func tr(key, lang string) string { return pick(texts[key], lang, key) }

// Charts renders s's charts in lang ("sv", the default, or "en").
func Charts(s cases.Stats, lang string) []Chart {
	hours := func(d interface{ Hours() float64 }) float64 { return d.Hours() }
	num := func(n int) string { return strconv.Itoa(n) }
	hrs := func(h float64) string { return strconv.FormatFloat(h, 'f', 1, 64) }

	var byType, handling []bar
	for _, t := range cases.Types {
		if n := s.ByType[t]; n > 0 {
			byType = append(byType, bar{TypeName(t, lang), []float64{float64(n)}, []string{num(n)}})
		}
		if h, ok := s.HandlingByType[t]; ok && h.Count > 0 {
			m, p := hours(h.Median), hours(h.P90)
			handling = append(handling, bar{TypeName(t, lang), []float64{m, p}, []string{hrs(m), hrs(p)}})
		}
	}
	var byStatus []bar
	for _, st := range Statuses {
		if n := s.ByStatus[st]; n > 0 {
			byStatus = append(byStatus, bar{StatusName(st, lang), []float64{float64(n)}, []string{num(n)}})
		}
	}
	var weeks []bar
	for _, w := range s.Weeks {
		weeks = append(weeks, bar{fmt.Sprintf("%s %d/%d", tr("week", lang), w.Week, w.Year),
			[]float64{float64(w.Received), float64(w.Answered)}, []string{num(w.Received), num(w.Answered)}})
	}
	var open []bar
	if s.Received > 0 || s.Unanswered > 0 {
		open = []bar{
			{tr("unans", lang), []float64{float64(s.Unanswered)}, []string{num(s.Unanswered)}},
			{tr("overdue", lang), []float64{float64(s.Overdue)}, []string{num(s.Overdue)}},
		}
	}
	two := func(a, b string) []string { return []string{tr(a, lang), tr(b, lang)} }
	return []Chart{
		render("type", tr("type", lang), byType, nil, lang),
		render("status", tr("status", lang), byStatus, nil, lang),
		render("handling", tr("handling", lang), handling, two("median", "p90"), lang),
		render("weeks", tr("weeks", lang), weeks, two("received", "answered"), lang),
		render("open", tr("open", lang), open, nil, lang),
	}
}

// Layout of a horizontal bar chart.
const (
	chartWidth = 640
	labelWidth = 220
	barHeight  = 16
	barGap     = 4
	groupGap   = 10
	valueSpace = 60
	legendRow  = 24
)

// Series colours: at least 3:1 against white for the bars; text is near
// black (#1b1b1b) for 4.5:1.
var colours = []string{"#005ea5", "#a34700"}

type svgBar struct {
	X, Y, W, TextX, TextY int
	Fill, Text            string
}

type svgRow struct {
	Label  string
	LabelY int
	Bars   []svgBar
}

type svgLegend struct {
	X, Y, TextX, TextY int
	Fill, Text         string
}

type svgData struct {
	ID, Title, Desc, Empty string
	Width, Height          int
	LabelX                 int
	Rows                   []svgRow
	Legend                 []svgLegend
}

var svgTmpl = template.Must(template.New("svg").Parse(
	`<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{{.ID}}-title {{.ID}}-desc" viewBox="0 0 {{.Width}} {{.Height}}" width="{{.Width}}" height="{{.Height}}" class="chart-svg">` +
		`<title id="{{.ID}}-title">{{.Title}}</title><desc id="{{.ID}}-desc">{{.Desc}}</desc>` +
		`{{if .Empty}}<text x="10" y="28" fill="#1b1b1b" font-size="14">{{.Empty}}</text>{{end}}` +
		`{{range .Legend}}<rect x="{{.X}}" y="{{.Y}}" width="12" height="12" fill="{{.Fill}}"/><text x="{{.TextX}}" y="{{.TextY}}" fill="#1b1b1b" font-size="13">{{.Text}}</text>{{end}}` +
		`{{range .Rows}}<text x="{{$.LabelX}}" y="{{.LabelY}}" text-anchor="end" fill="#1b1b1b" font-size="13">{{.Label}}</text>` +
		`{{range .Bars}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="16" fill="{{.Fill}}"/><text x="{{.TextX}}" y="{{.TextY}}" fill="#1b1b1b" font-size="12">{{.Text}}</text>{{end}}{{end}}` +
		`</svg>`))

// render draws bars as a horizontal bar chart; series names the series
// when there are two.
func render(id, title string, bars []bar, series []string, lang string) Chart {
	d := svgData{ID: "chart-" + id, Title: title, Width: chartWidth, LabelX: labelWidth - 8}
	if len(bars) == 0 {
		d.Empty, d.Desc, d.Height = tr("empty", lang), tr("empty", lang), 44
		return Chart{ID: id, Title: title, SVG: exec(d)}
	}
	max := 0.0
	for _, b := range bars {
		for _, v := range b.Values {
			if v > max {
				max = v
			}
		}
	}
	if max == 0 {
		max = 1
	}
	span := float64(chartWidth - labelWidth - valueSpace)
	y := 4
	if len(series) > 1 {
		for i, s := range series {
			x := labelWidth + i*180
			d.Legend = append(d.Legend, svgLegend{X: x, Y: y, TextX: x + 18, TextY: y + 11, Fill: colours[i%len(colours)], Text: s})
		}
		y += legendRow
	}
	var desc bytes.Buffer
	for i, b := range bars {
		if i > 0 {
			desc.WriteString("; ")
		}
		desc.WriteString(b.Label + ": ")
		row := svgRow{Label: b.Label}
		groupH := len(b.Values)*(barHeight+barGap) - barGap
		row.LabelY = y + groupH/2 + 5
		for j, v := range b.Values {
			w := int(v / max * span)
			if v > 0 && w < 1 {
				w = 1
			}
			row.Bars = append(row.Bars, svgBar{X: labelWidth, Y: y, W: w, TextX: labelWidth + w + 6, TextY: y + 12,
				Fill: colours[j%len(colours)], Text: b.Texts[j]})
			if j > 0 {
				desc.WriteString(", ")
			}
			if len(series) > j {
				desc.WriteString(series[j] + " ")
			}
			desc.WriteString(b.Texts[j])
			y += barHeight + barGap
		}
		y += groupGap - barGap
		d.Rows = append(d.Rows, row)
	}
	d.Desc, d.Height = desc.String(), y+4
	return Chart{ID: id, Title: title, SVG: exec(d)}
}

func exec(d svgData) template.HTML {
	var buf bytes.Buffer
	if err := svgTmpl.Execute(&buf, d); err != nil {
		return template.HTML("") // the template is fixed; only a bug gets here
	}
	return template.HTML(buf.String())
}
