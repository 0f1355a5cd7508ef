// Package token is the PKCS#11 token a member of staff logs in with (a
// SITHS card through OpenSC, or SoftHSM2 in tests), through miekg/pkcs11.
//
// Open loads the module named in the configuration (once per process:
// C_Initialize and C_Finalize are shared by every user, see OpenModule)
// and opens the slot that belongs to the configured reader (OpenSC names
// its slots after the reader) or the token with the configured label.
// Login gives the PIN, or, on a reader with a PIN pad (protected
// authentication path), has the user type it there. A refused PIN is a
// *PINError whose Kind says whether few tries are left, one is, or the
// PIN is locked, read from the token's flags; Swedish (In for a language)
// gives the message for staff, from the one catalogue (sync/i18n's pin.*).
// A PIN is never tried again by this package.
//
// AuthCert returns the card's authentication certificate (key usage
// digitalSignature; a SITHS card also holds a signing certificate, key
// usage nonRepudiation, which is not it) as a Signer, a crypto.Signer over
// the private key with the same CKA_ID: RSA PKCS#1 v1.5 and PSS, ECDSA
// P-256 and P-384 (DER signatures). A key that asks for the PIN at every
// use (PIV slot 9C) signs with SignWithPIN: a context-specific login with
// the PIN the user gave for that operation.
//
// Every call that touches the token runs in its own goroutine and the
// caller waits at most Config.Deadline (Config.PINPadDeadline while the
// user types on a PIN pad). OpenSC 0.23 can hang in C_Sign when the card
// is pulled: such a call is abandoned, the caller gets ErrTokenHung, and
// the Token refuses every later call at once; ErrTokenHung counts as
// ErrCardRemoved, which the module's removal errors (CKR_DEVICE_REMOVED,
// CKR_TOKEN_NOT_PRESENT, CKR_SESSION_HANDLE_INVALID) also give. Close
// never waits for a hung call. While an abandoned call is still inside
// the module, Open fails at once with ErrModuleStuck: a hung OpenSC 0.23
// keeps its global lock, and only a new process frees it (measured with
// the virtual PIV card: pulling it before C_Sign hangs OpenSC every time).
//
// Tested with real parts: SoftHSM2 tokens with keys generated on them
// (the softhsm subpackage), OpenSC's pkcs11-tool reading and signing on
// the same tokens, and OpenSC's module against a virtual PIV card behind
// a private pcscd (cardauth/cardtest): RSA and P-256 signatures, the 9C
// key's context-specific login, lockout at the fifth wrong PIN, and the
// hang when the card is pulled.
//
// KEK finds an AES key by label on the token for a store's key-encryption
// key: Wrap and Unwrap encrypt data keys with AES-GCM on the token.
//
// The test harness in the softhsm subpackage makes SoftHSM2 tokens with
// keys generated on them and certificates from devpki.
package token
