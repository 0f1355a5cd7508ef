package archive

import (
	"time"

	"clinicgw/sync/wire/jsontext"
)

// jsonw appends compact JSON to a byte slice without reflection, for the
// FHIR bundles: what encoding/json writes for the same values, strings
// escaped alike (HTML characters, U+2028 and U+2029, invalid UTF-8 as
// U+FFFD). It keeps no stack: the caller writes objects and arrays in
// order and names keys itself (constants, never escaped), in the order
// encoding/json would (a map's keys sorted, a struct's fields in order).
type jsonw struct {
	b []byte
	// comma: the next value of the current object or array follows one.
	comma bool
}

func (w *jsonw) sep() {
	if w.comma {
		w.b = append(w.b, ',')
	}
}

// open starts an object ('{') or an array ('[').
func (w *jsonw) open(c byte) {
	w.sep()
	w.b = append(w.b, c)
	w.comma = false
}

// close ends an object ('}') or an array (']').
func (w *jsonw) close(c byte) {
	w.b = append(w.b, c)
	w.comma = true
}

// key starts the member k of an object; its value follows.
func (w *jsonw) key(k string) {
	w.sep()
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
	w.comma = false
}

// str writes the string s.
func (w *jsonw) str(s string) {
	w.sep()
	w.b = appendJSONString(w.b, s)
	w.comma = true
}

// bool writes true or false.
func (w *jsonw) bool(v bool) {
	w.sep()
	if v {
		w.b = append(w.b, "true"...)
	} else {
		w.b = append(w.b, "false"...)
	}
	w.comma = true
}

// null writes null.
func (w *jsonw) null() {
	w.sep()
	w.b = append(w.b, "null"...)
	w.comma = true
}

// field writes the member k with the string v.
func (w *jsonw) field(k, v string) {
	w.key(k)
	w.str(v)
}

// opt writes the member k with the string v unless v is empty
// (omitempty, and FHIR JSON's rule: no empty strings).
func (w *jsonw) opt(k, v string) {
	if v != "" {
		w.field(k, v)
	}
}

// time writes the member k with the time t unless t is zero.
func (w *jsonw) time(k string, t time.Time) {
	if !t.IsZero() {
		w.key(k)
		w.timeValue(t)
	}
}

// timeValue writes t in UTC as RFC 3339 with as many fractional digits
// as it has, or "" for the zero time.
func (w *jsonw) timeValue(t time.Time) {
	w.sep()
	w.b = append(w.b, '"')
	if !t.IsZero() {
		w.b = t.UTC().AppendFormat(w.b, time.RFC3339Nano) // digits, '-', ':', 'T', 'Z' and '.': nothing to escape
	}
	w.b = append(w.b, '"')
	w.comma = true
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string exactly as encoding/json
// does (its appendString with HTML escaping): '"' and '\\' escaped, the
// control characters as \b \f \n \r \t or \u00XX, '<', '>' and '&' as
// \u003c \u003e \u0026, U+2028 and U+2029 as \u2028 and \u2029, each byte
// of invalid UTF-8 as \ufffd (the loop of the whole sync path,
// sync/wire/jsontext).
func appendJSONString(dst []byte, s string) []byte {
	return jsontext.AppendQuoted(dst, s, true)
}
