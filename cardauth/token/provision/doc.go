// Package provision writes staff cards onto PKCS#11 tokens: it
// initialises a token, generates the authentication key pair on it,
// issues the certificate from a development PKI (cardauth/devpki) and
// stores it beside the key, as on a SITHS card. It serves the SoftHSM2
// test harness (cardauth/token/softhsm) and `clinicgw demo`, whose demo
// cards are SoftHSM2 tokens; SoftHSMConfig writes such a token folder.
//
// It is for development and test tokens only: real SITHS cards are
// issued by the card issuer, never by this package.
package provision
