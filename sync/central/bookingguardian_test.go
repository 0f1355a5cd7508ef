package central

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"clinicgw/sync/wire"
)

// TestGuardianBooksForChild: a guardian books for a child under 13 on the
// patient pages as they write a case for one (the child's personnummer and
// name in the form's body, never in an address): the request reaching the
// gateway is the child's; the guardian's "Bokade tider" shows it, named
// for the child, with cancel; the cancel goes as the child's. A child of
// 13 or more, or the guardian as their own child, is declined in Swedish
// with nothing queued; another adult can neither see nor cancel the
// child's booking. A time staff book for the child shows for the guardian
// too.
func TestGuardianBooksForChild(t *testing.T) {
	e := newEnv(t)
	g, o := e.browser(), e.browser()
	g.login(adultPNR, adultName)
	o.login(otherPNR, "Annan Person")
	bt := bookingTimes()
	body, _ := wire.Marshal(bt)
	if st, _, out := e.do(e.api, unitA, http.MethodPut, wire.PathBookingTimes2, wire.ContentTypeJSON, body); st != http.StatusNoContent {
		t.Fatalf("publish: %d %s", st, out)
	}
	if p := g.get("/boka/" + unitA + "/tid/t1"); !strings.Contains(p.body, `name="childPnr"`) || !strings.Contains(p.body, "Jag bokar för mitt barn") {
		t.Fatalf("the confirm page has no guardian's choice:\n%s", p.body)
	}
	child := url.Values{"guardian": {"1"}, "childPnr": {childPNR}, "childName": {childName}}
	for name, c := range map[string]url.Values{
		"a child of 13 or more":     {"guardian": {"1"}, "childPnr": {teenPNR}, "childName": {"Tonåring"}},
		"the guardian as the child": {"guardian": {"1"}, "childPnr": {adultPNR}, "childName": {adultName}},
		"no child's personnummer":   {"guardian": {"1"}, "childName": {childName}},
	} {
		if p := g.post("/boka/"+unitA+"/tid/t1", c); p.status == http.StatusSeeOther || !strings.Contains(p.body, "lang=\"sv\"") {
			t.Errorf("%s: %d\n%.500s", name, p.status, p.body)
		}
	}
	if p := g.post("/boka/"+unitA+"/tid/t1", child); p.status != http.StatusSeeOther {
		t.Fatalf("book for the child: %d %s", p.status, p.body)
	}
	confirm := func(r wire.BookingRequest) wire.BookingDecision {
		if r.Patient != childPNR {
			t.Errorf("the request reached the gateway for %s; want the child", r.Patient)
		}
		return wire.BookingDecision{Request: r.ID, Outcome: wire.BookingConfirmed}
	}
	if got := e.gatewayDecides(unitA, confirm); len(got) != 1 {
		t.Fatalf("%d requests reached the gateway; want the child's one (the bad ones none)", len(got))
	}
	p := g.get("/boka/" + unitA)
	if !strings.Contains(p.body, "/avboka/t1") || !strings.Contains(p.body, childName) {
		t.Fatalf("the guardian's Bokade tider:\n%s", p.body)
	}
	if p := o.get("/boka/" + unitA); strings.Contains(p.body, "/avboka/t1") || strings.Contains(p.body, childName) {
		t.Error("another adult sees the child's booking")
	}
	if p := o.post("/boka/"+unitA+"/avboka/t1", url.Values{}); p.status == http.StatusSeeOther {
		t.Error("another adult cancelled the child's booking")
	}
	// Staff book t2 for the child (the gateway's bookings): the guardian sees it.
	bb := wire.BookingBookings{Bookings: []wire.PatientBooking{{Patient: childPNR, Time: bt.Times[0]}, {Patient: childPNR, Time: bt.Times[1]}}, Canceled: []wire.PatientBooking{}}
	raw, _ := wire.Marshal(bb)
	if st, _, _ := e.do(e.api, unitA, http.MethodPut, wire.PathBookingBookings2, wire.ContentTypeJSON, raw); st != http.StatusNoContent {
		t.Fatalf("bookings: %d", st)
	}
	if p := g.get("/boka/" + unitA); !strings.Contains(p.body, "/avboka/t2") {
		t.Errorf("a staff booking for the child is not in the guardian's Bokade tider:\n%s", p.body)
	}
	// The guardian moves the child's t2 to t3: the child's rebooking.
	if p := g.get("/boka/" + unitA + "?fran=t2"); p.status != http.StatusOK || !strings.Contains(p.body, "/tid/t3?fran=t2") {
		t.Fatalf("the guardian's rebooking page: %d\n%s", p.status, p.body)
	}
	if p := g.post("/boka/"+unitA+"/tid/t3", url.Values{"fran": {"t2"}}); p.status != http.StatusSeeOther {
		t.Fatalf("the guardian's rebooking: %d %s", p.status, p.body)
	}
	if got := e.gatewayDecides(unitA, confirm); len(got) != 1 || got[0].Kind != wire.BookingRebook || got[0].From != "t2" {
		t.Fatalf("the rebooking at the gateway: %+v", got)
	}
	if p := g.get("/boka/" + unitA); !strings.Contains(p.body, "/avboka/t3") || strings.Contains(p.body, "/avboka/t2") {
		t.Errorf("after the guardian's rebooking:\n%s", p.body)
	}
	pc := g.post("/boka/"+unitA+"/avboka/t1", url.Values{})
	if pc.status != http.StatusSeeOther {
		t.Fatalf("the guardian's cancel: %d %s", pc.status, pc.body)
	}
	e.gatewayDecides(unitA, confirm)
	if p := g.get(pc.header.Get("Location")); !strings.Contains(p.body, "bekräftat") {
		t.Errorf("the cancel's page: %s", p.body)
	}
	checkNoPNRInURLs(t, g, o)
	e.checkLogs(adultPNR, otherPNR, childPNR, childName)
}
