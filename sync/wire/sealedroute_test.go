package wire

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func init() {
	schemaTypes["SealedRoute"] = reflect.TypeFor[SealedRoute]()
}

// TestSealedRoute: the route's rules, that it is only beside a sealed
// event, that it is part of the chain link, and that both decoders take
// it alike and Unsealed takes it out.
func TestSealedRoute(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	sealed := Event{Seq: 3, ID: "e1", Kind: EventCaseCreated, CaseID: "01m97t68c0jqrvzxm47bttxvxf", At: at, Sealed: "AAAA"}
	for _, tc := range []struct {
		name   string
		kind   EventKind
		sealed bool
		route  SealedRoute
		ok     bool
	}{
		{"created", EventCaseCreated, true, SealedRoute{Type: "radgivning", Patient: hash}, true},
		{"created with guardian", EventCaseCreated, true, SealedRoute{Type: "radgivning", Patient: hash, Guardian: hash}, true},
		{"created without type", EventCaseCreated, true, SealedRoute{Patient: hash}, false},
		{"created without patient", EventCaseCreated, true, SealedRoute{Type: "radgivning"}, false},
		{"upper-case hash", EventCaseCreated, true, SealedRoute{Type: "radgivning", Patient: strings.ToUpper(hash)}, false},
		{"short hash", EventCaseCreated, true, SealedRoute{Type: "radgivning", Patient: hash[2:]}, false},
		{"a personnummer, not a hash", EventCaseCreated, true, SealedRoute{Type: "radgivning", Patient: "191212121212"}, false},
		{"bad guardian", EventCaseCreated, true, SealedRoute{Type: "radgivning", Patient: hash, Guardian: "x"}, false},
		{"created with message id", EventCaseCreated, true, SealedRoute{Type: "radgivning", Patient: hash, MessageID: "m1"}, false},
		{"followup", EventCaseFollowUp, true, SealedRoute{MessageID: "m1"}, true},
		{"followup without id", EventCaseFollowUp, true, SealedRoute{}, false},
		{"followup with patient", EventCaseFollowUp, true, SealedRoute{MessageID: "m1", Patient: hash}, false},
		{"route on a plain event", EventCaseFollowUp, false, SealedRoute{MessageID: "m1"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := sealed
			ev.Kind, ev.Route = tc.kind, &tc.route
			if !tc.sealed {
				ev.Sealed, ev.Message = "", &PatientMessage{ID: "m1", Text: "hej"}
			}
			if err := ev.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate: %v, want ok %v", err, tc.ok)
			}
		})
	}
	with := sealed
	with.Route = &SealedRoute{Type: "radgivning", Patient: hash}
	if NextLink(Link{}, with) == NextLink(Link{}, sealed) {
		t.Error("the route is not part of the chain link")
	}
	other := with
	other.Route = &SealedRoute{Type: "radgivning", Patient: strings.Repeat("cd", 32)}
	if NextLink(Link{}, with) == NextLink(Link{}, other) {
		t.Error("an altered route keeps the chain link")
	}
	b, err := Marshal(with)
	if err != nil {
		t.Fatal(err)
	}
	var fast Event
	if !(&fastDec{b: b}).event(&fast) {
		t.Fatalf("the fast decoder refuses %s", b)
	}
	if !reflect.DeepEqual(fast, with) {
		t.Errorf("fast decoder: %+v, want %+v", fast, with)
	}
	plain, err := Unsealed(with, []byte(`{"case":{"type":"radgivning","patient":{"pnr":"191212121212","name":"Tolvan"},"text":"hej"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if plain.Route != nil || plain.Sealed != "" {
		t.Errorf("Unsealed left the route %+v", plain.Route)
	}
}

// FuzzSealedEventFast: the fast decoder of an event (with its route)
// takes only what the strict one takes, to the same value.
func FuzzSealedEventFast(f *testing.F) {
	hash := strings.Repeat("0f", 32)
	f.Add([]byte(`{"seq":1,"id":"e","kind":"case.created","caseId":"01m97t68c0jqrvzxm47bttxvxf","at":"2026-12-07T09:00:00Z","sealed":"AAAA","route":{"type":"radgivning","patient":"` + hash + `"}}`))
	f.Add([]byte(`{"seq":2,"id":"f","kind":"case.followup","caseId":"01m97t68c0jqrvzxm47bttxvxf","at":"2026-12-07T09:00:00Z","sealed":"AAAA","route":{"messageId":"m1"}}`))
	f.Add([]byte(`{"seq":2,"id":"f","kind":"case.followup","caseId":"01m97t68c0jqrvzxm47bttxvxf","at":"2026-12-07T09:00:00Z","sealed":"AAAA","route":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if checkEncoding(b) != nil {
			return
		}
		var fast Event
		d := fastDec{b: b}
		if !d.event(&fast) || d.ws() != 0 {
			return
		}
		var strict Event
		if err := decodeBytes(b, reflect.ValueOf(&strict), nil); err != nil {
			t.Fatalf("fast took %q, strict refused: %v", b, err)
		}
		if !reflect.DeepEqual(fast, strict) {
			t.Fatalf("fast %+v, strict %+v", fast, strict)
		}
	})
}
