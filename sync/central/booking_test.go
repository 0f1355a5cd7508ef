package central

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"clinicgw/sync/wire"
)

// bookingTimes are four free times on 2026-03-05 (Stockholm: 09:00,
// 09:30, 10:00, 10:30) of one type, and one of another.
func bookingTimes() wire.BookingTimes {
	at := func(h, m int) time.Time { return time.Date(2026, 3, 5, h-1, m, 0, 0, time.UTC) }
	bt := wire.BookingTimes{Times: []wire.BookingTime{}}
	for i, s := range []time.Time{at(9, 0), at(9, 30), at(10, 0), at(10, 30)} {
		bt.Times = append(bt.Times, wire.BookingTime{ID: "t" + string(rune('1'+i)), Start: s, Minutes: 30, TypeID: "besok-30",
			Type: "Besök", Clinician: "Anna Läkare", Rebook: true, Cancel: true})
	}
	bt.Times = append(bt.Times, wire.BookingTime{ID: "s1", Start: at(11, 0), Minutes: 20, TypeID: "samtal-20", Type: "Samtal"})
	return bt
}

// gatewayDecides plays the gateway over mutual TLS: it takes the pending
// requests and answers each with decide.
func (e *env) gatewayDecides(unit string, decide func(wire.BookingRequest) wire.BookingDecision) []wire.BookingRequest {
	e.t.Helper()
	st, _, body := e.do(e.api, unit, http.MethodGet, wire.PathBookingRequests2, "", nil)
	if st != http.StatusOK {
		e.t.Fatalf("booking requests: %d %s", st, body)
	}
	pg, err := wire.DecodeBookingRequestPage(bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if len(pg.Requests) == 0 {
		return nil
	}
	ds := wire.BookingDecisions{}
	for _, r := range pg.Requests {
		ds.Decisions = append(ds.Decisions, decide(r))
	}
	b, _ := json.Marshal(ds)
	if st, _, body := e.do(e.api, unit, http.MethodPost, wire.PathBookingDecisions2, wire.ContentTypeJSON, b); st != http.StatusNoContent {
		e.t.Fatalf("booking decisions: %d %s", st, body)
	}
	return pg.Requests
}

// TestBookingPages: a patient chooses a type, sees its free times by day,
// confirms; another patient who confirmed the same time meanwhile is told
// in Swedish that it was taken, with the nearest free times of the kind;
// a time asked for shows to no one else while the gateway decides (busy-
// tentative); "Bokade tider" shows a booking only once the gateway
// confirmed, and rebook and cancel go the same way.
func TestBookingPages(t *testing.T) {
	e := newEnv(t)
	a, b := e.browser(), e.browser()
	a.login(adultPNR, adultName)
	b.login(otherPNR, "Annan Person")
	if p := a.get("/boka/" + unitA); p.status != http.StatusOK || !strings.Contains(p.body, "tar inte emot bokningar via webben") {
		t.Fatalf("before any times: %d %s", p.status, p.body)
	}
	body, _ := wire.Marshal(bookingTimes())
	if st, _, out := e.do(e.api, unitA, http.MethodPut, wire.PathBookingTimes2, wire.ContentTypeJSON, body); st != http.StatusNoContent {
		t.Fatalf("publish: %d %s", st, out)
	}
	p := a.get("/boka/" + unitA)
	for _, want := range []string{"Bokade tider", "Du har inga bokade tider", "Besök", "Samtal"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("booking page lacks %q", want)
		}
	}
	p = a.get("/boka/" + unitA + "?typ=besok-30")
	for _, want := range []string{"torsdag 5 mars 2026", ">09:00<", ">10:30<", "hos Anna Läkare"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("free times lack %q:\n%s", want, p.body)
		}
	}
	// Both open t1's confirmation; a confirms, then b.
	if p := b.get("/boka/" + unitA + "/tid/t1"); !strings.Contains(p.body, "Boka tiden") {
		t.Fatalf("confirm page: %s", p.body)
	}
	pa := a.post("/boka/"+unitA+"/tid/t1", url.Values{})
	pb := b.post("/boka/"+unitA+"/tid/t1", url.Values{})
	if pa.status != http.StatusSeeOther || pb.status != http.StatusSeeOther {
		t.Fatalf("requests: %d, %d", pa.status, pb.status)
	}
	if p := a.get(pa.header.Get("Location")); !strings.Contains(p.body, "skickad till mottagningen") {
		t.Errorf("pending request page: %s", p.body)
	}
	if p := e.browser(); true {
		p.login(teenPNR, "Tonåring")
		if strings.Contains(p.get("/boka/"+unitA+"?typ=besok-30").body, ">09:00<") {
			t.Error("a time asked for shows as free to a third patient while the gateway decides")
		}
	}
	if strings.Contains(a.get("/boka/"+unitA).body, "Avboka") {
		t.Error("Bokade tider shows a booking before the gateway confirmed it")
	}
	taken := map[string]string{}
	decide := func(r wire.BookingRequest) wire.BookingDecision {
		key := r.Time
		if r.Kind == wire.BookingCancel {
			delete(taken, r.Time)
			return wire.BookingDecision{Request: r.ID, Outcome: wire.BookingConfirmed}
		}
		if taken[key] != "" {
			return wire.BookingDecision{Request: r.ID, Outcome: wire.BookingDeclined, Reason: "taken"}
		}
		delete(taken, r.From)
		taken[key] = r.Patient
		return wire.BookingDecision{Request: r.ID, Outcome: wire.BookingConfirmed}
	}
	if got := e.gatewayDecides(unitA, decide); len(got) != 2 {
		t.Fatalf("the gateway got %d requests; want both", len(got))
	}
	if p := a.get(pa.header.Get("Location")); !strings.Contains(p.body, "mottagningen har bekräftat") {
		t.Errorf("confirmed request page: %s", p.body)
	}
	p = b.get(pb.header.Get("Location"))
	for _, want := range []string{"Tiden är redan bokad av någon annan", "Närmaste lediga tider av samma slag", ">torsdag 5 mars 2026 09:30<"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("declined page lacks %q:\n%s", want, p.body)
		}
	}
	if strings.Contains(p.body, "Samtal") || strings.Contains(p.body, "/tid/t1\"") {
		t.Errorf("alternatives offer another kind or the taken time:\n%s", p.body)
	}
	// Decisions delivered again change nothing.
	if got := e.gatewayDecides(unitA, decide); got != nil {
		t.Errorf("decided requests served again: %v", got)
	}
	p = a.get("/boka/" + unitA)
	if !strings.Contains(p.body, "Boka om") || !strings.Contains(p.body, "/boka/"+unitA+"/avboka/t1") {
		t.Fatalf("Bokade tider after confirmation:\n%s", p.body)
	}
	// Rebook t1 → t3, then cancel.
	if p := a.get("/boka/" + unitA + "?fran=t1"); !strings.Contains(p.body, "?fran=t1") || strings.Contains(p.body, "/tid/s1") {
		t.Errorf("rebook offers other kinds or loses the booking:\n%s", p.body)
	}
	pr := a.post("/boka/"+unitA+"/tid/t3", url.Values{"fran": {"t1"}})
	e.gatewayDecides(unitA, decide)
	if p := a.get(pr.header.Get("Location")); !strings.Contains(p.body, "bekräftat") {
		t.Errorf("rebook: %s", p.body)
	}
	if p := a.get("/boka/" + unitA); !strings.Contains(p.body, "/avboka/t3") || strings.Contains(p.body, "/avboka/t1") {
		t.Errorf("after rebook:\n%s", p.body)
	}
	pc := a.post("/boka/"+unitA+"/avboka/t3", url.Values{})
	e.gatewayDecides(unitA, decide)
	if p := a.get(pc.header.Get("Location")); !strings.Contains(p.body, "bekräftat") {
		t.Errorf("cancel: %s", p.body)
	}
	if p := a.get("/boka/" + unitA); !strings.Contains(p.body, "Du har inga bokade tider") {
		t.Errorf("after cancel:\n%s", p.body)
	}
	// b cannot cancel what is not b's.
	if p := b.post("/boka/"+unitA+"/avboka/t3", url.Values{}); p.status != http.StatusConflict || !strings.Contains(p.body, "ingen sådan bokning") {
		t.Errorf("another's cancel: %d %s", p.status, p.body)
	}
	// Another patient's request is not found; a request about another
	// unit's time is not one of its times.
	if p := b.get(pa.header.Get("Location")); p.status != http.StatusNotFound {
		t.Errorf("another's request page: %d", p.status)
	}
	if p := b.post("/boka/"+unitB+"/tid/t2", url.Values{}); p.status == http.StatusSeeOther {
		t.Errorf("a booking at a unit without online booking was taken: %d", p.status)
	}
	checkNoPNRInURLs(t, a, b)
	e.checkLogs(adultPNR, otherPNR)
}

// TestBookingAPI: the booking endpoints refuse what breaks the protocol
// (400, 405, 415) and keep units apart: a unit's gateway sees only its own
// patients' requests, and its decisions touch only them.
func TestBookingAPI(t *testing.T) {
	e := newEnv(t)
	body, _ := wire.Marshal(bookingTimes())
	for _, u := range []string{unitA, unitB} {
		if st, _, out := e.do(e.api, u, http.MethodPut, wire.PathBookingTimes2, wire.ContentTypeJSON, body); st != http.StatusNoContent {
			t.Fatalf("publish %s: %d %s", u, st, out)
		}
	}
	bad := []struct {
		method, path, ct, body string
		want                   int
	}{
		{http.MethodPut, wire.PathBookingTimes2, wire.ContentTypeJSON, `{"times":[{"id":"x"}]}`, http.StatusBadRequest},
		{http.MethodPut, wire.PathBookingTimes2, "text/plain", `{"times":[]}`, http.StatusUnsupportedMediaType},
		{http.MethodGet, wire.PathBookingTimes2, "", "", http.StatusMethodNotAllowed},
		{http.MethodPost, wire.PathBookingRequests2, wire.ContentTypeJSON, `{}`, http.StatusMethodNotAllowed},
		{http.MethodPost, wire.PathBookingDecisions2, wire.ContentTypeJSON, `{"decisions":[]}`, http.StatusBadRequest},
		{http.MethodPost, wire.PathBookingDecisions2, wire.ContentTypeJSON, `{"decisions":[{"request":"r","outcome":"booked","reason":""}]}`, http.StatusBadRequest},
	}
	for _, c := range bad {
		if st, _, out := e.do(e.api, unitA, c.method, c.path, c.ct, []byte(c.body)); st != c.want {
			t.Errorf("%s %s %s: %d %s; want %d", c.method, c.path, c.body, st, out, c.want)
		}
	}
	idA, err := e.store.RequestBooking(e.ctx, unitA, adultPNR, wire.BookingBook, "t1", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := e.gatewayDecides(unitB, func(r wire.BookingRequest) wire.BookingDecision {
		t.Errorf("unit B's gateway got unit A's request %s", r.ID)
		return wire.BookingDecision{Request: r.ID, Outcome: wire.BookingConfirmed}
	}); got != nil {
		t.Errorf("unit B was served %d requests", len(got))
	}
	// Unit B's gateway answering unit A's request id changes nothing.
	forged, _ := json.Marshal(wire.BookingDecisions{Decisions: []wire.BookingDecision{{Request: idA, Outcome: wire.BookingConfirmed}}})
	if st, _, _ := e.do(e.api, unitB, http.MethodPost, wire.PathBookingDecisions2, wire.ContentTypeJSON, forged); st != http.StatusNoContent {
		t.Errorf("forged decision: %d", st)
	}
	if st, err := e.store.BookingRequestOf(e.ctx, unitA, adultPNR, idA); err != nil || st.State != RequestPending {
		t.Errorf("unit A's request after unit B's decision: %+v, %v", st, err)
	}
	if got := e.gatewayDecides(unitA, func(r wire.BookingRequest) wire.BookingDecision {
		return wire.BookingDecision{Request: r.ID, Outcome: wire.BookingDeclined, Reason: "taken"}
	}); len(got) != 1 || got[0].ID != idA || got[0].Patient != adultPNR {
		t.Errorf("unit A's gateway got %+v", got)
	}
}
