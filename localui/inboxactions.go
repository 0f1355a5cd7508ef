package localui

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"clinicgw/agent/cases"
	"clinicgw/agent/groups"
	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/personnummer"
)

// The inbox's actions on more than one case at a time: the search by case
// id or patient, the assignment of the selected rows, and their move to a
// staff group's queue.
//
// A personnummer is typed into a POST body and never leaves it: the
// result is the answer to that POST (no redirect), its page links carry
// no number, and nothing logs it here; the case service writes the search
// to the access log (who, for which patient, each case found).

// searchResult is what a search found, for its result page.
type searchResult struct {
	Hits int
}

// maxSearchLen is the longest search text taken: a case id is 26
// characters, a personnummer 13.
const maxSearchLen = 64

// inboxSearch finds a case by its id (its page) or a patient's cases by
// personnummer (a list of them, the answer to this POST).
func (s *Server) inboxSearch(w http.ResponseWriter, r *http.Request) {
	actor := actorOf(sessionOf(r))
	if !actor.Has(cases.Distributor) {
		s.log.Warn("inbox search refused: not a distributor", "hsaId", actor.HSAID)
		s.fail(w, r, http.StatusForbidden, "err.forbidden")
		return
	}
	l := langOf(r)
	q := strings.TrimSpace(r.PostFormValue("q"))
	if len(q) > maxSearchLen {
		q = ""
	}
	if id, err := caseid.Parse(strings.ToLower(q)); err == nil {
		http.Redirect(w, r, "/cases/"+string(id), http.StatusSeeOther)
		return
	}
	now := s.clock.Now()
	pnr, err := personnummer.Parse(q, now)
	if err != nil {
		msg := l.T("search.invalid")
		var pe *personnummer.Error
		if errors.As(err, &pe) && strings.IndexFunc(q, func(c rune) bool { return c >= '0' && c <= '9' }) >= 0 {
			msg = pe.In(l.Code) // what is wrong with the number, and what to do
		}
		s.searchPage(w, r, http.StatusBadRequest, nil, msg)
		return
	}
	cs, err := s.cfg.Cases.SearchPatient(r.Context(), actor, pnr)
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	s.log.Info("inbox search by patient", "hsaId", actor.HSAID, "hits", len(cs))
	s.searchPage(w, r, http.StatusOK, cs, "")
}

// searchPage shows a search's cases (or why it could not search) in the
// inbox's list: no page links, no live refresh (its address would have
// to name the patient), the shared assign control and the selection.
func (s *Server) searchPage(w http.ResponseWriter, r *http.Request, status int, cs []*cases.Case, msg string) {
	now := s.clock.Now()
	d := listData{View: "search", Inbox: true, Search: &searchResult{Hits: len(cs)}}
	s.fillRows(&d, cs, now)
	if err := s.rowsHTML(d.Rows, langOf(r), true); err != nil {
		s.log.Error("render rows", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	p := page{Title: "title.search", Nav: "inbox", Data: d, Error: msg}
	s.render(w, r, status, "list", p)
}

// pick is one selected row of a bulk assignment: the case, the version the
// page showed, and the move its status asks for (assign a received case,
// move an assigned one; the case service decides whether it may).
type pick struct {
	id      cases.ID
	version uint64
	action  cases.Action
}

// parseSel reads a row's box value, "id version status"; ok false for
// anything else.
func parseSel(v string) (pick, bool) {
	f := strings.Fields(v)
	if len(f) != 3 {
		return pick{}, false
	}
	id, err := caseid.Parse(f[0])
	ver, verr := strconv.ParseUint(f[1], 10, 64)
	if err != nil || verr != nil || ver == 0 {
		return pick{}, false
	}
	action := cases.Reassign
	if cases.Status(f[2]) == cases.Received {
		action = cases.Assign
	}
	return pick{id, ver, action}, true
}

// bulkAssign gives every selected case (sel: "id version status", from
// the rows' checkboxes) to one clinician, each through the case service
// with its own rules and access-log entry. A case it cannot assign (closed
// or changed meanwhile) is named afterwards; the others are assigned.
func (s *Server) bulkAssign(w http.ResponseWriter, r *http.Request) {
	actor := actorOf(sessionOf(r))
	if !actor.Has(cases.Distributor) {
		s.log.Warn("bulk assign refused: not a distributor", "hsaId", actor.HSAID)
		s.fail(w, r, http.StatusForbidden, "err.forbidden")
		return
	}
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, "err.invalid")
		return
	}
	to, sel := r.PostFormValue("assignee"), r.PostForm["sel"]
	if len(sel) == 0 || to == "" {
		s.fail(w, r, http.StatusBadRequest, "bulk.none")
		return
	}
	picks, ok := s.picks(w, r, sel)
	if !ok {
		return
	}
	if m, ok := s.clinician(to); ok {
		hidden := make([][2]string, 0, len(sel))
		for _, v := range sel {
			hidden = append(hidden, [2]string{"sel", v})
		}
		if s.warnLeave(w, r, m, leaveData{Path: "/inbox/assign", Verb: "assign", Field: "assignee", Hidden: hidden, Back: "/inbox", Bulk: true}) {
			return
		}
	}
	s.doEach(w, r, actor, picks, "bulk", func(p pick) cases.Command {
		return cases.Command{Action: p.action, Assignee: to, Version: p.version}
	})
}

// bulkRoute moves every selected case (sel, as bulkAssign's) to a staff
// group's queue (group: its id) or back to the inbox (inboxChoice), each
// through the case service with its own rules and access-log entry; a case
// it cannot move is named afterwards, the others are moved.
func (s *Server) bulkRoute(w http.ResponseWriter, r *http.Request) {
	actor := actorOf(sessionOf(r))
	if !actor.Has(cases.Distributor) || s.cfg.Groups == nil {
		s.log.Warn("bulk move refused: not a distributor", "hsaId", actor.HSAID)
		s.fail(w, r, http.StatusForbidden, "err.forbidden")
		return
	}
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, "err.invalid")
		return
	}
	group, sel := r.PostFormValue("group"), r.PostForm["sel"]
	if len(sel) == 0 || group == "" {
		s.fail(w, r, http.StatusBadRequest, "bulk.noneRouted")
		return
	}
	if group == inboxChoice {
		group = ""
	} else if !slices.ContainsFunc(s.cfg.Groups.List(), func(g groups.Group) bool { return g.ID == group }) {
		s.fail(w, r, http.StatusBadRequest, "bulk.noGroup")
		return
	}
	picks, ok := s.picks(w, r, sel)
	if !ok {
		return
	}
	s.doEach(w, r, actor, picks, "bulkrouted", func(p pick) cases.Command {
		return cases.Command{Action: cases.Route, Group: group, Version: p.version}
	})
}

// picks reads the selected rows (sel: "id version status", from the
// rows' checkboxes), at most cases.MaxListLimit; false when it answered
// a refusal.
func (s *Server) picks(w http.ResponseWriter, r *http.Request, sel []string) ([]pick, bool) {
	if len(sel) > cases.MaxListLimit {
		s.fail(w, r, http.StatusBadRequest, "err.invalid")
		return nil, false
	}
	picks := make([]pick, 0, len(sel))
	for _, v := range sel {
		p, ok := parseSel(v)
		if !ok {
			s.fail(w, r, http.StatusBadRequest, "err.invalid")
			return nil, false
		}
		picks = append(picks, p)
	}
	return picks, true
}

// doEach runs cmd(p) for each pick through the case service, each with
// its own rules and access-log entry, and sends the browser to the inbox
// with the note ok (counts.go's bulkFlash): how many were done, and the
// cases it could not change (closed or changed meanwhile) by id.
func (s *Server) doEach(w http.ResponseWriter, r *http.Request, actor cases.Actor, picks []pick, ok string, cmd func(pick) cases.Command) {
	done := 0
	var failed []string
	for _, p := range picks {
		if _, err := s.cfg.Cases.Do(r.Context(), actor, p.id, cmd(p)); err != nil {
			failed = append(failed, string(p.id))
			if !errorsIsConflict(err) && !errors.Is(err, cases.ErrNotFound) {
				s.log.Warn("bulk action: a case was refused", "action", ok, "caseId", string(p.id), "err", err)
			}
			continue
		}
		done++
	}
	s.log.Info("bulk action", "action", ok, "hsaId", actor.HSAID, "done", done, "failed", len(failed))
	target := "/inbox?ok=" + ok + "&n=" + strconv.Itoa(done)
	if len(failed) > 0 {
		target += "&failed=" + strings.Join(failed, ",")
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}
