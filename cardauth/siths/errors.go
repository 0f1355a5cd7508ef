package siths

import (
	"errors"
	"fmt"
	"math/big"
	"time"

	"clinicgw/sync/i18n"
)

// Errors of Verify; match with errors.Is (and errors.As for *RevokedError).
// Each error from Verify also has a short Swedish sentence for staff:
// Swedish(err).
var (
	ErrNoHSAID           = errors.New("the certificate names no well-formed HSA-ID in its subject serialNumber: it is not a SITHS person certificate")
	ErrNotAuthentication = errors.New("the certificate is not for authentication (its key usage lacks digitalSignature): the card's signing certificate was chosen instead of its authentication certificate")
	ErrUntrusted         = errors.New("the certificate does not chain to a configured SITHS trust anchor through a configured person CA: check login.trust_anchors and login.person_cas")
	ErrExpired           = errors.New("the certificate has expired: the card holder needs a new card")
	ErrNotYetValid       = errors.New("the certificate is not valid yet: check the gateway's clock")
	// ErrUndetermined is a revocation status that neither OCSP nor a fresh
	// CRL could settle. It wraps both reasons. Verify refuses it unless
	// Config.SoftFail is on.
	ErrUndetermined = errors.New("the certificate's revocation status cannot be determined (neither the OCSP responder nor a fresh CRL answered): check the network to the region's OCSP and CRL services")
)

// Reasons inside an ErrUndetermined (unexported: callers branch on
// ErrUndetermined; tests look at the reason).
var (
	errStale         = errors.New("stale")
	errNotAuthorized = errors.New("the OCSP response is not signed by the certificate's issuer nor by a responder it authorised (OCSPSigning)")
	errUnknown       = errors.New("the OCSP responder does not know the certificate")
	errNoURL         = errors.New("no http(s) address named")
)

// RevokedError is a certificate its issuer has revoked.
type RevokedError struct {
	Serial *big.Int
	At     time.Time
	Reason int    // RFC 5280 CRLReason code (0 unspecified, 1 keyCompromise, …)
	Source string // "ocsp" or "crl"
	CA     bool   // the issuing CA's certificate was revoked, not the card's
}

func (e *RevokedError) Error() string {
	what := "the certificate"
	if e.CA {
		what = "the certificate's issuing CA"
	}
	return fmt.Sprintf("%s (serial %x) was revoked at %s (reason %d, per %s): the card cannot be used to log in",
		what, e.Serial, e.At.UTC().Format(time.RFC3339), e.Reason, e.Source)
}

// Swedish returns a short Swedish sentence for staff about an error from
// Verify or CheckAuthCert, saying what happened and what to do (the one
// catalogue's, sync/i18n's cert.*); "" for nil.
func Swedish(err error) string {
	var rev *RevokedError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &rev):
		return i18n.T("sv", "cert.revoked")
	case errors.Is(err, ErrExpired):
		return i18n.T("sv", "cert.expired")
	case errors.Is(err, ErrNotYetValid):
		return i18n.T("sv", "cert.notYetValid")
	case errors.Is(err, ErrUndetermined):
		return i18n.T("sv", "cert.undetermined")
	case errors.Is(err, ErrNotAuthentication):
		return i18n.T("sv", "cert.notAuth")
	case errors.Is(err, ErrNoHSAID), errors.Is(err, ErrUntrusted):
		return i18n.T("sv", "cert.notSITHS")
	}
	return i18n.T("sv", "cert.notChecked")
}
