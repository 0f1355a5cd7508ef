package wire

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// slowInboxPage decodes b on the general path only.
func slowInboxPage(b []byte) (InboxPage, error) {
	var p InboxPage
	err := decodeBytes(b, reflect.ValueOf(&p))
	return p, err
}

// checkFastAgrees fails if the fast path takes b and the general path
// refuses it or decodes it to another value. It reports whether the fast
// path took b.
func checkFastAgrees(t testing.TB, name string, b []byte) bool {
	t.Helper()
	if checkEncoding(b) != nil {
		return false // never offered to the fast path
	}
	fast, ok := fastInboxPage(b)
	if !ok {
		return false
	}
	slow, err := slowInboxPage(b)
	if err != nil {
		t.Fatalf("%s: the fast path takes what the general path refuses (%v):\n%s", name, err, b)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%s: the paths decode differently:\nfast %+v\nslow %+v\n%s", name, fast, slow, b)
	}
	return true
}

// A page as Marshal writes it is decoded on the fast path, to the value
// the general path gives.
func TestInboxPageFastPathTakesCanonical(t *testing.T) {
	p := canonicalInboxPage()
	p.Events[0].Case.Text = "Citat \"så\" \\ snedstreck / tab\tslut"
	p.Events[0].At = time.Date(2025, 1, 31, 9, 30, 0, 123456789, time.FixedZone("", 3600))
	marshalled, err := Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	empty, err := Marshal(InboxPage{Cursor: 7})
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"golden": goldenBytes(bodies[0]), "escapes and offset": marshalled, "empty": empty, "full": fullPage(),
		"indented": indent(t, marshalled),
	} {
		if !checkFastAgrees(t, name, b) {
			t.Errorf("%s: the fast path does not take a canonical page", name)
		}
	}
}

func indent(t *testing.T, b []byte) []byte {
	var out bytes.Buffer
	if err := json.Indent(&out, b, " ", "\t"); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// Whatever the fast path takes, the general path takes the same way: on
// every mutation of the golden page, every member left out, and bodies
// that only the general path can decide.
func TestInboxPageFastPathAgrees(t *testing.T) {
	golden := goldenBytes(bodies[0])
	var cases []mutation
	cases = append(cases, mutations(t, golden)...)
	cases = append(cases, withoutEachMember(t, golden)...)
	g := string(golden)
	for name, s := range map[string]string{
		"escaped name":     strings.Replace(g, `"seq"`, `"s\u0065q"`, 1),
		"u escape":         strings.Replace(g, `Testa`, `\u0054esta`, 1),
		"exponent":         strings.Replace(g, `"cursor":44`, `"cursor":4.4e1`, 1),
		"leading zero":     strings.Replace(g, `"cursor":44`, `"cursor":044`, 1),
		"negative":         strings.Replace(g, `"cursor":44`, `"cursor":-44`, 1),
		"huge":             strings.Replace(g, `"cursor":44`, `"cursor":18446744073709551616`, 1),
		"duplicate":        strings.Replace(g, `"cursor":44`, `"cursor":44,"cursor":44`, 1),
		"dup null":         strings.Replace(g, `"guardian":{`, `"guardian":null,"guardian":{`, 1),
		"null case":        strings.Replace(g, `"at":"2025-01-31T09:33:00.5Z"`, `"at":"2025-01-31T09:33:00.5Z","case":null`, 1),
		"bad time":         strings.Replace(g, `2025-01-31T09:30:00Z`, `2025-01-31 09:30:00Z`, 1),
		"escaped time":     strings.Replace(g, `2025-01-31T09:30:00Z`, `2025-01-31T09:30:00\u005a`, 1),
		"time 24h":         strings.Replace(g, `2025-01-31T09:30:00Z`, `2025-01-31T24:00:00Z`, 1),
		"time offset":      strings.Replace(g, `2025-01-31T09:30:00Z`, `2025-01-31T09:30:00+01:00`, 1),
		"trailing":         g + "x",
		"trailing ws":      g + " \r\n\t",
		"two values":       g + g,
		"truncated":        g[:len(g)/2],
		"raw tab":          strings.Replace(g, `Hej!`, "Hej\t!", 1),
		"raw newline":      strings.Replace(g, `Hej!`, "Hej\n!", 1),
		"bad escape":       strings.Replace(g, `Hej!`, `Hej\x!`, 1),
		"truthy":           strings.Replace(g, `"more":true`, `"more":truex`, 1),
		"upper bool":       strings.Replace(g, `"more":true`, `"more":True`, 1),
		"empty":            "",
		"array":            "[]",
		"empty object":     "{}",
		"null":             "null",
		"bom":              "\ufeff" + g,
		"empty fields":     strings.Replace(g, `"fields":[{"name":"medicine"`, `"fields":[],"x":[{"name":"medicine"`, 1),
		"fields null":      strings.Replace(g, `"type":"renew-prescription",`, `"type":"renew-prescription","fields":null,`, 1),
		"unknown in event": strings.Replace(g, `"seq":41,`, `"seq":41,"unit":"x",`, 1),
		"ws everywhere":    strings.NewReplacer(":", " : ", ",", " ,\n", "{", "{ ", "}", " }").Replace(g),
	} {
		cases = append(cases, mutation{name: name, in: []byte(s)})
	}
	took := 0
	for _, m := range cases {
		if checkFastAgrees(t, m.name, m.in) {
			took++
		}
		// And the whole decoder decides as the general path does.
		_, errSlow := slowInboxPage(m.in)
		_, errAll := decodeInboxPage(m.in)
		if errSlow != nil && errAll == nil {
			t.Errorf("%s: DecodeInboxPage takes what the general path refuses", m.name)
		}
		if errSlow != nil && errAll != nil && errSlow.Error() != errAll.Error() {
			t.Errorf("%s: explained as %q, the general path says %q", m.name, errAll, errSlow)
		}
	}
	if took < 3 {
		t.Errorf("the fast path took only %d of %d bodies; the test proves little", took, len(cases))
	}
}

// withoutEachMember returns b with each member of each object left out
// in turn (the objects' members then in sorted order).
func withoutEachMember(t *testing.T, b []byte) []mutation {
	var out []mutation
	root := parse(t, b)
	var visit func(path string, v any)
	visit = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				delete(x, k)
				enc, err := json.Marshal(root)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, mutation{name: path + "." + k + " left out", in: enc})
				x[k] = val
				visit(path+"."+k, val)
			}
		case []any:
			for _, e := range x {
				visit(path+"[]", e)
			}
		}
	}
	visit("", root)
	return out
}

// FuzzInboxPageFastPath: whatever the fast path takes, the general path
// takes, to the same value.
func FuzzInboxPageFastPath(f *testing.F) {
	golden := goldenBytes(bodies[0])
	f.Add(golden)
	for _, m := range mutations(f, golden) {
		f.Add(m.in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkFastAgrees(t, "fuzz", in)
	})
}
