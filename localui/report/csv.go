package report

import (
	"encoding/csv"
	"io"
	"strconv"

	"clinicgw/agent/cases"
)

// WriteCSV writes s as CSV for a spreadsheet: UTF-8 with a byte-order mark
// and ';' between fields, which is what Excel with Swedish settings opens
// without an import dialogue; decimals with a point. One table: a section
// column says what each row counts (type, status, week, total).
func WriteCSV(w io.Writer, s cases.Stats, lang string) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	h := [2][]string{
		{"Avsnitt", "Namn", "Inkomna", "Besvarade", "Median timmar", "90:e percentil timmar"},
		{"Section", "Name", "Received", "Answered", "Median hours", "90th percentile hours"},
	}
	sec := map[string][2]string{"type": {"Ärendetyp", "Case type"}, "status": {"Status", "Status"},
		"week": {"Vecka", "Week"}, "total": {"Totalt", "Total"}, "unans": texts["unans"], "overdue": texts["overdue"]}
	name := func(k string) string { return pick(sec[k], lang, k) }
	head := h[0]
	if lang == "en" {
		head = h[1]
	}
	n := strconv.Itoa
	hrs := func(h cases.HandlingTime) (string, string) {
		if h.Count == 0 {
			return "", ""
		}
		return strconv.FormatFloat(h.Median.Hours(), 'f', 2, 64), strconv.FormatFloat(h.P90.Hours(), 'f', 2, 64)
	}
	rows := [][]string{head}
	for _, t := range cases.Types {
		ht := s.HandlingByType[t]
		m, p := hrs(ht)
		rows = append(rows, []string{name("type"), TypeName(t, lang), n(s.ByType[t]), n(ht.Count), m, p})
	}
	for _, st := range Statuses {
		rows = append(rows, []string{name("status"), StatusName(st, lang), n(s.ByStatus[st]), "", "", ""})
	}
	for _, wk := range s.Weeks {
		rows = append(rows, []string{name("week"), n(wk.Year) + "-W" + n(wk.Week), n(wk.Received), n(wk.Answered), "", ""})
	}
	m, p := hrs(s.Handling)
	rows = append(rows,
		[]string{name("total"), "", n(s.Received), n(s.Answered), m, p},
		[]string{name("unans"), "", n(s.Unanswered), "", "", ""},
		[]string{name("overdue"), "", n(s.Overdue), "", "", ""})
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	return cw.Error()
}
