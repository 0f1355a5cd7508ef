package localui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/cardauth"
	"clinicgw/sync/wire/casetype"
)

// TestWorkflowOverHTTP: a new case reaches the distributor's open inbox
// without a reload (a push on the websocket, then the rows), is assigned,
// reaches the clinician's list the same way, is answered with the
// personal signature, and leaves for the central store in the outbox.
func TestWorkflowOverHTTP(t *testing.T) {
	c := startClinic(t)
	dist, clin := c.login(hsaDist), c.login(hsaClinA)
	distWS, _, err := dist.ws(map[string]string{"t": "watch", "list": "inbox"})
	if err != nil {
		t.Fatal(err)
	}
	defer distWS.Close()
	clinWS, _, err := clin.ws(map[string]string{"t": "watch", "list": "mine"})
	if err != nil {
		t.Fatal(err)
	}
	defer clinWS.Close()
	time.Sleep(50 * time.Millisecond) // the watch messages are read

	// A new case changes the inbox, not the clinician's own list: their
	// first push is for the case once it is given to them.
	other := c.receive(casetype.ContactMe, "Ring mig.")
	if m, code := next(t, distWS, 5*time.Second); code != 0 || m.T != "changed" || len(m.IDs) != 1 || m.IDs[0] != other.ID {
		t.Fatalf("distributor's push: %+v, close %d", m, code)
	}
	cs := c.receive(casetype.RenewPrescription, "Jag behöver förnya mitt recept.")
	if m, code := next(t, distWS, 5*time.Second); code != 0 || m.T != "changed" || len(m.IDs) != 1 || m.IDs[0] != cs.ID {
		t.Fatalf("distributor's push: %+v, close %d", m, code)
	}
	r, rows := dist.getBody("/inbox?view=new&part=rows")
	if r.StatusCode != http.StatusOK || !strings.Contains(rows, string(cs.ID)) || !strings.Contains(rows, canaryName) {
		t.Fatalf("inbox rows: %d\n%s", r.StatusCode, rows)
	}

	// Settings: the clinician's signature.
	if r, body := clin.form("/settings", url.Values{"signature": {"Lars Läkarsson\nleg. läkare"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings: %d %s", r.StatusCode, body)
	}

	r, body := dist.form("/cases/"+string(cs.ID)+"/assign", url.Values{"assignee": {hsaClinA}, "version": {"1"}, "from": {"inbox"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/inbox?ok=assigned" {
		t.Fatalf("assign: %d %s %s", r.StatusCode, r.Header.Get("Location"), body)
	}
	if m, _ := next(t, clinWS, 5*time.Second); m.T != "changed" || len(m.IDs) != 1 || m.IDs[0] != cs.ID {
		t.Fatalf("clinician's first push, after the assignment: %+v (a push for the new cases before it?)", m)
	}
	if _, rows := clin.getBody("/mine?part=rows"); !strings.Contains(rows, string(cs.ID)) {
		t.Fatalf("my cases lack the case:\n%s", rows)
	}
	r, page := clin.getBody("/cases/" + string(cs.ID))
	if r.StatusCode != http.StatusOK || !strings.Contains(page, canaryText) || !strings.Contains(page, "Lars Läkarsson") {
		t.Fatalf("case page: %d", r.StatusCode)
	}
	r, body = clin.form("/cases/"+string(cs.ID)+"/send", url.Values{"kind": {"answer"}, "text": {"Receptet är förnyat."}, "version": {"2"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("answer: %d %s", r.StatusCode, body)
	}
	got, err := c.gw.Cases().Get(t.Context(), cases.Actor{Kind: cases.System}, cs.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := got.Messages[len(got.Messages)-1]
	if got.Status != cases.Answered || last.Signature != "Lars Läkarsson\nleg. läkare" || last.AuthorTitle != "Läkare" {
		t.Fatalf("answered case: %s, signature %q, title %q", got.Status, last.Signature, last.AuthorTitle)
	}
	out, err := c.gw.Cases().PendingOutbound(t.Context(), 10)
	if err != nil || len(out) != 2 || out[0].Kind != cases.OutboundStatus || out[1].Kind != cases.OutboundAnswer ||
		out[1].Signature != last.Signature {
		t.Fatalf("outbox: %+v, %v; want the assignment's status, then the answer", out, err)
	}
}

// TestTakeBackReassignMoveAll: take back, reassign, and "move all of X to
// Y" in one step, with the clinician on leave marked.
func TestTakeBackReassignMoveAll(t *testing.T) {
	c := startClinic(t)
	dist := c.login(hsaDist)
	var ids []cases.ID
	for i := 0; i < 3; i++ {
		cs := c.receive(casetype.AdviceNurse, "Fråga.")
		if r, b := dist.form("/cases/"+string(cs.ID)+"/assign", url.Values{"assignee": {hsaOnLeave}, "confirmLeave": {"1"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("assign: %d %s", r.StatusCode, b)
		}
		ids = append(ids, cs.ID)
	}
	_, page := dist.getBody("/inbox")
	if !strings.Contains(page, "Per Psykologsson (frånvarande)") {
		t.Error("the inbox does not mark the clinician on leave")
	}
	if r, b := dist.form("/cases/"+string(ids[0])+"/take-back", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("take back: %d %s", r.StatusCode, b)
	}
	if r, b := dist.form("/cases/"+string(ids[0])+"/assign", url.Values{"assignee": {hsaClinB}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("assign after take back: %d %s", r.StatusCode, b)
	}
	if r, b := dist.form("/inbox/move-all", url.Values{"from": {hsaOnLeave}, "to": {hsaClinA}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("move all: %d %s", r.StatusCode, b)
	}
	want := map[cases.ID]string{ids[0]: hsaClinB, ids[1]: hsaClinA, ids[2]: hsaClinA}
	for id, who := range want {
		got, err := c.gw.Cases().Get(t.Context(), cases.Actor{Kind: cases.System}, id)
		if err != nil || got.Assignee != who {
			t.Errorf("case %s: assignee %s, want %s (%v)", id, got.Assignee, who, err)
		}
	}
	// Stale version: refused with a conflict, nothing changed.
	if r, _ := dist.form("/cases/"+string(ids[1])+"/reassign", url.Values{"assignee": {hsaClinB}, "version": {"1"}}); r.StatusCode != http.StatusConflict {
		t.Errorf("stale reassign: %d, want 409", r.StatusCode)
	}
	// Only the unit's clinicians can be given a case.
	if r, _ := dist.form("/cases/"+string(ids[1])+"/reassign", url.Values{"assignee": {hsaAdmin}}); r.StatusCode != http.StatusBadRequest {
		t.Errorf("reassign to a non-clinician: %d, want 400", r.StatusCode)
	}
}

// TestOverdue: a case not answered within two working days is marked
// overdue and listed under "overdue" (fake clock over a weekend).
func TestOverdue(t *testing.T) {
	c := startClinic(t)
	cs := c.receive(casetype.ContactMe, "Ring mig.")
	dist := c.login(hsaDist)
	if _, rows := dist.getBody("/inbox?view=overdue&part=rows"); strings.Contains(rows, string(cs.ID)) {
		t.Fatal("overdue at once")
	}
	c.clock.Advance(2*24*time.Hour + time.Minute) // Wednesday 09:01: due end of Wednesday? not yet
	dist = c.login(hsaDist)
	_, rows := dist.getBody("/inbox?view=today&part=rows")
	if !strings.Contains(rows, string(cs.ID)) {
		t.Errorf("not due today on the second working day:\n%s", rows)
	}
	c.clock.Advance(24 * time.Hour) // Thursday
	dist = c.login(hsaDist)
	_, rows = dist.getBody("/inbox?view=overdue&part=rows")
	if !strings.Contains(rows, string(cs.ID)) || !strings.Contains(rows, "Försenat") {
		t.Errorf("not overdue after two working days:\n%s", rows)
	}
}

// TestClinicianCannotOpenOthersCase (AZ1, LG1): by URL and by websocket
// message: 403, the page shows nothing of the patient, and the attempt is
// in the access log as denied.
func TestClinicianCannotOpenOthersCase(t *testing.T) {
	c := startClinic(t)
	dist := c.login(hsaDist)
	cs := c.receive(casetype.RenewSickLeave, "Förläng.")
	dist.form("/cases/"+string(cs.ID)+"/assign", url.Values{"assignee": {hsaClinA}})
	other := c.login(hsaClinB)
	denied := func() int {
		recs, err := c.gw.Cases().AccessLogByActor(t.Context(), cases.Actor{Kind: cases.Staff, HSAID: hsaAudit, Roles: []cases.Role{cases.Auditor}}, hsaClinB)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range recs {
			if r.Entry.Outcome == audit.Denied && r.Entry.CaseID == string(cs.ID) && r.Entry.Patient == string(cs.Patient.PNR) {
				n++
			}
		}
		return n
	}
	r, page := other.getBody("/cases/" + string(cs.ID))
	if r.StatusCode != http.StatusForbidden || strings.Contains(page, canaryName) || strings.Contains(page, canaryText) {
		t.Fatalf("another clinician's case by URL: %d", r.StatusCode)
	}
	if n := denied(); n != 1 {
		t.Fatalf("denied entries after the URL: %d, want 1", n)
	}
	conn, _, err := other.ws(map[string]string{"t": "watch", "case": string(cs.ID)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if m, _ := next(t, conn, 5*time.Second); m.T != "denied" || m.Status != http.StatusForbidden {
		t.Fatalf("watch another's case: %+v", m)
	}
	if _, code := next(t, conn, 5*time.Second); code != 4003 {
		t.Fatalf("close code %d, want 4003", code)
	}
	if n := denied(); n != 2 {
		t.Fatalf("denied entries after the websocket: %d, want 2", n)
	}
	// Actions on it are refused too, and the distributor's inbox is not theirs.
	if r, _ := other.form("/cases/"+string(cs.ID)+"/send", url.Values{"kind": {"answer"}, "text": {"x"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("answer another's case: %d", r.StatusCode)
	}
	if r := other.get("/inbox"); r.StatusCode != http.StatusForbidden {
		t.Errorf("a clinician's inbox: %d", r.StatusCode)
	}
	if conn, _, _ := other.ws(map[string]string{"t": "watch", "list": "inbox"}); conn != nil {
		if m, _ := next(t, conn, 5*time.Second); m.T != "denied" {
			t.Errorf("a clinician watching the inbox: %+v", m)
		}
		conn.Close()
	}
}

// TestSessionEndLocksPages (AU2, AU3): the websocket closes with the
// session: 15 min idle (fake clock; 14:59 keeps it), and card removal.
func TestSessionEndLocksPages(t *testing.T) {
	c := startClinic(t)
	dist := c.login(hsaDist)
	conn, _, err := dist.ws(map[string]string{"t": "watch", "list": "inbox"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c.clock.Advance(cardauth.IdleTimeout - time.Second)
	c.gw.Login().Sweep()
	if r := dist.get("/inbox"); r.StatusCode != http.StatusOK {
		t.Fatalf("14:59 idle: %d", r.StatusCode)
	}
	// Pushes and live refreshes do not count as use.
	cs := c.receive(casetype.ContactMe, "Hej.")
	next(t, conn, 5*time.Second)
	req, _ := http.NewRequest(http.MethodGet, c.origin+"/inbox?part=rows", nil)
	req.Header.Set("X-Live", "1")
	if r, _ := dist.do(req); r.StatusCode != http.StatusOK {
		t.Fatalf("live refresh: %d", r.StatusCode)
	}
	c.clock.Advance(cardauth.IdleTimeout - time.Second + time.Second) // 15:00 after the last real use
	at := time.Now()
	c.gw.Login().Sweep()
	if _, code := next(t, conn, 5*time.Second); code != 4001 {
		t.Fatalf("close code %d after 15 min idle, want 4001", code)
	}
	t.Logf("idle: websocket closed %v after the sweep", time.Since(at))
	if r := dist.get("/cases/" + string(cs.ID)); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Fatalf("page after idle: %d %s", r.StatusCode, r.Header.Get("Location"))
	}

	// Card removal: the session of that card ends, its page locks.
	clin := c.login(hsaClinA)
	conn2, _, err := clin.ws(map[string]string{"t": "watch", "list": "mine"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	at = time.Now()
	if n := c.gw.Login().CardRemoved(cardauth.CardID(c.dc.Cards[hsaClinA].Cert), cardauth.EndCardGone); n != 1 {
		t.Fatalf("CardRemoved ended %d sessions", n)
	}
	if _, code := next(t, conn2, time.Second); code != 4001 {
		t.Fatalf("close code %d after card removal, want 4001", code)
	}
	t.Logf("card removed: websocket closed after %v", time.Since(at))
}

// TestCrossSiteRefused (WB1, WB2): a cross-site POST changes nothing, and
// a websocket from another origin or without a session is refused.
func TestCrossSiteRefused(t *testing.T) {
	c := startClinic(t)
	dist := c.login(hsaDist)
	cs := c.receive(casetype.BookAppointment, "Tid?")
	for _, h := range []map[string]string{
		{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
		{"Origin": "https://evil.example"},
		{"Sec-Fetch-Site": "cross-site"},
		{"Sec-Fetch-Site": "same-site", "Origin": "https://other.127.0.0.1.nip.io"},
		{}, // no Origin at all: refused too
		{"Origin": "null"},
	} {
		req, _ := http.NewRequest(http.MethodPost, c.origin+"/cases/"+string(cs.ID)+"/assign",
			strings.NewReader(url.Values{"assignee": {hsaClinA}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range h {
			req.Header.Set(k, v)
		}
		if r, _ := dist.do(req); r.StatusCode != http.StatusForbidden {
			t.Errorf("POST with %v: %d, want 403", h, r.StatusCode)
		}
	}
	got, _ := c.gw.Cases().Get(t.Context(), cases.Actor{Kind: cases.System}, cs.ID)
	if got.Status != cases.Received {
		t.Fatalf("a cross-site POST changed the case: %s", got.Status)
	}
	// No GET changes anything: the action routes are POST only.
	if r := dist.get("/cases/" + string(cs.ID) + "/assign?assignee=" + hsaClinA); r.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET on an action: %d", r.StatusCode)
	}
	d := websocket.Dialer{TLSClientConfig: c.tls.Clone(), Jar: dist.http.Jar}
	u := "wss" + strings.TrimPrefix(c.origin, "https") + "/ws"
	for _, o := range []string{"https://evil.example", "", "http" + strings.TrimPrefix(c.origin, "https")} {
		conn, r, err := d.Dial(u, http.Header{"Origin": {o}})
		if err == nil {
			conn.Close()
			t.Errorf("websocket with Origin %q accepted", o)
		} else if r == nil || r.StatusCode != http.StatusForbidden {
			t.Errorf("websocket with Origin %q: %v", o, err)
		}
	}
	anon := c.newBrowser("")
	if _, r, err := anon.ws(nil); err == nil || r == nil || r.StatusCode != http.StatusUnauthorized {
		t.Errorf("websocket without a session: %v", err)
	}
}
