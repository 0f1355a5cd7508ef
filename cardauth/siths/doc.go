// Package siths is the SITHS certificate profile for card login: the
// HSA-ID from the subject serialNumber (OID 2.5.4.5), the authentication
// certificate told from the signing one by its key usage, the chain to the
// configured trust anchors (root → person CA) and validity, and
// revocation — OCSP first (the responder's signature and OCSPSigning
// extended key usage and the response's freshness checked here), a fresh
// CRL as the fallback (signature, thisUpdate/nextUpdate), both cached
// until they go stale. A status that cannot be determined is refused; the
// SoftFail setting, off by default, accepts it with a warning for a
// documented, temporary exception.
package siths
