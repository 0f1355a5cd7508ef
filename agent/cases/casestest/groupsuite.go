package casestest

import (
	"clinicgw/sync/wire/caseid"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
)

// The suite's staff groups: occupational therapists (ot and clinA) and
// doctors (clinB). A symptom registration is routed to the therapists'
// queue, a change of family doctor to a group that does not exist (so to
// the inbox); every other type to the inbox.
const (
	hsaOT     = "SE2321000016-C003"
	groupOT   = "arbetsterapeuter"
	groupDocs = "lakare"
	typeOT    = casetype.SymptomRegistration
	typeGhost = casetype.ChangeFamilyDoctor
)

var ot = cases.Actor{Kind: cases.Staff, HSAID: hsaOT, Roles: []cases.Role{cases.Clinician}}

// suiteRoutes is the RouteFor the suite's service gets, as a map (the
// unit's service catalogue supplies it in the product).
var suiteRoutes = map[casetype.Type]string{typeOT: groupOT, typeGhost: "finns-inte"}

// groupSet is the suite's GroupSource: members per group, changeable.
type groupSet struct {
	mu      sync.Mutex
	members map[string][]string
}

func newGroupSet() *groupSet {
	return &groupSet{members: map[string][]string{groupOT: {hsaOT, hsaClinA}, groupDocs: {hsaClinB}}}
}

func (g *groupSet) GroupsOf(hsaID string) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for id, ms := range g.members {
		if slices.Contains(ms, hsaID) {
			out = append(out, id)
		}
	}
	return out
}

func (g *groupSet) GroupExists(id string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ok := g.members[id]
	return ok
}

func (g *groupSet) remove(group, hsaID string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.members[group] = slices.DeleteFunc(g.members[group], func(m string) bool { return m == hsaID })
}

// queue returns the ids in group's queue as a seen them, failing on error.
func (e *env) queue(a cases.Actor, group string) []cases.ID {
	e.t.Helper()
	return idsOf(need(e.svc.Queue(e.ctx, a, group, "", 0))(e.t))
}

// suiteGroupRouting: a case of a routed type arrives in its group's queue,
// one routed to a group that does not exist in the inbox; the change
// names the queue it touched.
func suiteGroupRouting(t *testing.T, e *env) {
	sub := e.sub()
	sub.Type = typeOT
	c := need(e.svc.Receive(e.ctx, sub))(t)
	if c.Group != groupOT || c.Status != cases.Received || c.Assignee != "" || c.History[0].Group != groupOT {
		t.Fatalf("routed case: group %q, status %s, assignee %q, history %+v", c.Group, c.Status, c.Assignee, c.History)
	}
	e.changedMu.Lock()
	last := e.changed[len(e.changed)-1]
	e.changedMu.Unlock()
	if !slices.Equal(last.Groups, []string{groupOT}) {
		t.Errorf("change %+v does not name the group's queue", last)
	}
	sub = e.sub()
	sub.Type = typeGhost
	if g := need(e.svc.Receive(e.ctx, sub))(t).Group; g != "" {
		t.Errorf("a case routed to a group that does not exist went to %q, want the inbox", g)
	}
	if !strings.Contains(e.logs.String(), "unknown group") {
		t.Error("no warning for a route to an unknown group")
	}
	if g := e.receive().Group; g != "" {
		t.Errorf("an unrouted type went to %q, want the inbox", g)
	}
	// The same from the central store (ApplyInbound): the new case's
	// change names its queue, and so does a later event on it (a
	// follow-up, a withdrawal), or the queue's open pages never learn of it.
	lastChange := func() cases.Change {
		e.changedMu.Lock()
		defer e.changedMu.Unlock()
		return e.changed[len(e.changed)-1]
	}
	sub = e.sub()
	sub.Type = typeOT
	sub.ID = need(caseid.New(e.clock.Now(), rnd(e)))(t)
	need(e.svc.ApplyInbound(e.ctx, []cases.Inbound{{Kind: cases.InboundCreated, EventID: "ev-route-1", CaseID: sub.ID, At: sub.SubmittedAt, Submission: &sub}}, 1))(t)
	if ch := lastChange(); !slices.Equal(ch.IDs, []cases.ID{sub.ID}) || !slices.Equal(ch.Groups, []string{groupOT}) {
		t.Errorf("an inbound case of a routed type: change %+v, want its queue %s", ch, groupOT)
	}
	need(e.svc.ApplyInbound(e.ctx, []cases.Inbound{{Kind: cases.InboundFollowUp, EventID: "ev-route-2", CaseID: sub.ID, At: e.clock.Now(),
		MessageID: "fu-route-1", Text: "Tillägg."}}, 2))(t)
	if ch := lastChange(); !slices.Equal(ch.Groups, []string{groupOT}) {
		t.Errorf("a follow-up on a queued case: change %+v, want its queue %s", ch, groupOT)
	}
	need(e.svc.ApplyInbound(e.ctx, []cases.Inbound{{Kind: cases.InboundWithdrawn, EventID: "ev-route-3", CaseID: sub.ID, At: e.clock.Now()}}, 3))(t)
	if ch := lastChange(); !slices.Equal(ch.Groups, []string{groupOT}) {
		t.Errorf("a withdrawal of a queued case: change %+v, want its queue %s", ch, groupOT)
	}
}

// suiteGroupQueueAccess: the queue is for its members and the
// distributor; anyone else is refused, with a denied access-log entry,
// whatever groups the caller claims.
func suiteGroupQueueAccess(t *testing.T, e *env) {
	sub := e.sub()
	sub.Type = typeOT
	c := need(e.svc.Receive(e.ctx, sub))(t)
	e.receive() // in the inbox: in no queue
	for _, a := range []cases.Actor{ot, clinA, dist} {
		e.oneAudit(audit.Entry{Actor: a.Name(), Action: "list", Outcome: audit.Allowed}, func() {
			if got := e.queue(a, groupOT); !slices.Equal(got, []cases.ID{c.ID}) {
				t.Errorf("%s sees the queue %v, want %v", a.HSAID, got, []cases.ID{c.ID})
			}
		})
		e.oneAudit(caseEntry(a, cases.Read, c, audit.Allowed), func() { need(e.svc.Get(e.ctx, a, c.ID))(t) })
	}
	claims := clinB
	claims.Groups = []string{groupOT} // the service decides membership, not the caller
	for _, a := range []cases.Actor{clinB, claims, admin, auditor} {
		e.oneAudit(audit.Entry{Actor: a.Name(), Action: "list", Outcome: audit.Denied}, func() {
			_, err := e.svc.Queue(e.ctx, a, groupOT, "", 0)
			wantErr(t, err, cases.ErrNotAllowed)
		})
		e.oneAudit(caseEntry(a, cases.Read, c, audit.Denied), func() {
			_, err := e.svc.Get(e.ctx, a, c.ID)
			wantErr(t, err, cases.ErrNotAllowed)
		})
		e.oneAudit(caseEntry(a, cases.Take, c, audit.Denied), func() {
			_, err := e.svc.Do(e.ctx, a, c.ID, cases.Command{Action: cases.Take})
			wantErr(t, err, cases.ErrNotAllowed)
		})
	}
	if got := e.queue(clinB, groupDocs); len(got) != 0 {
		t.Errorf("the doctors' queue shows %v", got)
	}
	// A member who leaves the group no longer sees its queue.
	groups := e.groups
	groups.remove(groupOT, hsaOT)
	_, err := e.svc.Queue(e.ctx, ot, groupOT, "", 0)
	wantErr(t, err, cases.ErrNotAllowed)
	_, err = e.svc.Get(e.ctx, ot, c.ID)
	wantErr(t, err, cases.ErrNotAllowed)
}

// suiteGroupTake: a member takes the case; it leaves the queue, the other
// members no longer see it, the take is in the access log and travels to
// the central store as the assignment's status change. Handed back it
// returns to the queue.
func suiteGroupTake(t *testing.T, e *env) {
	sub := e.sub()
	sub.Type = typeOT
	c := need(e.svc.Receive(e.ctx, sub))(t)
	if _, err := e.svc.Do(e.ctx, ot, c.ID, cases.Command{Action: cases.Take, Assignee: hsaClinA}); err == nil {
		t.Fatal("a take gave the case to someone else")
	}
	var took *cases.Case
	e.oneAudit(caseEntry(ot, cases.Take, c, audit.Allowed), func() {
		took = e.do(ot, c.ID, cases.Command{Action: cases.Take})
	})
	if took.Status != cases.Assigned || took.Assignee != hsaOT || took.Group != groupOT {
		t.Fatalf("taken case: %s, %q, %q", took.Status, took.Assignee, took.Group)
	}
	out := need(e.svc.PendingOutbound(e.ctx, 10))(t)
	if len(out) != 1 || out[0].Kind != cases.OutboundStatus || out[0].Status != cases.Assigned || out[0].AssigneeHSAID != hsaOT {
		t.Errorf("outbox after a take %+v, want the assignment's status change", out)
	}
	if got := e.queue(clinA, groupOT); len(got) != 0 {
		t.Errorf("the queue still shows %v", got)
	}
	_, err := e.svc.Get(e.ctx, clinA, c.ID)
	wantErr(t, err, cases.ErrNotAllowed)
	if _, err := e.svc.Do(e.ctx, clinA, c.ID, cases.Command{Action: cases.Take}); err == nil {
		t.Error("a second member took a case someone has")
	}
	back := e.do(ot, c.ID, cases.Command{Action: cases.HandBack})
	if back.Group != groupOT || back.Status != cases.Received {
		t.Errorf("handed back: %s in %q, want the group's queue", back.Status, back.Group)
	}
	if got := e.queue(clinA, groupOT); !slices.Equal(got, []cases.ID{c.ID}) {
		t.Errorf("after the hand-back the queue shows %v", got)
	}
}

// suiteGroupRoute: the distributor moves a case between queues (no change
// the patient or the central store sees, so nothing queued), from its
// clinician to a queue (the status change travels), and back to the
// inbox; a group that does not exist, the same queue and a clinician are
// refused, the case unchanged.
func suiteGroupRoute(t *testing.T, e *env) {
	sub := e.sub()
	sub.Type = typeOT
	c := need(e.svc.Receive(e.ctx, sub))(t)
	var moved *cases.Case
	e.oneAudit(caseEntry(dist, cases.Route, c, audit.Allowed), func() {
		moved = e.do(dist, c.ID, cases.Command{Action: cases.Route, Group: groupDocs})
	})
	if moved.Group != groupDocs || moved.Status != cases.Received {
		t.Fatalf("moved: %s in %q", moved.Status, moved.Group)
	}
	if n := len(need(e.svc.PendingOutbound(e.ctx, 10))(t)); n != 0 {
		t.Errorf("a move between queues queued %d changes for the central store", n)
	}
	if got := e.queue(clinB, groupDocs); !slices.Equal(got, []cases.ID{c.ID}) {
		t.Errorf("the doctors' queue shows %v", got)
	}
	if got := e.queue(ot, groupOT); len(got) != 0 {
		t.Errorf("the therapists' queue still shows %v", got)
	}
	for _, tc := range []struct {
		actor cases.Actor
		group string
		want  error
	}{
		{dist, "finns-inte", cases.ErrInvalidCommand},
		{dist, "Läkare", cases.ErrInvalidCommand},
		{dist, groupDocs, cases.ErrInvalidCommand},
		{clinB, groupOT, cases.ErrNotAllowed},
	} {
		e.oneAudit(caseEntry(tc.actor, cases.Route, c, audit.Denied), func() {
			_, err := e.svc.Do(e.ctx, tc.actor, c.ID, cases.Command{Action: cases.Route, Group: tc.group})
			wantErr(t, err, tc.want)
		})
	}
	if now := need(e.svc.Get(e.ctx, dist, c.ID))(t); now.Group != groupDocs || now.Version != moved.Version {
		t.Errorf("a refused move changed the case: %q v%d", now.Group, now.Version)
	}
	e.do(clinB, c.ID, cases.Command{Action: cases.Take})
	back := e.do(dist, c.ID, cases.Command{Action: cases.Route, Group: groupOT})
	if back.Status != cases.Received || back.Assignee != "" || back.Group != groupOT {
		t.Errorf("moved from its clinician: %s, %q, %q", back.Status, back.Assignee, back.Group)
	}
	out := need(e.svc.PendingOutbound(e.ctx, 10))(t)
	if len(out) != 2 || out[1].Kind != cases.OutboundStatus || out[1].Status != cases.Received {
		t.Errorf("outbox %+v, want the take's and the move's status changes", out)
	}
	inbox := e.do(dist, c.ID, cases.Command{Action: cases.Route})
	if inbox.Group != "" || inbox.Status != cases.Received {
		t.Errorf("moved to the inbox: %s in %q", inbox.Status, inbox.Group)
	}
}

// suiteGroupQueueCostsThePage: a group's queue reads its own waiting
// cases, not the unit's history nor the other queues: 2,000 cases in the
// inbox and another group's queue, 3 taken from this one, 4 waiting in it.
func suiteGroupQueueCostsThePage(t *testing.T, e *env) {
	proto := e.receive()
	proto.Group = groupDocs
	e.history(proto, 1000) // waiting in the doctors' queue
	proto.Group, proto.ReceivedAt = "", proto.ReceivedAt.Add(-2000*time.Minute)
	e.history(proto, 1000) // waiting in the inbox, earlier
	var waiting []cases.ID
	for i := range 7 {
		sub := e.sub()
		sub.Type = typeOT
		c := need(e.svc.Receive(e.ctx, sub))(t)
		if i < 3 {
			e.do(ot, c.ID, cases.Command{Action: cases.Take})
		} else {
			waiting = append(waiting, c.ID)
		}
	}
	slices.Sort(waiting) // the queue is in id order, oldest first
	var got []*cases.Case
	if n := e.decodes(func() { got = need(e.svc.Queue(e.ctx, clinA, groupOT, "", 0))(t) }); n > int64(len(waiting)) {
		t.Errorf("the queue's page decoded %d cases, want its %d", n, len(waiting))
	}
	if !slices.Equal(idsOf(got), waiting) {
		t.Errorf("the queue %v, want %v", idsOf(got), waiting)
	}
	// Paged, two at a time, each once.
	var paged []cases.ID
	for after := cases.ID(""); ; {
		page := need(e.svc.Queue(e.ctx, clinA, groupOT, after, 2))(t)
		if len(page) == 0 {
			break
		}
		paged = append(paged, idsOf(page)...)
		after = page[len(page)-1].ID
	}
	if !slices.Equal(paged, waiting) {
		t.Errorf("paged %v, want %v", paged, waiting)
	}
}

// suiteGroupInboxCounts: the inbox counts the cases waiting in each
// group's queue; a store with the queue index decodes none for it.
func suiteGroupInboxCounts(t *testing.T, e *env) {
	for i := range 4 {
		sub := e.sub()
		sub.Type = typeOT
		c := need(e.svc.Receive(e.ctx, sub))(t)
		switch i {
		case 0:
			e.do(ot, c.ID, cases.Command{Action: cases.Take}) // no longer waiting
		case 1:
			e.do(dist, c.ID, cases.Command{Action: cases.Route, Group: groupDocs})
		}
	}
	e.receive() // the inbox: in no group
	var got cases.InboxCounts
	e.decodes(func() { got = need(e.svc.InboxCounts(e.ctx, dist))(t) })
	if len(got.ByGroup) != 2 || got.ByGroup[groupOT] != 2 || got.ByGroup[groupDocs] != 1 {
		t.Errorf("per group %v, want 2 waiting for the therapists and 1 for the doctors", got.ByGroup)
	}
	var indexed bool
	_ = e.store.Store.View(e.ctx, func(tx cases.ReadTx) error {
		if qc, ok := tx.(cases.QueueCounter); ok {
			_, indexed, _ = qc.CountQueues()
		}
		return nil
	})
	var direct map[string]int
	if indexed {
		// The per-group count alone reads no case.
		if n := e.decodes(func() {
			_ = e.store.View(e.ctx, func(tx cases.ReadTx) error {
				direct, _, _ = tx.(cases.QueueCounter).CountQueues()
				return nil
			})
		}); n != 0 || direct[groupOT] != 2 {
			t.Errorf("the queue index's count decoded %d cases, gave %v", n, direct)
		}
	}
}
