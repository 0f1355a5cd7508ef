package localui

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"clinicgw/agent/booking"
	"clinicgw/sync/i18n"
	"clinicgw/sync/wire/workday"
)

// The unit administrator's booking statistics (GET /admin/diary/stats,
// and the same as CSV at /admin/diary/stats.csv): for a period of months
// (of the times' starts, Swedish time), per time type and per clinician,
// the bookings made, how many the patients made online and that share,
// the cancellations, the no-shows and the arrivals, with the unit's
// online figure (the share of the coming times open online and how many
// weeks ahead, against the regions' 80 % / eight weeks). Counts only, no
// patient: the page writes no access-log entry. The numbers are the
// diary's aggregates (agent/booking stats.go), kept in the transaction
// of every change.

// diaryStatser is the diary's statistics (*booking.Diary).
type diaryStatser interface {
	Stats(ctx context.Context, from, to string) (map[booking.StatsKey]booking.Counts, error)
}

// statsRow is one line of the tables.
type statsRow struct {
	ID, Name string
	booking.Counts
}

// OnlinePct is the online share in whole percent.
func (r statsRow) OnlinePct() int { return int(r.OnlineShare()*100 + 0.5) }

// diaryStatsView is the page's data.
type diaryStatsView struct {
	From, To    string // months, "2026-11"
	Figure      booking.Figure
	SharePct    int
	AimPct      int
	AimWeeks    int
	ByType      []statsRow
	ByClinician []statsRow
	Total       statsRow
	Detail      []statsDetail // by month, type and clinician (the CSV)
	Tables      []statsTable  // by type, by clinician (the page)
}

// statsTable is one of the page's tables: its id, the keys of its
// caption and first column's head, its lines and total.
type statsTable struct {
	ID, Caption, Head string
	Rows              []statsRow
	Total             statsRow
}

// statsDetail is one aggregate.
type statsDetail struct {
	Month, Type, Clinician string
	booking.Counts
}

// diaryStats reads the period from the query (default: from two months
// back to two months on) and the statistics; false when it answered.
func (s *Server) diaryStats(w http.ResponseWriter, r *http.Request) (diaryStatsView, bool) {
	v := diaryStatsView{AimPct: int(booking.AimShare * 100), AimWeeks: booking.AimWeeks}
	st, ok := s.cfg.Diary.(diaryStatser)
	if !ok {
		s.fail(w, r, http.StatusNotFound, "err.pageNotFound")
		return v, false
	}
	now := s.clock.Now().In(workday.Stockholm())
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, workday.Stockholm())
	v.From, v.To = first.AddDate(0, -2, 0).Format("2006-01"), first.AddDate(0, 2, 0).Format("2006-01")
	q := r.URL.Query()
	for _, p := range []struct {
		name string
		into *string
	}{{"from", &v.From}, {"to", &v.To}} {
		if m := q.Get(p.name); m != "" {
			if _, err := time.Parse("2006-01", m); err != nil {
				s.fail(w, r, http.StatusBadRequest, "diarystats.badMonth")
				return v, false
			}
			*p.into = m
		}
	}
	if v.To < v.From {
		s.fail(w, r, http.StatusBadRequest, "diarystats.badPeriod")
		return v, false
	}
	ctx := r.Context()
	sums, err := st.Stats(ctx, v.From, v.To)
	var types map[string]booking.TimeType
	if err == nil {
		types, err = s.cfg.Diary.Types(ctx)
	}
	if err == nil {
		v.Figure, err = s.cfg.Diary.OnlineFigure(ctx)
	}
	if err != nil {
		s.log.Error("booking statistics failed", "err", err)
		s.fail(w, r, http.StatusInternalServerError, "err.generic")
		return v, false
	}
	v.SharePct = int(v.Figure.Share*100 + 0.5)
	typeName := func(id string) string {
		if t, ok := types[id]; ok && t.StaffName != "" {
			return t.StaffName
		}
		return id
	}
	byType, byClin := map[string]booking.Counts{}, map[string]booking.Counts{}
	for k, c := range sums {
		byType[k.TypeID] = byType[k.TypeID].Add(c)
		byClin[k.Clinician] = byClin[k.Clinician].Add(c)
		v.Total.Counts = v.Total.Counts.Add(c)
		v.Detail = append(v.Detail, statsDetail{k.Month, typeName(k.TypeID), s.memberName(k.Clinician), c})
	}
	rows := func(m map[string]booking.Counts, name func(string) string) []statsRow {
		var out []statsRow
		for id, c := range m {
			out = append(out, statsRow{id, name(id), c})
		}
		slices.SortFunc(out, func(a, b statsRow) int { return strings.Compare(a.Name+"\x00"+a.ID, b.Name+"\x00"+b.ID) })
		return out
	}
	v.ByType, v.ByClinician = rows(byType, typeName), rows(byClin, s.memberName)
	v.Tables = []statsTable{{"by-type", "diarystats.byType", "diarystats.type", v.ByType, v.Total},
		{"by-clinician", "diarystats.byClinician", "diarystats.clinician", v.ByClinician, v.Total}}
	slices.SortFunc(v.Detail, func(a, b statsDetail) int {
		return strings.Compare(a.Month+"\x00"+a.Type+"\x00"+a.Clinician, b.Month+"\x00"+b.Type+"\x00"+b.Clinician)
	})
	return v, true
}

// diaryStatsPage shows the statistics.
func (s *Server) diaryStatsPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.diaryStats(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "diarystats", page{Title: "title.diaryStats", Nav: "diarystats", Data: v})
}

// diaryStatsCSV downloads them: semicolons and a byte-order mark, as the
// case statistics, so that a spreadsheet in Swedish opens it as it is.
func (s *Server) diaryStatsCSV(w http.ResponseWriter, r *http.Request) {
	v, ok := s.diaryStats(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="bokningar-%s-%s.csv"`, v.From, v.To))
	if err := writeDiaryStatsCSV(w, v, langOf(r).Code); err != nil {
		s.log.Warn("booking statistics download cut short", "err", err)
	}
}

// writeDiaryStatsCSV writes v: a line per time type, per clinician, the
// total, and per month, type and clinician.
func writeDiaryStatsCSV(w io.Writer, v diaryStatsView, lang string) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	t := func(k string) string { return i18n.T(lang, k) }
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	n := strconv.Itoa
	line := func(part, name string, c booking.Counts) []string {
		return []string{part, csvCell(name), n(c.Bookings), n(c.Online), n(statsRow{Counts: c}.OnlinePct()), n(c.Canceled), n(c.NoShow), n(c.Arrived)}
	}
	rows := [][]string{{t("diarystats.part"), t("diarystats.name"), t("diarystats.bookings"), t("diarystats.online"),
		t("diarystats.onlinePct"), t("diarystats.canceled"), t("diarystats.noshow"), t("diarystats.arrived")}}
	for _, r := range v.ByType {
		rows = append(rows, line(t("diarystats.type"), r.Name, r.Counts))
	}
	for _, r := range v.ByClinician {
		rows = append(rows, line(t("diarystats.clinician"), r.Name, r.Counts))
	}
	rows = append(rows, line(t("diarystats.total"), v.From+" – "+v.To, v.Total.Counts))
	for _, d := range v.Detail {
		rows = append(rows, line(t("diarystats.month"), d.Month+": "+d.Type+": "+d.Clinician, d.Counts))
	}
	rows = append(rows, []string{t("diarystats.figure"), t("diarystats.figureShare"), n(v.Figure.Times), n(v.Figure.Online), n(v.SharePct), "", "", ""},
		[]string{t("diarystats.figure"), t("diarystats.figureWeeks"), n(v.Figure.WeeksAhead), "", "", "", "", ""})
	return cw.WriteAll(rows)
}

// csvCell keeps a name a spreadsheet would read as a formula text.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
