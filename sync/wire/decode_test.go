package wire

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
)

// wantProblem fails unless err is a *Problem of the given status and type.
func wantProblem(t *testing.T, err error, status int, typ string) *Problem {
	t.Helper()
	var p *Problem
	if !errors.As(err, &p) {
		t.Fatalf("error = %v (%T), want a *Problem %d", err, err, status)
	}
	if p.Status != status || p.Type != typ {
		t.Fatalf("problem = %d %s (%s), want %d %s", p.Status, p.Type, p.Detail, status, typ)
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("the decoder's problem is itself invalid: %v", err)
	}
	return p
}

func wantBadRequest(t *testing.T, err error) *Problem {
	t.Helper()
	return wantProblem(t, err, http.StatusBadRequest, ProblemBadRequest)
}

// TestDecodeEveryBody runs the same hostile inputs through every decoder.
func TestDecodeEveryBody(t *testing.T) {
	for _, b := range bodies {
		golden := goldenBytes(b)
		trimmed := bytes.TrimSpace(golden)
		firstKey, firstRaw := firstMember(t, golden)
		t.Run(b.name, func(t *testing.T) {
			t.Run("valid", func(t *testing.T) {
				for _, in := range [][]byte{golden, trimmed, append([]byte(" \r\n\t"), golden...)} {
					if _, err := b.decode(reader(in)); err != nil {
						t.Fatalf("decode: %v", err)
					}
				}
			})
			t.Run("at the limit", func(t *testing.T) {
				in := append(bytes.Clone(trimmed), bytes.Repeat([]byte(" "), int(b.limit)-len(trimmed))...)
				if _, err := b.decode(reader(in)); err != nil {
					t.Fatalf("a body of exactly the limit: %v", err)
				}
			})
			t.Run("oversize", func(t *testing.T) {
				in := append(bytes.Clone(trimmed), bytes.Repeat([]byte(" "), int(b.limit)+1-len(trimmed))...)
				p := wantProblem(t, b.decode2(in), http.StatusRequestEntityTooLarge, ProblemBodyTooLarge)
				if !strings.Contains(p.Detail, fmt.Sprint(b.limit)) {
					t.Errorf("detail %q does not state the limit", p.Detail)
				}
				// An endless body is cut off at the limit, not read to the end.
				endless := io.MultiReader(bytes.NewReader(trimmed), neverEnding(' '))
				_, err := b.decode(endless)
				wantProblem(t, err, http.StatusRequestEntityTooLarge, ProblemBodyTooLarge)
				// http.MaxBytesReader's error is the same problem.
				rec := http.MaxBytesReader(nil, io.NopCloser(bytes.NewReader(in)), 10)
				_, err = b.decode(rec)
				wantProblem(t, err, http.StatusRequestEntityTooLarge, ProblemBodyTooLarge)
			})
			t.Run("truncated", func(t *testing.T) {
				for n := 0; n < len(trimmed); n++ {
					if _, err := b.decode(reader(trimmed[:n])); err == nil {
						t.Fatalf("decoded the first %d of %d bytes", n, len(trimmed))
					} else {
						wantBadRequest(t, err)
					}
				}
			})
			t.Run("read error", func(t *testing.T) {
				boom := errors.New("connection reset")
				_, err := b.decode(io.MultiReader(bytes.NewReader(trimmed[:5]), iotest.ErrReader(boom)))
				wantBadRequest(t, err)
				if !errors.Is(err, boom) {
					t.Errorf("error %v does not wrap the read error", err)
				}
			})
			for _, tc := range []struct{ name, in string }{
				{"empty", ""},
				{"white space", " \n"},
				{"null", "null"},
				{"array", "[]"},
				{"string", `"x"`},
				{"number", "0"},
				{"bom", "\uFEFF" + string(golden)},
				{"trailing garbage", string(trimmed) + "x"},
				{"trailing value", string(trimmed) + "{}"},
				{"trailing NUL", string(trimmed) + "\x00"},
				{"two values", string(trimmed) + "\n" + string(trimmed)},
				{"invalid UTF-8", string(trimmed[:2]) + "\xff" + string(trimmed[2:])},
				{"overlong UTF-8", string(trimmed[:2]) + "\xc0\xaf" + string(trimmed[2:])},
				{"UTF-8 surrogate", string(trimmed[:2]) + "\xed\xa0\x80" + string(trimmed[2:])},
				{"unpaired high surrogate escape", string(trimmed[:2]) + `\ud800` + string(trimmed[2:])},
				{"unpaired low surrogate escape", string(trimmed[:2]) + `\udc00` + string(trimmed[2:])},
				{"reversed surrogate escapes", string(trimmed[:2]) + `\udc00\ud800` + string(trimmed[2:])},
				{"duplicate member", `{"` + firstKey + `":` + firstRaw + `,` + string(trimmed[1:])},
				{"comment", "/* */" + string(trimmed)},
				{"single quotes", strings.ReplaceAll(string(trimmed), `"`, `'`)},
				{"deep nesting", strings.Repeat("[", 100000) + strings.Repeat("]", 100000)},
			} {
				t.Run(tc.name, func(t *testing.T) {
					if int64(len(tc.in)) > b.limit {
						t.Skip("larger than this body's limit")
					}
					_, err := b.decode(strings.NewReader(tc.in))
					wantBadRequest(t, err)
				})
			}
			t.Run("paired surrogate escape", func(t *testing.T) {
				// A correct pair is fine: only the body's own rules apply.
				in := string(trimmed)
				for _, text := range []string{"Testa", "Förnya", "Hej", "Conflict"} {
					if strings.Contains(in, text) {
						in = strings.Replace(in, text, `\ud83d\ude00`+text, 1)
						break
					}
				}
				if in == string(trimmed) {
					t.Skip("no free-text member")
				}
				if _, err := b.decode(strings.NewReader(in)); err != nil {
					t.Fatalf("decode: %v", err)
				}
			})
			if b.name == "problem" {
				return // lenient by design: TestDecodeProblemLenient
			}
			for _, tc := range []struct{ name, in string }{
				{"unknown member", `{"extra":1,` + string(trimmed[1:])},
				{"member name in another case", `{"` + strings.ToUpper(firstKey[:1]) + firstKey[1:] + `":` + firstRaw + string(trimmed[len(firstKey)+len(firstRaw)+4:])},
				{"required member missing", `{` + string(trimmed[len(firstKey)+len(firstRaw)+5:])},
				{"member null", `{"` + firstKey + `":null` + string(trimmed[len(firstKey)+len(firstRaw)+4:])},
			} {
				t.Run(tc.name, func(t *testing.T) {
					_, err := b.decode(strings.NewReader(tc.in))
					wantBadRequest(t, err)
				})
			}
			t.Run("every member mutated", func(t *testing.T) {
				for _, v := range mutations(t, golden) {
					_, err := b.decode(bytes.NewReader(v.in))
					if v.ok {
						if err != nil {
							t.Errorf("%s: %v", v.name, err)
						}
						continue
					}
					if err == nil {
						t.Errorf("%s: decoded", v.name)
						continue
					}
					var p *Problem
					if !errors.As(err, &p) || p.Status != http.StatusBadRequest {
						t.Errorf("%s: %v, want a 400 problem", v.name, err)
					}
				}
			})
		})
	}
}

// TestDecodeNumbers checks whole numbers: no fraction, exponent, sign or
// overflow where an unsigned number belongs.
func TestDecodeNumbers(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"1", true},
		{"9007199254740991", true},
		{"9007199254740992", false}, // over MaxSeq: Validate
		{"18446744073709551615", false},
		{"18446744073709551616", false}, // overflows uint64
		{"0", false},                    // Validate: an ack of nothing
		{"-1", false},
		{"-0", false},
		{"1.0", false},
		{"1e2", false},
		{"1E2", false},
		{"01", false}, // not JSON
		{"+1", false}, // not JSON
		{`"1"`, false},
		{"true", false},
		{"{}", false},
		{"NaN", false},
	} {
		_, err := DecodeAck(strings.NewReader(`{"cursor":` + tc.in + `}`))
		if tc.ok && err != nil {
			t.Errorf("cursor %s: %v", tc.in, err)
		}
		if !tc.ok {
			if err == nil {
				t.Errorf("cursor %s: decoded", tc.in)
			} else {
				wantBadRequest(t, err)
			}
		}
	}
	// A form version is a signed int: a negative one reads but is invalid.
	for _, v := range []string{"-1", "0", "2147483648", "1.5", "1e0"} {
		in := strings.Replace(string(goldenBytes(bodies[4])), `"version":3`, `"version":`+v, 1)
		if _, err := DecodeFormSet(strings.NewReader(in)); err == nil {
			t.Errorf("form version %s: decoded", v)
		}
	}
}

// TestDecodeTimes checks timestamps: RFC 3339 only, within the window.
func TestDecodeTimes(t *testing.T) {
	golden := string(goldenBytes(bodies[0]))
	for _, tc := range []struct {
		at string
		ok bool
	}{
		{"2025-01-31T09:30:00Z", true},
		{"2025-01-31T10:30:00+01:00", true},
		{"2025-01-31T09:30:00.123456789Z", true},
		{"2025-01-31t09:30:00z", false}, // RFC 3339 allows lower case; this protocol does not
		{"2025-01-31T09:30:00", false},
		{"2025-01-31 09:30:00Z", false},
		{"2025-01-31", false},
		{"31/01/2025", false},
		{"1999-12-31T23:59:59Z", false},
		{"0001-01-01T00:00:00Z", false},
		{"3000-01-01T00:00:00Z", false},
		{"9999-12-31T23:59:59Z", false},
		{"2025-02-30T09:30:00Z", false},
		{"2025-01-31T24:00:00Z", false},
		{"2025-01-31T09:30:00+24:00", false},
		{"2025-01-31T09:30:00+25:00", false},
		{"2025-01-31T09:30:00+0100", false},
		{"", false},
	} {
		in := strings.Replace(golden, goldenTime, tc.at, 1)
		_, err := DecodeInboxPage(strings.NewReader(in))
		if tc.ok && err != nil {
			t.Errorf("at %q: %v", tc.at, err)
		}
		if !tc.ok {
			if err == nil {
				t.Errorf("at %q: decoded", tc.at)
			} else {
				wantBadRequest(t, err)
			}
		}
	}
	for _, at := range []string{"1738315800", "null", "{}"} {
		in := strings.Replace(golden, `"`+goldenTime+`"`, at, 1)
		if _, err := DecodeInboxPage(strings.NewReader(in)); err == nil {
			t.Errorf("at %s: decoded", at)
		}
	}
}

// TestDecodeErrorsDoNotEchoInput puts a canary into the part of each body
// that is wrong and checks that no error repeats it.
func TestDecodeErrorsDoNotEchoInput(t *testing.T) {
	const canary = "CANARY"
	inbox := string(goldenBytes(bodies[0]))
	batch := string(goldenBytes(bodies[2]))
	forms := string(goldenBytes(bodies[4]))
	tests := []struct {
		name   string
		decode func(string) error
		in     string
	}{
		{"unknown member", decodeString(DecodeAck), `{"cursor":1,"CANARY":1}`},
		{"unknown nested member", decodeString(DecodeInboxPage), strings.Replace(inbox, `"pnr":`, `"CANARY":1,"pnr":`, 1)},
		{"wrong type", decodeString(DecodeAck), `{"cursor":"CANARY"}`},
		{"bad number", decodeString(DecodeAck), `{"cursor":1e99999}`},
		{"syntax", decodeString(DecodeAck), `{"cursor":CANARY}`},
		{"syntax in a string", decodeString(DecodeAck), `{"cursor":1,"x":"CANARY` + "\x01" + `"}`},
		{"trailing", decodeString(DecodeAck), `{"cursor":1}CANARY`},
		{"bad time", decodeString(DecodeInboxPage), strings.Replace(inbox, goldenTime, canary, 1)},
		{"bad pnr", decodeString(DecodeInboxPage), strings.Replace(inbox, pnrAdult, canary, 1)},
		{"pnr too long", decodeString(DecodeInboxPage), strings.Replace(inbox, pnrAdult, pnrAdult+"0", 1)},
		{"bad name", decodeString(DecodeInboxPage), strings.Replace(inbox, "Testa Testsson", canary+"\\u0007", 1)},
		{"bad case id", decodeString(DecodeInboxPage), strings.Replace(inbox, caseID1, canary, 1)},
		{"bad kind", decodeString(DecodeInboxPage), strings.Replace(inbox, "case.followup", canary, 1)},
		{"long text", decodeString(DecodeOutboxBatch), strings.Replace(batch, "Hur hög är febern?", canary+strings.Repeat("x", MaxTextLen), 1)},
		{"hsa-id title", decodeString(DecodeOutboxBatch), strings.Replace(batch, "Distriktssköterska", "SE2321000016-"+canary, 1)},
		{"bad status", decodeString(DecodeOutboxBatch), strings.Replace(batch, `"closed"`, `"CANARY"`, 1)},
		{"bad form id", decodeString(DecodeFormSet), strings.Replace(forms, "advice-nurse", canary, 1)},
		{"bad show-if", decodeString(DecodeFormSet), strings.Replace(forms, `"equals":"named"`, `"equals":"CANARY"`, 1)},
		{"bad stream type", decodeString(DecodeStreamMessage), `{"type":"CANARY","seq":1}`},
		{"bad problem type", decodeString(DecodeProblem), `{"type":"CANARY \u0000"}`},
	}
	for _, tc := range tests {
		err := tc.decode(tc.in)
		if err == nil {
			t.Errorf("%s: decoded", tc.name)
			continue
		}
		if strings.Contains(strings.ToUpper(err.Error()), canary) {
			t.Errorf("%s: error repeats the input: %v", tc.name, err)
		}
		wantBadRequest(t, err)
	}
}

func decodeString[T any](f func(io.Reader) (T, error)) func(string) error {
	return func(s string) error {
		_, err := f(strings.NewReader(s))
		return err
	}
}

// TestDecodeErrorNamesThePosition checks that an error says where.
func TestDecodeErrorNamesThePosition(t *testing.T) {
	batch := string(goldenBytes(bodies[2]))
	tests := []struct {
		in, want string
	}{
		{strings.Replace(batch, `"Hur hög är febern?"`, `5`, 1), "items[1].message.text must be a string"},
		{strings.Replace(batch, `"authorTitle":"Distriktssköterska"`, `"authorTitle":"a\u0000"`, 1), "items[1].message.authorTitle contains a control character"},
		{strings.Replace(batch, `"kind":"status",`, ``, 1), "items[2].kind is required"},
		{strings.Replace(batch, `"kind":"status",`, `"kind":"status","kind":"status",`, 1), "items[2].kind appears twice"},
		{strings.Replace(batch, `"status":"closed"`, `"status":"closed","x":1`, 1), "items[2] has a member the protocol does not define"},
		{strings.Replace(batch, `"idempotencyKey":"out-3"`, `"idempotencyKey":"out-1"`, 1), "items[2].idempotencyKey repeats"},
	}
	for _, tc := range tests {
		_, err := DecodeOutboxBatch(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v; want it to contain %q", err, tc.want)
		}
	}
}

// TestDecodeProblemLenient checks RFC 9457's rules for consumers.
func TestDecodeProblemLenient(t *testing.T) {
	tests := []struct {
		in   string
		want Problem
	}{
		{`{"type":"urn:x","title":"T","status":400,"detail":"D","instance":"/i/1"}`, Problem{Type: "urn:x", Title: "T", Status: 400, Detail: "D", Instance: "/i/1"}},
		{`{}`, Problem{Type: "about:blank"}},
		{`{"type":""}`, Problem{Type: "about:blank"}},
		{`{"title":"T","balance":30,"accounts":["/a/1"],"nested":{"x":[1,{"y":null}]}}`, Problem{Type: "about:blank", Title: "T"}},
		{`{"type":5,"status":"400","title":["x"],"detail":{}}`, Problem{Type: "about:blank"}},
		{`{"status":400.5}`, Problem{Type: "about:blank"}},
		{`{"Type":"urn:x"}`, Problem{Type: "about:blank"}}, // names are case-sensitive: an extension
	}
	for _, tc := range tests {
		p, err := DecodeProblem(strings.NewReader(tc.in))
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if p != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.in, p, tc.want)
		}
	}
	for _, in := range []string{
		`{"type":"urn:x","type":"urn:y"}`, // duplicate
		`{"x":{"a":1,"a":2}}`,             // duplicate in an extension
		`{"status":200}`,                  // not an error
		`{"type":"has space"}`,            // not a URI reference
		`{"title":"two\nlines"}`,          // title is one line
		`null`, `[]`, `"about:blank"`,     // not an object
		`{"x":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, // too deep
	} {
		if _, err := DecodeProblem(strings.NewReader(in)); err == nil {
			t.Errorf("%s: decoded", in)
		} else {
			wantBadRequest(t, err)
		}
	}
}

// TestDecodeJSONArguments checks DecodeJSON's own preconditions.
func TestDecodeJSONArguments(t *testing.T) {
	var a Ack
	if err := DecodeJSON(strings.NewReader(`{"cursor":1}`), 0, &a); err == nil {
		t.Error("limit 0 accepted")
	}
	if err := DecodeJSON(strings.NewReader(`{"cursor":1}`), 100, a); err == nil {
		t.Error("a non-pointer accepted")
	}
	if err := DecodeJSON(strings.NewReader(`{"cursor":1}`), 1<<63-1, &a); err != nil || a.Cursor != 1 {
		t.Errorf("the largest limit: %v, %+v", err, a)
	}
	// DecodeJSON does not Validate.
	if err := DecodeJSON(strings.NewReader(`{"cursor":0}`), 100, &a); err != nil {
		t.Errorf("DecodeJSON validated: %v", err)
	}
	// A map and an interface are walked too.
	var m map[string]int
	if err := DecodeJSON(strings.NewReader(`{"a":1,"a":2}`), 100, &m); err == nil {
		t.Error("duplicate map key accepted")
	}
	var x any
	if err := DecodeJSON(strings.NewReader(`[{"a":1},{"a":1,"b":{"a":2}}]`), 100, &x); err != nil {
		t.Errorf("any: %v", err)
	}
	if err := DecodeJSON(strings.NewReader(`[{"a":1},{"a":1,"a":2}]`), 100, &x); err == nil {
		t.Error("duplicate member in any accepted")
	}
}

// TestDecodeEscapedNames checks that member names are compared by what
// they mean, not how they are written, as encoding/json does.
func TestDecodeEscapedNames(t *testing.T) {
	if a, err := DecodeAck(strings.NewReader(`{"\u0063ursor":7}`)); err != nil || a.Cursor != 7 {
		t.Errorf("escaped name: %+v, %v", a, err)
	}
	for _, in := range []string{
		`{"cursor":1,"\u0063ursor":2}`,
		`{"\u0043ursor":1}`, // "Cursor"
		`{"cursor\u0000":1}`,
	} {
		if _, err := DecodeAck(strings.NewReader(in)); err == nil {
			t.Errorf("%s: decoded", in)
		}
	}
	if _, err := DecodeProblem(strings.NewReader(`{"type":"urn:a","\u0074ype":"urn:b"}`)); err == nil {
		t.Error("problem with an escaped duplicate member: decoded")
	}
}
