package agent

import (
	"context"

	"clinicgw/agent/groups"
	"clinicgw/agent/store"
)

// openGroups reads the unit's staff groups from the store. A member
// counts in a group only while the staff directory in use gives them an
// active commission for the unit (without [login], no one can log in and
// no one counts).
func (a *Agent) openGroups(ctx context.Context, db *store.DB) (*groups.Set, error) {
	return groups.Open(ctx, groups.Config{
		Settings: uiSettings{db},
		Commissioned: func(hsaID string) bool {
			if a.login == nil {
				return false
			}
			w := a.login.directory()
			if w == nil {
				return false
			}
			_, err := w.Current().Access(hsaID, a.cfg.Unit.HSAID, a.opts.Clock.Now())
			return err == nil
		},
		Logger: a.log.With("part", "groups"),
	})
}

// Groups are the unit's staff groups; nil before Start.
func (a *Agent) Groups() *groups.Set { return a.groups }
