package localui_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/agent/democlinic"
	"clinicgw/agent/groups"
	"clinicgw/sync/wire/casetype"
)

// The test clinic's staff groups: clinA is an occupational therapist,
// clinB a doctor.
const (
	groupOT   = "arbetsterapeuter"
	groupDocs = "lakare"
)

// setGroups gives the clinic its staff groups, as the unit administrator
// would on the groups page.
func (c *clinic) setGroups() {
	c.t.Helper()
	err := c.gw.Groups().Save(context.Background(), []groups.Group{
		{ID: groupOT, Name: "Arbetsterapeuter", Members: []string{hsaClinA}},
		{ID: groupDocs, Name: "Läkare", Members: []string{hsaClinB}},
	})
	if err != nil {
		c.t.Fatal(err)
	}
}

// receiveInto receives a case and has the distributor move it to group's
// queue (the unit's service catalogue routes it there in the product).
func (c *clinic) receiveInto(group string, typ casetype.Type, text string) *cases.Case {
	c.t.Helper()
	got := c.receive(typ, text)
	dist := cases.Actor{Kind: cases.Staff, HSAID: hsaDist, Roles: []cases.Role{cases.Distributor}}
	moved, err := c.gw.Cases().Do(context.Background(), dist, got.ID, cases.Command{Action: cases.Route, Group: group})
	if err != nil {
		c.t.Fatal(err)
	}
	return moved
}

// auditSince returns hsa's access-log records after sequence number seq.
func (c *clinic) auditSince(hsa string, seq uint64) []audit.Record {
	c.t.Helper()
	var recs []audit.Record
	err := c.gw.Store().View(context.Background(), func(tx cases.ReadTx) error {
		return tx.AuditByActor(hsa, func(r audit.Record) bool {
			if r.Seq > seq {
				recs = append(recs, r)
			}
			return true
		})
	})
	if err != nil {
		c.t.Fatal(err)
	}
	return recs
}

// auditHead is the access log's newest sequence number.
func (c *clinic) auditHead() uint64 {
	c.t.Helper()
	rep, err := c.gw.Store().VerifyAudit(context.Background())
	if err != nil {
		c.t.Fatal(err)
	}
	return rep.Head.Seq
}

// TestGroupQueuePerRole (AZ1, LG1, LG4 with groups): a group's queue, its
// cases and the take and move are for whom the rules name, role by role:
// the members and the distributor see the queue, a member takes, the
// distributor moves; a clinician outside the group, the unit
// administrator and the auditor get 403, and each refusal is one denied
// entry in the access log; every allowed request that touches a case is
// one allowed entry.
func TestGroupQueuePerRole(t *testing.T) {
	c := startClinic(t)
	c.setGroups()
	q := c.receiveInto(groupOT, casetype.RenewPrescription, "Förnya hjälpmedlet, tack.")
	doc := c.receiveInto(groupDocs, casetype.ContactMe, "Ring mig.")
	users := map[string]*browser{}
	for _, h := range []string{hsaDist, hsaClinA, hsaClinB, hsaAdmin, hsaAudit} {
		users[h] = c.login(h)
	}
	qc := "/cases/" + string(q.ID)
	tests := []struct {
		who     string
		method  string
		path    string
		form    url.Values
		want    int
		outcome audit.Outcome // of the one record the request writes; "" for none
	}{
		{hsaClinA, "GET", "/queue", nil, 303, ""},
		{hsaClinA, "GET", "/queue/" + groupOT, nil, 200, audit.Allowed},
		{hsaClinA, "GET", qc, nil, 200, audit.Allowed},
		{hsaDist, "GET", "/queue", nil, 303, ""}, // to the inbox, where every case is
		{hsaDist, "GET", "/queue/" + groupOT, nil, 200, audit.Allowed},
		{hsaDist, "GET", "/queue/finns-inte", nil, 404, ""},
		{hsaClinB, "GET", "/queue/" + groupDocs, nil, 200, audit.Allowed},
		// A clinician outside the group.
		{hsaClinB, "GET", "/queue/" + groupOT, nil, 403, audit.Denied},
		{hsaClinB, "GET", qc, nil, 403, audit.Denied},
		{hsaClinB, "POST", qc + "/take", nil, 403, audit.Denied},
		{hsaClinB, "POST", qc + "/route", url.Values{"group": {groupDocs}}, 403, audit.Denied},
		{hsaClinA, "GET", "/cases/" + string(doc.ID), nil, 403, audit.Denied},
		{hsaClinA, "POST", qc + "/route", url.Values{"group": {groupDocs}}, 403, audit.Denied},
		// Roles that see no cases.
		{hsaAdmin, "GET", "/queue/" + groupOT, nil, 403, audit.Denied},
		{hsaAudit, "GET", "/queue/" + groupOT, nil, 403, audit.Denied},
		{hsaAdmin, "GET", "/queue", nil, 403, ""},
		{hsaAdmin, "POST", qc + "/take", nil, 403, audit.Denied},
		// The groups page is the unit administrator's.
		{hsaAdmin, "GET", "/admin/groups", nil, 200, ""},
		{hsaDist, "GET", "/admin/groups", nil, 403, ""},
		{hsaClinA, "POST", "/admin/groups", url.Values{"op": {"create"}, "name": {"Psykologer"}}, 403, ""},
		// The distributor moves: to a group that does not exist, refused.
		{hsaDist, "POST", qc + "/route", url.Values{"group": {"finns-inte"}}, 400, audit.Denied},
		{hsaDist, "POST", "/cases/" + string(doc.ID) + "/route", url.Values{"group": {"-"}}, 303, audit.Allowed},
		// The member takes it; then it is theirs, and out of the queue.
		{hsaClinA, "POST", qc + "/take", nil, 303, audit.Allowed},
		{hsaClinA, "GET", qc, nil, 200, audit.Allowed},
		{hsaClinB, "GET", qc, nil, 403, audit.Denied},
		{hsaClinA, "POST", qc + "/take", nil, 400, audit.Denied},
	}
	for _, tt := range tests {
		b := users[tt.who]
		before := c.auditHead()
		var r *http.Response
		var body string
		if tt.method == "GET" {
			r, body = b.getBody(tt.path)
		} else {
			r, body = b.form(tt.path, tt.form)
		}
		name := tt.who + " " + tt.method + " " + tt.path
		if r.StatusCode != tt.want {
			t.Errorf("%s: %d, want %d\n%.300s", name, r.StatusCode, tt.want, body)
		}
		if r.StatusCode == http.StatusForbidden && (strings.Contains(body, canaryName) || strings.Contains(body, canaryText)) {
			t.Errorf("%s: the refusal shows patient data", name)
		}
		recs := c.auditSince(tt.who, before)
		if c.auditHead()-before != uint64(len(recs)) {
			t.Errorf("%s: records written by someone else", name)
		}
		switch {
		case tt.outcome == "" && len(recs) != 0:
			t.Errorf("%s: %d access-log records, want none", name, len(recs))
		case tt.outcome != "" && (len(recs) != 1 || recs[0].Entry.Outcome != tt.outcome):
			t.Errorf("%s: access-log records %+v, want one %s", name, recs, tt.outcome)
		}
	}
	if got, err := c.gw.Cases().Get(t.Context(), cases.Actor{Kind: cases.System}, q.ID); err != nil || got.Assignee != hsaClinA || got.Status != cases.Assigned {
		t.Errorf("after the take: %v %+v", err, got)
	}
}

// TestGroupQueueLive: a queue's page is told, over its websocket, of a
// case arriving in its queue, and only its queue's; a clinician outside
// the group cannot watch it.
func TestGroupQueueLive(t *testing.T) {
	c := startClinic(t)
	c.setGroups()
	ot, doc := c.login(hsaClinA), c.login(hsaClinB)
	if conn, _, err := doc.ws(map[string]string{"t": "watch", "list": "queue", "group": groupOT}); err != nil {
		t.Fatal(err)
	} else {
		if m, _ := next(t, conn, 5*time.Second); m.T != "denied" || m.Status != http.StatusForbidden {
			t.Errorf("a doctor watching the therapists' queue: %+v", m)
		}
		conn.Close()
	}
	otConn, _, err := ot.ws(map[string]string{"t": "watch", "list": "queue", "group": groupOT})
	if err != nil {
		t.Fatal(err)
	}
	defer otConn.Close()
	docConn, _, err := doc.ws(map[string]string{"t": "watch", "list": "queue", "group": groupDocs})
	if err != nil {
		t.Fatal(err)
	}
	defer docConn.Close()
	// Each watch is in place before the cases arrive.
	for _, conn := range []*websocket.Conn{otConn, docConn} {
		if m, _ := next(t, conn, 10*time.Second); m.T != "watching" {
			t.Fatalf("watch answered %+v", m)
		}
	}
	first := c.receiveInto(groupOT, casetype.RenewPrescription, "Förnya hjälpmedlet.")
	second := c.receiveInto(groupDocs, casetype.ContactMe, "Ring mig.")
	if m, _ := next(t, otConn, 10*time.Second); m.T != "changed" || !slices.Contains(m.IDs, first.ID) || slices.Contains(m.IDs, second.ID) {
		t.Errorf("the therapists' queue was told %+v, want the case %s", m, first.ID)
	}
	if m, _ := next(t, docConn, 10*time.Second); m.T != "changed" || slices.Contains(m.IDs, first.ID) || !slices.Contains(m.IDs, second.ID) {
		t.Errorf("the doctors' queue was told %+v, want only the case %s", m, second.ID)
	}
}

// TestStatsPerGroup: the statistics page and its CSV count the cases per
// staff group they were routed to, by the group's name.
func TestStatsPerGroup(t *testing.T) {
	c := startClinic(t)
	c.setGroups()
	c.receiveInto(groupOT, casetype.RenewPrescription, "Förnya hjälpmedlet.")
	c.receiveInto(groupOT, casetype.RenewPrescription, "Förnya hjälpmedlet igen.")
	c.receiveInto(groupDocs, casetype.ContactMe, "Ring mig.")
	c.receive(casetype.ContactMe, "Ring mig, inkorgen.")
	admin := c.login(hsaAdmin)
	r, page := admin.getBody("/admin/stats")
	if r.StatusCode != http.StatusOK || !strings.Contains(page, `id="chart-by-group"`) ||
		!strings.Contains(page, "Arbetsterapeuter: Mottagna 2") || !strings.Contains(page, "Läkare: Mottagna 1") {
		t.Errorf("the statistics page per group: %d\n%.2000s", r.StatusCode, page)
	}
	_, csv := admin.getBody("/admin/stats.csv")
	for _, want := range []string{"Grupp;Arbetsterapeuter;2;0;2;", "Grupp;Läkare;1;0;1;", "Grupp;Inkorgen (ej till grupp);1;0;1;",
		"Grupp och ärendetyp;Arbetsterapeuter: Förnya recept;2"} {
		if !strings.Contains(csv, want) {
			t.Errorf("the CSV lacks %q:\n%s", want, csv)
		}
	}
}

// TestGroupMemberWithoutCommission: a member whose commission for the unit
// is gone from the staff directory counts in no group: the case service
// refuses them the queue and its cases (a denied entry each), and the
// groups page lists them as without a commission, to remove.
func TestGroupMemberWithoutCommission(t *testing.T) {
	c := startClinic(t)
	c.setGroups()
	q := c.receiveInto(groupOT, casetype.RenewPrescription, "Förnya hjälpmedlet.")
	clinA := cases.Actor{Kind: cases.Staff, HSAID: hsaClinA, Roles: []cases.Role{cases.Clinician}}
	if _, err := c.gw.Cases().Queue(t.Context(), clinA, groupOT, "", 0); err != nil {
		t.Fatalf("a member's queue: %v", err)
	}
	var staff []democlinic.Member
	for _, m := range democlinic.Staff {
		if m.HSAID != hsaClinA {
			staff = append(staff, m)
		}
	}
	if err := democlinic.WriteDirectory(filepath.Join(c.dc.Dir, "hsa-ny.json"), testUnit, staff, c.clock.Now()); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(c.dc.Config.Path())
	if err != nil {
		t.Fatal(err)
	}
	replace(t, c.dc.Config.Path(), strings.Replace(string(cfg), `directory_file = "hsa.json"`, `directory_file = "hsa-ny.json"`, 1))
	if err := c.gw.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	if g := c.gw.Groups().GroupsOf(hsaClinA); g != nil {
		t.Errorf("without a commission in %v", g)
	}
	before := c.auditHead()
	if _, err := c.gw.Cases().Queue(t.Context(), clinA, groupOT, "", 0); !errors.Is(err, cases.ErrNotAllowed) {
		t.Errorf("the queue without a commission: %v", err)
	}
	if _, err := c.gw.Cases().Do(t.Context(), clinA, q.ID, cases.Command{Action: cases.Take}); !errors.Is(err, cases.ErrNotAllowed) {
		t.Errorf("a take without a commission: %v", err)
	}
	recs := c.auditSince(hsaClinA, before)
	if len(recs) != 2 || recs[0].Entry.Outcome != audit.Denied || recs[1].Entry.Outcome != audit.Denied {
		t.Errorf("access-log records %+v, want two denied", recs)
	}
	_, page := c.login(hsaAdmin).getBody("/admin/groups")
	if !strings.Contains(page, hsaClinA+" (saknar uppdrag i enheten, räknas inte)") {
		t.Errorf("the groups page does not mark the member without a commission:\n%.3000s", page)
	}
}

// TestGroupPostsCrossSiteRefused (WB1): the take, the move and the groups
// page's saves are refused from another site and change nothing; by GET
// they are not actions.
func TestGroupPostsCrossSiteRefused(t *testing.T) {
	c := startClinic(t)
	c.setGroups()
	q := c.receiveInto(groupOT, casetype.RenewPrescription, "Förnya hjälpmedlet.")
	users := map[string]*browser{hsaClinA: c.login(hsaClinA), hsaDist: c.login(hsaDist), hsaAdmin: c.login(hsaAdmin)}
	for _, p := range []struct {
		who, path string
		form      url.Values
	}{
		{hsaClinA, "/cases/" + string(q.ID) + "/take", nil},
		{hsaDist, "/cases/" + string(q.ID) + "/route", url.Values{"group": {groupDocs}}},
		{hsaAdmin, "/admin/groups", url.Values{"op": {"delete"}, "id": {groupOT}}},
	} {
		for _, h := range []map[string]string{{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, {}} {
			req, _ := http.NewRequest(http.MethodPost, c.origin+p.path, strings.NewReader(p.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range h {
				req.Header.Set(k, v)
			}
			if r, _ := users[p.who].do(req); r.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s with %v: %d, want 403", p.path, h, r.StatusCode)
			}
		}
		if r := users[p.who].get(p.path); p.who != hsaAdmin && r.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("GET %s: %d, want 405", p.path, r.StatusCode)
		}
	}
	got, _ := c.gw.Cases().Get(t.Context(), cases.Actor{Kind: cases.System}, q.ID)
	if got.Status != cases.Received || got.Group != groupOT || got.Version != q.Version {
		t.Errorf("a cross-site POST changed the case: %s in %q, v%d", got.Status, got.Group, got.Version)
	}
	if !c.gw.Groups().GroupExists(groupOT) {
		t.Error("a cross-site POST removed the group")
	}
}

// TestInboxCountsPerGroup: the inbox's counts say how many cases wait in
// each group's queue, by the group's name.
func TestInboxCountsPerGroup(t *testing.T) {
	c := startClinic(t)
	c.setGroups()
	c.receiveInto(groupOT, casetype.RenewPrescription, "Förnya hjälpmedlet.")
	c.receiveInto(groupOT, casetype.RenewPrescription, "Förnya hjälpmedlet igen.")
	c.receive(casetype.ContactMe, "Ring mig.")
	_, page := c.login(hsaDist).getBody("/inbox")
	if !strings.Contains(page, `Arbetsterapeuter <span class="n">2</span>`) || strings.Contains(page, `Läkare <span class="n">`) {
		t.Errorf("the inbox's counts per group:\n%.4000s", page)
	}
}
