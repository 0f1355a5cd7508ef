// Package cardauth is login by SITHS card: challenge issue and verify,
// certificate checks and session binding.
//
// The gateway issues a single-use nonce (256 bits, 60 s) remembered with
// the browser that asked for it; the card signs hash(origin) ‖
// hash(nonce) in Web eID's authentication token format, hash being the
// signature algorithm's own (SHA-384 for ES384); Login verifies
// the signature, the certificate (CertChecker: cardauth/siths) and the
// commission for this unit (StaffLookup: agent/directory, whose roles it
// carries into the session as codes, unread), then starts a
// session: an id of 256 bits from crypto/rand, new at every login, held in
// memory only, ended after 15 minutes idle or 12 hours in all, and bound to
// the card, so that removing it ends the session.
//
// Subpackages: devpki (a throwaway SITHS-shaped PKI for development and
// tests), pcsc (readers and card presence), token (the PKCS#11 token),
// siths (the certificate profile and revocation), bridge (the
// workstation's side) and webeidtest (the Web eID project's validator
// rules, for tests).
package cardauth
