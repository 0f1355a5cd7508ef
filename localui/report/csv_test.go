package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"slices"
	"strings"
	"testing"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
)

func TestCSVGolden(t *testing.T) {
	for _, lang := range langs {
		var b bytes.Buffer
		if err := WriteCSV(&b, fixedStats(), lang); err != nil {
			t.Fatal(err)
		}
		golden(t, "stats."+lang+".csv", b.Bytes())
	}
}

// readCSV checks the byte-order mark and reads the rest as ';'-separated
// records of one width.
func readCSV(t *testing.T, s cases.Stats, lang string) [][]string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteCSV(&b, s, lang); err != nil {
		t.Fatal(err)
	}
	rest, ok := bytes.CutPrefix(b.Bytes(), []byte("\xEF\xBB\xBF"))
	if !ok {
		t.Fatalf("no UTF-8 byte-order mark: % x", b.Bytes()[:min(3, b.Len())])
	}
	r := csv.NewReader(bytes.NewReader(rest))
	r.Comma = ';'
	recs, err := r.ReadAll() // FieldsPerRecord 0: every row as wide as the header
	if err != nil {
		t.Fatalf("read back: %v\n%s", err, b.Bytes())
	}
	return recs
}

func TestCSVContent(t *testing.T) {
	recs := readCSV(t, fixedStats(), "sv")
	wantHead := []string{"Avsnitt", "Namn", "Mottagna", "Besvarade", "Obesvarade", "Försenade", "Median (timmar, avrundad nedåt)", "P90 (timmar, avrundad nedåt)"}
	if !slices.Equal(recs[0], wantHead) {
		t.Errorf("header %q, want %q", recs[0], wantHead)
	}
	if n := 1 + len(casetype.All) + len(Statuses) + 3 + 1; len(recs) != n {
		t.Errorf("%d rows, want %d", len(recs), n)
	}
	for _, want := range [][]string{
		{"Ärendetyp", "Boka tid", "6", "5", "", "", "2,00", "6,50"},
		{"Ärendetyp", "Byta fast läkare", "0", "0", "", "", "", ""},
		{"Ärendetyp", "Rådgivning sjuksköterska", "4", "3", "", "", "0,67", "3,00"},
		{"Status", "Väntar på patienten", "1", "", "", "", "", ""},
		{"Vecka", "2026-W06", "8", "6", "", "", "", ""},
		{"Totalt", "Alla ärenden", "21", "17", "4", "1", "5,25", "30,00"},
	} {
		if !slices.ContainsFunc(recs, func(r []string) bool { return slices.Equal(r, want) }) {
			t.Errorf("no row %q", want)
		}
	}
	if last := recs[len(recs)-1]; last[0] != "Totalt" {
		t.Errorf("last row %q, want the totals", last)
	}

	en := readCSV(t, fixedStats(), "en")
	if en[0][0] != "Section" || en[1][1] != "Book an appointment" || en[len(en)-1][0] != "Total" {
		t.Errorf("English CSV: header %q, first row %q, last row %q", en[0], en[1], en[len(en)-1])
	}
	if last := en[len(en)-1]; last[6] != "5.25" || last[7] != "30.00" {
		t.Errorf("English CSV: hours %q %q, want a decimal point", last[6], last[7])
	}
}

func TestCSVEmpty(t *testing.T) {
	recs := readCSV(t, cases.Stats{}, "sv")
	want := []string{"Totalt", "Alla ärenden", "0", "0", "0", "0", "", ""}
	if last := recs[len(recs)-1]; !slices.Equal(last, want) {
		t.Errorf("totals of nothing: %q, want %q", last, want)
	}
}

// TestCSVNoFormula: an unknown type whose id starts like a formula is
// written so that a spreadsheet shows it as text.
func TestCSVNoFormula(t *testing.T) {
	s := fixedStats()
	s.ByType[casetype.Type(`=HYPERLINK("http://x","y")`)] = 1
	s.ByStatus[cases.Status("@SUM(A1)")] = 1
	var b strings.Builder
	for _, r := range readCSV(t, s, "sv") {
		b.WriteString(r[1] + "\n")
	}
	for _, want := range []string{`'=HYPERLINK("http://x","y")`, "'@SUM(A1)"} {
		if !strings.Contains(b.String(), want+"\n") {
			t.Errorf("no name %q in\n%s", want, b.String())
		}
	}
}

type failWriter struct{}

var errDiskFull = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestCSVWriteError(t *testing.T) {
	if err := WriteCSV(failWriter{}, fixedStats(), "sv"); !errors.Is(err, errDiskFull) {
		t.Errorf("WriteCSV to a failing writer: %v, want %v", err, errDiskFull)
	}
}
