package fhirapi

import (
	"net/http"
	"strconv"
	"strings"
)

// Versioned writes. A Task's version is its case's (cases.Case.Version,
// one more at each committed change), an Appointment's the step its
// booking has reached (appointmentVersion). A read answers it as the ETag
// W/"n", the same n as meta.versionId; a PATCH Task or an Appointment's
// $cancel with If-Match: W/"n" is made only if the resource is still at
// n, checked in the change's own transaction, else 412 and nothing
// changes. A write without If-Match is taken as before (FHIR lets a
// server require it; this one does not, so that a system that does not
// track versions keeps working): the CapabilityStatement says
// versioning versioned-update, conditionalUpdate false.

// etag is version v as an ETag.
func etag(v uint64) string { return `W/"` + strconv.FormatUint(v, 10) + `"` }

// setVersion sets the ETag of a resource at version v.
func setVersion(w http.ResponseWriter, v uint64) { w.Header().Set("ETag", etag(v)) }

// ifMatch is the version a request's If-Match names (W/"n", or "n"), 0
// when it has none.
func ifMatch(r *http.Request) (uint64, error) {
	vs := r.Header.Values("If-Match")
	if len(vs) == 0 {
		return 0, nil
	}
	v := strings.TrimPrefix(strings.TrimSpace(vs[0]), "W/")
	n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(v, `"`), `"`), 10, 64)
	if len(vs) != 1 || len(v) < 3 || v[0] != '"' || v[len(v)-1] != '"' || err != nil || n == 0 {
		return 0, badRequest(`If-Match: expected one version, W/"n", as the resource's ETag (meta.versionId) shows it, or leave it out`)
	}
	return n, nil
}

// stale answers a write whose If-Match is not the resource's version.
func stale(w http.ResponseWriter, typ string) {
	fail(w, http.StatusPreconditionFailed, "conflict", "the "+typ+" has changed since the version in If-Match: read it again (its ETag), check, and send the change with the new version")
}
