package central

import (
	"bytes"
	"net/http"
	"testing"

	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// TestFormVersionOfCase: a case.created event on protocol v2 carries the
// version of the form the patient submitted on, also after the unit
// published a later one; protocol v1 serves the same event without it.
func TestFormVersionOfCase(t *testing.T) {
	e := newEnv(t)
	publish := func(version int) {
		t.Helper()
		set := casetype.DefaultForms()
		for i := range set.Forms {
			set.Forms[i].Version = version
			set.Forms[i].Intro = wire.Text{SV: "Version " + string(rune('0'+version))}
		}
		// As a gateway of this release publishes: its catalogue.
		services := wire.ServiceSet{}
		for _, f := range set.Forms {
			services.Services = append(services.Services, wire.PublishedService{Form: f, AnswerDays: wire.DefaultAnswerDays})
		}
		b, err := wire.Marshal(services)
		if err != nil {
			t.Fatal(err)
		}
		if st, _, body := e.do(e.api, unitA, http.MethodPut, wire.PathServices2, wire.ContentTypeJSON, b); st != http.StatusNoContent {
			t.Fatalf("publish version %d: %d %s", version, st, body)
		}
	}
	publish(3)
	first := e.submit(unitA, "på version 3")
	publish(4)
	second := e.submit(unitA, "på version 4")

	page := e.inboxV2(unitA, 0, 10)
	want := map[string]int{first: 3, second: 4}
	if len(page.Events) != 2 {
		t.Fatalf("%d events, want 2", len(page.Events))
	}
	for _, ev := range page.Events {
		if ev.Case == nil || ev.Case.FormVersion != want[ev.CaseID] {
			t.Errorf("v2: case %s has form version %+v, want %d", ev.CaseID, ev.Case, want[ev.CaseID])
		}
	}
	status, _, body := e.do(e.api, unitA, http.MethodGet, wire.PathInbox+"?after=0&limit=10", "", nil)
	if status != http.StatusOK || bytes.Contains(body, []byte("formVersion")) {
		t.Errorf("v1 inbox: %d, carries formVersion: %s", status, body)
	}
	for _, ev := range e.inbox(unitA, 0, 10).Events {
		if ev.Case == nil || ev.Case.FormVersion != 0 {
			t.Errorf("v1: case %s has a form version", ev.CaseID)
		}
	}
}

// TestFormVersionOnlyToACatalogueGateway: a unit whose gateway published
// only a form set (the release before the catalogue, whose decoders refuse
// unknown members) gets its cases on protocol v2 without formVersion.
func TestFormVersionOnlyToACatalogueGateway(t *testing.T) {
	e := newEnv(t)
	set := casetype.DefaultForms()
	for i := range set.Forms {
		set.Forms[i].Version = 2
	}
	b, err := wire.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	if st, _, body := e.do(e.api, unitA, http.MethodPut, wire.PathForms, wire.ContentTypeJSON, b); st != http.StatusNoContent {
		t.Fatalf("publish: %d %s", st, body)
	}
	e.submit(unitA, "på ett formulär")
	status, _, body := e.do(e.api, unitA, http.MethodGet, wire.PathInbox2+"?after=0&limit=10", "", nil)
	if status != http.StatusOK || bytes.Contains(body, []byte("formVersion")) {
		t.Errorf("v2 inbox of a unit without a catalogue: %d, carries formVersion: %s", status, body)
	}
}
