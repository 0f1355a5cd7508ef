package fhirapi

import (
	"encoding/json"
	"net/http"
)

// contentType is the FHIR JSON media type.
const contentType = "application/fhir+json; charset=utf-8"

// writeJSON writes v as FHIR JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"fatal","code":"exception"}]}`)
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// fail writes an OperationOutcome with one error issue: code is FHIR's
// issue type (security, forbidden, login, not-found, throttled, invalid,
// not-supported, too-costly, exception), diagnostics says what happened
// and what to do, for the region's integration team. It never carries
// a value from the request.
func fail(w http.ResponseWriter, status int, code, diagnostics string) {
	writeJSON(w, status, OperationOutcome{ResourceType: "OperationOutcome",
		Issue: []Issue{{Severity: "error", Code: code, Diagnostics: diagnostics}}})
}
