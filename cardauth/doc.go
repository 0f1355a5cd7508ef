// Package cardauth is login by SITHS card: challenge issue and verify,
// certificate checks and session binding. Its subpackages hold the parts:
// devpki (a throwaway SITHS-shaped PKI for development and tests), and
// later pcsc, token, siths and bridge.
package cardauth
