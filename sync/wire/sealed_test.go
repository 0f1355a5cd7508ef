package wire

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// The sealing bodies join the package's tables (golden files, decoders'
// fuzz targets and mutations, the OpenAPI schema checks); a sealed chained
// page joins them as "sealed-chained-page".
func init() {
	bodies = append(bodies,
		body{"sealing-switch", func() Body { return SealingSwitch{Sealed: true} }, wrap(DecodeSealingSwitch), MaxBodyBytes, func() any { return new(SealingSwitch) }},
		body{"sealing-state", func() Body { return canonicalSealingState() }, wrap(DecodeSealingState), MaxBodyBytes, func() any { return new(SealingState) }},
		body{"sealed-chained-page", func() Body { return canonicalSealedPage() }, wrap(DecodeChainedPage), MaxBodyBytes, func() any { return new(ChainedPage) }},
	)
	schemaTypes["SealingSwitch"] = reflect.TypeFor[SealingSwitch]()
	schemaTypes["SealingState"] = reflect.TypeFor[SealingState]()
	schemaTypes["SealedContent"] = reflect.TypeFor[SealedContent]()
	pathConstants["PathSealing2"] = PathSealing2
}

func canonicalSealingState() SealingState {
	return SealingState{Sealed: true, KeyID: "0123456789abcdef0123456789abcdef", FromSeq: 41}
}

// canonicalSealedPage is the canonical chained page with its case and
// message events sealed (a pattern in place of a real envelope: sync/seal
// tests those).
func canonicalSealedPage() ChainedPage {
	p := canonicalInboxPage()
	evs := make([]Event, len(p.Events))
	for i, ev := range p.Events {
		if ev.Kind == EventCaseCreated || ev.Kind == EventCaseFollowUp {
			ev.Case, ev.Message = nil, nil
			ev.Sealed = b64(bytes.Repeat([]byte{byte(0x20 + i)}, 1300))
		}
		evs[i] = ev
	}
	return ChainedPage{Events: evs, Cursor: p.Cursor, More: p.More, Chain: Chain{
		Incarnation: goldenIncarnation, Head: 50,
		Base: goldenBase.String(), End: ChainOf(goldenBase, evs).String(),
	}}
}

// TestSealedEventRules: what a sealed event may and may not carry.
func TestSealedEventRules(t *testing.T) {
	plain := canonicalInboxPage().Events
	var created, followup, withdrawn Event
	for _, ev := range plain {
		switch ev.Kind {
		case EventCaseCreated:
			created = ev
		case EventCaseFollowUp:
			followup = ev
		case EventCaseWithdrawn:
			withdrawn = ev
		}
	}
	seal := func(ev Event) Event { ev.Case, ev.Message, ev.Sealed = nil, nil, b64([]byte("envelope")); return ev }
	for _, tc := range []struct {
		name string
		ev   Event
		want string // "" valid, else a word of the refusal
	}{
		{"sealed case", seal(created), ""},
		{"sealed follow-up", seal(followup), ""},
		{"sealed withdrawal", seal(withdrawn), "only for case.created"},
		{"sealed beside its case", func() Event { e := seal(created); e.Case = created.Case; return e }(), "must be absent"},
		{"sealed beside a message", func() Event { e := seal(followup); e.Message = followup.Message; return e }(), "must be absent"},
		{"not base64", func() Event { e := seal(created); e.Sealed = "not base64!"; return e }(), "base64"},
		{"unpadded", func() Event { e := seal(created); e.Sealed = strings.TrimRight(b64([]byte("ab")), "="); return e }(), "base64"},
		{"too long", func() Event { e := seal(created); e.Sealed = strings.Repeat("A", MaxSealedLen+4); return e }(), "at most"},
	} {
		err := tc.ev.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want a refusal saying %q", tc.name, err, tc.want)
		}
	}
}

// TestUnsealed: an opened content takes the event's place only when it is
// the event's kind and keeps every rule of a plain event.
func TestUnsealed(t *testing.T) {
	for _, ev := range canonicalInboxPage().Events {
		if ev.Kind == EventCaseWithdrawn {
			continue
		}
		pt, err := ContentOf(ev)
		if err != nil {
			t.Fatal(err)
		}
		sealed := ev
		sealed.Case, sealed.Message, sealed.Sealed = nil, nil, b64(pt)
		got, err := Unsealed(sealed, pt)
		if err != nil {
			t.Fatalf("%s: %v", ev.ID, err)
		}
		if !reflect.DeepEqual(got, ev) {
			t.Errorf("%s: unsealed %+v, want %+v", ev.ID, got, ev)
		}
		if NextLink(Link{}, sealed) == NextLink(Link{}, ev) {
			t.Errorf("%s: the sealed event links as the plain one", ev.ID)
		}
	}
	created := canonicalInboxPage().Events[0]
	msg, _ := ContentOf(Event{Message: &PatientMessage{ID: "m1", Text: "Hej"}})
	sealed := created
	sealed.Case, sealed.Sealed = nil, "AAAA"
	for name, pt := range map[string][]byte{
		"a message in a case.created": msg,
		"both":                        []byte(`{"case":{"type":"x","patient":{"pnr":"191212121212","name":"A"},"text":"t"},"message":{"id":"m","text":"t"}}`),
		"neither":                     []byte(`{}`),
		"a control character":         []byte(`{"case":{"type":"x","patient":{"pnr":"191212121212","name":"A\u0007"},"text":"t"}}`),
		"not JSON":                    []byte("\x00\x01"),
		"an unknown member":           []byte(`{"case":{"type":"x","patient":{"pnr":"191212121212","name":"A"},"text":"t"},"x":1}`),
	} {
		if _, err := Unsealed(sealed, pt); err == nil {
			t.Errorf("%s: unsealed", name)
		} else if _, ok := errors.AsType[*Problem](err); !ok {
			t.Errorf("%s: %T, want a *Problem", name, err)
		}
	}
}

// FuzzUnsealed: whatever an envelope opens to, Unsealed never panics and
// gives back only a valid plain event of the sealed event's kind.
func FuzzUnsealed(f *testing.F) {
	for _, ev := range canonicalInboxPage().Events {
		if pt, err := ContentOf(ev); err == nil {
			f.Add(pt, ev.Kind == EventCaseCreated)
		}
	}
	f.Add([]byte(`{"case":null}`), true)
	f.Fuzz(func(t *testing.T, pt []byte, created bool) {
		ev := Event{Seq: 3, ID: "ev-3", Kind: EventCaseFollowUp, CaseID: canonicalInboxPage().Events[0].CaseID, At: t0, Sealed: "AAAA"}
		if created {
			ev.Kind = EventCaseCreated
		}
		got, err := Unsealed(ev, pt)
		if err != nil {
			return
		}
		if got.Sealed != "" || got.Kind != ev.Kind || got.Validate() != nil {
			t.Fatalf("unsealed to %+v", got)
		}
	})
}

// FuzzSealedContentFast: the fast decoder of a sealed content takes only
// what the strict one takes, to the same value.
func FuzzSealedContentFast(f *testing.F) {
	for _, ev := range canonicalInboxPage().Events {
		if pt, err := ContentOf(ev); err == nil {
			f.Add(pt)
		}
	}
	f.Add([]byte(`{"case":null}`))
	f.Add([]byte(`{"message":{"id":"m","text":"a\u00e5"}} `))
	f.Fuzz(func(t *testing.T, b []byte) {
		if checkEncoding(b) != nil {
			return
		}
		fast, ok := decodeSealedContentFast(b)
		if !ok {
			return
		}
		var strict SealedContent
		if err := decodeBytes(b, reflect.ValueOf(&strict), nil); err != nil {
			t.Fatalf("fast took %q, strict refused: %v", b, err)
		}
		if !reflect.DeepEqual(fast, strict) {
			t.Fatalf("fast %+v, strict %+v", fast, strict)
		}
	})
}
