package fhirapi

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"

	"clinicgw/cardauth/siths"
)

// Revocation is the check of a system's function certificate at each
// request, with the staff login's policy (cardauth/siths: OCSP first,
// then a fresh CRL; an answer cached until the responder's nextUpdate;
// a status that cannot be determined refused unless the login's
// soft-fail setting is on). Per request rather than at the handshake,
// so that a certificate revoked while a system keeps its connection
// open is refused at its next request, and the refusal is an
// OperationOutcome the region's integration team can read.
type Revocation interface {
	Verify(ctx context.Context, leaf *x509.Certificate, extra []*x509.Certificate) (siths.Identity, error)
}

var _ Revocation = (*siths.Verifier)(nil)

// revoked checks chain (leaf first) and answers a refusal: revoked (403),
// undetermined (503, fail closed), anything else the profile refuses
// (403). It reports whether the request may go on.
func (s *Server) revoked(w http.ResponseWriter, r *http.Request, id string, chain []*x509.Certificate) bool {
	_, err := s.cfg.Revocation.Verify(r.Context(), chain[0], chain[1:])
	if err == nil {
		return false
	}
	var rev *siths.RevokedError
	switch {
	case errors.As(err, &rev):
		s.cfg.Logger.Warn("api request refused: the certificate is revoked", "system", id, "err", err)
		fail(w, http.StatusForbidden, "security", "the system's function certificate is revoked: ask region IT for a new one")
	case errors.Is(err, siths.ErrUndetermined), r.Context().Err() != nil:
		s.cfg.Logger.Warn("api request refused: revocation status undetermined", "system", id, "err", err)
		w.Header().Set("Retry-After", "60")
		fail(w, http.StatusServiceUnavailable, "transient", "the gateway cannot check whether the system's certificate is revoked (neither the OCSP responder nor a fresh CRL answered), so it refuses: try again later; if it persists, tell region IT")
	default:
		s.cfg.Logger.Warn("api request refused: certificate check", "system", id, "err", err)
		fail(w, http.StatusForbidden, "security", "the system's function certificate did not pass the SITHS check (validity, key usage, chain): ask region IT")
	}
	return true
}
