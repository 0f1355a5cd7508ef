// Package webeidtest checks an authentication token the way the Web eID
// project's own validator does, for tests: that the tokens clinicgw's
// bridge makes would be accepted by a standard Web eID back end, and that
// cardauth's verifier agrees with one on the project's published tokens.
//
// The rules are written from reading web-eid-authtoken-validation-java
// (commit 7039e7f86711687104871cabd8ef09fc9f3686b2: AuthTokenValidatorImpl,
// AuthTokenSignatureValidator, SubjectCertificatePurposeValidator,
// Base64Decoder, WebEidAuthToken, and the JJWT algorithms it calls) and the
// token format in web-eid-system-architecture-doc; no code is copied. Check
// covers what that validator checks of the token itself: its length, the
// members it reads (others are ignored), the format, the algorithm, the
// base64, the certificate's purpose and the signature over
// hash(origin) ‖ hash(nonce) with the algorithm's own hash. The
// certificate's trust and revocation are the site's own configuration and
// are left to the caller.
package webeidtest
