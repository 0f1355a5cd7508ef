package wire

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The walk checks a body against its Go type before encoding/json decodes
// it, for what encoding/json lets through: unknown members (by exact,
// case-sensitive name), duplicate members, missing required members, null
// where no pointer is, fractions and exponents in whole numbers, numbers
// out of range, and timestamps that are not RFC 3339. It runs only on
// valid JSON in valid UTF-8, so its scanner need not check the grammar.

// maxDepth bounds the nesting the walk follows; the protocol's types nest
// less than half as deep.
const maxDepth = 32

var (
	timeType        = reflect.TypeFor[time.Time]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// walkSpans checks b, valid JSON, against type t, and records in spans
// (if not nil) the offsets of each element of the top-level member
// "events", start and end.
func walkSpans(b []byte, t reflect.Type, spans *[][2]int) error {
	w := walker{b: b, spans: spans}
	return w.value(t)
}

// walker is the state of a walk: the input, the position, and the path
// to the current value as a stack of segments, so that a path is built
// only for an error.
type walker struct {
	b     []byte
	i     int
	stack []segment
	spans *[][2]int // see walkSpans
}

// segment is one step of a path: a member name, or a list index.
type segment struct {
	name string
	idx  int // used when name is ""
}

// path renders the current position, e.g. "items[3].message.text".
func (w *walker) path() string {
	var sb strings.Builder
	for _, s := range w.stack {
		if s.name == "" {
			sb.WriteString("[" + strconv.Itoa(s.idx) + "]")
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(s.name)
	}
	return sb.String()
}

// fail returns a 400 problem for a broken rule at the current position.
func (w *walker) fail(reason string) error {
	return invalid(fail(w.path(), reason))
}

// ws skips white space and returns the next byte (0 at the end).
func (w *walker) ws() byte {
	for ; w.i < len(w.b); w.i++ {
		switch c := w.b[w.i]; c {
		case ' ', '\t', '\r', '\n':
		default:
			return c
		}
	}
	return 0
}

// str reads a string at w.i (its opening quote) and returns its raw
// content and whether it has escapes.
func (w *walker) str() (raw []byte, escaped bool) {
	start := w.i + 1
	i, quote := start, -1 // quote: the next '"' at or after i, once found
	for {
		if quote < i {
			i = min(i, len(w.b))
			k := bytes.IndexByte(w.b[i:], '"')
			if k < 0 { // cannot happen on valid JSON
				w.i = len(w.b)
				return w.b[start:], escaped
			}
			quote = i + k
		}
		k := bytes.IndexByte(w.b[i:quote], '\\')
		if k < 0 {
			w.i = quote + 1
			return w.b[start:quote], escaped
		}
		escaped = true
		i += k + 2 // the backslash and the byte it escapes
	}
}

// strValue reads a string and returns its value.
func (w *walker) strValue() string {
	start := w.i
	raw, escaped := w.str()
	if !escaped {
		return string(raw)
	}
	var s string
	_ = json.Unmarshal(w.b[start:w.i], &s) // valid JSON: cannot fail
	return s
}

// number reads a number and returns its literal.
func (w *walker) number() []byte {
	start := w.i
	for ; w.i < len(w.b); w.i++ {
		switch c := w.b[w.i]; {
		case c >= '0' && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E':
		default:
			return w.b[start:w.i]
		}
	}
	return w.b[start:]
}

// literal reads true, false or null, whose first byte is c.
func (w *walker) literal(c byte) {
	switch c {
	case 'f':
		w.i += len("false")
	default:
		w.i += len("true") // and null
	}
}

// value checks the next value against t.
func (w *walker) value(t reflect.Type) error {
	if len(w.stack) > maxDepth {
		return w.fail("is nested too deeply")
	}
	c := w.ws()
	if t.Kind() == reflect.Pointer {
		if c == 'n' {
			w.literal(c)
			return nil // an optional object left out
		}
		t = t.Elem()
	}
	switch {
	case t == timeType:
		if c != '"' {
			return w.fail("must be an RFC 3339 timestamp string")
		}
		if _, err := time.Parse(time.RFC3339Nano, w.strValue()); err != nil {
			return w.fail("must be an RFC 3339 timestamp, e.g. 2025-01-31T09:30:00Z")
		}
		return nil
	case reflect.PointerTo(t).Implements(unmarshalerType):
		if c != '{' {
			return w.fail("must be a JSON object")
		}
		return w.skip(len(w.stack))
	}
	switch t.Kind() {
	case reflect.Struct:
		if c != '{' {
			return w.fail("must be a JSON object")
		}
		return w.object(t)
	case reflect.Slice:
		if c != '[' {
			return w.fail("must be a JSON array")
		}
		return w.array(t.Elem())
	case reflect.Map:
		if c != '{' || t.Key().Kind() != reflect.String {
			return w.fail("must be a JSON object")
		}
		return w.mapObject(t.Elem())
	case reflect.String:
		if c != '"' {
			return w.fail("must be a string")
		}
		w.str()
	case reflect.Bool:
		if c != 't' && c != 'f' {
			return w.fail("must be true or false")
		}
		w.literal(c)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if c != '-' && (c < '0' || c > '9') {
			return w.fail("must be a whole number")
		}
		n := w.number()
		if strings.ContainsAny(string(n), ".eE") {
			return w.fail("must be a whole number")
		}
		if _, err := strconv.ParseInt(string(n), 10, t.Bits()); err != nil {
			return w.fail("is out of range")
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if c != '-' && (c < '0' || c > '9') {
			return w.fail("must be a whole number")
		}
		n := w.number()
		if strings.ContainsAny(string(n), ".eE") {
			return w.fail("must be a whole number")
		}
		if _, err := strconv.ParseUint(string(n), 10, t.Bits()); err != nil {
			return w.fail("is out of range")
		}
	case reflect.Float32, reflect.Float64:
		if c != '-' && (c < '0' || c > '9') {
			return w.fail("must be a number")
		}
		w.number()
	case reflect.Interface:
		return w.skip(len(w.stack))
	default:
		return w.fail("has a type the decoder does not support")
	}
	return nil
}

// object checks an object (at its '{') against struct type t.
func (w *walker) object(t reflect.Type) error {
	info := structInfoOf(t)
	var seen uint64 // bit i: field i was given
	w.i++           // '{'
	if w.ws() == '}' {
		w.i++
	} else {
		for {
			w.ws()
			key, escaped := w.str()
			var f fieldInfo
			var ok bool
			if escaped {
				// A name written with escapes: compare what it means.
				f, ok = info.fields[w.unescapedKey(key)]
			} else {
				f, ok = info.fields[string(key)]
			}
			if !ok {
				return w.fail("has a member the protocol does not define (member names are case-sensitive)")
			}
			w.stack = append(w.stack, segment{name: f.name})
			if seen&(1<<f.index) != 0 {
				return w.fail("appears twice")
			}
			seen |= 1 << f.index
			w.ws()
			w.i++ // ':'
			if err := w.value(f.typ); err != nil {
				return err
			}
			w.stack = w.stack[:len(w.stack)-1]
			c := w.ws()
			w.i++ // ',' or '}'
			if c == '}' {
				break
			}
		}
	}
	if missing := info.required &^ seen; missing != 0 {
		for _, f := range info.byIndex {
			if missing&(1<<f.index) != 0 {
				w.stack = append(w.stack, segment{name: f.name})
				return w.fail("is required")
			}
		}
	}
	return nil
}

// unescapedKey returns the value of a member name that has escapes; key
// is its raw content, just read.
func (w *walker) unescapedKey(key []byte) string {
	var s string
	_ = json.Unmarshal(w.b[w.i-len(key)-2:w.i], &s) // valid JSON: cannot fail
	return s
}

// array checks an array (at its '[') against element type elem.
func (w *walker) array(elem reflect.Type) error {
	w.i++ // '['
	if w.ws() == ']' {
		w.i++
		return nil
	}
	record := w.spans != nil && len(w.stack) == 1 && w.stack[0].name == "events"
	for i := 0; ; i++ {
		w.stack = append(w.stack, segment{idx: i})
		w.ws()
		start := w.i
		if err := w.value(elem); err != nil {
			return err
		}
		if record {
			*w.spans = append(*w.spans, [2]int{start, w.i})
		}
		w.stack = w.stack[:len(w.stack)-1]
		c := w.ws()
		w.i++ // ',' or ']'
		if c == ']' {
			return nil
		}
	}
}

// mapObject checks an object (at its '{') as a map with values of type
// elem: no name twice.
func (w *walker) mapObject(elem reflect.Type) error {
	seen := make(map[string]bool)
	w.i++ // '{'
	if w.ws() == '}' {
		w.i++
		return nil
	}
	for {
		w.ws()
		k := w.strValue()
		if seen[k] {
			return w.fail("has a member that appears twice")
		}
		seen[k] = true
		w.ws()
		w.i++ // ':'
		w.stack = append(w.stack, segment{name: "*"})
		if err := w.value(elem); err != nil {
			return err
		}
		w.stack = w.stack[:len(w.stack)-1]
		c := w.ws()
		w.i++ // ',' or '}'
		if c == '}' {
			return nil
		}
	}
}

// skip checks a value of any shape: its depth (depth levels are open
// already) and that no object in it has a member twice.
func (w *walker) skip(depth int) error {
	switch c := w.ws(); c {
	case '{', '[':
		if depth >= maxDepth {
			return w.fail("is nested too deeply")
		}
		var seen map[string]bool
		if c == '{' {
			seen = make(map[string]bool)
		}
		w.i++
		if e := w.ws(); e == '}' || e == ']' {
			w.i++
			return nil
		}
		for {
			if c == '{' {
				w.ws()
				k := w.strValue()
				if seen[k] {
					return w.fail("has a member that appears twice")
				}
				seen[k] = true
				w.ws()
				w.i++ // ':'
			}
			if err := w.skip(depth + 1); err != nil {
				return err
			}
			e := w.ws()
			w.i++ // ',' or the end
			if e == '}' || e == ']' {
				return nil
			}
		}
	case '"':
		w.str()
	case 't', 'f', 'n':
		w.literal(c)
	default:
		w.number()
	}
	return nil
}

// structInfo is what the walk needs to know about a struct type: its
// members by their exact JSON name, and which are required.
type structInfo struct {
	fields   map[string]fieldInfo
	byIndex  []fieldInfo // in declaration order
	required uint64      // bit i: field i is required
}

// fieldInfo is one member of a struct type.
type fieldInfo struct {
	name  string // the JSON name
	index int    // its bit in structInfo.required and in a walk's seen set
	typ   reflect.Type
}

var structInfos sync.Map // reflect.Type → *structInfo

// structInfoOf returns (and caches) the members of struct type t. Members
// tagged omitempty or omitzero are optional; the others are required. A
// struct of more than 64 members is not supported.
func structInfoOf(t reflect.Type) *structInfo {
	if v, ok := structInfos.Load(t); ok {
		return v.(*structInfo)
	}
	info := &structInfo{fields: make(map[string]fieldInfo)}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		if len(info.byIndex) == 64 {
			panic("wire: a struct with more than 64 members: " + t.String())
		}
		fi := fieldInfo{name: name, index: len(info.byIndex), typ: f.Type}
		info.fields[name] = fi
		info.byIndex = append(info.byIndex, fi)
		if !hasOption(opts, "omitempty") && !hasOption(opts, "omitzero") {
			info.required |= 1 << fi.index
		}
	}
	v, _ := structInfos.LoadOrStore(t, info)
	return v.(*structInfo)
}

// hasOption reports whether a json tag's comma-separated options include
// opt.
func hasOption(opts, opt string) bool {
	for _, o := range strings.Split(opts, ",") {
		if o == opt {
			return true
		}
	}
	return false
}
