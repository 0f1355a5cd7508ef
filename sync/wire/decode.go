package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"unicode/utf8"
)

// DecodeJSON decodes one JSON value from r into v, a non-nil pointer,
// reading at most limit bytes. It is strict where encoding/json is lenient,
// so that both ends, and any other implementation, read a body the same
// way. It refuses, with a *Problem:
//
//   - a body over limit bytes (413 body-too-large), without parsing it;
//   - an empty body, invalid UTF-8, or a \u escape of an unpaired surrogate;
//   - malformed or truncated JSON, or anything after the value but white
//     space;
//   - a member the type does not define (names are case-sensitive: "Cursor"
//     is not "cursor"), a member given twice, or a required member missing
//     (see "Required and optional members" in the package documentation);
//   - a value of the wrong JSON type, null except for an optional object,
//     a fraction or exponent where a whole number belongs, a number out of
//     range, or a timestamp that is not RFC 3339.
//
// The problem's detail names the position by the schema's member names
// and list indexes, never by anything from the input. DecodeJSON does not
// call Validate; the Decode… functions do. Types that decode themselves
// (Problem) get only the syntax, UTF-8 and duplicate-member checks before
// their UnmarshalJSON. On error v may be partly filled.
//
// A read error that is not the limit is returned as a 400 problem wrapping
// the reader's error. Structs in v's type must not embed other structs.
func DecodeJSON(r io.Reader, limit int64, v any) error {
	if limit < 1 {
		return errors.New("wire: DecodeJSON: the limit must be positive")
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errors.New("wire: DecodeJSON: v must be a non-nil pointer")
	}
	b, err := readBody(r, limit)
	if err != nil {
		return err
	}
	return decodeBytes(b, rv, nil)
}

// readBody reads all of r, refusing more than limit bytes. A reader that
// tells its length (Len, as bytes.Reader does, and the uplink's HTTP
// bodies with their Content-Length) is read into a buffer of that size
// at once, not one grown by doubling.
func readBody(r io.Reader, limit int64) ([]byte, error) { return readBodyInto(r, limit, nil, false) }

// readBodyInto is readBody reading into buf's storage (from its start)
// when the body fits there, or into a new buffer when it does not, one
// with an eighth more room if roomy. It returns the buffer read into, or
// nil with an error.
func readBodyInto(r io.Reader, limit int64, buf []byte, roomy bool) ([]byte, error) {
	n := limit
	if n < math.MaxInt64 {
		n++
	}
	var b []byte
	var err error
	if l, ok := r.(interface{ Len() int }); ok && l.Len() > 0 && int64(l.Len()) < n {
		// Not bytes.Buffer.ReadFrom: it grows a buffer with less than 512
		// bytes free, so a body of the size it said would take three.
		if size := l.Len() + 1; cap(buf) >= size { // +1: room for the read that finds the end
			b = buf[:0]
		} else {
			if roomy {
				size += size / 8
			}
			b = make([]byte, 0, size)
		}
		lr := io.LimitReader(r, n)
		for {
			var m int
			m, err = lr.Read(b[len(b):cap(b)])
			b = b[:len(b)+m]
			if err == io.EOF {
				err = nil
				break
			}
			if err != nil {
				break
			}
			if len(b) == cap(b) { // longer than it said
				b = append(b, 0)[:len(b)]
			}
		}
	} else if cap(buf) > 0 {
		b, err = readAllInto(io.LimitReader(r, n), buf[:0])
	} else {
		b, err = io.ReadAll(io.LimitReader(r, n))
	}
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, BodyTooLarge(limit)
		}
		return nil, fmt.Errorf("%w: %w", BadRequest("The body could not be read completely."), err)
	}
	if int64(len(b)) > limit {
		return nil, BodyTooLarge(limit)
	}
	return b, nil
}

// readAllInto is io.ReadAll appending to b.
func readAllInto(r io.Reader, b []byte) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		m, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+m]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// decodeBytes runs the strict checks on b and then decodes it into rv.
// With spans, the walk records there where each element of the
// top-level member "events" begins and ends in b.
func decodeBytes(b []byte, rv reflect.Value, spans *[][2]int) error {
	if len(bytes.Trim(b, " \t\r\n")) == 0 {
		return BadRequest("The body is empty; it must be a JSON value.")
	}
	if err := checkEncoding(b); err != nil {
		return err
	}
	// encoding/json checks the syntax of the whole body before it stores
	// anything, so a syntax error leaves v alone; the walk then runs on
	// valid JSON and explains what encoding/json would let through, or
	// could only explain by quoting the input.
	err := json.Unmarshal(b, rv.Interface())
	if _, ok := errors.AsType[*json.SyntaxError](err); ok {
		return syntaxProblem(b)
	}
	if werr := walkSpans(b, rv.Type().Elem(), spans); werr != nil {
		return werr
	}
	if err != nil {
		// The walk admits only what the type takes, so this is rare (a
		// timestamp time.Time reads more strictly than RFC 3339, or a
		// type's own UnmarshalJSON refusing). encoding/json's message may
		// quote the input: do not pass it on.
		return BadRequest("The body does not match the sync protocol's schema.")
	}
	return nil
}

// checkEncoding refuses invalid UTF-8 and \u escapes of unpaired
// surrogates, which encoding/json would silently turn into U+FFFD.
func checkEncoding(b []byte) error {
	if !utf8.Valid(b) {
		return BadRequest("The body is not valid UTF-8.")
	}
	// The next quote and backslash at or after i (len(b): none), found
	// with bytes.IndexByte and kept until passed: a page is mostly long
	// texts with few escapes.
	quote, backslash := -1, -1
	next := func(c byte, from int) int {
		if k := bytes.IndexByte(b[from:], c); k >= 0 {
			return from + k
		}
		return len(b)
	}
	in := false
	for i := 0; i < len(b); i++ {
		if quote < i {
			quote = next('"', i)
		}
		if backslash < i {
			backslash = next('\\', i)
		}
		if i = min(quote, backslash); i == len(b) {
			break
		}
		switch c := b[i]; {
		case c == '"':
			in = !in
		case in && i+1 < len(b): // a backslash in a string
			i++
			if b[i] != 'u' {
				continue
			}
			r, ok := hex4(b, i+1)
			if !ok { // malformed: the JSON parser reports it
				continue
			}
			i += 4
			switch {
			case r >= 0xDC00 && r <= 0xDFFF:
				return BadRequest("The body has an unpaired surrogate escape; it is not valid Unicode.")
			case r >= 0xD800 && r <= 0xDBFF:
				lo, ok := -1, i+2 < len(b) && b[i+1] == '\\' && b[i+2] == 'u'
				if ok {
					var v rune
					v, ok = hex4(b, i+3)
					lo = int(v)
				}
				if !ok || lo < 0xDC00 || lo > 0xDFFF {
					return BadRequest("The body has an unpaired surrogate escape; it is not valid Unicode.")
				}
				i += 6
			}
		}
	}
	return nil
}

// syntaxProblem says how b, which is not valid JSON, is wrong: truncated,
// followed by more data, or malformed at an offset. It never quotes b.
func syntaxProblem(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	var raw json.RawMessage
	err := dec.Decode(&raw)
	var se *json.SyntaxError
	switch {
	case err == nil:
		return BadRequest("The body has data after its JSON value; send exactly one value.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return BadRequest("The body ends before its JSON value does; it is truncated.")
	case errors.As(err, &se):
		return BadRequest(fmt.Sprintf("The body is not valid JSON (at byte %d).", se.Offset))
	}
	return BadRequest("The body is not valid JSON.")
}

// hex4 reads four hex digits at b[i:].
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[i:i+4]), 16, 32)
	return rune(v), err == nil
}

// decodeBody decodes a body of type T from r within T's limit and
// validates it; on error it returns the zero T.
func decodeBody[T Body](r io.Reader) (T, error) {
	var v T
	if err := DecodeJSON(r, limitOf(v), &v); err != nil {
		var zero T
		return zero, err
	}
	if err := v.Validate(); err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}

// DecodeInboxPage reads an InboxPage (the gateway, from GET PathInbox)
// within MaxBodyBytes and validates it. Call Follows too.
func DecodeInboxPage(r io.Reader) (InboxPage, error) { return decodeBody[InboxPage](r) }

// DecodeAck reads an Ack (the server, from POST PathInboxAck) within
// MaxAckBytes and validates it.
func DecodeAck(r io.Reader) (Ack, error) { return decodeBody[Ack](r) }

// DecodeOutboxBatch reads an OutboxBatch (the server, from POST PathOutbox)
// within MaxBodyBytes and validates it.
func DecodeOutboxBatch(r io.Reader) (OutboxBatch, error) { return decodeBody[OutboxBatch](r) }

// DecodeOutboxResult reads an OutboxResult (the gateway, from POST
// PathOutbox) within MaxBodyBytes and validates it. Call Matches too.
func DecodeOutboxResult(r io.Reader) (OutboxResult, error) { return decodeBody[OutboxResult](r) }

// DecodeFormSet reads a FormSet (the server from PUT PathForms, the gateway
// from GET PathForms) within MaxBodyBytes and validates it.
func DecodeFormSet(r io.Reader) (FormSet, error) { return decodeBody[FormSet](r) }

// DecodeStreamMessage reads a StreamMessage (the gateway, from the
// PathStream websocket) within MaxStreamMessageBytes and validates it.
func DecodeStreamMessage(r io.Reader) (StreamMessage, error) { return decodeBody[StreamMessage](r) }

// DecodeProblem reads a problem+json body (either end, from an error
// response) within MaxProblemBytes and validates it. Unknown members are
// ignored, as RFC 9457 asks (see Problem).
func DecodeProblem(r io.Reader) (Problem, error) { return decodeBody[Problem](r) }
