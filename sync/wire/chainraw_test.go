package wire

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// chainedPageEventsAgree fails unless DecodeChainedPageEvents refuses
// what DecodeChainedPage refuses, with the same problem, and takes what
// it takes, with the same page and each event's bytes meaning that event.
func chainedPageEventsAgree(t *testing.T, in []byte) {
	t.Helper()
	want, werr := DecodeChainedPage(bytes.NewReader(in))
	got, raw, err := DecodeChainedPageEvents(bytes.NewReader(in))
	if (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() {
		t.Fatalf("DecodeChainedPageEvents: %v; DecodeChainedPage: %v", err, werr)
	}
	if err != nil {
		return
	}
	if !equalValues(reflect.ValueOf(got), reflect.ValueOf(want)) {
		t.Fatalf("DecodeChainedPageEvents's page differs from DecodeChainedPage's")
	}
	if len(raw) != len(got.Events) {
		t.Fatalf("%d events, %d events' bytes", len(got.Events), len(raw))
	}
	for i, r := range raw {
		var ev Event
		if err := json.Unmarshal(r, &ev); err != nil {
			t.Fatalf("event %d's bytes %q: %v", i, r, err)
		}
		if !equalValues(reflect.ValueOf(ev), reflect.ValueOf(got.Events[i])) {
			t.Fatalf("event %d's bytes %q mean another event", i, r)
		}
	}
}

// The golden chained page, its mutations and a page written with white
// space everywhere: DecodeChainedPageEvents decides as DecodeChainedPage
// does, and each event's bytes are that event.
func TestDecodeChainedPageEvents(t *testing.T) {
	for _, b := range bodies {
		if b.name != "chained-page" {
			continue
		}
		golden := goldenBytes(b)
		chainedPageEventsAgree(t, golden)
		for _, m := range mutations(t, golden) {
			chainedPageEventsAgree(t, m.in)
		}
		var spaced bytes.Buffer
		if err := json.Indent(&spaced, golden, " \n", "\t "); err != nil {
			t.Fatal(err)
		}
		chainedPageEventsAgree(t, spaced.Bytes())
		_, raw, err := DecodeChainedPageEvents(bytes.NewReader(golden))
		if err != nil || len(raw) == 0 {
			t.Fatalf("the golden page: %d events' bytes, %v", len(raw), err)
		}
		return
	}
	t.Fatal("no golden chained page")
}

// FuzzDecodeChainedPageEvents holds DecodeChainedPageEvents to
// DecodeChainedPage on any body.
func FuzzDecodeChainedPageEvents(f *testing.F) {
	for _, b := range bodies {
		if b.name == "chained-page" {
			golden := goldenBytes(b)
			f.Add(golden)
			for _, m := range mutations(f, golden) {
				f.Add(m.in)
			}
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) { chainedPageEventsAgree(t, in) })
}
