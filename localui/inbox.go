package localui

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/agent/groups"
	"clinicgw/sync/bidi"
	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/workday"
)

// listLimit is how many cases a list page shows.
const listLimit = 200

// views are the inbox's ready-made filters, in menu order.
var views = []string{"open", "new", "unassigned", "overdue", "today", "waiting", "done"}

// sorts are a list's orders: earliest due first (the open cases by due
// date, then those waiting for the patient), newest or oldest received
// first. The overdue and due-today views are by due date always; the done
// view has no due dates and is newest first by default. Due first is the
// default where the due-date index holds exactly the list (the inbox's
// open view of every type and clinician); a narrower list (new, one
// type, one clinician, my cases) is oldest first by default, read through
// its own index, and due first when asked for, which reads the unit's
// open cases in due order and keeps the list's: never the closed history.
var sorts = []string{"due", "newest", "oldest"}

// listData is what the inbox and my-cases pages show.
type listData struct {
	View       string
	Views      []string
	Sort       string   // one of Sorts
	Sorts      []string // the orders the view offers
	Type       casetype.Type
	Types      []casetype.Type
	Assignee   string
	Clinicians []Member
	// RouteGroups, on the inbox of a unit with staff groups, are the
	// queues the selected rows can be moved to.
	RouteGroups []groups.Group
	Rows        []row
	// Prev and Next are the addresses of the pages before and after this
	// one ("" when there is none): the filter and a case id, nothing else.
	Prev, Next string
	// Changed, in a live refresh of some rows (?part=rows&ids=...), are
	// the rows asked for that are in Rows.
	Changed []row
	// More says which page links the list has ("prev", "next", both or
	// none): a live refresh of some rows that finds it changed fetches the
	// whole list, links and all (static/app.js compares tbody[data-more]).
	More  string
	Inbox bool   // the distributor's inbox (else my cases)
	Query string // the filter and page as a query string, for live refreshes
	base  string // the filter alone, for the page links
	// Quarantine, on the inbox, says how many cases could not be received
	// and whom to contact; "" when none (see quarantine.go).
	Quarantine string
	// Counts, on the inbox, are the numbers beside its views (counts.go);
	// nil elsewhere.
	Counts *counts
	// Search, on a search's result page, says what was found; the page
	// has no links to other pages of it (inboxactions.go).
	Search *searchResult
	// Failed are the cases a bulk assignment could not assign (?failed=).
	Failed []cases.ID
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
	// HTML is the row rendered (rowsHTML), for the rows a page shows.
	HTML template.HTML
}

// filterOf reads the list filter from the query; unknown values fall back
// to the default view rather than failing.
func (s *Server) filterOf(r *http.Request, now time.Time, inbox bool) (cases.Filter, listData) {
	q := r.URL.Query()
	d := listData{View: q.Get("view"), Views: views, Types: langOf(r).Types()}
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
		f.Newest = true // the latest work is what is looked for
	}
	if t := casetype.Type(q.Get("type")); slices.Contains(d.Types, t) {
		f.Type, d.Type = t, t
	}
	if a := q.Get("assignee"); a != "" && len(a) <= 64 {
		f.Assignee, d.Assignee = a, a
	}
	d.Sort, d.Sorts = sortOf(d.View, q.Get("sort"), !inbox || f.Type != "" || f.Assignee != "")
	switch d.Sort {
	case "due":
		f.DueFirst = true
	case "newest":
		f.Newest = true
	case "oldest":
		f.Newest = false
	}
	query := url.Values{"view": {d.View}}
	if len(d.Sorts) > 1 {
		query.Set("sort", d.Sort) // the pages that follow keep the order
	}
	if d.Type != "" {
		query.Set("type", string(d.Type))
	}
	if d.Assignee != "" {
		query.Set("assignee", d.Assignee)
	}
	d.base = query.Encode()
	// A page is a case id to start after or before: one the service
	// refuses would be an error page, so a malformed one means the first.
	if id, err := caseid.Parse(q.Get("after")); err == nil {
		f.After = id
		query.Set("after", string(id))
	} else if id, err := caseid.Parse(q.Get("before")); err == nil {
		f.Before = id
		query.Set("before", string(id))
	}
	d.Query = query.Encode()
	return f, d
}

// sortOf is the order a view is shown in, of those it offers, from the
// query's sort (an unknown one is the view's default); narrowed says the
// list is narrower than its view (one type, one clinician, my cases).
func sortOf(view, asked string, narrowed bool) (string, []string) {
	switch view {
	case "overdue", "today":
		return "due", nil // by due date, the only order that means anything
	case "done":
		if asked != "oldest" {
			asked = "newest"
		}
		return asked, sorts[1:]
	}
	if !slices.Contains(sorts, asked) {
		asked = "due"
		if narrowed || view != "open" {
			asked = "oldest"
		}
	}
	return asked, sorts
}

// page cuts cs, read with one case more than a page (listLimit+1) to tell
// whether more follow, to one page, and sets the links to the pages
// before and after it.
func (d *listData) page(cs []*cases.Case, f cases.Filter, path string) []*cases.Case {
	more := len(cs) > listLimit
	switch {
	case f.Before != "": // read backwards: the extra case is the first
		if more {
			cs = cs[1:]
		}
	case more:
		cs = cs[:listLimit]
	}
	link := func(key string, id cases.ID) string {
		return path + "?" + d.base + "&" + key + "=" + url.QueryEscape(string(id))
	}
	switch {
	case len(cs) > 0:
		if f.Before != "" && more || f.After != "" {
			d.Prev = link("before", cs[0].ID)
		}
		if f.Before != "" || more {
			d.Next = link("after", cs[len(cs)-1].ID)
		}
	case f.After != "": // past the end: the way back
		d.Prev = link("before", f.After)
	case f.Before != "":
		d.Next = link("after", f.Before)
	}
	var links []string
	if d.Prev != "" {
		links = append(links, "prev")
	}
	if d.Next != "" {
		links = append(links, "next")
	}
	d.More = strings.Join(links, " ")
	return cs
}

// fillRows sets d's rows for cs, and the clinicians they can go to.
func (s *Server) fillRows(d *listData, cs []*cases.Case, now time.Time) {
	d.Clinicians = s.cfg.Directory.Clinicians(now)
	if d.Inbox && s.cfg.Groups != nil {
		d.RouteGroups = s.cfg.Groups.List()
	}
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
	f, d := s.filterOf(r, now, inbox)
	f.Limit = listLimit + 1 // one more tells whether a next page follows
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
	part := r.URL.Query().Get("part")
	if inbox && part == "counts" {
		// The counts alone, for a live refresh: no case is read.
		c, err := s.countsOf(r, actor)
		if err != nil {
			s.caseError(w, r, err)
			return
		}
		d.Counts = c
		s.fragment(w, r, "list", "counts", page{Title: "title.inbox", Data: d})
		return
	}
	cs, err := s.cfg.Cases.List(r.Context(), actor, f)
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	path := "/mine"
	if inbox {
		path = "/inbox"
	}
	cs = d.page(cs, f, path)
	s.fillRows(&d, cs, now)
	l := langOf(r)
	ids, delta := changedIDs(r)
	delta = delta && part == "rows"
	shown := d.Rows
	if delta {
		// A push named the cases that changed: only their rows go back,
		// with the list's order for the page to put them in.
		for _, rw := range d.Rows {
			if _, ok := ids[rw.C.ID]; ok {
				d.Changed = append(d.Changed, rw)
			}
		}
		shown = d.Changed
	}
	if err := s.rowsHTML(shown, l, inbox); err != nil {
		s.log.Error("render rows", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if inbox && part == "" {
		d.Quarantine = s.quarantineNote(r, l)
		if d.Counts, err = s.countsOf(r, actor); err != nil {
			s.caseError(w, r, err)
			return
		}
	}
	p := page{Title: "title.mine", Nav: "mine", Live: "mine", Data: d}
	if inbox {
		p.Title, p.Nav, p.Live = "title.inbox", "inbox", "inbox"
		p.Flash, d.Failed = bulkFlash(r, l)
		p.Data = d
	}
	switch {
	case delta:
		s.fragment(w, r, "list", "rowsdelta", p)
	case part == "rows":
		s.fragment(w, r, "list", "rows", p)
	default:
		s.render(w, r, http.StatusOK, "list", p)
	}
}

// maxChangedIDs is the most case ids a live refresh may name; a page
// with more to catch up on asks for all its rows.
const maxChangedIDs = 64

// changedIDs are the case ids a live refresh asks for (ids=A,B,...), and
// whether it asked for some rather than all rows.
func changedIDs(r *http.Request) (map[cases.ID]struct{}, bool) {
	q := r.URL.Query().Get("ids")
	if q == "" {
		return nil, false
	}
	parts := strings.Split(q, ",")
	if len(parts) > maxChangedIDs {
		return nil, false
	}
	ids := make(map[cases.ID]struct{}, len(parts))
	for _, id := range parts {
		ids[cases.ID(id)] = struct{}{}
	}
	return ids, true
}

// fragment renders one named block of a page, for a live refresh.
func (s *Server) fragment(w http.ResponseWriter, r *http.Request, pageName, block string, p page) {
	p.L = langOf(r)
	if p.Title != "" {
		p.Title = p.L.T(p.Title) // as render does: the list's caption names it
	}
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
