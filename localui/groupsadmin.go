package localui

import (
	"errors"
	"net/http"
	"slices"

	"clinicgw/agent/cases"
	"clinicgw/agent/groups"
)

// The unit administrator's page of staff groups (GET, POST /admin/groups):
// each group's name and its members, chosen among the unit's clinicians in
// the staff directory; a new group; a group removed. Each form changes
// one group and saves the whole set (agent/groups checks it: a refused
// set changes nothing and the page says why, at the group).

// groupsView is the groups page's data.
type groupsView struct {
	Groups     []groupForm
	Clinicians []Member
	New        groupForm // the new-group form, as posted when refused
}

// groupForm is one group on the page, with the error of a refused save.
type groupForm struct {
	groups.Group
	Err string
	// Gone are members no longer among the unit's clinicians (no
	// commission, not in the directory): listed so they can be removed;
	// they count in no group.
	Gone []string
}

func (f groupForm) Has(hsaID string) bool { return slices.Contains(f.Members, hsaID) }

// groupsAdmin wraps a groups page handler: unit administrators only, 404
// when the gateway keeps no groups.
func (s *Server) groupsAdmin(h http.HandlerFunc) http.HandlerFunc {
	return s.staffOnly(func(w http.ResponseWriter, r *http.Request) {
		if !actorOf(sessionOf(r)).Has(cases.UnitAdmin) {
			s.fail(w, r, http.StatusForbidden, "err.forbidden")
			return
		}
		if s.cfg.Groups == nil {
			s.fail(w, r, http.StatusNotFound, "err.pageNotFound")
			return
		}
		h(w, r)
	})
}

// groupsView builds the page from gs: each group with the members no
// longer among the unit's clinicians marked.
func (s *Server) groupsView(gs []groups.Group) groupsView {
	cl := s.cfg.Directory.Clinicians(s.clock.Now())
	v := groupsView{Clinicians: cl}
	for _, g := range gs {
		f := groupForm{Group: g}
		for _, m := range g.Members {
			if !slices.ContainsFunc(cl, func(c Member) bool { return c.HSAID == m }) {
				f.Gone = append(f.Gone, m)
			}
		}
		v.Groups = append(v.Groups, f)
	}
	return v
}

func (s *Server) groupsPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "groups", page{Title: "title.groups", Nav: "groups", Data: s.groupsView(s.cfg.Groups.List())})
}

// saveGroups applies one form: op "save" (a group's name and members),
// "create" (a new group) or "delete".
func (s *Server) saveGroups(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, "err.invalid")
		return
	}
	gs := s.cfg.Groups.List()
	id := r.PostFormValue("id")
	at := slices.IndexFunc(gs, func(g groups.Group) bool { return g.ID == id })
	members := r.PostForm["member"]
	switch op := r.PostFormValue("op"); {
	case op == "create":
		taken := func(x string) bool { return slices.ContainsFunc(gs, func(g groups.Group) bool { return g.ID == x }) }
		gs = append(gs, groups.Group{ID: groups.NewID(r.PostFormValue("name"), taken), Name: r.PostFormValue("name"), Members: members})
	case at < 0:
		s.fail(w, r, http.StatusNotFound, "err.notFound") // removed meanwhile
		return
	case op == "save":
		gs[at].Name, gs[at].Members = r.PostFormValue("name"), members
	case op == "delete":
		gs = slices.Delete(gs, at, at+1)
	default:
		s.fail(w, r, http.StatusBadRequest, "err.invalid")
		return
	}
	err := s.cfg.Groups.Save(r.Context(), gs)
	var ge *groups.Error
	if errors.As(err, &ge) {
		v := s.groupsView(gs)
		msg := langOf(r).T(ge.Key)
		if ge.Index >= 0 && ge.Index < len(v.Groups) && r.PostFormValue("op") != "create" {
			v.Groups[ge.Index].Err = msg
		} else {
			// A new group refused: the page as it was, the form as posted.
			v = s.groupsView(s.cfg.Groups.List())
			v.New = groupForm{Group: groups.Group{Name: r.PostFormValue("name"), Members: members}, Err: msg}
		}
		s.render(w, r, http.StatusBadRequest, "groups", page{Title: "title.groups", Nav: "groups", Data: v, Error: msg})
		return
	}
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	s.log.Info("staff groups changed", "hsaId", sessionOf(r).Staff.HSAID)
	http.Redirect(w, r, "/admin/groups?ok=saved", http.StatusSeeOther)
}
