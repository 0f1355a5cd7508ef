// Package tlsconf is the one place TLS configurations are made: for the
// central store's server, the gateway's client to it, and the local web
// UI. TLS 1.3 is preferred and 1.2 the minimum, with forward-secret AEAD
// suites only; peers are checked inside the handshake (VerifyConnection),
// never with InsecureSkipVerify and a check afterwards. Care units and
// staff are named by the HSA-ID in their certificate's subject
// serialNumber.
package tlsconf
