// Package softhsm is a SoftHSM2 test harness: private tokens in a
// temporary folder, with staff card keys generated on them through
// PKCS#11 and certificates from cardauth/devpki (by
// cardauth/token/provision, which fails the test here on error), for the tests of
// cardauth/token and of the packages that log in with a card or keep a
// key-encryption key on a token.
//
// SoftHSM2 reads SOFTHSM2_CONF once, when the module is initialised, and
// only sees tokens made in the same process after that; so one token
// folder serves a whole test binary. Call Main from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(softhsm.Main(m)) }
//
// then New(t) in a test, InitToken for a token of its own (labels must
// be unique in the test binary), and ProvisionPerson for an
// authentication and a signing certificate on it, as on a SITHS card.
// Provision a token before a test opens it with token.Open: the
// harness logs in and out on its own session, and login state is shared
// by every session on a slot. Env gives outside clients (pkcs11-tool)
// the same token folder. SoftHSM2 rewrites a token's file at every
// login, so a test that kills processes logged in to a token keeps a
// copy with SaveTokenFiles and mends a torn file with MendTorn.
package softhsm
