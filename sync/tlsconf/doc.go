// Package tlsconf is the one place TLS configurations are made: for the
// central store's sync server (Server), the gateway's client to it
// (Client), and the web UI on the clinic LAN (ServerNoClientCert). Nothing
// else in clinicgw builds a tls.Config.
//
// Every configuration has TLS 1.2 as its minimum and prefers TLS 1.3; TLS
// 1.2 uses only ECDHE key exchange with AEAD ciphers (forward secrecy;
// AES-GCM, ChaCha20-Poly1305); the key exchange groups are the hybrid
// post-quantum X25519MLKEM768, X25519, P-256 and P-384. Mutual TLS pins
// each side's CA: a server trusts only its configured client CA pool, a
// client only its configured root pool, never the system's roots, and a
// missing pool trusts nothing. A peer's identity is checked inside the
// handshake (tls.Config.VerifyConnection, on resumptions too), never with
// InsecureSkipVerify and a check afterwards.
//
// Care units and staff are named by the HSA-ID in their certificate's
// subject serialNumber (OID 2.5.4.5), as in SITHS: HSAID reads it,
// RequireHSAID admits one. LoadKeyPair and LoadPool read PEM files with
// errors that name the file and say what is wrong.
//
// Security checklist row TL1 is asserted by this package's handshake table
// on loopback.
package tlsconf
