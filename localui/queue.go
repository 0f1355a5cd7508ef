package localui

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"clinicgw/agent/cases"
	"clinicgw/agent/groups"
	"clinicgw/localui/report"
)

// The staff groups' queues. A case routed to a group waits, unassigned,
// in the group's queue (GET /queue/{group}), which its members and the
// distributor see, live; a member takes one ("Ta ärendet", POST
// /cases/{id}/take) and it is theirs. The distributor moves a case to a
// group's queue or back to the inbox (POST /cases/{id}/route). Who may
// see a queue, take or move a case is the case service's to decide (it
// logs every read and refusal); these handlers only ask and show.

// Groups are the unit's staff groups as the UI uses them (agent/groups).
type Groups interface {
	// List returns the groups, by name.
	List() []groups.Group
	// Save replaces the groups; a *groups.Error says which is wrong.
	Save(ctx context.Context, gs []groups.Group) error
	// GroupsOf returns the ids of the groups hsaID counts in now.
	GroupsOf(hsaID string) []string
}

// queueData is what the queue page shows.
type queueData struct {
	Group   groups.Group   // the queue shown; zero on the list of queues
	Queues  []groups.Group // the queues the viewer may see
	Rows    []queueRow
	More    bool
	Next    string
	Trusted bool // the viewer is a distributor: the page offers no take
}

// queueRow is one case in a queue.
type queueRow struct {
	C       *cases.Case
	Overdue bool
}

// queuesFor returns the groups whose queues actor may see: every group
// for a distributor, their own for a clinician.
func (s *Server) queuesFor(actor cases.Actor) []groups.Group {
	if s.cfg.Groups == nil {
		return nil
	}
	all := s.cfg.Groups.List()
	if actor.Has(cases.Distributor) {
		return all
	}
	if !actor.Has(cases.Clinician) {
		return nil
	}
	mine := s.cfg.Groups.GroupsOf(actor.HSAID)
	return slices.DeleteFunc(all, func(g groups.Group) bool { return !slices.Contains(mine, g.ID) })
}

// queues lists a clinician's groups' queues; with one, it shows it. The
// distributor, who sees every case in the inbox (and each queue from a
// case's page), is sent there: the menu has no entry for them.
func (s *Server) queues(w http.ResponseWriter, r *http.Request) {
	actor := actorOf(sessionOf(r))
	if !actor.Has(cases.Distributor) && !actor.Has(cases.Clinician) {
		s.fail(w, r, http.StatusForbidden, "err.forbidden")
		return
	}
	if !actor.Has(cases.Clinician) {
		http.Redirect(w, r, "/inbox", http.StatusSeeOther)
		return
	}
	qs := s.queuesFor(actor)
	if len(qs) == 1 {
		http.Redirect(w, r, "/queue/"+qs[0].ID, http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "queue", page{Title: "title.queues", Nav: "queue", Data: queueData{Queues: qs}})
}

// queuePage shows one group's queue; ?part=rows is its live part. The
// case service refuses (403, a denied access-log entry) a viewer who is
// neither in the group nor a distributor.
func (s *Server) queuePage(w http.ResponseWriter, r *http.Request) {
	actor := actorOf(sessionOf(r))
	id := r.PathValue("group")
	var g groups.Group
	if s.cfg.Groups != nil {
		for _, x := range s.cfg.Groups.List() {
			if x.ID == id {
				g = x
			}
		}
	}
	if g.ID == "" {
		s.fail(w, r, http.StatusNotFound, "err.pageNotFound")
		return
	}
	after := cases.ID(r.URL.Query().Get("after"))
	const pageLen = 50
	cs, err := s.cfg.Cases.Queue(r.Context(), actor, g.ID, after, pageLen+1)
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	d := queueData{Group: g, Queues: s.queuesFor(actor), Trusted: actor.Has(cases.Distributor)}
	if len(cs) > pageLen {
		cs, d.More = cs[:pageLen], true
		d.Next = "/queue/" + g.ID + "?after=" + url.QueryEscape(string(cs[pageLen-1].ID))
	}
	now := s.clock.Now()
	for _, c := range cs {
		d.Rows = append(d.Rows, queueRow{C: c, Overdue: cases.IsOverdue(c.DueAt, now)})
	}
	p := page{Title: "title.queue", Nav: "queue", Live: "queue:" + g.ID, Data: d}
	if r.URL.Query().Get("part") == "rows" {
		s.fragment(w, r, "queue", "queuerows", p)
		return
	}
	s.render(w, r, http.StatusOK, "queue", p)
}

// takeCase: a member of the case's group takes it from the queue.
func (s *Server) takeCase(w http.ResponseWriter, r *http.Request) {
	actor := actorOf(sessionOf(r))
	version, _ := strconv.ParseUint(r.PostFormValue("version"), 10, 64)
	c, err := s.cfg.Cases.Do(r.Context(), actor, cases.ID(r.PathValue("id")), cases.Command{Action: cases.Take, Version: version})
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	http.Redirect(w, r, "/cases/"+string(c.ID)+"?ok=taken", http.StatusSeeOther)
}

// routeCase: the distributor moves a case to a group's queue, or with
// group "" to the inbox.
func (s *Server) routeCase(w http.ResponseWriter, r *http.Request) {
	actor := actorOf(sessionOf(r))
	version, _ := strconv.ParseUint(r.PostFormValue("version"), 10, 64)
	group := r.PostFormValue("group")
	if group == inboxChoice {
		group = ""
	}
	c, err := s.cfg.Cases.Do(r.Context(), actor, cases.ID(r.PathValue("id")), cases.Command{Action: cases.Route, Group: group, Version: version})
	if err != nil {
		s.caseError(w, r, err) // the service's words: no such group, already there
		return
	}
	back := "/cases/" + string(c.ID)
	if r.PostFormValue("from") == "inbox" {
		back = "/inbox"
	}
	http.Redirect(w, r, back+"?ok=routed", http.StatusSeeOther)
}

// inboxChoice is the route control's value for the message
// administrator's inbox (no group): a group id never equals it.
const inboxChoice = "-"

// routeData is the case page's control to move a case to a queue: the
// groups to choose from, and whether the viewer may take it.
type routeData struct {
	Route  bool // the viewer may move it (a distributor, an open case)
	Groups []groups.Group
	Take   bool   // the viewer may take it from its group's queue
	Group  string // the name of the case's queue; "" for the inbox
	// GroupID is the queue's group, linked for whom may see the queue.
	GroupID string
	Linked  bool
}

// routeFor is what the case page offers about queues for c.
func (s *Server) routeFor(actor cases.Actor, c *cases.Case) routeData {
	var d routeData
	if s.cfg.Groups == nil {
		return d
	}
	all := s.cfg.Groups.List()
	for _, g := range all {
		if g.ID == c.Group {
			d.Group, d.GroupID = g.Name, g.ID
			d.Linked = s.mayWatchQueue(actor, g.ID)
		}
	}
	switch c.Status {
	case cases.Received, cases.Assigned, cases.PartiallyAnswered, cases.WaitingForPatient:
		d.Route = actor.Has(cases.Distributor) && len(all) > 0
	}
	if d.Route {
		d.Groups = all
	}
	d.Take = c.Status == cases.Received && c.Assignee == "" && c.Group != "" && actor.Has(cases.Clinician) &&
		slices.Contains(s.cfg.Groups.GroupsOf(actor.HSAID), c.Group)
	return d
}

// mayWatchQueue reports whether actor may watch group's queue live: the
// distributor, or a clinician in the group. The page itself was shown
// through the case service, which logged it; the watch pushes only ids.
func (s *Server) mayWatchQueue(actor cases.Actor, group string) bool {
	if s.cfg.Groups == nil || !cases.ValidGroupID(group) {
		return false
	}
	if actor.Has(cases.Distributor) {
		return true
	}
	return actor.Has(cases.Clinician) && slices.Contains(s.cfg.Groups.GroupsOf(actor.HSAID), group)
}

// groupNames names the unit's groups for the statistics (a group removed
// since is shown by its id).
func (s *Server) groupNames() report.GroupNames {
	names := map[cases.GroupID]string{}
	if s.cfg.Groups != nil {
		for _, g := range s.cfg.Groups.List() {
			names[cases.GroupID(g.ID)] = g.Name
		}
	}
	return func(id cases.GroupID) string { return names[id] }
}
