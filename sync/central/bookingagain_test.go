package central

import (
	"net/http"
	"net/url"
	"strings"
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
