package localui_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
)

// TestInboxBulkRoute (issue 19, item 4): the message administrator moves
// several selected cases to a staff group's queue in one action, each
// through the case service with its own access-log entry; a case that
// changed meanwhile is named and the others are moved; a group that does
// not exist moves nothing; a clinician may not.
func TestInboxBulkRoute(t *testing.T) {
	c := startClinic(t)
	c.setGroups()
	ctx := context.Background()
	svc := c.gw.Cases()
	var cs []*cases.Case
	for range 3 {
		c.clock.Advance(time.Second)
		cs = append(cs, c.receive(casetype.AdviceNurse, "Ont."))
	}
	dist := c.login(hsaDist)
	page := dist.mustGet(t, "/inbox")
	if !strings.Contains(page, `<select id="route-to" name="group">`) || !strings.Contains(page, ">Arbetsterapeuter</option>") {
		t.Fatal("the inbox offers no queue to move the selected cases to")
	}
	sel := map[string]string{}
	for _, m := range selValue.FindAllStringSubmatch(page, -1) {
		sel[m[1]] = m[2]
	}
	if len(sel) != 3 {
		t.Fatalf("%d rows to select, want 3", len(sel))
	}
	form := func(group string) url.Values {
		v := url.Values{"group": {group}}
		for _, cc := range cs {
			v.Add("sel", sel[string(cc.ID)])
		}
		return v
	}

	// A group that does not exist: nothing moves.
	if r, _ := dist.form("/inbox/route", form("finns-inte")); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("to a group that does not exist: %s, want 400", r.Status)
	}
	// A clinician may not.
	if r, _ := c.login(hsaClinA).form("/inbox/route", form(groupOT)); r.StatusCode != http.StatusForbidden {
		t.Fatalf("a clinician's bulk move: %s, want 403", r.Status)
	}
	for _, cc := range cs {
		if got, err := svc.Get(ctx, distActor, cc.ID); err != nil || got.Group != "" {
			t.Fatalf("refused moves changed case %s: %v %+v", cc.ID, err, got)
		}
	}

	// Meanwhile the second case is assigned by another distributor.
	if _, err := svc.Do(ctx, distActor, cs[1].ID, cases.Command{Action: cases.Assign, Assignee: hsaClinB}); err != nil {
		t.Fatal(err)
	}
	before := len(accessLog(t, c, hsaDist))
	r, _ := dist.form("/inbox/route", form(groupOT))
	want := "/inbox?ok=bulkrouted&n=2&failed=" + string(cs[1].ID)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != want {
		t.Fatalf("bulk move: %s to %q, want %q", r.Status, r.Header.Get("Location"), want)
	}
	for _, i := range []int{0, 2} {
		if got, err := svc.Get(ctx, distActor, cs[i].ID); err != nil || got.Group != groupOT {
			t.Errorf("case %d: %v %+v, want in the queue %s", i, err, got, groupOT)
		}
	}
	var moved []string
	all := accessLog(t, c, hsaDist) // newest first
	for _, rec := range all[:len(all)-before] {
		if rec.Entry.Action == string(cases.Route) && rec.Entry.Outcome == audit.Allowed {
			moved = append(moved, rec.Entry.CaseID)
		}
	}
	slices.Sort(moved)
	if wantIDs := []string{string(cs[0].ID), string(cs[2].ID)}; !slices.Equal(moved, wantIDs) {
		t.Errorf("route entries for %v, want one each for %v", moved, wantIDs)
	}
	after := dist.mustGet(t, want)
	if !strings.Contains(after, `<p class="flash" role="status">2 ärenden flyttades.</p>`) {
		t.Error("the result does not say how many were moved")
	}
	if !strings.Contains(after, `<a href="/cases/`+string(cs[1].ID)+`">`) {
		t.Error("the case that could not be moved is not named")
	}
}
