package wire

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"
)

// fuzzDecoder checks a decoder on arbitrary bytes: it never panics; its
// errors are valid 400 or 413 problems; and whatever it accepts is valid,
// re-encodes with Marshal, and decodes again to an equal value with the
// same encoding.
func fuzzDecoder[T Body](f *testing.F, name string, decode func(io.Reader) (T, error)) {
	for _, b := range bodies {
		golden := goldenBytes(b)
		if b.name == name {
			f.Add(golden)
			f.Add(bytes.TrimSpace(golden)[:len(golden)/2])
			for _, m := range mutations(f, golden) {
				f.Add(m.in)
			}
			continue
		}
		f.Add(golden) // another body: must be refused or mean the same
	}
	for _, s := range []string{"", "null", "{}", "[]", `{"a":1,"a":1}`, "\xff", `"\ud800"`, "{\"type\":\"x\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		v, err := decode(bytes.NewReader(in))
		if err != nil {
			var p *Problem
			if !errors.As(err, &p) {
				t.Fatalf("error is not a *Problem: %v", err)
			}
			if p.Status != http.StatusBadRequest && p.Status != http.StatusRequestEntityTooLarge {
				t.Fatalf("problem status %d", p.Status)
			}
			if verr := p.Validate(); verr != nil {
				t.Fatalf("the decoder's problem is invalid: %v", verr)
			}
			return
		}
		if err := v.Validate(); err != nil {
			t.Fatalf("decoded an invalid value: %v", err)
		}
		out, err := Marshal(v)
		if err != nil {
			t.Fatalf("a decoded value does not Marshal: %v", err)
		}
		v2, err := decode(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("the re-encoding does not decode: %v\n%s", err, out)
		}
		if !equalValues(reflect.ValueOf(v), reflect.ValueOf(v2)) {
			t.Fatalf("round trip changed the value:\n in %+v\nout %+v", v, v2)
		}
		out2, err := Marshal(v2)
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("the encoding is not stable: %v\n%s\n%s", err, out, out2)
		}
	})
}

// equalValues is reflect.DeepEqual, except that timestamps are equal when
// they are the same instant with the same UTC offset (time.Local and UTC
// are different locations with the same offset).
func equalValues(a, b reflect.Value) bool {
	if a.Type() != b.Type() {
		return false
	}
	if a.Type() == timeType {
		ta, tb := a.Interface().(time.Time), b.Interface().(time.Time)
		_, oa := ta.Zone()
		_, ob := tb.Zone()
		return ta.Equal(tb) && oa == ob
	}
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equalValues(a.Elem(), b.Elem())
	case reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equalValues(a.Elem(), b.Elem())
	case reflect.Slice:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !equalValues(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Struct:
		for i := range a.NumField() {
			if !equalValues(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.String:
		return a.String() == b.String()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return a.Uint() == b.Uint()
	}
	panic("equalValues: unexpected kind " + a.Kind().String())
}

func FuzzDecodeInboxPage(f *testing.F)    { fuzzDecoder(f, "inbox-page", DecodeInboxPage) }
func FuzzDecodeAck(f *testing.F)          { fuzzDecoder(f, "ack", DecodeAck) }
func FuzzDecodeOutboxBatch(f *testing.F)  { fuzzDecoder(f, "outbox-batch", DecodeOutboxBatch) }
func FuzzDecodeOutboxBatch2(f *testing.F) { fuzzDecoder(f, "outbox-batch2", DecodeOutboxBatch2) }
func FuzzDecodeOutboxResult(f *testing.F) { fuzzDecoder(f, "outbox-result", DecodeOutboxResult) }
func FuzzDecodeFormSet(f *testing.F)      { fuzzDecoder(f, "form-set", DecodeFormSet) }
func FuzzDecodeStreamMessage(f *testing.F) {
	fuzzDecoder(f, "stream-message", DecodeStreamMessage)
}
func FuzzDecodeProblem(f *testing.F) { fuzzDecoder(f, "problem", DecodeProblem) }
func FuzzDecodeChainedPage(f *testing.F) {
	fuzzDecoder(f, "chained-page", DecodeChainedPage)
}
func FuzzDecodeReconcileBatch(f *testing.F) {
	fuzzDecoder(f, "reconcile-batch", DecodeReconcileBatch)
}
func FuzzDecodeReconcileResult(f *testing.F) {
	fuzzDecoder(f, "reconcile-result", DecodeReconcileResult)
}
func FuzzDecodeQuarantineReport(f *testing.F) {
	fuzzDecoder(f, "quarantine-report", DecodeQuarantineReport)
}

func FuzzDecodeConfirmedPage(f *testing.F) {
	fuzzDecoder(f, "confirmed-page", DecodeConfirmedPage)
}

// FuzzParseInboxQuery checks the inbox query parser: no panic, problems
// only, and what it accepts encodes and parses back the same.
func FuzzParseInboxQuery(f *testing.F) {
	for _, s := range []string{"", "after=1&limit=2", "limit=500", "after=18446744073709551615", "x=1", "after=1&after=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		got, err := ParseInboxQuery(q)
		if err != nil {
			if _, ok := errors.AsType[*Problem](err); !ok {
				t.Fatalf("error is not a *Problem: %v", err)
			}
			return
		}
		if got.After > MaxSeq || got.Limit < 1 || got.Limit > MaxInboxLimit {
			t.Fatalf("accepted %+v", got)
		}
		q2, _ := url.ParseQuery(got.Encode())
		if back, err := ParseInboxQuery(q2); err != nil || back != got {
			t.Fatalf("round trip: %+v → %q → %+v, %v", got, got.Encode(), back, err)
		}
	})
}

// FuzzParseConfirmedQuery checks the confirmed-items query parser: no
// panic, problems only, and what it accepts encodes and parses back the
// same.
func FuzzParseConfirmedQuery(f *testing.F) {
	for _, s := range []string{"", "since=2026-03-02T09:00:00Z", "since=2026-03-02T09:00:00.5Z&after=3&limit=100",
		"since=2026-03-02T10:00:00%2B01:00", "since=x", "since=2026-03-02T09:00:00Z&limit=0", "since=2026-03-02T09:00:00Z&y=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		got, err := ParseConfirmedQuery(q)
		if err != nil {
			if _, ok := errors.AsType[*Problem](err); !ok {
				t.Fatalf("error is not a *Problem: %v", err)
			}
			return
		}
		if got.After > MaxSeq || got.Limit < 1 || got.Limit > MaxOutboxItems || got.Since.IsZero() && !q.Has(QuerySince) {
			t.Fatalf("accepted %+v", got)
		}
		q2, _ := url.ParseQuery(got.Encode())
		back, err := ParseConfirmedQuery(q2)
		if err != nil || !back.Since.Equal(got.Since) || back.After != got.After || back.Limit != got.Limit {
			t.Fatalf("round trip: %+v → %q → %+v, %v", got, got.Encode(), back, err)
		}
	})
}

func FuzzDecodeUnitContact(f *testing.F) { fuzzDecoder(f, "unit-contact", DecodeUnitContact) }
