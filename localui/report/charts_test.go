package report

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/workday"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var langs = []string{"sv", "en"}

// fixedStats is the statistics the golden files show.
func fixedStats() cases.Stats {
	loc := workday.Stockholm()
	return cases.Stats{
		From:       time.Date(2026, 2, 2, 0, 0, 0, 0, loc),
		To:         time.Date(2026, 2, 23, 0, 0, 0, 0, loc),
		Now:        time.Date(2026, 2, 23, 8, 0, 0, 0, loc),
		Received:   21,
		Unanswered: 4,
		Overdue:    1,
		ByType: map[casetype.Type]int{
			casetype.BookAppointment:   6,
			casetype.RenewPrescription: 9,
			casetype.AdviceNurse:       4,
			casetype.ContactMe:         2,
		},
		ByStatus: map[cases.Status]int{
			cases.Received: 2, cases.Assigned: 1, cases.PartiallyAnswered: 1,
			cases.WaitingForPatient: 1, cases.Answered: 12, cases.Closed: 3, cases.Withdrawn: 1,
		},
		Answered: 17,
		Handling: cases.HandlingTime{Count: 17, Median: 5*time.Hour + 15*time.Minute, P90: 30 * time.Hour},
		HandlingByType: map[casetype.Type]cases.HandlingTime{
			casetype.BookAppointment:   {Count: 5, Median: 2 * time.Hour, P90: 6*time.Hour + 30*time.Minute},
			casetype.RenewPrescription: {Count: 9, Median: 7 * time.Hour, P90: 30 * time.Hour},
			casetype.AdviceNurse:       {Count: 3, Median: 40 * time.Minute, P90: 3 * time.Hour},
		},
		Weeks: []cases.WeekCount{
			{Year: 2026, Week: 6, Received: 8, Answered: 6},
			{Year: 2026, Week: 7, Received: 7, Answered: 7},
			{Year: 2026, Week: 8, Received: 6, Answered: 4},
		},
	}
}

// fullStats has every case type, every status and 52 weeks.
func fullStats() cases.Stats {
	s := cases.Stats{
		ByType:         make(map[casetype.Type]int),
		ByStatus:       make(map[cases.Status]int),
		HandlingByType: make(map[casetype.Type]cases.HandlingTime),
	}
	for i, ty := range casetype.All {
		s.ByType[ty] = 40 + 13*i
		s.HandlingByType[ty] = cases.HandlingTime{Count: 30 + 11*i, Median: time.Duration(i+1) * time.Hour, P90: time.Duration(3*i+5) * time.Hour}
		s.Received += s.ByType[ty]
		s.Answered += s.HandlingByType[ty].Count
	}
	for i, st := range Statuses {
		s.ByStatus[st] = 10 * (i + 1)
	}
	s.Handling = cases.HandlingTime{Count: s.Answered, Median: 6 * time.Hour, P90: 40 * time.Hour}
	s.Unanswered, s.Overdue = 60, 7
	for w := 1; w <= 52; w++ {
		s.Weeks = append(s.Weeks, cases.WeekCount{Year: 2025, Week: w, Received: 20 + w%9, Answered: 18 + w%7})
	}
	return s
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", filepath.FromSlash(name))
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file: %v (go test -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from its golden file; if the change is meant, check it and run go test -update\ngot:\n%s", name, got)
	}
}

func TestChartsGolden(t *testing.T) {
	wantIDs := []string{ChartByType, ChartByStatus, ChartHandling, ChartWeeks, ChartOpen}
	for _, lang := range langs {
		charts := Charts(fixedStats(), lang)
		var ids []string
		for _, c := range charts {
			ids = append(ids, c.ID)
			golden(t, lang+"/"+c.ID+".svg", []byte(string(c.SVG)+"\n"))
		}
		if !slices.Equal(ids, wantIDs) {
			t.Errorf("%s: chart ids %v, want %v", lang, ids, wantIDs)
		}
	}
}

// element is a parsed SVG element, enough to check what the tests need.
type element struct {
	Name     string
	Attr     map[string]string
	Text     string
	Children []*element
}

func (e *element) walk(f func(*element)) {
	f(e)
	for _, c := range e.Children {
		c.walk(f)
	}
}

// parseSVG parses svg strictly as XML.
func parseSVG(t *testing.T, svg string) *element {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	d.Strict = true
	var root *element
	var stack []*element
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			e := &element{Name: tok.Name.Local, Attr: make(map[string]string)}
			for _, a := range tok.Attr {
				e.Attr[a.Name.Local] = a.Value
			}
			if len(stack) == 0 {
				if root != nil {
					t.Fatalf("more than one root element:\n%s", svg)
				}
				root = e
			} else {
				p := stack[len(stack)-1]
				p.Children = append(p.Children, e)
			}
			stack = append(stack, e)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].Text += string(tok)
			}
		}
	}
	if root == nil {
		t.Fatalf("no element:\n%s", svg)
	}
	return root
}

// checkChart checks what every chart must be: well-formed, an accessible
// image labelled by a title and described by a desc, ids under the chart's
// prefix, no script, no inline style, colours with enough contrast, and a
// number written for every bar. It returns the parsed SVG. (A hostile name
// may put "style=" in a text; TestNoInlineStyleOrScript checks the raw
// output of ordinary statistics.)
func checkChart(t *testing.T, c Chart) *element {
	t.Helper()
	svg := string(c.SVG)
	for _, never := range []string{"<style", "<script"} {
		if strings.Contains(strings.ToLower(svg), never) {
			t.Errorf("%s holds %q", c.ID, never)
		}
	}
	root := parseSVG(t, svg)
	if root.Name != "svg" || root.Attr["role"] != "img" {
		t.Fatalf("%s: root is <%s role=%q>, want <svg role=\"img\">", c.ID, root.Name, root.Attr["role"])
	}
	ids := make(map[string]*element)
	bars, values := 0, 0
	root.walk(func(e *element) {
		if e.Name == "script" || e.Name == "style" || e.Name == "foreignObject" {
			t.Errorf("%s: <%s> element", c.ID, e.Name)
		}
		for name := range e.Attr {
			if name == "style" || name == "href" || strings.HasPrefix(strings.ToLower(name), "on") {
				t.Errorf("%s: <%s> has event handler %s", c.ID, e.Name, name)
			}
		}
		if id, ok := e.Attr["id"]; ok {
			if !strings.HasPrefix(id, c.ID+"-") {
				t.Errorf("%s: id %q lacks the chart's prefix", c.ID, id)
			}
			if ids[id] != nil {
				t.Errorf("%s: id %q twice", c.ID, id)
			}
			ids[id] = e
		}
		if fill, ok := e.Attr["fill"]; ok && e.Name != "svg" {
			need := 3.0 // graphics
			if e.Name == "text" {
				need = 4.5
			}
			if r := contrast(t, fill); r < need {
				t.Errorf("%s: <%s fill=%q> has contrast %.2f against white, want at least %.1f", c.ID, e.Name, fill, r, need)
			}
		}
		if e.Name == "rect" && strings.Contains(" "+e.Attr["class"]+" ", " bar ") {
			bars++
		}
		if e.Name == "text" && e.Attr["class"] == "value" {
			values++
		}
	})
	for attr, elem := range map[string]string{"aria-labelledby": "title", "aria-describedby": "desc"} {
		e := ids[root.Attr[attr]]
		if e == nil || e.Name != elem || strings.TrimSpace(e.Text) == "" {
			t.Errorf("%s: %s=%q does not point to a non-empty <%s>", c.ID, attr, root.Attr[attr], elem)
		}
	}
	if len(root.Children) == 0 || root.Children[0].Name != "title" || root.Children[0].Text != c.Title {
		t.Errorf("%s: the first child is not <title>%s</title>", c.ID, c.Title)
	}
	if bars != values {
		t.Errorf("%s: %d bars but %d numbers written", c.ID, bars, values)
	}
	return root
}

// contrast is the WCAG contrast ratio of the colour #rrggbb against white.
func contrast(t *testing.T, hex string) float64 {
	t.Helper()
	if len(hex) != 7 || hex[0] != '#' {
		t.Fatalf("colour %q is not #rrggbb", hex)
	}
	var lum float64
	for i, w := range []float64{0.2126, 0.7152, 0.0722} {
		v, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			t.Fatalf("colour %q: %v", hex, err)
		}
		c := float64(v) / 255
		if c <= 0.04045 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		lum += w * c
	}
	return 1.05 / (lum + 0.05)
}

func TestChartsAccessible(t *testing.T) {
	for name, s := range map[string]cases.Stats{
		"fixed": fixedStats(), "full": fullStats(), "zero": {},
		"answersOnly": {Answered: 2, Handling: cases.HandlingTime{Count: 2, Median: time.Hour, P90: time.Hour}},
	} {
		for _, lang := range langs {
			seen := make(map[string]bool)
			for _, c := range Charts(s, lang) {
				t.Run(name+"/"+lang+"/"+c.ID, func(t *testing.T) {
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
}

// TestNoInlineStyleOrScript: the CSP forbids inline style and script, so
// no output has either, not even as text.
func TestNoInlineStyleOrScript(t *testing.T) {
	for _, s := range []cases.Stats{fixedStats(), fullStats(), {}} {
		for _, lang := range langs {
			var out strings.Builder
			for _, c := range Charts(s, lang) {
				out.WriteString(c.Title + string(c.SVG))
			}
			if err := WriteCSV(&out, s, lang); err != nil {
				t.Fatal(err)
			}
			for _, never := range []string{"style=", "<style", "<script", "javascript:"} {
				if strings.Contains(strings.ToLower(out.String()), never) {
					t.Errorf("%s: output holds %q", lang, never)
				}
			}
		}
	}
}

// TestBarsShowNumbers: the numbers written beside the bars are the
// statistics' numbers, in the fixed order.
func TestBarsShowNumbers(t *testing.T) {
	s := fixedStats()
	charts := Charts(s, "sv")
	var want []string
	for _, ty := range casetype.All {
		want = append(want, strconv.Itoa(s.ByType[ty]))
	}
	if got := values(t, charts[0]); !slices.Equal(got, want) {
		t.Errorf("by type: numbers %q, want %q", got, want)
	}
	want = []string{"2", "1", "1", "1", "12", "3", "1"}
	if got := values(t, charts[1]); !slices.Equal(got, want) {
		t.Errorf("by status: numbers %q, want %q", got, want)
	}
	want = []string{"Median 5,3 h", "P90 30,0 h", "Median 2,0 h", "P90 6,5 h", "Median 7,0 h", "P90 30,0 h", "Median 0,7 h", "P90 3,0 h"}
	if got := values(t, charts[2]); !slices.Equal(got, want) {
		t.Errorf("handling: numbers %q, want %q", got, want)
	}
	want = []string{"Mottagna 8", "Besvarade 6", "Mottagna 7", "Besvarade 7", "Mottagna 6", "Besvarade 4"}
	if got := values(t, charts[3]); !slices.Equal(got, want) {
		t.Errorf("weeks: numbers %q, want %q", got, want)
	}
	var figs []string
	parseSVG(t, string(charts[4].SVG)).walk(func(e *element) {
		if e.Attr["class"] == "figure" {
			figs = append(figs, e.Text)
		}
	})
	if want := []string{"4", "1"}; !slices.Equal(figs, want) {
		t.Errorf("open: figures %q, want %q", figs, want)
	}
}

func values(t *testing.T, c Chart) []string {
	t.Helper()
	var vs []string
	parseSVG(t, string(c.SVG)).walk(func(e *element) {
		if e.Name == "text" && e.Attr["class"] == "value" {
			vs = append(vs, e.Text)
		}
	})
	return vs
}

func TestChartsEmpty(t *testing.T) {
	zero := cases.Stats{ByType: map[casetype.Type]int{casetype.ContactMe: 0}, Weeks: []cases.WeekCount{{Year: 2026, Week: 3}}}
	for _, s := range []cases.Stats{{}, zero} {
		for lang, msg := range map[string]string{"sv": "Inga ärenden under perioden", "en": "No cases in the period"} {
			for _, c := range Charts(s, lang) {
				root := checkChart(t, c)
				var shown bool
				root.walk(func(e *element) { shown = shown || e.Name == "text" && e.Text == msg })
				if !shown {
					t.Errorf("%s %s: empty chart does not say %q:\n%s", lang, c.ID, msg, c.SVG)
				}
			}
		}
	}

	// Cases but no answers yet: the handling chart says what is missing.
	s := cases.Stats{Received: 3, Unanswered: 3, ByType: map[casetype.Type]int{casetype.ContactMe: 3}, ByStatus: map[cases.Status]int{cases.Received: 3}}
	c := Charts(s, "sv")[2]
	if !strings.Contains(string(c.SVG), "Inga besvarade ärenden under perioden") {
		t.Errorf("handling with no answers:\n%s", c.SVG)
	}
	if strings.Contains(string(Charts(s, "sv")[0].SVG), "Inga ärenden") {
		t.Errorf("cases per type says there are none")
	}
}

func TestChartsLanguage(t *testing.T) {
	s := fixedStats()
	for _, tc := range []struct {
		lang       string
		want, not  []string
		sameAsLang string
	}{
		{lang: "sv", want: []string{"Ärenden per ärendetyp", "Förnya recept", "Väntar på patienten", "Timmar från", "Mottagna", "v. 7, 2026", "Försenade", "5,3 h"}, not: []string{"Renew a prescription", "Overdue", "5.3 h"}},
		{lang: "en", want: []string{"Cases by case type", "Renew a prescription", "Waiting for the patient", "Hours from", "Received", "Week 7, 2026", "Overdue", "5.3 h"}, not: []string{"Förnya", "Försenade", "5,3 h"}},
		{lang: "", sameAsLang: "sv"},
		{lang: "de", sameAsLang: "sv"},
	} {
		var all strings.Builder
		for _, c := range Charts(s, tc.lang) {
			all.WriteString(c.Title + "\n" + string(c.SVG))
		}
		if tc.sameAsLang != "" {
			var other strings.Builder
			for _, c := range Charts(s, tc.sameAsLang) {
				other.WriteString(c.Title + "\n" + string(c.SVG))
			}
			if all.String() != other.String() {
				t.Errorf("lang %q is not drawn as %q", tc.lang, tc.sameAsLang)
			}
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(all.String(), w) {
				t.Errorf("%s: no %q", tc.lang, w)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(all.String(), n) {
				t.Errorf("%s: holds %q", tc.lang, n)
			}
		}
	}
}

// hostile is a case type or status id that tries to leave its element.
const hostile = "</title></text><script>alert(1)</script><text x=\"1\" style=\"x\" onload='y'>&amp;\x01\xff"

// TestHostileNameEscaped: a name the charts do not know is shown as its id,
// as text: it can neither end an element nor start one.
func TestHostileNameEscaped(t *testing.T) {
	s := fixedStats()
	s.ByType[casetype.Type(hostile)] = 3
	s.ByStatus[cases.Status(hostile)] = 1
	s.HandlingByType[casetype.Type(hostile)] = cases.HandlingTime{Count: 1, Median: time.Hour, P90: time.Hour}
	for _, lang := range langs {
		for _, c := range Charts(s, lang) {
			if c.ID == ChartWeeks || c.ID == ChartOpen {
				continue
			}
			root := checkChart(t, c)
			var desc string
			root.walk(func(e *element) {
				if e.Name == "desc" {
					desc = e.Text
				}
				if e.Name == "script" {
					t.Errorf("%s: a <script> element got in", c.ID)
				}
			})
			if !strings.Contains(desc, "</title></text><script>alert(1)</script>") {
				t.Errorf("%s: the hostile name is not shown as text in <desc>: %q", c.ID, desc)
			}
		}
	}

	// A title is escaped the same way.
	d := emptyDoc("x", hostile, hostile)
	c := Chart{ID: "x", Title: clean(hostile), SVG: d.render()}
	checkChart(t, c)
}

// TestChartsDeterministic: map order does not change the output, and
// unknown keys come after the known ones, sorted.
func TestChartsDeterministic(t *testing.T) {
	s := fullStats()
	for _, k := range []string{"zz-new", "aa-new", "mm-new"} {
		s.ByType[casetype.Type(k)] = 1
		s.ByStatus[cases.Status(k)] = 1
	}
	first := Charts(s, "sv")
	for range 5 {
		if !slices.Equal(Charts(s, "sv"), first) {
			t.Fatal("two renderings of the same statistics differ")
		}
	}
	svg := string(first[0].SVG)
	last := strings.Index(svg, ">"+TypeName(casetype.All[len(casetype.All)-1], "sv")+"<")
	a, m, z := strings.Index(svg, ">aa-new<"), strings.Index(svg, ">mm-new<"), strings.Index(svg, ">zz-new<")
	if !(last >= 0 && last < a && a < m && m < z) {
		t.Errorf("unknown types not after the known ones in sorted order: %d %d %d %d", last, a, m, z)
	}
}

func TestNames(t *testing.T) {
	wantSV := map[casetype.Type]string{
		casetype.BookAppointment: "Boka tid", casetype.ChangeAppointment: "Ändra tid", casetype.CancelAppointment: "Avboka tid",
		casetype.RenewPrescription: "Förnya recept", casetype.RenewSickLeave: "Förlänga sjukskrivning",
		casetype.RecordExtract: "Begära journalkopia", casetype.AdviceNurse: "Rådgivning sjuksköterska",
		casetype.AdvicePsychologist: "Rådgivning psykolog", casetype.ChangeFamilyDoctor: "Byta fast läkare",
		casetype.SymptomRegistration: "Registrera symtom", casetype.ContactMe: "Kontakta mig",
	}
	for _, ty := range casetype.All {
		if got := TypeName(ty, "sv"); got != wantSV[ty] {
			t.Errorf("TypeName(%s, sv) = %q, want %q", ty, got, wantSV[ty])
		}
		if got := TypeName(ty, "en"); got == "" || got == string(ty) || got == wantSV[ty] {
			t.Errorf("TypeName(%s, en) = %q: no English name", ty, got)
		}
	}
	statusSV := map[cases.Status]string{
		cases.Received: "Ny", cases.Assigned: "Tilldelad", cases.PartiallyAnswered: "Delsvar skickat",
		cases.WaitingForPatient: "Väntar på patienten", cases.Answered: "Besvarad", cases.Closed: "Avslutad",
		cases.Withdrawn: "Återkallad",
	}
	if len(Statuses) != len(statusSV) {
		t.Errorf("Statuses has %d statuses, want %d", len(Statuses), len(statusSV))
	}
	for _, st := range Statuses {
		if got := StatusName(st, "sv"); got != statusSV[st] {
			t.Errorf("StatusName(%s, sv) = %q, want %q", st, got, statusSV[st])
		}
		if got := StatusName(st, "en"); got == "" || got == string(st) && st != cases.Answered {
			t.Errorf("StatusName(%s, en) = %q: no English name", st, got)
		}
	}
	if got := TypeName("unknown-type", "sv"); got != "unknown-type" {
		t.Errorf("unknown type shown as %q", got)
	}
	if got := StatusName(cases.Closed, ""); got != "Avslutad" {
		t.Errorf("StatusName with no language = %q, want Swedish", got)
	}
}

// FuzzChartsName: whatever id an unknown case type has, every chart stays
// well-formed and shows it only as text.
func FuzzChartsName(f *testing.F) {
	for _, s := range []string{hostile, "", "]]>", "<!--", "\x00", "ä\u2028ö", "-->&#0;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		s := fixedStats()
		s.ByType[casetype.Type(name)] = 5
		s.HandlingByType[casetype.Type(name)] = cases.HandlingTime{Count: 1, Median: time.Minute, P90: time.Hour}
		for _, c := range Charts(s, "en") {
			root := checkChart(t, c)
			root.walk(func(e *element) {
				if !slices.Contains([]string{"svg", "title", "desc", "rect", "line", "text"}, e.Name) {
					t.Errorf("%s: unexpected element <%s>", c.ID, e.Name)
				}
			})
		}
	})
}

func BenchmarkCharts(b *testing.B) {
	s := fullStats()
	for b.Loop() {
		Charts(s, "sv")
	}
}

func ExampleTypeName() {
	fmt.Println(TypeName(casetype.RenewSickLeave, "sv"))
	fmt.Println(StatusName(cases.WaitingForPatient, "en"))
	// Output:
	// Förlänga sjukskrivning
	// Waiting for the patient
}
