// Package siths is the SITHS certificate profile for staff card login:
// which certificate on a card is for authentication, whose it is, whether
// it chains to the configured trust anchors, and whether it is revoked.
//
// The profile (Verifier.Verify, or CheckAuthCert for cardauth):
//
//   - the HSA-ID is the subject serialNumber (OID 2.5.4.5), exactly one,
//     well-formed (hsaid.Check); HSAID reads it;
//   - the authentication certificate has key usage digitalSignature and,
//     if it has extended key usages, clientAuth; the card's signing
//     certificate (nonRepudiation only) is refused; IsAuthentication tells
//     them apart for the token package;
//   - valid now (the injected Clock), chained with x509.Verify to a root of
//     Config.Roots through Config.Intermediates (the person CAs) or
//     certificates that came with it;
//   - not revoked: OCSP first, at the certificate's AIA responder or
//     Config.OCSPURL. The response is checked here, beyond what
//     golang.org/x/crypto/ocsp does: its CertID names the issuer (name and
//     key hashes, not only the serial); it is signed by the issuer's key or
//     by a delegated responder certificate the issuer signed, valid now,
//     with the OCSPSigning extended key usage; thisUpdate is not ahead of
//     the clock by more than MaxSkew; nextUpdate has not passed (without
//     one, thisUpdate is at most NoNextUpdateMaxAge old). Revoked refuses
//     at once. Unknown, no answer, or an answer that fails a check falls
//     back to the CRL (distribution point or Config.CRLURL): issued and
//     signed by the issuer, complete (no delta, indirect or
//     reason-partitioned CRL), thisUpdate not ahead, nextUpdate present and
//     not passed. A person CA whose certificate names a CRL distribution
//     point is looked up in its issuer's CRL too;
//   - answers are cached until their nextUpdate but at most CacheMaxAge
//     after they were fetched: OCSP per issuer key and serial, CRLs per
//     issuer key and URL; both caches are bounded. Failures are not cached.
//
// A status that cannot be determined (ErrUndetermined, which wraps the
// OCSP and the CRL reasons) is refused. Config.SoftFail, off by default,
// accepts it with a warning and Identity.Revocation = Undetermined, as a
// documented, temporary exception while the region's services are down; a
// revoked certificate is refused either way. Fetches are bounded in time
// (FetchTimeout, 3 s by default, under the caller's context) and size
// (64 KiB for OCSP, 10 MiB for a CRL).
//
// Errors are typed for errors.Is/As (ErrNoHSAID, ErrNotAuthentication,
// ErrExpired, ErrNotYetValid, ErrUntrusted, ErrUndetermined,
// *RevokedError); Swedish(err) is a sentence for staff.
package siths
