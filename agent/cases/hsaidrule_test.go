package cases

import (
	"strings"
	"testing"

	"clinicgw/sync/wire/hsaid"
)

// TestAssigneeIsAnHSAID: the service takes as a staff member's HSA-ID only
// what is one (the same rule as the configuration, the directory, the
// certificates and the sync protocol), and refuses a title that carries
// one in any form.
func TestAssigneeIsAnHSAID(t *testing.T) {
	for _, id := range []string{"staff-1", "SE2321000016-", "SE2321000016-" + strings.Repeat("a", 19), "se2321000016-15ZM"} {
		if err := (Filter{Assignee: id}).check(); err == nil {
			t.Errorf("Filter{Assignee: %q} accepted", id)
		}
	}
	for _, id := range []string{"SE2321000016-15ZM", "SE162321000255-O10951"} {
		if err := (Filter{Assignee: id}).check(); err != nil {
			t.Errorf("Filter{Assignee: %q}: %v", id, err)
		}
	}
	for _, title := range []string{"SE162321000255-O10951", "Läkare SE2321000016-15ZM"} {
		if !hsaid.Contains(title) {
			t.Errorf("the title %q is not seen to carry an HSA-ID", title)
		}
	}
}
