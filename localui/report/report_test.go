package report

import (
	"bytes"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func sample() cases.Stats {
	return cases.Stats{
		Received: 12, Answered: 8, Unanswered: 4, Overdue: 1,
		ByType:   map[cases.Type]int{cases.RenewPrescription: 7, cases.ContactMe: 5},
		ByStatus: map[cases.Status]int{cases.Received: 3, cases.Assigned: 1, cases.Answered: 8},
		Handling: cases.HandlingTime{Count: 8, Median: 5 * time.Hour, P90: 30 * time.Hour},
		HandlingByType: map[cases.Type]cases.HandlingTime{
			cases.RenewPrescription: {Count: 5, Median: 3 * time.Hour, P90: 20 * time.Hour},
			cases.ContactMe:         {Count: 3, Median: 7 * time.Hour, P90: 30 * time.Hour},
		},
		Weeks: []cases.WeekCount{{Year: 2026, Week: 47, Received: 5, Answered: 3}, {Year: 2026, Week: 48, Received: 7, Answered: 5}},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update after checking):\n%s", name, got)
	}
}

// TestChartsGolden: both languages, byte for byte, every chart well-formed
// XML with role="img", a title and a description, no script, no inline
// style (the UI's CSP forbids both).
func TestChartsGolden(t *testing.T) {
	for _, lang := range []string{"sv", "en"} {
		for _, c := range Charts(sample(), lang) {
			svg := string(c.SVG)
			golden(t, c.ID+"."+lang+".svg", []byte(svg+"\n"))
			if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
				t.Errorf("%s %s: not XML: %v", c.ID, lang, err)
			}
			for _, must := range []string{`role="img"`, "<title id=", "<desc id="} {
				if !strings.Contains(svg, must) {
					t.Errorf("%s %s lacks %s", c.ID, lang, must)
				}
			}
			for _, never := range []string{"style=", "<style", "<script", "on" + "load"} {
				if strings.Contains(svg, never) {
					t.Errorf("%s %s holds %s", c.ID, lang, never)
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, sample(), "sv"); err != nil {
		t.Fatal(err)
	}
	golden(t, "stats.sv.csv", buf.Bytes())
}

func TestEmptyAndNames(t *testing.T) {
	for _, c := range Charts(cases.Stats{}, "sv") {
		if !strings.Contains(string(c.SVG), "Inga ärenden under perioden") {
			t.Errorf("empty %s: %s", c.ID, c.SVG)
		}
	}
	if TypeName(cases.RenewPrescription, "sv") != "Förnya recept" || TypeName(cases.RenewPrescription, "en") != "Renew a prescription" {
		t.Error("type names")
	}
	for _, ty := range cases.Types {
		if TypeName(ty, "sv") == string(ty) || TypeName(ty, "en") == string(ty) {
			t.Errorf("no name for %s", ty)
		}
	}
	for _, st := range Statuses {
		if StatusName(st, "sv") == string(st) {
			t.Errorf("no name for %s", st)
		}
	}
}

// TestEscaped: a hostile label cannot leave its text element.
func TestEscaped(t *testing.T) {
	c := render("x", `</title><script>alert(1)</script>`, []bar{{Label: `"><script>alert(2)</script>`, Values: []float64{1}, Texts: []string{"1"}}}, nil, "sv")
	if strings.Contains(string(c.SVG), "<script") {
		t.Fatalf("not escaped: %s", c.SVG)
	}
	if err := xml.Unmarshal([]byte(c.SVG), new(struct{})); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkCharts(b *testing.B) {
	s := sample()
	s.ByType, s.HandlingByType = map[cases.Type]int{}, map[cases.Type]cases.HandlingTime{}
	for _, ty := range cases.Types {
		s.ByType[ty] = 100
		s.HandlingByType[ty] = cases.HandlingTime{Count: 100, Median: time.Hour, P90: 9 * time.Hour}
	}
	s.Weeks = nil
	for w := 1; w <= 52; w++ {
		s.Weeks = append(s.Weeks, cases.WeekCount{Year: 2026, Week: w, Received: w, Answered: w})
	}
	for b.Loop() {
		Charts(s, "sv")
	}
}
