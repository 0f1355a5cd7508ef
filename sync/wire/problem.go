package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// The problem types this protocol defines. A problem's Type is one of these
// or, from another implementation, any URI reference ("about:blank" when it
// names none).
const (
	ProblemBadRequest           = "urn:clinicgw:problem:bad-request"            // 400: the body or query breaks the protocol's rules
	ProblemBodyTooLarge         = "urn:clinicgw:problem:body-too-large"         // 413: the body is over its limit
	ProblemUnauthorized         = "urn:clinicgw:problem:unauthorized"           // 401: the request has no verified client certificate
	ProblemUnsupportedMediaType = "urn:clinicgw:problem:unsupported-media-type" // 415: the body is not application/json
	ProblemUnsupportedVersion   = "urn:clinicgw:problem:unsupported-version"    // 404: the path names a protocol version the server does not speak
	ProblemNotFound             = "urn:clinicgw:problem:not-found"              // 404: no such endpoint or thing
	ProblemMethodNotAllowed     = "urn:clinicgw:problem:method-not-allowed"     // 405: the endpoint does not take this method
	ProblemConflict             = "urn:clinicgw:problem:conflict"               // 409: the request contradicts the server's state (an ack beyond what was delivered, a reused idempotency key)
	ProblemForbidden            = "urn:clinicgw:problem:forbidden"              // 403: the client certificate names no care unit the server serves
	ProblemRateLimited          = "urn:clinicgw:problem:rate-limited"           // 429: too many requests; see Retry-After
	ProblemInternal             = "urn:clinicgw:problem:internal"               // 500: the server failed; retry later
	ProblemUnavailable          = "urn:clinicgw:problem:unavailable"            // 503: the server cannot serve now; see Retry-After
	ProblemSealingKeyUnknown    = "urn:clinicgw:problem:sealing-key-unknown"    // 400: a sealed payload names a sealing key the server does not hold (retired, or never its): fetch its key again and seal anew
)

// problemTypes lists the problem types above, for the tests that keep
// openapi.json in step with this package.
var problemTypes = []string{
	ProblemBadRequest, ProblemBodyTooLarge, ProblemUnauthorized, ProblemUnsupportedMediaType,
	ProblemUnsupportedVersion, ProblemNotFound, ProblemMethodNotAllowed, ProblemConflict,
	ProblemForbidden, ProblemRateLimited, ProblemInternal, ProblemUnavailable, ProblemSealingKeyUnknown,
}

// Problem is an RFC 9457 problem details object: the body of every error
// response, and the reason of a rejected outbox item. *Problem is also the
// error type of this package's decoders, so a server can answer with the
// error it got.
//
// Its text must never contain request data (no part of a body, query,
// name, personnummer or message): say which rule was broken, not what was
// sent.
//
// Decoding follows RFC 9457 §3: members it does not know are ignored, as
// are known members of the wrong JSON type, and a missing or empty type is
// "about:blank".
type Problem struct {
	// Type is a URI reference naming the kind of problem: one of the
	// Problem… constants, or another implementation's.
	Type string `json:"type"`
	// Title is a short, fixed summary of the type.
	Title string `json:"title,omitempty"`
	// Status is the HTTP status code, 400..599, or 0 if not given.
	Status int `json:"status,omitempty"`
	// Detail explains this occurrence in plain English: what rule was broken
	// and what to do.
	Detail string `json:"detail,omitempty"`
	// Instance is an optional URI reference for this occurrence, e.g. a
	// request id the server logs.
	Instance string `json:"instance,omitempty"`
}

// Error returns the title and detail.
func (p *Problem) Error() string {
	s := "wire: " + p.Title
	if p.Title == "" {
		s = "wire: problem " + p.Type
	}
	if p.Status != 0 {
		s += fmt.Sprintf(" (%d)", p.Status)
	}
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	return s
}

// UnmarshalJSON decodes a problem leniently, as RFC 9457 asks: extension
// members are ignored, a known member of the wrong type is taken as absent,
// and a missing or empty type becomes "about:blank". DecodeProblem checks
// everything else (size, UTF-8, duplicates, Validate).
func (p *Problem) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return errors.New("a problem must be a JSON object")
	}
	var q Problem
	for k, dst := range map[string]any{"type": &q.Type, "title": &q.Title, "status": &q.Status, "detail": &q.Detail, "instance": &q.Instance} {
		if raw, ok := m[k]; ok {
			// The wrong type, or a number that is not an int: ignore the member.
			if err := json.Unmarshal(raw, dst); err != nil {
				continue
			}
		}
	}
	if q.Type == "" {
		q.Type = "about:blank"
	}
	*p = q
	return nil
}

// problemOf builds a problem of one of this package's types.
func problemOf(typ, title string, status int, detail string) *Problem {
	return &Problem{Type: typ, Title: title, Status: status, Detail: detail}
}

// BadRequest is a 400 problem. detail must not contain request data.
func BadRequest(detail string) *Problem {
	return problemOf(ProblemBadRequest, "Bad request", http.StatusBadRequest, detail)
}

// BodyTooLarge is a 413 problem for a body over limit bytes.
func BodyTooLarge(limit int64) *Problem {
	return problemOf(ProblemBodyTooLarge, "Body too large", http.StatusRequestEntityTooLarge,
		fmt.Sprintf("The body is larger than the limit of %d bytes. Send less at a time.", limit))
}

// UnsupportedMediaType is a 415 problem for a body that is not
// application/json.
func UnsupportedMediaType() *Problem {
	return problemOf(ProblemUnsupportedMediaType, "Unsupported media type", http.StatusUnsupportedMediaType,
		"The body must be sent as "+ContentTypeJSON+" in UTF-8.")
}

// UnsupportedVersion is a 404 problem for a path under a protocol version
// the server does not speak.
func UnsupportedVersion() *Problem {
	return problemOf(ProblemUnsupportedVersion, "Unsupported protocol version", http.StatusNotFound,
		"This server speaks version "+Version+" of the sync protocol; use paths under "+PathPrefix+".")
}

// NotFound is a 404 problem. detail must not contain request data.
func NotFound(detail string) *Problem {
	return problemOf(ProblemNotFound, "Not found", http.StatusNotFound, detail)
}

// MethodNotAllowed is a 405 problem; the caller sets the Allow header.
func MethodNotAllowed() *Problem {
	return problemOf(ProblemMethodNotAllowed, "Method not allowed", http.StatusMethodNotAllowed,
		"This endpoint does not take this method; see the Allow header.")
}

// Conflict is a 409 problem. detail must not contain request data.
func Conflict(detail string) *Problem {
	return problemOf(ProblemConflict, "Conflict", http.StatusConflict, detail)
}

// Unauthorized is a 401 problem for a request that carries no verified
// client certificate (the server asked for one but the TLS handshake did
// not require it). It says nothing about the certificate that was or was
// not sent: that goes to the server's log.
func Unauthorized() *Problem {
	return problemOf(ProblemUnauthorized, "Unauthorized", http.StatusUnauthorized,
		"The request has no verified client certificate. Connect with the care unit's certificate, issued under the CA this server trusts.")
}

// Forbidden is a 403 problem. detail must not contain request data.
func Forbidden(detail string) *Problem {
	return problemOf(ProblemForbidden, "Forbidden", http.StatusForbidden, detail)
}

// RateLimited is a 429 problem; the caller sets the Retry-After header.
func RateLimited() *Problem {
	return problemOf(ProblemRateLimited, "Too many requests", http.StatusTooManyRequests,
		"Too many requests from this care unit. Wait as long as Retry-After says, then try again.")
}

// Internal is a 500 problem. It says nothing about the cause: that goes to
// the server's log.
func Internal() *Problem {
	return problemOf(ProblemInternal, "Internal server error", http.StatusInternalServerError,
		"The server failed to handle the request. Try again later.")
}

// Unavailable is a 503 problem; the caller may set the Retry-After header.
func Unavailable() *Problem {
	return problemOf(ProblemUnavailable, "Service unavailable", http.StatusServiceUnavailable,
		"The server cannot handle requests now. Try again later.")
}

// ProblemOf returns the *Problem in err's chain, or Internal if there is
// none, so that an unexpected error's text never reaches the client.
func ProblemOf(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) && p != nil {
		return p
	}
	return Internal()
}

// WriteProblem writes p as the response: Content-Type
// application/problem+json, Cache-Control no-store, and p.Status as the
// status code. A problem whose Status is not 400..599, or that fails
// Validate, is replaced by Internal, so the response is always a valid
// problem. Headers such as Retry-After or Allow are the caller's, set
// before the call.
func WriteProblem(w http.ResponseWriter, p Problem) {
	if p.Status < 400 || p.Status > 599 || p.Validate() != nil {
		p = *Internal()
	}
	b, err := encode(&p)
	if err != nil { // cannot happen for a valid problem
		p = *Internal()
		b, _ = encode(&p)
	}
	h := w.Header()
	h.Set("Content-Type", ContentTypeProblem)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_, _ = w.Write(b)
}
