package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"strconv"
	"strings"

	"clinicgw/agent/cases"
)

// WriteCSV writes s to w as one table for a spreadsheet, with a header row
// in lang ("en" for English, anything else for Swedish). A first column
// says what each row counts: a case type, a status, an ISO week
// (2026-W07) or the totals; every row has the same columns, so that the
// table can be filtered and pivoted. Empty cells are counts that do not
// apply to the row and handling times with no answers to time. As in
// cases.Stats, Received counts the period's cases and Answered the
// period's first answers, whenever their cases arrived. Median and P90
// are read from a histogram (agent/cases/statshist.go), rounded down by
// less than a minute or, above 4 h 15 min, by less than 0.8 %; the
// header says they are rounded down.
//
// The format is chosen for Excel with Swedish settings, where most unit
// administrators will open it: fields are separated by ';', because
// Swedish Excel takes ',' as the decimal comma and would put each whole
// line in one column; the text is UTF-8 behind a byte-order mark, because
// without one Excel reads the file as Windows-1252 and garbles å, ä and ö.
// Decimals follow the language as in the charts: a comma in Swedish
// (5,25 hours), which Swedish Excel reads as a number (with a point it
// would see text, or a date), and a point in English, for scripts.
//
// The period is not in the file; the caller names the download after it.
func WriteCSV(w io.Writer, s cases.Stats, lang string) error {
	return WriteCSVOf(w, s, lang, Services{})
}

// WriteCSVOf is WriteCSV with the unit's services' order and names.
func WriteCSVOf(w io.Writer, s cases.Stats, lang string, svc Services) error {
	return writeCSV(w, s, lang, svc, nil)
}

// writeCSV is WriteCSVOf with more rows after the totals (groups.go).
func writeCSV(w io.Writer, s cases.Stats, lang string, svc Services, more func(*texts) [][]string) error {
	t := textsFor(lang).with(svc)
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return fmt.Errorf("write statistics: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.Comma = ';'

	n := strconv.Itoa
	rows := [][]string{{t.section, t.name, t.received, t.answered, t.unanswered, t.overdue, t.medianHours, t.p90Hours}}
	for _, ty := range ordered(t.types(), maps.Keys(s.ByType), maps.Keys(s.HandlingByType)) {
		h := s.HandlingByType[ty]
		m, p := csvHours(h, t.decimal)
		rows = append(rows, []string{t.caseType, cell(t.typeName(ty, t.lang)), n(s.ByType[ty]), n(h.Count), "", "", m, p})
	}
	for _, st := range ordered(Statuses, maps.Keys(s.ByStatus)) {
		rows = append(rows, []string{t.status, cell(StatusName(st, t.lang)), n(s.ByStatus[st]), "", "", "", "", ""})
	}
	for _, wk := range s.Weeks {
		rows = append(rows, []string{t.week, fmt.Sprintf("%d-W%02d", wk.Year, wk.Week), n(wk.Received), n(wk.Answered), "", "", "", ""})
	}
	m, p := csvHours(s.Handling, t.decimal)
	rows = append(rows, []string{t.total, t.allCases, n(s.Received), n(s.Answered), n(s.Unanswered), n(s.Overdue), m, p})
	if more != nil {
		rows = append(rows, more(t)...)
	}

	if err := cw.WriteAll(rows); err != nil { // WriteAll flushes
		return fmt.Errorf("write statistics: %w", err)
	}
	return nil
}

// csvHours is h's median and P90 in hours with two decimals and the
// decimal separator dec, or empty cells when nothing was answered.
func csvHours(h cases.HandlingTime, dec string) (median, p90 string) {
	if h.Count == 0 {
		return "", ""
	}
	f := func(v float64) string { return strings.Replace(strconv.FormatFloat(v, 'f', 2, 64), ".", dec, 1) }
	return f(h.Median.Hours()), f(h.P90.Hours())
}

// cell keeps a spreadsheet from reading a name as a formula: an unknown
// type's id is shown as it is, and one starting with = + - @ would run
// when the file is opened, so it gets a leading apostrophe.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
