package localui

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/localui/report"
	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"
)

// statsData is what the statistics page shows.
type statsData struct {
	From, To string // the period as dates, To inclusive
	Stats    cases.Stats
	Charts   []report.Chart
}

// stats reads the period from the query — from and to are dates in
// Stockholm, to inclusive; the default is the last twelve weeks — and
// computes the statistics for it. On a bad date or a refusal it has
// answered and returns false.
func (s *Server) stats(w http.ResponseWriter, r *http.Request) (statsData, bool) {
	var d statsData
	loc := workday.Stockholm()
	y, m, dd := s.clock.Now().In(loc).Date()
	to := time.Date(y, m, dd+1, 0, 0, 0, 0, loc)
	from := to.AddDate(0, 0, -84)
	q := r.URL.Query()
	var err error
	if v := q.Get("from"); v != "" {
		from, err = time.ParseInLocation(time.DateOnly, v, loc)
	}
	if v := q.Get("to"); v != "" && err == nil {
		to, err = time.ParseInLocation(time.DateOnly, v, loc)
		to = to.AddDate(0, 0, 1)
	}
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, "stats.badDate")
		return d, false
	}
	d.From, d.To = from.Format(time.DateOnly), to.AddDate(0, 0, -1).Format(time.DateOnly)
	if d.Stats, err = s.cfg.Cases.Stats(r.Context(), actorOf(sessionOf(r)), from, to); err != nil {
		s.caseError(w, r, err)
		return d, false
	}
	return d, true
}

// statsPage shows the unit's statistics as charts.
func (s *Server) statsPage(w http.ResponseWriter, r *http.Request) {
	d, ok := s.stats(w, r)
	if !ok {
		return
	}
	d.Charts = append(report.ChartsOf(d.Stats, langOf(r).Code, langOf(r).svc), report.GroupCharts(d.Stats, langOf(r).Code, langOf(r).svc, s.groupNames())...)
	s.render(w, r, http.StatusOK, "stats", page{Title: "title.stats", Nav: "stats", Data: d})
}

// statsCSV downloads the same statistics as CSV.
func (s *Server) statsCSV(w http.ResponseWriter, r *http.Request) {
	d, ok := s.stats(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="statistik-%s-%s.csv"`, d.From, d.To))
	if err := report.WriteCSVGroups(w, d.Stats, langOf(r).Code, langOf(r).svc, s.groupNames()); err != nil {
		s.log.Warn("statistics download cut short", "err", err)
	}
}

// auditData is what the auditor's page shows.
type auditData struct {
	ChainChecked bool
	ChainOK      bool
	ChainMsg     string
	FullOK       bool   // the last whole check found the log intact
	FullMsg      string // the last whole check, or that none was made
	Kind         string // "patient" or "staff": what was searched
	Query        string
	Records      []audit.Record
	Names        map[string]string // HSA-ID → name, for the records' actors
	Searched     bool
	Pages        auditPages // the extract's paging (auditpages.go)
}

// auditPage shows the access-log search and the chain's state.
func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) {
	if !actorOf(sessionOf(r)).Has(cases.Auditor) {
		s.log.Warn("access log page refused", "hsaId", sessionOf(r).Staff.HSAID)
		s.fail(w, r, http.StatusForbidden, "err.forbidden")
		return
	}
	s.render(w, r, http.StatusOK, "audit", page{Title: "title.audit", Nav: "audit", Data: s.chainState(r)})
}

func (s *Server) chainState(r *http.Request) auditData {
	var d auditData
	if s.cfg.Audit == nil {
		return d
	}
	l := langOf(r)
	n, err := s.cfg.Audit(r.Context())
	d.ChainChecked, d.ChainOK = true, err == nil
	if err != nil {
		d.ChainMsg = l.T("audit.chainBad", err.Error())
	} else {
		d.ChainMsg = l.T("audit.chainOK", n)
	}
	if s.cfg.AuditFull != nil {
		c, ok, err := s.cfg.AuditFull(r.Context())
		switch {
		case err != nil:
			s.log.Warn("the access log's last whole check could not be read", "err", err)
		case !ok:
			d.FullMsg = l.T("audit.fullNone")
		case c.Broken != "":
			d.FullMsg = l.T("audit.fullBad", l.Time(c.At), c.Broken)
		default:
			d.FullOK, d.FullMsg = true, l.T("audit.fullOK", l.Time(c.At), c.Entries)
		}
	}
	return d
}

// auditSearch shows a page of a log extract, newest first: by patient
// (the personnummer travels in the POST body, never in a URL) or by member
// of staff. The paging controls post the query again with the cursors
// (auditpages.go).
func (s *Server) auditSearch(w http.ResponseWriter, r *http.Request) {
	actor := actorOf(sessionOf(r))
	d := s.chainState(r)
	d.Kind, d.Query, d.Searched = r.PostFormValue("kind"), r.PostFormValue("q"), true
	before, back, err := parseAuditCursors(r.PostFormValue("before"), r.PostFormValue("back"))
	var pg cases.AccessLogPage
	if err == nil {
		switch d.Kind {
		case "patient":
			pg, err = s.cfg.Cases.AccessLogPageByPatient(r.Context(), actor, personnummer.Personnummer(d.Query), before)
		case "staff":
			pg, err = s.cfg.Cases.AccessLogPageByActor(r.Context(), actor, d.Query, before)
		default:
			err = fmt.Errorf("search kind: %w", cases.ErrInvalidInput)
		}
	}
	if err != nil {
		if errors.Is(err, cases.ErrInvalidInput) {
			l := langOf(r)
			msg := l.T("err.invalid")
			var sv interface{ Swedish() string }
			if l.Code == "sv" && errors.As(err, &sv) {
				msg = sv.Swedish()
			}
			s.render(w, r, http.StatusBadRequest, "audit", page{Title: "title.audit", Nav: "audit", Data: d, Error: msg})
			return
		}
		s.caseError(w, r, err)
		return
	}
	d.Records = pg.Records
	d.Pages = newAuditPages(before, back, pg.Next, len(pg.Records))
	d.Names = map[string]string{}
	for _, rec := range d.Records {
		if _, ok := d.Names[rec.Entry.Actor]; !ok {
			d.Names[rec.Entry.Actor] = s.cfg.Directory.Name(rec.Entry.Actor)
		}
	}
	s.render(w, r, http.StatusOK, "audit", page{Title: "title.audit", Nav: "audit", Data: d})
}
