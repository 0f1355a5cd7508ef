// Package cardtest is a test harness for card login with real parts: a
// private pcscd (started on its own socket in a user and mount namespace,
// so it needs no root and leaves the machine's /run alone) with the
// vsmartcard virtual reader (vpcd), and a virtual card in Go that speaks
// vpcd's protocol, so tests can insert and remove a card. For tests only.
// It runs on Linux; elsewhere Available says why, and the tests that need
// it skip.
package cardtest
