package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// decode2 decodes in and returns only the error.
func (b body) decode2(in []byte) error {
	_, err := b.decode(bytes.NewReader(in))
	return err
}

// neverEnding is an endless reader of one byte.
type neverEnding byte

func (n neverEnding) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(n)
	}
	return len(p), nil
}

// firstMember returns the first member of the object in b: its key and
// its value as written.
func firstMember(t *testing.T, b []byte) (string, string) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("golden is not an object: %v", err)
	}
	tok, err := dec.Token()
	if err != nil {
		t.Fatal(err)
	}
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte(`{"`+tok.(string)+`":`+string(raw))) {
		t.Fatalf("golden does not start with its first member written compactly")
	}
	return tok.(string), string(raw)
}

// mutation is a body with one change and whether it must still decode.
type mutation struct {
	name string
	in   []byte
	ok   bool
}

// optionalObjects may be null: a nil pointer, the same as leaving them out.
var optionalObjects = map[string]bool{"guardian": true, "showIf": true}

// mutations returns, for every value in the body (outside problem
// objects, which decode leniently), the body with that value replaced by
// one of another JSON type, or by null; with an unknown member added to
// every object; and with every member's name in upper case.
func mutations(t testing.TB, golden []byte) []mutation {
	t.Helper()
	var out []mutation
	var visit func(path string, get func() any, set func(any))
	root := parse(t, golden)
	emit := func(name string, ok bool) {
		b, err := json.Marshal(root)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, mutation{name, b, ok})
	}
	visit = func(path string, get func() any, set func(any)) {
		orig := get()
		if path != "" {
			var other any = "x"
			switch orig.(type) {
			case string:
				other = json.Number("1")
			case map[string]any:
				other = []any{}
			}
			set(other)
			emit(path+" wrong type", false)
			set(nil)
			emit(path+" null", optionalObjects[lastName(path)])
			set(orig)
		}
		switch v := orig.(type) {
		case map[string]any:
			if path != "" && lastName(path) == "problem" {
				return
			}
			v["unknownMember"] = true
			emit(path+" unknown member", false)
			delete(v, "unknownMember")
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				val := v[k]
				delete(v, k)
				v[strings.ToUpper(k)] = val
				emit(path+"."+k+" upper case", false)
				delete(v, strings.ToUpper(k))
				v[k] = val
				visit(path+"."+k, func() any { return v[k] }, func(x any) { v[k] = x })
			}
		case []any:
			for i := range v {
				visit(fmt.Sprintf("%s[%d]", path, i), func() any { return v[i] }, func(x any) { v[i] = x })
			}
		}
	}
	visit("", func() any { return root }, func(x any) { root = x })
	if len(out) < 4 {
		t.Fatalf("only %d mutations", len(out))
	}
	return out
}

func lastName(path string) string {
	path = strings.TrimRight(path, "]0123456789[")
	return path[strings.LastIndexByte(path, '.')+1:]
}

func parse(t testing.TB, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}
