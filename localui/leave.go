package localui

import (
	"net/http"

	"clinicgw/agent/cases"
)

// Leave: a case given to a clinician on leave at that moment waits until
// they are back, so the UI warns before it happens. Assign, reassign and
// "move all" to someone on leave answer with a warning instead of acting
// (the case is unchanged): who is away and until when, a one-click choice
// of each clinician who is not, and "assign anyway" (the same request with
// confirmLeave=1). The lists mark rows whose holder is on leave, and the
// case page offers one click to move such a case to someone available.
//
// This is a warning, not a rule: the case service lets a case be given to
// anyone with the clinician role, as before.

// confirmLeave is the form field that says "give it to them anyway".
const confirmLeave = "confirmLeave"

// leaveData is what the warning shows.
type leaveData struct {
	Path   string      // where the choices post: the action's own path
	Verb   string      // "assign" or "reassign": the buttons' words
	Field  string      // the field that names the clinician: "assignee" or "to"
	Hidden [][2]string // the request's other fields, carried over
	Chosen Member      // the clinician on leave
	Others []Member    // clinicians not on leave, the chosen and the holder left out
	Back   string      // where "cancel" goes
	Moved  bool        // "move all": nothing was moved (else: the case was not assigned / moved)
	Bulk   bool        // the inbox's selected cases: none was assigned
}

// clinician is hsaID as one of the unit's clinicians now: cases are given
// only to them.
func (s *Server) clinician(hsaID string) (Member, bool) {
	for _, m := range s.cfg.Directory.Clinicians(s.clock.Now()) {
		if m.HSAID == hsaID {
			return m, true
		}
	}
	return Member{}, false
}

// available are the clinicians not on leave, but for those named in skip.
func available(all []Member, skip ...string) []Member {
	var out []Member
next:
	for _, m := range all {
		if m.OnLeave {
			continue
		}
		for _, id := range skip {
			if m.HSAID == id {
				continue next
			}
		}
		out = append(out, m)
	}
	return out
}

// warnLeave answers with the warning when m is on leave and the request
// did not confirm it; it reports whether it did.
func (s *Server) warnLeave(w http.ResponseWriter, r *http.Request, m Member, d leaveData) bool {
	if !m.OnLeave || r.PostFormValue(confirmLeave) == "1" {
		return false
	}
	d.Chosen = m
	// The holder is the form's current, or the inbox row button's (in its
	// formaction's query: the button sends one value, the version).
	d.Others = available(s.cfg.Directory.Clinicians(s.clock.Now()), m.HSAID, r.FormValue("current"), r.PostFormValue("from"))
	p := page{Title: "title.leave", Nav: "inbox", Data: struct{ Leave leaveData }{d}}
	s.log.Info("assignment to a clinician on leave held for confirmation", "hsaId", m.HSAID, "path", routeOf(r))
	if wantsJSON(r) { // a script: nothing done, and why
		l := langOf(r)
		writeJSON(w, http.StatusConflict, map[string]string{"message": m.Name + " " + l.T("leave.isAway") + " " + l.Date(m.LeaveUntil) + ".",
			"onLeave": m.HSAID})
		return true
	}
	if r.URL.Query().Get("part") == "leave" {
		w.Header().Set("X-Leave-Warning", "1")
		s.fragment(w, r, "leave", "leave", p)
		return true
	}
	s.render(w, r, http.StatusOK, "leave", p)
	return true
}

// caseLeave is the warning's data for an action on case c.
func caseLeave(r *http.Request, id cases.ID, action string) leaveData {
	d := leaveData{Path: "/cases/" + string(id) + "/" + action, Verb: action, Field: "assignee",
		Hidden: [][2]string{{"version", r.PostFormValue("version")}, {"from", r.PostFormValue("from")}},
		Back:   "/cases/" + string(id)}
	if r.PostFormValue("from") == "inbox" {
		d.Back = "/inbox"
	}
	return d
}
