package localui

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/casetype"
)

// The inbox's counts: how many cases each view holds, per service (case
// type) and per group, beside the views' links. They come from the
// store's aggregates (cases.Service.InboxCounts), never from reading cases,
// and are refreshed live with the list (?part=counts, static/app.js).

// counts are the numbers the inbox shows beside its views.
type counts struct {
	Views    []viewCount
	Services []serviceCount
	// Groups are the cases waiting in each staff group's queue; empty
	// while none waits in any.
	Groups []groupCount
}

type viewCount struct {
	View string
	N    int
}

type serviceCount struct {
	Type casetype.Type
	N    int
}

type groupCount struct {
	Group string
	N     int
}

// countsOf reads the inbox's counts for actor.
func (s *Server) countsOf(r *http.Request, actor cases.Actor) (*counts, error) {
	ic, err := s.cfg.Cases.InboxCounts(r.Context(), actor)
	if err != nil {
		return nil, err
	}
	c := &counts{Views: []viewCount{{"open", ic.Open}, {"new", ic.New}, {"unassigned", ic.Unassigned},
		{"overdue", ic.Overdue}, {"today", ic.Today}}}
	for _, t := range casetype.All {
		if n := ic.ByType[t]; n > 0 {
			c.Services = append(c.Services, serviceCount{t, n})
		}
	}
	name := s.groupNames() // queue.go: a group by the name the unit gave it
	for g, n := range ic.ByGroup {
		label := name(cases.GroupID(g))
		if label == "" {
			label = g
		}
		c.Groups = append(c.Groups, groupCount{label, n})
	}
	slices.SortFunc(c.Groups, func(a, b groupCount) int { return strings.Compare(a.Group, b.Group) })
	return c, nil
}

// bulkFlash is the note after a bulk assignment (?ok=bulk&n=N&failed=ID,...)
// or a bulk move to a queue (?ok=bulkrouted&…):
// how many were assigned, in words that follow the number, and the cases
// that could not be; "" when the address asks for none.
func bulkFlash(r *http.Request, l lang) (string, []cases.ID) {
	q := r.URL.Query()
	key := "bulk.done"
	switch q.Get("ok") {
	case "bulk":
	case "bulkrouted": // a bulk move to a group's queue or the inbox
		key = "bulk.routed"
	default:
		return "", nil
	}
	n, err := strconv.Atoi(q.Get("n"))
	if err != nil || n < 0 || n > cases.MaxListLimit {
		return "", nil
	}
	var failed []cases.ID
	if f := q.Get("failed"); f != "" {
		for _, id := range strings.Split(f, ",") {
			if cid, err := caseid.Parse(id); err == nil && len(failed) < listLimit {
				failed = append(failed, cid)
			}
		}
	}
	return l.T(key, n), failed
}
