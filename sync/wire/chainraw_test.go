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
		_, _, _, ierr := DecodeChainedPageEventsInto(bytes.NewReader(in), make([]byte, 0, len(in)+1))
		if ierr == nil || ierr.Error() != err.Error() {
			t.Fatalf("DecodeChainedPageEventsInto: %v; DecodeChainedPageEvents: %v", ierr, err)
		}
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
	// Into a lent buffer that held another body, one it fits and one it
	// does not: the same page and events' bytes, and the buffer
	// overwritten after changes nothing of the page.
	for _, size := range []int{len(in) + 1, len(in) / 2} {
		buf := bytes.Repeat([]byte(`{"seq":1,"id":"\u`), size/17+1)[:0:size]
		page, rawInto, body, err := DecodeChainedPageEventsInto(bytes.NewReader(in), buf)
		if err != nil {
			t.Fatalf("DecodeChainedPageEventsInto (a buffer of %d): %v; DecodeChainedPageEvents took it", size, err)
		}
		if !reflect.DeepEqual(rawInto, raw) {
			t.Fatalf("DecodeChainedPageEventsInto (a buffer of %d): other events' bytes", size)
		}
		clear(body[:cap(body)])
		if !equalValues(reflect.ValueOf(page), reflect.ValueOf(got)) {
			t.Fatalf("DecodeChainedPageEventsInto (a buffer of %d): the page differs, or changed with its buffer", size)
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

// The fast decoder's member tables are the types' own: the same JSON
// names in the same order, the same ones required (structInfoOf, what
// the walk holds a body to).
func TestFastPageMembers(t *testing.T) {
	for _, tc := range []struct {
		m   *fastMembers
		typ reflect.Type
	}{
		{&fastPageMembers, reflect.TypeFor[ChainedPage]()},
		{&fastEventMembers, reflect.TypeFor[Event]()},
		{&fastCaseMembers, reflect.TypeFor[NewCase]()},
		{&fastPersonMembers, reflect.TypeFor[Person]()},
		{&fastFieldMembers, reflect.TypeFor[Field]()},
		{&fastMessageMembers, reflect.TypeFor[PatientMessage]()},
		{&fastChainMembers, reflect.TypeFor[Chain]()},
		{&fastRouteMembers, reflect.TypeFor[SealedRoute]()},
	} {
		info := structInfoOf(tc.typ)
		var names []string
		for _, f := range info.byIndex {
			names = append(names, f.name)
		}
		if !reflect.DeepEqual(names, tc.m.names) || info.required != tc.m.required {
			t.Errorf("%s: the fast decoder knows %v (required %b), the type has %v (required %b)",
				tc.typ, tc.m.names, tc.m.required, names, info.required)
		}
	}
}

// The fast decoder takes the ordinary page, compact or spaced, with
// escapes in its texts: the strict decoder is the exception, not the
// rule.
func TestFastPageTakesOrdinaryPages(t *testing.T) {
	for _, b := range bodies {
		if b.name != "chained-page" {
			continue
		}
		golden := goldenBytes(b)
		var spaced bytes.Buffer
		if err := json.Indent(&spaced, golden, "", "  "); err != nil {
			t.Fatal(err)
		}
		for _, in := range [][]byte{golden, spaced.Bytes()} {
			if _, _, ok := decodeChainedPageFast(in); !ok {
				t.Fatalf("the fast decoder gives up on an ordinary page:\n%s", in)
			}
		}
		// Texts with escapes: line breaks, quotes, <, > and & (which
		// Marshal writes as \u003c and so on), a character beyond the BMP.
		page, err := DecodeChainedPage(bytes.NewReader(golden))
		if err != nil {
			t.Fatal(err)
		}
		escaped := 0
		for i := range page.Events {
			if c := page.Events[i].Case; c != nil {
				c.Text = "Hej!\n\"Ont\" <i> halsen & örat\t😷\\ slut"
				c.Patient.Name = "Åsa \"Ö\" <Berg>"
				escaped++
			}
		}
		if escaped == 0 {
			t.Fatal("the golden page has no new case")
		}
		in, err := Marshal(page)
		if err != nil {
			t.Fatal(err)
		}
		fast, _, ok := decodeChainedPageFast(in)
		if !ok {
			t.Fatalf("the fast decoder gives up on a page with escapes:\n%s", in)
		}
		if !equalValues(reflect.ValueOf(fast), reflect.ValueOf(page)) {
			t.Fatalf("the fast decoder reads another page from\n%s", in)
		}
		chainedPageEventsAgree(t, in)
		return
	}
	t.Fatal("no golden chained page")
}
