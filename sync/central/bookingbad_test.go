package central

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"clinicgw/sync/wire"
)

// TestBookingBadInput: what the patient pages can tell at once is
// declined at once, in Swedish, with nothing queued for the gateway and
// nothing changed: a time that does not exist, one in the past, another
// unit's time, a rebooking to another kind of time or another clinician,
// a rebooking or cancellation of a time whose type does not allow it.
// (A cancellation after the type's deadline and an expired hold are the
// gateway's to decline: agent/booking's TestDecideBadInput and TestRules.)
func TestBookingBadInput(t *testing.T) {
	e := newEnv(t)
	a := e.browser()
	a.login(adultPNR, adultName)
	bt := bookingTimes()
	past := bt.Times[0]
	past.ID, past.Start = "p1", e.clock.Now().Add(-time.Hour)
	other := bt.Times[0]
	other.ID, other.Clinician, other.Start = "t9", "Bertil Läkare", bt.Times[0].Start.Add(4*time.Hour)
	fixed := bt.Times[0]
	fixed.ID, fixed.Rebook, fixed.Cancel, fixed.Start = "n1", false, false, bt.Times[0].Start.Add(5*time.Hour)
	bt.Times = append(bt.Times, past, other, fixed)
	body, _ := wire.Marshal(bt)
	if st, _, out := e.do(e.api, unitA, http.MethodPut, wire.PathBookingTimes2, wire.ContentTypeJSON, body); st != http.StatusNoContent {
		t.Fatalf("publish: %d %s", st, out)
	}
	bodyB, _ := wire.Marshal(wire.BookingTimes{Times: []wire.BookingTime{{ID: "b1", Start: bt.Times[0].Start, Minutes: 30, TypeID: "besok-30", Type: "Besök"}}})
	if st, _, out := e.do(e.api, unitB, http.MethodPut, wire.PathBookingTimes2, wire.ContentTypeJSON, bodyB); st != http.StatusNoContent {
		t.Fatalf("publish B: %d %s", st, out)
	}
	// The patient has t1 and n1, confirmed.
	for _, id := range []string{"t1", "n1"} {
		if p := a.post("/boka/"+unitA+"/tid/"+id, url.Values{}); p.status != http.StatusSeeOther {
			t.Fatalf("book %s: %d", id, p.status)
		}
	}
	e.gatewayDecides(unitA, func(r wire.BookingRequest) wire.BookingDecision {
		return wire.BookingDecision{Request: r.ID, Outcome: wire.BookingConfirmed}
	})
	before := a.get("/boka/" + unitA).body
	cases := []struct {
		name, path string
		form       url.Values
		want       string
	}{
		{"a time that does not exist", "/boka/" + unitA + "/tid/nope", nil, "Tiden finns inte längre att boka"},
		{"a time in the past", "/boka/" + unitA + "/tid/p1", nil, "Tiden har redan varit"},
		{"another unit's time", "/boka/" + unitB + "/tid/t2", nil, "Tiden finns inte längre att boka"},
		{"a rebooking to another kind of time", "/boka/" + unitA + "/tid/s1", url.Values{"fran": {"t1"}}, "samma slag"},
		{"a rebooking to another clinician", "/boka/" + unitA + "/tid/t9", url.Values{"fran": {"t1"}}, "samma behandlare"},
		{"a rebooking the type does not allow", "/boka/" + unitA + "/tid/t2", url.Values{"fran": {"n1"}}, "kan inte bokas om via webben"},
		{"a cancellation the type does not allow", "/boka/" + unitA + "/avboka/n1", nil, "kan inte avbokas via webben"},
		{"a cancellation of a time not booked", "/boka/" + unitA + "/avboka/t2", nil, "Du har ingen sådan bokning"},
	}
	for _, c := range cases {
		p := a.post(c.path, c.form)
		if p.status == http.StatusSeeOther || !strings.Contains(p.body, c.want) {
			t.Errorf("%s: %d, want a Swedish decline %q:\n%.600s", c.name, p.status, c.want, p.body)
		}
	}
	for _, u := range []string{unitA, unitB} {
		if got := e.gatewayDecides(u, func(r wire.BookingRequest) wire.BookingDecision {
			return wire.BookingDecision{Request: r.ID, Outcome: wire.BookingDeclined, Reason: "badRequest"}
		}); len(got) != 0 {
			t.Errorf("unit %s: %d requests reached the gateway", u, len(got))
		}
	}
	if after := a.get("/boka/" + unitA).body; after != before {
		t.Error("a declined request changed Bokade tider")
	}
}
