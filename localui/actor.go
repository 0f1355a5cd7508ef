package localui

import (
	"clinicgw/agent/cases"
	"clinicgw/cardauth"
)

// actorOf is the session's member of staff as the case service sees them:
// cardauth carries the directory's roles as codes, unread.
func actorOf(s cardauth.Session) cases.Actor {
	return cases.StaffActor(s.Staff.HSAID, s.Staff.Roles)
}
