package fhirapi

import (
	"errors"
	"net/http"

	"clinicgw/agent/cases"
	"clinicgw/agent/directory"
)

// PATCH Task/[id] with a JSON Patch (RFC 6902, as FHIR's patch
// interaction takes it): the two changes a record system makes to a case.
//
//	[{"op": "replace", "path": "/status", "value": "completed"},
//	 {"op": "add", "path": "/identifier/-", "value": {"system": "urn:oid:…", "value": "note-4711"}}]
//
// status completed marks the case handled: an answered case is closed
// (the workflow's Close; a closed one stays so), an open one is refused
// (422: answer the patient first, with a Communication); no other status
// can be set. An identifier is the system's own reference to the case
// (the record note's id), kept and shown to staff and in Task.identifier;
// one the case has is not added again. Every operation is checked before
// anything changes; a refused close changes nothing.

// maxPatchBody bounds a patch.
const maxPatchBody = 16 << 10

// patchOp is one JSON Patch operation.
type patchOp struct {
	Op    string    `json:"op"`
	Path  string    `json:"path"`
	Value patchWild `json:"value"`
}

// patchWild is a patch value: a status code or an Identifier.
type patchWild struct {
	Code       string
	Identifier *Identifier
}

// UnmarshalJSON reads a string or an Identifier object.
func (v *patchWild) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return decodeStrict(b, &v.Code)
	}
	v.Identifier = &Identifier{}
	return decodeStrict(b, v.Identifier)
}

// parsePatch is the update a Task patch asks for.
func parsePatch(ops []patchOp) (cases.SystemUpdate, error) {
	var u cases.SystemUpdate
	if len(ops) == 0 || len(ops) > 2 {
		return u, badRequest("a Task patch has one or two operations: replace /status, add /identifier/-")
	}
	for _, op := range ops {
		switch {
		case (op.Op == "replace" || op.Op == "add") && op.Path == "/status" && !u.Close:
			if op.Value.Code != "completed" {
				return u, badRequest("status: only completed can be set (the case handled); the workflow sets the others")
			}
			u.Close = true
		case op.Op == "add" && op.Path == "/identifier/-" && u.Ref == nil:
			id := op.Value.Identifier
			if id == nil || id.System == "" || id.Value == "" || id.System == systemCase {
				return u, badRequest("identifier: expected {\"system\": your namespace URI, \"value\": your id}")
			}
			u.Ref = &cases.Ref{System: id.System, Value: id.Value}
		default:
			return u, badRequest("a Task patch may only replace /status and add /identifier/-, each once")
		}
	}
	return u, nil
}

// patchTask marks a case handled and attaches the system's reference.
func (s *Server) patchTask(w http.ResponseWriter, r *http.Request, c caller) {
	if s.writes == nil {
		fail(w, http.StatusNotImplemented, "not-supported", "this gateway takes no writes")
		return
	}
	var ops []patchOp
	if err := readResource(r, maxPatchBody, &ops, mediaPatch); err != nil {
		refuse(w, err)
		return
	}
	u, err := parsePatch(ops)
	if err != nil {
		fail(w, http.StatusUnprocessableEntity, "invalid", string(err.(badRequest)))
		return
	}
	if u.Version, err = ifMatch(r); err != nil {
		refuse(w, err)
		return
	}
	got, err := s.writes.UpdateFromSystem(r.Context(), c.actor, cases.ID(r.PathValue("id")), u)
	if u.Version != 0 && errors.Is(err, cases.ErrConflict) {
		stale(w, "Task")
		return
	}
	if err != nil {
		var terr *cases.TransitionError
		if errors.As(err, &terr) && errors.Is(err, cases.ErrIllegalTransition) {
			fail(w, http.StatusUnprocessableEntity, "business-rule", "only an answered case can be marked handled ("+
				terr.Reason+"): answer the patient first, with a Communication (category answer), then set status completed")
			return
		}
		s.writeError(w, err)
		return
	}
	setVersion(w, got.Version)
	if !c.sys.Allows(directory.ReadCases) {
		w.WriteHeader(http.StatusNoContent) // it may change the case, not read it
		return
	}
	writeJSON(w, http.StatusOK, taskOf(got))
}
