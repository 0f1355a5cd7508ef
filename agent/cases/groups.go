package cases

import (
	"slices"

	"clinicgw/sync/wire/casetype"
)

// Staff groups and their queues. A unit defines groups of staff
// ("Sjuksköterskor", "Läkare", …; agent/groups keeps them); a case routed
// to a group (Case.Group) waits, unassigned, in the group's queue, where
// every clinician of the group sees it and one takes it (Take). The
// distributor sees and moves everything, also between queues (Route). A
// clinician sees their own cases and their groups' queues, nothing else
// (CanRead): the service asks its GroupSource who is in which group on
// every call, so a member removed from a group, or who lost their
// commission, stops seeing its queue at once.

// ByQueue is the index of the cases waiting in a group's queue: received,
// unassigned, with a group. Its value is the group's id.
const ByQueue Index = "queue"

// MaxGroupIDLen is the longest group id.
const MaxGroupIDLen = 40

// ValidGroupID reports whether id is a group id: 1 to 40 bytes of a–z,
// 0–9 and '-', starting with a letter ("sjukskoterskor"). An id is stored
// in clear in index keys, so it carries no name of a person.
func ValidGroupID(id string) bool {
	if id == "" || len(id) > MaxGroupIDLen || id[0] < 'a' || id[0] > 'z' {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// GroupSource says who is in which staff group (agent/groups).
type GroupSource interface {
	// GroupsOf returns the ids of the groups hsaID counts in now: listed
	// as a member and commissioned for the unit in the staff directory.
	GroupsOf(hsaID string) []string
	// GroupExists reports whether the unit has a group with this id.
	GroupExists(id string) bool
}

// RouteFunc returns the group whose queue a new case of the type goes
// to, or "" for the message administrator's inbox.
type RouteFunc func(typ casetype.Type) (group string)

// withGroups returns actor with the groups the service's GroupSource
// gives it now, replacing whatever the caller put there: membership is
// the service's to decide, not the caller's.
func (s *Service) withGroups(actor Actor) Actor {
	actor.Groups = nil
	if actor.Kind == Staff && s.groups != nil {
		actor.Groups = slices.Clone(s.groups.GroupsOf(actor.HSAID))
	}
	return actor
}

// routeOf is the group a new case of typ goes to: RouteFor's answer when
// the group exists, else the inbox ("").
func (s *Service) routeOf(typ casetype.Type) string {
	if s.routeFor == nil {
		return ""
	}
	g := s.routeFor(typ)
	if g == "" || s.groups == nil || !ValidGroupID(g) || !s.groups.GroupExists(g) {
		if g != "" {
			s.log.Warn("case routed to an unknown group goes to the inbox", "type", string(typ), "group", g)
		}
		return ""
	}
	return g
}

// groupExists reports whether the unit has group id.
func (s *Service) groupExists(id string) bool {
	return s.groups != nil && ValidGroupID(id) && s.groups.GroupExists(id)
}
