// Package tlsconf is the one place TLS configurations are made: for the
// central store's sync server (Server), the gateway's client to it
// (Client), the web UI on the clinic LAN (ServerNoClientCert), the
// integration API, which answers a client without a certificate in FHIR
// (ServerClientCertIfGiven), and the
// clients of servers outside the unit's PKI — the mail server, the SMS
// gateway, OCSP and CRL over https — (PublicClient, with NewTransport for
// HTTP). Nothing else in clinicgw builds a tls.Config or leaves a client on
// Go's default one: TestEveryTLSConfigIsMadeHere walks the source and
// refuses a tls.Config literal elsewhere, a nil configuration, and an
// http.Client, http.Transport or websocket dialer without one from here.
//
// Every configuration has TLS 1.2 as its minimum and prefers TLS 1.3; TLS
// 1.2 uses only ECDHE key exchange with AEAD ciphers (forward secrecy;
// AES-GCM, ChaCha20-Poly1305); the key exchange groups are the hybrid
// post-quantum X25519MLKEM768, X25519, P-256 and P-384. Mutual TLS pins
// each side's CA: a server trusts only its configured client CA pool, a
// client only its configured root pool, never the system's roots, and a
// missing pool trusts nothing. Only PublicClient trusts the system's roots
// when no CA is configured: a mail server or SMS gateway has a public CA's
// certificate. A peer's identity is checked inside the
// handshake (tls.Config.VerifyConnection, on resumptions too), never with
// InsecureSkipVerify and a check afterwards.
//
// It is also the one place HTTP servers are made (NewHTTPServer), for the
// same reason: every server clinicgw runs bounds a slow client the same
// way. The headers (and the TLS handshake) must arrive within
// Limits.Header; each request's body within Limits.Body and its response
// within Limits.Write, both counted from the start of the handler and set
// per request through http.ResponseController (BoundRequests), so that
// they hold on HTTP/1.1 and HTTP/2 alike and are lifted from a connection
// a websocket takes over. http.Server's ReadTimeout and WriteTimeout are
// not used: they would cut the websockets too. A test refuses an
// http.Server made anywhere else.
//
// HTTP2 gives a client's http.Transport the HTTP/2 frame size of the sync
// protocol (MaxReadFrameSize): DATA frames of four full TLS records, not
// Go's 16 KiB frames that each go out as a full record and a 9-byte one.
//
// Care units and staff are named by the HSA-ID in their certificate's
// subject serialNumber (OID 2.5.4.5), as in SITHS: HSAID reads it,
// RequireHSAID admits one; the rule of an HSA-ID itself is
// sync/wire/hsaid's. LoadKeyPair and LoadPool read PEM files with errors
// that name the file and say what is wrong.
//
// Security checklist row TL1 is asserted by this package's handshake table
// on loopback.
package tlsconf
