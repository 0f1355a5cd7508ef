package fhirapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
)

// Every request body (POST Appointment, $cancel, POST Communication,
// PATCH Task, each POST _search) is read here, by one rule:
//
//   - its media type must be the operation's (FHIR JSON for a resource,
//     application/json-patch+json for a patch, a form for a _search),
//     else 415;
//   - it must fit the operation's size, else 413;
//   - a resource must be one JSON object of the elements the operation
//     reads, at every level, else 400 naming the element: nothing a
//     client sent is silently dropped, so a client never believes the
//     gateway acted on what it did not read. The exception is what FHIR
//     lets a server ignore at the top of a resource (ignorable): id (on a
//     create FHIR says the server SHALL ignore it), meta (versionId and
//     lastUpdated are the server's; a profile or tag is not kept),
//     text (the narrative, which a server may regenerate) and language.
//     implicitRules and modifierExtension are refused, as FHIR requires
//     of a server that does not understand them.
//
// A refusal is a *bodyError; refuse answers it with its status.

// Media types of request bodies.
const (
	mediaFHIR  = "application/fhir+json"
	mediaJSON  = "application/json"
	mediaPatch = "application/json-patch+json"
	mediaForm  = "application/x-www-form-urlencoded"
)

// ignorable are the top-level elements of a posted resource that are
// taken and dropped (see above); embed it in a resource's input type.
type ignorable struct {
	ID       json.RawMessage `json:"id"`
	Meta     json.RawMessage `json:"meta"`
	Text     json.RawMessage `json:"text"`
	Language json.RawMessage `json:"language"`
}

// bodyError is a request body refused: its HTTP status, FHIR issue code
// and what to do.
type bodyError struct {
	status int
	code   string
	msg    string
}

func (e *bodyError) Error() string { return e.msg }

// readBody reads a request's body of at most max bytes whose media type
// is one of types (the first is the one named in a refusal).
func readBody(r *http.Request, max int64, types ...string) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !slices.Contains(types, mt) {
		return nil, &bodyError{http.StatusUnsupportedMediaType, "not-supported", "send it with Content-Type " + types[0]}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, max))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, &bodyError{http.StatusRequestEntityTooLarge, "too-costly", fmt.Sprintf("the body is larger than %d KiB, the most this operation takes: see /metadata and the README", max>>10)}
	}
	if err != nil {
		return nil, &bodyError{http.StatusBadRequest, "structure", "the request body could not be read: send it again"}
	}
	return body, nil
}

// readResource reads a FHIR JSON resource (or, with the media type
// application/json-patch+json, a JSON Patch) of at most max bytes into v,
// strictly (decodeStrict).
func readResource(r *http.Request, max int64, v any, types ...string) error {
	if len(types) == 0 {
		types = []string{mediaFHIR, mediaJSON}
	}
	body, err := readBody(r, max, types...)
	if err != nil {
		return err
	}
	if err := decodeStrict(body, v); err != nil {
		return &bodyError{http.StatusBadRequest, "structure", err.Error()}
	}
	return nil
}

// decodeStrict decodes one JSON value of v's elements; its errors name
// the element at fault, never a value.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			return fmt.Errorf("the element %s has the wrong type: see /metadata and the README for the resource's form", safeName(te.Field))
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return fmt.Errorf("the element %q is not read by this operation: leave it out (/metadata and the README say what is read)", safeName(name))
		}
		return errors.New("the body is not a FHIR JSON resource: check its syntax")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("the body holds more than one JSON value: send one resource")
	}
	return nil
}
