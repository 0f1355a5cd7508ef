package localui

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/bidi"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/workday"
)

// listLimit is how many cases a list page shows.
const listLimit = 200

// views are the inbox's ready-made filters, in menu order.
var views = []string{"open", "new", "unassigned", "overdue", "today", "waiting", "done"}

// listData is what the inbox and my-cases pages show.
type listData struct {
	View       string
	Views      []string
	Type       casetype.Type
	Types      []casetype.Type
	Assignee   string
	Clinicians []Member
	Rows       []row
	More       string // "showing the first N" when the list was cut
	Inbox      bool   // the distributor's inbox (else my cases)
	Query      string // the filter as a query string, for live refreshes
	// Quarantine, on the inbox, says how many cases could not be received
	// and whom to contact; "" when none (see quarantine.go).
	Quarantine string
}

// row is one case in a list.
type row struct {
	C            *cases.Case
	Overdue      bool
	AssigneeName string
	// Leave is the assignee as a clinician, with their leave now
	// (Leave.OnLeave, Leave.LeaveUntil); zero when not one.
	Leave Member
	IsNew bool
}

// filterOf reads the list filter from the query; unknown values fall back
// to the default view rather than failing.
func (s *Server) filterOf(r *http.Request, now time.Time) (cases.Filter, listData) {
	q := r.URL.Query()
	d := listData{View: q.Get("view"), Views: views, Types: casetype.All}
	if !slices.Contains(views, d.View) {
		d.View = "open"
	}
	f := cases.Filter{Limit: listLimit}
	switch d.View {
	case "open":
		f.Status = []cases.Status{cases.Received, cases.Assigned, cases.PartiallyAnswered, cases.WaitingForPatient}
	case "new", "unassigned":
		f.Status = []cases.Status{cases.Received}
	case "overdue":
		f.Overdue = true
	case "today":
		y, m, dd := now.In(workday.Stockholm()).Date()
		f.DueBy = time.Date(y, m, dd+1, 0, 0, 0, 0, workday.Stockholm())
	case "waiting":
		f.Status = []cases.Status{cases.WaitingForPatient}
	case "done":
		f.Status = []cases.Status{cases.Answered, cases.Closed, cases.Withdrawn}
	}
	if t := casetype.Type(q.Get("type")); casetype.Known(t) {
		f.Type, d.Type = t, t
	}
	if a := q.Get("assignee"); a != "" && len(a) <= 64 {
		f.Assignee, d.Assignee = a, a
	}
	query := url.Values{"view": {d.View}}
	if d.Type != "" {
		query.Set("type", string(d.Type))
	}
	if d.Assignee != "" {
		query.Set("assignee", d.Assignee)
	}
	d.Query = query.Encode()
	return f, d
}

// inbox is the distributor's view of the unit's cases.
func (s *Server) inbox(w http.ResponseWriter, r *http.Request) {
	s.list(w, r, true)
}

// mine is a clinician's own cases.
func (s *Server) mine(w http.ResponseWriter, r *http.Request) {
	s.list(w, r, false)
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, inbox bool) {
	sess := sessionOf(r)
	actor := actorOf(sess)
	now := s.clock.Now()
	f, d := s.filterOf(r, now)
	d.Inbox = inbox
	if inbox && !actor.Has(cases.Distributor) {
		s.log.Warn("inbox refused: not a distributor", "hsaId", actor.HSAID)
		s.fail(w, r, http.StatusForbidden, "err.forbidden")
		return
	}
	if !inbox && !actor.Has(cases.Clinician) {
		// Cases are assigned to clinicians only: anyone else's list
		// would be empty for ever.
		s.log.Warn("my cases refused: not a clinician", "hsaId", actor.HSAID)
		s.fail(w, r, http.StatusForbidden, "err.forbidden")
		return
	}
	if !inbox {
		f.Assignee = actor.HSAID
	}
	cs, err := s.cfg.Cases.List(r.Context(), actor, f)
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	d.Clinicians = s.cfg.Directory.Clinicians(now)
	names := map[string]string{}
	members := map[string]Member{}
	for _, m := range d.Clinicians {
		names[m.HSAID] = m.Name
		members[m.HSAID] = m
	}
	for _, c := range cs {
		if d.View == "new" && len(c.History) > 1 {
			continue // "new" is never assigned yet
		}
		rw := row{C: c, Overdue: c.Status.Open() && cases.IsOverdue(c.DueAt, now), IsNew: len(c.History) == 1}
		if c.Assignee != "" {
			rw.AssigneeName, rw.Leave = names[c.Assignee], members[c.Assignee]
			if rw.AssigneeName == "" {
				rw.AssigneeName = s.cfg.Directory.Name(c.Assignee)
			}
		}
		d.Rows = append(d.Rows, rw)
	}
	l := langOf(r)
	if inbox {
		d.Quarantine = s.quarantineNote(r, l)
	}
	if len(cs) == listLimit {
		d.More = l.T("inbox.more", listLimit)
	}
	p := page{Title: "title.mine", Nav: "mine", Live: "mine", Data: d}
	if inbox {
		p.Title, p.Nav, p.Live = "title.inbox", "inbox", "inbox"
	}
	if r.URL.Query().Get("part") == "rows" {
		s.fragment(w, r, "list", "rows", p)
		return
	}
	s.render(w, r, http.StatusOK, "list", p)
}

// fragment renders one named block of a page, for a live refresh.
func (s *Server) fragment(w http.ResponseWriter, r *http.Request, pageName, block string, p page) {
	p.L = langOf(r)
	var buf bytes.Buffer
	if err := s.pages[pageName].ExecuteTemplate(&buf, block, p); err != nil {
		s.log.Error("render fragment", "block", block, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(bidi.NeutraliseHTML(buf.Bytes())) // as render does
}

// moveAll moves every open case of one clinician to another, each through
// the case service (so each is checked and logged on its own).
func (s *Server) moveAll(w http.ResponseWriter, r *http.Request) {
	actor := actorOf(sessionOf(r))
	from, to := r.PostFormValue("from"), r.PostFormValue("to")
	if from == "" || to == "" || from == to {
		s.fail(w, r, http.StatusBadRequest, "err.invalid")
		return
	}
	if m, ok := s.clinician(to); ok && actor.Has(cases.Distributor) && s.warnLeave(w, r, m, leaveData{Path: "/inbox/move-all",
		Verb: "reassign", Field: "to", Hidden: [][2]string{{"from", from}}, Back: "/inbox", Moved: true}) {
		return
	}
	cs, err := s.cfg.Cases.List(r.Context(), actor, cases.Filter{Assignee: from, Limit: cases.MaxListLimit,
		Status: []cases.Status{cases.Assigned, cases.PartiallyAnswered, cases.WaitingForPatient}})
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	failed := 0
	for _, c := range cs {
		_, err := s.cfg.Cases.Do(r.Context(), actor, c.ID, cases.Command{Action: cases.Reassign, Assignee: to, Version: c.Version})
		switch {
		case errorsIsConflict(err):
			failed++
		case err != nil:
			s.caseError(w, r, err)
			return
		}
	}
	if failed > 0 {
		l := langOf(r)
		s.failMsg(w, r, http.StatusConflict, l.T("moveAll.partial", len(cs)-failed, failed))
		return
	}
	http.Redirect(w, r, "/inbox?ok=moved&n="+strconv.Itoa(len(cs)), http.StatusSeeOther)
}
