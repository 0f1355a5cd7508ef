package localui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
)

// TestNewMessageToPatient: over real TLS, a clinician starts a case with a
// patient from "Nytt meddelande till invånare" and lands on the new case;
// a wrong personnummer gets 400 and a clear Swedish message and creates
// nothing; the same form sent twice starts one case; a cross-site POST is
// refused; the unit administrator and the auditor may not; the
// personnummer is in no URL.
func TestNewMessageToPatient(t *testing.T) {
	c := startClinic(t)
	clin := c.login(hsaClinA)
	r, page := clin.getBody("/cases/new")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET /cases/new: %d %.300s", r.StatusCode, page)
	}
	for _, s := range []string{"Nytt meddelande till invånare", `<label for="pnr">`, `name="reply" checked`, `name="id" value="`} {
		if !strings.Contains(page, s) {
			t.Errorf("the page lacks %q", s)
		}
	}
	id := between(page, `name="id" value="`, `"`)
	pnr := c.patientPNR()
	form := url.Values{"id": {id}, "pnr": {pnr.String()}, "type": {string(casetype.ContactMe)},
		"subject": {"Dina provsvar"}, "text": {canaryText}, "reply": {"on"}}

	// A wrong check digit: 400, the reason in Swedish, the form kept, nothing made.
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	s := pnr.String()
	bad.Set("pnr", s[:len(s)-1]+string(rune('0'+(s[len(s)-1]-'0'+1)%10)))
	r, body := clin.form("/cases/new", bad)
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(body, "kontrollsiffra") || !strings.Contains(body, "Dina provsvar") ||
		strings.Contains(body, bad.Get("pnr")) || !strings.Contains(body, `aria-invalid="true"`) {
		t.Errorf("wrong personnummer: %d %.1500s", r.StatusCode, body)
	}
	if n := c.outboxDepth(); n != 0 {
		t.Fatalf("a refused form queued %d items", n)
	}

	r, body = clin.form("/cases/new", form)
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther || loc != "/cases/"+id+"?ok=initiated" {
		t.Fatalf("send: %d %q %.300s", r.StatusCode, loc, body)
	}
	r, body = clin.getBody(loc)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("the new case page: %d", r.StatusCode)
	}
	for _, want := range []string{"Meddelandet är skickat och ärendet är startat.", canaryText, "Dina provsvar", "Väntar", "Startades av vårdenheten"} {
		if !strings.Contains(body, want) {
			t.Errorf("the new case page lacks %q", want)
		}
	}
	// The browser sends the form again: the same case, nothing more.
	if r, _ := clin.form("/cases/new", form); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != loc {
		t.Errorf("resend: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if n := c.outboxDepth(); n != 1 {
		t.Errorf("%d items for the central store, want 1", n)
	}
	got, err := c.gw.Cases().Get(context.Background(), cases.Actor{Kind: cases.System}, cases.ID(id))
	if err != nil || got.Assignee != hsaClinA || got.Status != cases.WaitingForPatient || got.Patient.PNR != pnr {
		t.Errorf("stored case %+v, %v", got, err)
	}

	// Cross-site POST: refused before anything happens.
	req, _ := http.NewRequest(http.MethodPost, c.origin+"/cases/new", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if r, _ := clin.do(req); r.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: %d", r.StatusCode)
	}
	// The message administrator may; the unit administrator and the auditor may not.
	dist := c.login(hsaDist)
	if r := dist.get("/cases/new"); r.StatusCode != http.StatusOK {
		t.Errorf("distributor: %d", r.StatusCode)
	}
	for _, h := range []string{hsaAdmin, hsaAudit} {
		b := c.login(h)
		if r := b.get("/cases/new"); r.StatusCode != http.StatusForbidden {
			t.Errorf("%s GET: %d", h, r.StatusCode)
		}
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		f.Set("id", "")
		if r, _ := b.form("/cases/new", f); r.StatusCode != http.StatusForbidden {
			t.Errorf("%s POST: %d", h, r.StatusCode)
		}
	}
	if n := c.outboxDepth(); n != 1 {
		t.Errorf("%d items for the central store after refused attempts, want 1", n)
	}
	if out := c.logs.String(); strings.Contains(out, string(pnr)) || strings.Contains(out, pnr.String()) {
		t.Error("the log carries the personnummer")
	}
}

// outboxDepth counts what waits for the central store.
func (c *clinic) outboxDepth() int {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := c.gw.Cases().PendingOutbound(ctx, 100)
	if err != nil {
		c.t.Fatal(err)
	}
	return len(out)
}

// between returns the text of s between the first from and the next to.
func between(s, from, to string) string {
	_, rest, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, to)
	return v
}
