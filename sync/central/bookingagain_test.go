package central

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"clinicgw/sync/wire"
)

// TestBookingAgainForAHeldTime: a patient who clicks "Boka" again for a
// time they already have (the first answer lost, or a stale page) is told
// at once that the time is theirs, in Swedish; no second request goes to
// the gateway, whose answer could only be "booked by someone else".
func TestBookingAgainForAHeldTime(t *testing.T) {
	e := newEnv(t)
	body, _ := wire.Marshal(bookingTimes())
	if st, _, out := e.do(e.api, unitA, http.MethodPut, wire.PathBookingTimes2, wire.ContentTypeJSON, body); st != http.StatusNoContent {
		t.Fatalf("publish: %d %s", st, out)
	}
	a := e.browser()
	a.login(adultPNR, adultName)
	if p := a.post("/boka/"+unitA+"/tid/t1", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("first click: %d", p.status)
	}
	e.gatewayDecides(unitA, func(r wire.BookingRequest) wire.BookingDecision {
		return wire.BookingDecision{Request: r.ID, Outcome: wire.BookingConfirmed}
	})
	p := a.post("/boka/"+unitA+"/tid/t1", url.Values{})
	if p.status != http.StatusConflict || !strings.Contains(p.body, "Du har redan den här tiden") {
		t.Errorf("the second click for the held time: %d, want 409 saying the time is theirs:\n%s", p.status, p.body)
	}
	if got := e.gatewayDecides(unitA, nil); len(got) != 0 {
		t.Errorf("%d requests went to the gateway; want none", len(got))
	}
}

// TestBookingRushRefusalsApart: requests arriving together share a
// commit; a refused one among them (a time not published) gets its own
// refusal and the others are queued, each once.
func TestBookingRushRefusalsApart(t *testing.T) {
	e := newEnv(t)
	body, _ := wire.Marshal(bookingTimes())
	if st, _, out := e.do(e.api, unitA, http.MethodPut, wire.PathBookingTimes2, wire.ContentTypeJSON, body); st != http.StatusNoContent {
		t.Fatalf("publish: %d %s", st, out)
	}
	const n = 200
	ids, errs := make([]string, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			timeID := "t1"
			if i%2 == 1 {
				timeID = "finns-inte"
			}
			ids[i], errs[i] = e.store.RequestBooking(e.ctx, unitA, adultPNR, wire.BookingBook, timeID, "")
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range n {
		_, refused := errors.AsType[*InputError](errs[i])
		switch {
		case i%2 == 1 && (!refused || ids[i] != ""):
			t.Errorf("request %d for a time not published: %q, %v; want refused", i, ids[i], errs[i])
		case i%2 == 0 && (errs[i] != nil || ids[i] == "" || seen[ids[i]]):
			t.Errorf("request %d: %q, %v; want queued under its own id", i, ids[i], errs[i])
		}
		seen[ids[i]] = true
	}
	if got := e.gatewayDecides(unitA, func(r wire.BookingRequest) wire.BookingDecision {
		return wire.BookingDecision{Request: r.ID, Outcome: wire.BookingDeclined, Reason: "taken"}
	}); len(got) != n/2 {
		t.Errorf("the gateway got %d requests; want %d", len(got), n/2)
	}
}
