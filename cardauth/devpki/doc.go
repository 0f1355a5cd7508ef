// Package devpki makes a throwaway certificate hierarchy shaped like SITHS,
// for development, the demo and tests: a root CA, a function CA that issues
// server and care-unit (gateway) certificates, and a person CA that issues
// staff card certificates with the HSA-ID in the subject serialNumber.
//
// Every key is generated at run time; none is ever committed. WriteDir
// stores a hierarchy in a folder so that later runs can issue more:
//
//	root.pem, root.key                   the root CA
//	function-ca.pem, function-ca.key     servers and care units
//	person-ca.pem, person-ca.key         staff cards
//
// Keys are PKCS#8 PEM, mode 0600. The names say "DEV" and "NOT FOR
// PRODUCTION": nothing here is meant to be trusted outside a test.
package devpki
