// Package devpki makes a throwaway certificate hierarchy shaped like SITHS,
// for development, the demo and tests:
//
//	clinicgw DEV Root CA v1 - NOT FOR PRODUCTION
//	├── DEV SITHS Function CA v1         servers (serverAuth), care units (clientAuth)
//	└── DEV SITHS e-id Person ID CA v1   staff cards: authentication (clientAuth)
//	                                     and signing (nonRepudiation)
//
// Care units and staff carry their HSA-ID in the subject serialNumber, as
// in SITHS; tlsconf.HSAID reads it. Keys are ECDSA P-256, and staff card
// keys may be RSA-2048; IssuePerson certifies a key generated on a token
// (SoftHSM2) so that its private key never leaves it. Options set the
// validity (for expired certificates) and the OCSP and CRL URLs.
//
// Every key is generated at run time; none is ever committed. The time is
// always given (New, Load), never read from the clock. WriteDir stores a
// hierarchy in a folder (created 0700) so that Load can issue more later,
// as `clinicgw pki dev` does:
//
//	root.pem, root.key                  the root CA
//	function-ca.pem, function-ca.key    issues servers and care units
//	person-ca.pem, person-ca.key        issues staff cards
//
// Certificates are PEM, mode 0644; keys are PKCS#8 PEM, mode 0600.
// WriteTLS writes an issued certificate (name.pem, with its chain) and its
// key (name.key) beside them. The names say "DEV" and "NOT FOR
// PRODUCTION": nothing here is to be trusted outside development.
package devpki
