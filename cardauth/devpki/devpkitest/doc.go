// Package devpkitest is the test side of devpki, shared by the tests of
// every package that needs certificates: a development PKI made at a
// test's time (New), and a lone self-signed certificate from a template
// (SelfSigned) for the rules that read one certificate's fields.
package devpkitest
