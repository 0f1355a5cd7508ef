package report

import (
	"html/template"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Colours, all from the page's palette. Bars have at least 3:1 contrast
// against white and text at least 4.5:1; charts_test.go checks every fill
// in the output.
const (
	colorInk    = "#1b1b1b" // text
	colorMuted  = "#4a4a4a" // secondary text
	colorAxis   = "#595959" // the zero line
	colorBlue   = "#005ea5" // the first series
	colorOrange = "#b35300" // the second series
	colorLate   = "#a30000" // overdue cases
)

// Layout of the horizontal bar charts, in SVG user units (pixels at 100%).
const (
	chartWidth = 680
	labelWidth = 210 // the category labels' column, right-aligned before the bars
	barMax     = 320 // the longest bar
	padTop     = 10
	fontSize   = 12
	maxLabel   = 32 // runes of a category label; longer ones are cut with …
)

// svgDoc is one chart's drawing: geometry worked out in Go, written out
// (and escaped) by svgTemplate.
type svgDoc struct {
	ID          string // prefixes the ids inside, so that charts on one page do not clash
	Width       int
	Height      int
	Title, Desc string
	Rects       []svgRect
	Lines       []svgLine
	Texts       []svgText
}

type svgRect struct {
	X, Y, W, H  int
	Fill, Class string
}

type svgLine struct {
	X1, Y1, X2, Y2 int
	Stroke, Class  string
}

type svgText struct {
	X, Y   int
	Anchor string // start, middle or end
	Size   int
	Bold   bool
	Fill   string
	Class  string
	Text   string
}

// svgTemplate writes an svgDoc. html/template escapes every text and
// attribute value, so a hostile name stays text.
var svgTemplate = template.Must(template.New("svg").Parse(
	`<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" viewBox="0 0 {{.Width}} {{.Height}}" width="{{.Width}}" height="{{.Height}}"` +
		` role="img" aria-labelledby="{{.ID}}-title" aria-describedby="{{.ID}}-desc" font-family="sans-serif" font-size="` + itoa(fontSize) + `">
<title id="{{.ID}}-title">{{.Title}}</title>
<desc id="{{.ID}}-desc">{{.Desc}}</desc>
{{- range .Rects}}
<rect class="{{.Class}}" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="{{.Fill}}"/>
{{- end}}
{{- range .Lines}}
<line class="{{.Class}}" x1="{{.X1}}" y1="{{.Y1}}" x2="{{.X2}}" y2="{{.Y2}}" stroke="{{.Stroke}}" stroke-width="1"/>
{{- end}}
{{- range .Texts}}
<text class="{{.Class}}" x="{{.X}}" y="{{.Y}}" text-anchor="{{.Anchor}}" font-size="{{.Size}}"{{if .Bold}} font-weight="bold"{{end}} fill="{{.Fill}}">{{.Text}}</text>
{{- end}}
</svg>`))

// render writes d as SVG.
func (d svgDoc) render() template.HTML {
	d.Title, d.Desc = clean(d.Title), clean(d.Desc)
	for i := range d.Texts {
		d.Texts[i].Text = clean(d.Texts[i].Text)
	}
	var b strings.Builder
	if err := svgTemplate.Execute(&b, d); err != nil {
		// Only a mistake in svgTemplate gets here; the tests render every chart.
		panic("report: render chart " + d.ID + ": " + err.Error())
	}
	return template.HTML(b.String()) // from html/template, so escaped
}

// clean makes s fit for XML text: invalid UTF-8 and control characters,
// which an unknown type's id might hold, become U+FFFD.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) {
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// cut shortens a label to maxLabel runes; the <desc> keeps it whole.
func cut(s string) string {
	if utf8.RuneCountInString(s) <= maxLabel {
		return s
	}
	return string([]rune(s)[:maxLabel-1]) + "…"
}

// series is one kind of value in a bar chart.
type series struct {
	name string // shown in the legend and before each value when there are several
	fill string
}

// group is one category of a bar chart: one bar per series.
type group struct {
	label  string
	values []float64
}

// barChart is a horizontal bar chart: a row per group, a bar per series
// with its value written after it.
type barChart struct {
	id, title string
	axis      string // the caption under the bars
	lead      string // the desc's first sentence, if any
	series    []series
	groups    []group
	format    func(float64) string // a value as written
	barH, gap int                  // a bar's height and the space between groups
}

// doc lays c out.
func (c barChart) doc() svgDoc {
	d := svgDoc{ID: c.id, Width: chartWidth, Title: c.title}
	multi := len(c.series) > 1
	valueText := func(i int, v float64) string {
		if multi {
			return c.series[i].name + " " + c.format(v)
		}
		return c.format(v)
	}

	y := padTop
	if multi { // a legend: a swatch and the name of each series
		x := labelWidth
		for _, s := range c.series {
			d.Rects = append(d.Rects, svgRect{X: x, Y: y, W: 12, H: 12, Fill: s.fill, Class: "legend-swatch"})
			d.Texts = append(d.Texts, svgText{X: x + 18, Y: y + 10, Anchor: "start", Size: fontSize, Fill: colorInk, Class: "legend", Text: s.name})
			x += 30 + 8*len([]rune(s.name))
		}
		y += 24
	}

	maxV := 0.0
	for _, g := range c.groups {
		for _, v := range g.values {
			maxV = math.Max(maxV, v)
		}
	}
	var desc []string
	if c.lead != "" {
		desc = append(desc, c.lead)
	}
	top := y
	for _, g := range c.groups {
		h := len(g.values) * c.barH
		d.Texts = append(d.Texts, svgText{X: labelWidth - 8, Y: y + h/2 + fontSize/3, Anchor: "end", Size: fontSize, Fill: colorInk, Class: "label", Text: cut(g.label)})
		parts := make([]string, len(g.values))
		for i, v := range g.values {
			w := 0
			if maxV > 0 {
				w = int(math.Round(v / maxV * barMax))
			}
			by := y + i*c.barH
			d.Rects = append(d.Rects, svgRect{X: labelWidth, Y: by + 1, W: w, H: c.barH - 2, Fill: c.series[i].fill, Class: "bar bar-" + itoa(i)})
			size := min(fontSize, c.barH-2)
			d.Texts = append(d.Texts, svgText{X: labelWidth + w + 5, Y: by + c.barH/2 + size/3 + 1, Anchor: "start", Size: size, Fill: colorInk, Class: "value", Text: valueText(i, v)})
			parts[i] = valueText(i, v)
		}
		desc = append(desc, g.label+": "+strings.Join(parts, ", "))
		y += h + c.gap
	}
	bottom := y - c.gap
	d.Lines = append(d.Lines, svgLine{X1: labelWidth, Y1: top, X2: labelWidth, Y2: bottom, Stroke: colorAxis, Class: "axis"})
	d.Texts = append(d.Texts, svgText{X: labelWidth + barMax/2, Y: bottom + 22, Anchor: "middle", Size: fontSize, Fill: colorMuted, Class: "axis-label", Text: c.axis})
	d.Height = bottom + 34
	d.Desc = strings.Join(desc, "; ") + "."
	return d
}

// emptyDoc is a chart with nothing to draw: it says so.
func emptyDoc(id, title, message string) svgDoc {
	return svgDoc{
		ID: id, Width: chartWidth, Height: 80, Title: title, Desc: message + ".",
		Texts: []svgText{{X: chartWidth / 2, Y: 45, Anchor: "middle", Size: 14, Fill: colorMuted, Class: "empty", Text: message}},
	}
}

// figure is a big number with what it counts under it.
type figure struct {
	value int
	label string
	note  string // a smaller line under the label
	fill  string
}

// figuresDoc shows a few big numbers side by side.
func figuresDoc(id, title string, figs []figure) svgDoc {
	d := svgDoc{ID: id, Width: chartWidth, Height: 120, Title: title}
	col := chartWidth / len(figs)
	var desc []string
	for i, f := range figs {
		x := col*i + col/2
		d.Texts = append(d.Texts,
			svgText{X: x, Y: 56, Anchor: "middle", Size: 44, Bold: true, Fill: f.fill, Class: "figure", Text: itoa(f.value)},
			svgText{X: x, Y: 84, Anchor: "middle", Size: 15, Fill: colorInk, Class: "figure-label", Text: f.label},
			svgText{X: x, Y: 104, Anchor: "middle", Size: fontSize, Fill: colorMuted, Class: "figure-note", Text: f.note},
		)
		desc = append(desc, f.label+": "+itoa(f.value)+" "+f.note)
	}
	d.Desc = strings.Join(desc, "; ") + "."
	return d
}
