package wire

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestEventAtIsTheTimeOfRecord keeps the meaning of Event.at, which the
// gateway counts due dates from, stated in openapi.json, and the member
// required: a region's central store must send its time of record in
// every event.
func TestEventAtIsTheTimeOfRecord(t *testing.T) {
	doc, _ := openAPI(t)
	desc, _ := at(t, doc, "components", "schemas", "Event", "properties", "at", "description").(string)
	for _, want := range []string{"time of record", "accepted", "clock skew"} {
		if !strings.Contains(desc, want) {
			t.Errorf("openapi.json's Event.at does not say %q: %q", want, desc)
		}
	}
	f, _ := reflect.TypeFor[Event]().FieldByName("At")
	if f.Tag.Get("json") != "at" {
		t.Errorf("Event.At is tagged %q, want the required member \"at\"", f.Tag.Get("json"))
	}
	ev := Event{Seq: 1, ID: "e1", Kind: EventCaseWithdrawn, CaseID: "06fxm00000000000000000000a"}
	if err := ev.Validate(); err == nil {
		t.Error("an event without its time of record is valid")
	}
	ev.At = time.Date(2026, 3, 6, 22, 59, 0, 0, time.UTC)
	if err := ev.Validate(); err != nil {
		t.Errorf("an event with its time of record: %v", err)
	}
}
